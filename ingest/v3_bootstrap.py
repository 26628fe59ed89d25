"""Bootstrap a Uniswap V3 pool's full state from a node (the I/O half of the V3 twin).

:func:`fetch_v3_pool_state` reads, at one pinned block, ``slot0`` (price and tick),
``liquidity``, ``fee``, ``tickSpacing``, ``token0`` / ``token1``, then every word of the pool's
``tickBitmap`` that can hold an initialized tick (compressed ticks ``MIN_TICK // spacing`` ..
``MAX_TICK // spacing``: 3,466 words each side for spacing 1, 18 for spacing 200), and
``ticks(tick)`` (``liquidityGross``, ``liquidityNet``) for every set bit. The words and ticks go
out as JSON-RPC batches of ``eth_call``s. The result is an I/O-free
:class:`~arbstream.cyext.v3.pool.V3PoolState`; the math never touches the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from web3 import AsyncWeb3
from web3.types import RPCEndpoint

from arbstream.cyext.v3.pool import V3PoolState
from arbstream.errors import ChainError

__all__ = [
    "MAX_TICK",
    "MIN_TICK",
    "bitmap_ticks",
    "fetch_v3_pool_state",
    "tick_bitmap_word_range",
]

MIN_TICK = -887272
MAX_TICK = 887272
#: eth_calls per JSON-RPC batch request (spacing 1 needs 6,932 bitmap words).
BATCH_SIZE = 1000

_SLOT0 = "slot0()"
_LIQUIDITY = "liquidity()"
_FEE = "fee()"
_TICK_SPACING = "tickSpacing()"
_TOKEN0 = "token0()"
_TOKEN1 = "token1()"
_TICK_BITMAP = "tickBitmap(int16)"
_TICKS = "ticks(int24)"


def _selector(signature: str) -> str:
    return "0x" + function_signature_to_4byte_selector(signature).hex()


def tick_bitmap_word_range(tick_spacing: int) -> range:
    """Word positions of ``tickBitmap`` that can hold a tick in ``[MIN_TICK, MAX_TICK]``.

    TickBitmap.position: ``wordPos = int16(compressed >> 8)`` with ``compressed = tick /
    tickSpacing`` rounded towards negative infinity (Python's ``//``).
    """
    if tick_spacing <= 0:
        raise ValueError(f"tick spacing must be positive, got {tick_spacing}")
    return range((MIN_TICK // tick_spacing) >> 8, ((MAX_TICK // tick_spacing) >> 8) + 1)


def bitmap_ticks(word_pos: int, word: int, tick_spacing: int) -> list[int]:
    """The initialized ticks a bitmap word marks, ascending."""
    base = word_pos << 8
    return [(base + bit) * tick_spacing for bit in range(256) if word >> bit & 1]


class _Reader:
    """eth_calls at one block through the provider, batched, decoded with the ABI codec."""

    def __init__(self, w3: AsyncWeb3[Any], pool: str, block: str) -> None:
        self.w3 = w3
        self.pool = pool
        self.block = block

    def _request(self, signature: str, arg_types: Sequence[str], args: Sequence[Any]) -> Any:
        data = _selector(signature) + self.w3.codec.encode(list(arg_types), list(args)).hex()
        return (RPCEndpoint("eth_call"), [{"to": self.pool, "data": data}, self.block])

    def _result(self, signature: str, response: Any) -> bytes:
        if not isinstance(response, dict) or "error" in response or "result" not in response:
            error = response.get("error") if isinstance(response, dict) else response
            raise ChainError(f"{signature} on V3 pool {self.pool} at {self.block}: {error}")
        raw = bytes.fromhex(str(response["result"]).removeprefix("0x"))
        if not raw:
            raise ChainError(
                f"{signature} on {self.pool} at {self.block}: no data (not a V3 pool?)"
            )
        return raw

    async def batch(
        self, signature: str, arg_types: Sequence[str], args_list: Sequence[Sequence[Any]]
    ) -> list[bytes]:
        """One eth_call per argument tuple, sent as JSON-RPC batches of BATCH_SIZE."""
        requests = [self._request(signature, arg_types, args) for args in args_list]
        chunks = [requests[i : i + BATCH_SIZE] for i in range(0, len(requests), BATCH_SIZE)]
        replies = await asyncio.gather(
            *(self.w3.provider.make_batch_request(chunk) for chunk in chunks)
        )
        out: list[bytes] = []
        for chunk, reply in zip(chunks, replies, strict=True):
            if not isinstance(reply, list) or len(reply) != len(chunk):
                raise ChainError(f"{signature} batch on {self.pool}: bad reply {reply!r:.300}")
            out.extend(self._result(signature, r) for r in reply)
        return out

    def decode(self, types: Sequence[str], raw: bytes) -> tuple[Any, ...]:
        return tuple(self.w3.codec.decode(list(types), raw))


async def _block_number(w3: AsyncWeb3[Any], block: int | str) -> int:
    if isinstance(block, int):
        if block < 0:
            raise ValueError(f"block number must be >= 0, got {block}")
        return block
    resp = await w3.provider.make_request(RPCEndpoint("eth_getBlockByNumber"), [block, False])
    result = resp.get("result") if isinstance(resp, dict) else None
    if not isinstance(result, dict) or "number" not in result:
        raise ChainError(f"block {block!r} not found: {resp!r:.300}")
    return int(result["number"], 16)


async def fetch_v3_pool_state(
    w3: AsyncWeb3[Any], pool_address: str, block: int | str = "latest"
) -> V3PoolState:
    """The state of the Uniswap V3 pool at ``pool_address`` at ``block`` (a number or a tag).

    A tag is resolved to a block number first, so every read sees the same state; the
    returned state carries that ``block``. Raises ChainError when a call fails or the pool
    answers inconsistently (a set bitmap bit whose tick is not initialized, an uninitialized
    pool).
    """
    address = to_checksum_address(pool_address)
    number = await _block_number(w3, block)
    reader = _Reader(w3, address, hex(number))

    replies = await asyncio.gather(
        *(
            reader.batch(sig, [], [()])
            for sig in (_SLOT0, _LIQUIDITY, _FEE, _TICK_SPACING, _TOKEN0, _TOKEN1)
        )
    )
    slot0, liquidity_raw, fee_raw, spacing_raw, token0_raw, token1_raw = (r[0] for r in replies)
    sqrt_price_x96, tick = reader.decode(["uint160", "int24"], slot0[:64])
    (liquidity,) = reader.decode(["uint128"], liquidity_raw)
    (fee,) = reader.decode(["uint24"], fee_raw)
    (tick_spacing,) = reader.decode(["int24"], spacing_raw)
    (token0,) = reader.decode(["address"], token0_raw)
    (token1,) = reader.decode(["address"], token1_raw)
    if sqrt_price_x96 == 0:
        raise ChainError(f"V3 pool {address} is not initialized at block {number}")
    if tick_spacing <= 0:
        raise ChainError(f"V3 pool {address} reports tick spacing {tick_spacing}")

    positions = list(tick_bitmap_word_range(tick_spacing))
    words = await reader.batch(_TICK_BITMAP, ["int16"], [(p,) for p in positions])
    ticks: list[int] = []
    for pos, raw in zip(positions, words, strict=True):
        (word,) = reader.decode(["uint256"], raw)
        if word:
            ticks.extend(bitmap_ticks(pos, word, tick_spacing))

    infos = await reader.batch(_TICKS, ["int24"], [(t,) for t in ticks])
    gross: list[int] = []
    nets: list[int] = []
    for t, raw in zip(ticks, infos, strict=True):
        g, n, *_rest, initialized = reader.decode(
            ["uint128", "int128", "uint256", "uint256", "int56", "uint160", "uint32", "bool"], raw
        )
        if not initialized or g == 0 or not MIN_TICK <= t <= MAX_TICK:
            raise ChainError(
                f"V3 pool {address} block {number}: bitmap marks tick {t} but ticks({t}) = "
                f"(gross {g}, net {n}, initialized {initialized})"
            )
        gross.append(int(g))
        nets.append(int(n))

    return V3PoolState(
        address=address,
        token0=to_checksum_address(token0),
        token1=to_checksum_address(token1),
        fee=int(fee),
        tick_spacing=int(tick_spacing),
        sqrt_price_x96=int(sqrt_price_x96),
        tick=int(tick),
        liquidity=int(liquidity),
        ticks=tuple(ticks),
        liquidity_net=tuple(nets),
        liquidity_gross=tuple(gross),
        block=number,
    )
