"""I/O-free state of one Uniswap V3 pool, and exact quotes against it.

:class:`V3PoolState` is a frozen snapshot: slot0 (``sqrt_price_x96``, ``tick``), the in-range
``liquidity``, and every initialized tick with its ``liquidity_net`` / ``liquidity_gross``
(parallel tuples, ``ticks`` sorted). Events produce new snapshots (``apply_*``); quotes run
the exact ``UniswapV3Pool.swap`` loop of :mod:`arbstream.cyext.v3.swap` (kernel or twin).

Quotes follow QuoterV1 (Uniswap/v3-periphery contracts/lens/Quoter.sol): the price limit
defaults to ``MIN_SQRT_RATIO + 1`` / ``MAX_SQRT_RATIO - 1``, the answer is what the swap
callback sees, and a swap that moves nothing in either token (the callback's
``require(amount0Delta > 0 || amount1Delta > 0)``) raises QuoteUnexpectedError. An exact-output
quote the pool cannot fill (it runs into the price limit first) returns the input for the
partial fill, as the recorded on-chain results do (QuoterV1 called with an explicit limit; with
limit 0 it would revert 'Unexpected error' instead: ``require_full_output=True``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any, ClassVar, NamedTuple

from arbstream.cyext.errors import PricingInputError
from arbstream.cyext.v3 import liquidity_math
from arbstream.cyext.v3 import swap as swap_module
from arbstream.cyext.v3.errors import (
    LiquidityOverflow,
    QuoteUnexpectedError,
    SafeCastOverflow,
    SafeMathOverflow,
    TickDataError,
    TickOrder,
)
from arbstream.cyext.v3.tick_math import MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK

__all__ = ["V3PoolState", "V3SwapResult", "max_liquidity_per_tick"]

INT128_MIN = -(1 << 127)
INT128_MAX = (1 << 127) - 1
INT256_MAX = (1 << 255) - 1
UINT128_MAX = (1 << 128) - 1


class V3SwapResult(NamedTuple):
    """The outcome of ``UniswapV3Pool.swap``: signed pool deltas (positive: paid in) and the
    post-swap slot0 / in-range liquidity, plus the number of initialized ticks crossed."""

    amount0: int
    amount1: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    ticks_crossed: int


def max_liquidity_per_tick(tick_spacing: int) -> int:
    """``Tick.tickSpacingToMaxLiquidityPerTick`` (Tick.sol); Solidity ``/`` truncates to 0."""
    min_tick = -(-MIN_TICK // tick_spacing) * tick_spacing  # (MIN_TICK / spacing) * spacing
    max_tick = (MAX_TICK // tick_spacing) * tick_spacing
    num_ticks = (max_tick - min_tick) // tick_spacing + 1
    return UINT128_MAX // num_ticks


def _same(a: str, b: str) -> bool:
    return a.lower() == b.lower()


@dataclass(frozen=True, slots=True)
class V3PoolState:
    """One Uniswap V3 pool at ``(block, log_index)``.

    ``fee`` is in pips (3000 = 0.3 %). ``ticks`` are the initialized ticks, sorted;
    ``liquidity_net[i]`` / ``liquidity_gross[i]`` belong to ``ticks[i]``.
    """

    address: str
    token0: str
    token1: str
    fee: int
    tick_spacing: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    ticks: tuple[int, ...] = ()
    liquidity_net: tuple[int, ...] = ()
    liquidity_gross: tuple[int, ...] = ()
    block: int = 0
    log_index: int = -1
    chain_id: int = 0
    dex: str = ""

    PROTOCOL: ClassVar[str] = "v3"

    @property
    def fee_pips(self) -> int:
        """The fee in millionths (3000 = 0.3 %)."""
        return self.fee

    def to_row(self) -> list[Any]:
        """The compact serialized form for Faust tables and changelogs: ``["v3", address,
        token0, token1, fee, tick_spacing, sqrt_price_x96, tick, liquidity, [ticks],
        [liquidity_net], [liquidity_gross], block, log_index, chain_id, dex]``."""
        return [
            self.PROTOCOL,
            self.address,
            self.token0,
            self.token1,
            self.fee,
            self.tick_spacing,
            self.sqrt_price_x96,
            self.tick,
            self.liquidity,
            list(self.ticks),
            list(self.liquidity_net),
            list(self.liquidity_gross),
            self.block,
            self.log_index,
            self.chain_id,
            self.dex,
        ]

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> V3PoolState:
        """The inverse of :meth:`to_row` (validated like any state); PricingInputError on a
        malformed row."""
        if len(row) != 16 or row[0] != cls.PROTOCOL:
            raise PricingInputError(f"not a V3 pool row: {list(row)[:3]!r}...")
        (_, address, token0, token1, fee, spacing, sqrt_p, tick, liquidity) = row[:9]
        ticks, nets, gross, block, log_index, chain_id, dex = row[9:]
        return cls(
            address=str(address),
            token0=str(token0),
            token1=str(token1),
            fee=int(fee),
            tick_spacing=int(spacing),
            sqrt_price_x96=int(sqrt_p),
            tick=int(tick),
            liquidity=int(liquidity),
            ticks=tuple(int(t) for t in ticks),
            liquidity_net=tuple(int(n) for n in nets),
            liquidity_gross=tuple(int(g) for g in gross),
            block=int(block),
            log_index=int(log_index),
            chain_id=int(chain_id),
            dex=str(dex),
        )

    def other(self, token: str) -> str:
        """The pool's other token."""
        return self.token1 if self.zero_for_one(token) else self.token0

    @property
    def live(self) -> bool:
        """Initialized with liquidity in range or somewhere (a pool that can quote)."""
        return self.sqrt_price_x96 > 0 and (self.liquidity > 0 or bool(self.ticks))

    def cycle_leg(self, token_in: str) -> tuple[Any, ...]:
        """This pool as a leg tuple of :mod:`arbstream.cyext.cycles`, swapping ``token_in``."""
        return ("v3", *self._swap_state(), self.zero_for_one(token_in))

    def _swap_state(self) -> tuple[Any, ...]:
        """The state arguments of ``swap`` and of a cycle leg, in their order."""
        s = self
        return (
            s.sqrt_price_x96,
            s.tick,
            s.liquidity,
            s.fee,
            s.tick_spacing,
            s.ticks,
            s.liquidity_net,
        )

    def __post_init__(self) -> None:
        ticks = tuple(self.ticks)
        nets = tuple(self.liquidity_net)
        gross = tuple(self.liquidity_gross) if self.liquidity_gross else tuple(abs(n) for n in nets)
        object.__setattr__(self, "ticks", ticks)
        object.__setattr__(self, "liquidity_net", nets)
        object.__setattr__(self, "liquidity_gross", gross)
        if self.tick_spacing <= 0:
            raise TickDataError(f"tick_spacing must be positive, got {self.tick_spacing}")
        if not len(ticks) == len(nets) == len(gross):
            raise TickDataError("ticks, liquidity_net and liquidity_gross differ in length")
        if any(b <= a for a, b in pairwise(ticks)):
            raise TickDataError("ticks must be strictly increasing")
        if any(t % self.tick_spacing or not MIN_TICK <= t <= MAX_TICK for t in ticks):
            raise TickDataError(f"ticks must be multiples of {self.tick_spacing} within range")
        if any(g <= 0 for g in gross):
            raise TickDataError("initialized ticks need liquidity_gross > 0")

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> V3PoolState:
        """From a degenbot-style snapshot: ``pool``, ``block``, ``token0``/``token1`` (dicts with
        ``address``, or addresses), ``scalars`` {fee, tick_spacing, sqrt_price_x96, tick,
        liquidity} and ``tick_data`` {tick: [liquidity_gross, liquidity_net, block]} (or
        ``{"liquidity_gross": .., "liquidity_net": ..}``). Integers may be decimal strings."""
        scalars = snapshot.get("scalars", snapshot)

        def address(token: Any) -> str:
            return str(token["address"] if isinstance(token, Mapping) else token)

        rows: list[tuple[int, int, int]] = []
        for key, value in snapshot.get("tick_data", {}).items():
            if isinstance(value, Mapping):
                gross, net = value["liquidity_gross"], value["liquidity_net"]
            else:
                gross, net = value[0], value[1]
            rows.append((int(key), int(gross), int(net)))
        rows.sort()
        rows = [r for r in rows if r[1] != 0]  # gross 0: not initialized
        return cls(
            address=str(snapshot.get("pool", snapshot.get("address", ""))),
            token0=address(snapshot["token0"]),
            token1=address(snapshot["token1"]),
            fee=int(scalars["fee"]),
            tick_spacing=int(scalars["tick_spacing"]),
            sqrt_price_x96=int(scalars["sqrt_price_x96"]),
            tick=int(scalars["tick"]),
            liquidity=int(scalars["liquidity"]),
            ticks=tuple(r[0] for r in rows),
            liquidity_gross=tuple(r[1] for r in rows),
            liquidity_net=tuple(r[2] for r in rows),
            block=int(snapshot.get("block", snapshot.get("block_number", 0))),
            log_index=int(snapshot.get("log_index", -1)),
        )

    # ------------------------------------------------------------------ quoting
    def zero_for_one(self, token_in: str) -> bool:
        """True when ``token_in`` is token0; PricingInputError if neither token."""
        if _same(token_in, self.token0):
            return True
        if _same(token_in, self.token1):
            return False
        raise PricingInputError(f"{token_in} is not a token of pool {self.address}")

    def swap(
        self, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int | None = None
    ) -> V3SwapResult:
        """``UniswapV3Pool.swap`` against this state (which is not changed: see
        :meth:`with_swap`). The limit defaults to ``MIN_SQRT_RATIO + 1`` / ``MAX_SQRT_RATIO - 1``."""
        if sqrt_price_limit_x96 is None:
            sqrt_price_limit_x96 = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        return V3SwapResult(
            *swap_module.swap(
                *self._swap_state(),
                zero_for_one,
                amount_specified,
                sqrt_price_limit_x96,
            )
        )

    def quote_exact_input(
        self, token_in: str, amount_in: int, sqrt_price_limit_x96: int | None = None
    ) -> int:
        """``QuoterV1.quoteExactInputSingle``: the output for ``amount_in`` of ``token_in``."""
        zero_for_one = self.zero_for_one(token_in)
        if amount_in > INT256_MAX:  # amountIn.toInt256()
            raise SafeCastOverflow()
        result = self.swap(zero_for_one, amount_in, sqrt_price_limit_x96 or None)
        if result.amount0 <= 0 and result.amount1 <= 0:
            raise QuoteUnexpectedError()
        return -(result.amount1 if zero_for_one else result.amount0)

    def quote_exact_output(
        self,
        token_in: str,
        amount_out: int,
        sqrt_price_limit_x96: int | None = None,
        *,
        require_full_output: bool = False,
    ) -> int:
        """``QuoterV1.quoteExactOutputSingle``: the input of ``token_in`` for ``amount_out`` of
        the other token. A partial fill (the price limit reached first) returns its input
        unless ``require_full_output`` (QuoterV1 with limit 0: 'Unexpected error')."""
        zero_for_one = self.zero_for_one(token_in)
        if amount_out > INT256_MAX:  # amountOut.toInt256()
            raise SafeCastOverflow()
        result = self.swap(zero_for_one, -amount_out, sqrt_price_limit_x96 or None)
        if result.amount0 <= 0 and result.amount1 <= 0:
            raise QuoteUnexpectedError()
        paid, received = (
            (result.amount0, -result.amount1) if zero_for_one else (result.amount1, -result.amount0)
        )
        if require_full_output and received != amount_out:
            raise QuoteUnexpectedError()
        return paid

    # ------------------------------------------------------------------ events
    def _stamp(self, block: int | None, log_index: int | None) -> tuple[int, int]:
        """The (block, log_index) of a new state: the event's, else unchanged."""
        return (
            self.block if block is None else block,
            self.log_index if log_index is None else log_index,
        )

    def with_swap(
        self,
        result: V3SwapResult | None = None,
        *,
        sqrt_price_x96: int | None = None,
        tick: int | None = None,
        liquidity: int | None = None,
        block: int | None = None,
        log_index: int | None = None,
    ) -> V3PoolState:
        """The state after a swap: from a :class:`V3SwapResult` (or any object with
        ``sqrt_price_x96``, ``tick``, ``liquidity``), or from the fields given by keyword."""
        if result is not None:
            sqrt_price_x96 = result.sqrt_price_x96 if sqrt_price_x96 is None else sqrt_price_x96
            tick = result.tick if tick is None else tick
            liquidity = result.liquidity if liquidity is None else liquidity
        stamp = self._stamp(block, log_index)
        return replace(
            self,
            sqrt_price_x96=self.sqrt_price_x96 if sqrt_price_x96 is None else sqrt_price_x96,
            tick=self.tick if tick is None else tick,
            liquidity=self.liquidity if liquidity is None else liquidity,
            block=stamp[0],
            log_index=stamp[1],
        )

    def apply_swap_event(
        self,
        sqrt_price_x96: int,
        liquidity: int,
        tick: int,
        *,
        block: int | None = None,
        log_index: int | None = None,
    ) -> V3PoolState:
        """A ``Swap`` log: it carries the post-swap ``sqrtPriceX96``, ``liquidity`` and ``tick``."""
        return self.with_swap(
            sqrt_price_x96=sqrt_price_x96,
            tick=tick,
            liquidity=liquidity,
            block=block,
            log_index=log_index,
        )

    def apply_initialize(
        self,
        sqrt_price_x96: int,
        tick: int,
        *,
        block: int | None = None,
        log_index: int | None = None,
    ) -> V3PoolState:
        """An ``Initialize`` log: slot0's price and tick."""
        stamp = self._stamp(block, log_index)
        return replace(
            self, sqrt_price_x96=sqrt_price_x96, tick=tick, block=stamp[0], log_index=stamp[1]
        )

    def apply_mint(
        self,
        tick_lower: int,
        tick_upper: int,
        amount: int,
        *,
        block: int | None = None,
        log_index: int | None = None,
    ) -> V3PoolState:
        """A ``Mint`` log: ``amount`` (uint128) of liquidity added on ``[tick_lower, tick_upper)``."""
        if not 0 <= amount <= UINT128_MAX:
            raise PricingInputError(f"mint amount must be a uint128, got {amount}")
        return self._modify_position(tick_lower, tick_upper, amount, block, log_index)

    def apply_burn(
        self,
        tick_lower: int,
        tick_upper: int,
        amount: int,
        *,
        block: int | None = None,
        log_index: int | None = None,
    ) -> V3PoolState:
        """A ``Burn`` log: ``amount`` (uint128) of liquidity removed from ``[tick_lower, tick_upper)``."""
        if not 0 <= amount <= UINT128_MAX:
            raise PricingInputError(f"burn amount must be a uint128, got {amount}")
        return self._modify_position(tick_lower, tick_upper, -amount, block, log_index)

    def _modify_position(
        self,
        tick_lower: int,
        tick_upper: int,
        delta: int,
        block: int | None,
        log_index: int | None,
    ) -> V3PoolState:
        """``UniswapV3Pool._modifyPosition`` / ``_updatePosition`` / ``Tick.update`` on the
        liquidity bookkeeping (checkTicks, 'LO', the liquidityNet SafeMath, flips, 'LS'/'LA')."""
        # mint's int256(amount).toInt128() and burn's -int256(amount).toInt128() are the
        # arguments of _modifyPosition: they revert before its checkTicks, and a burn of
        # exactly 2**127 reverts too (the cast comes before the negation)
        if not -INT128_MAX <= delta <= INT128_MAX:
            raise SafeCastOverflow()
        if tick_lower >= tick_upper:
            raise TickOrder("TLU")
        if tick_lower < MIN_TICK:
            raise TickOrder("TLM")
        if tick_upper > MAX_TICK:
            raise TickOrder("TUM")
        ticks = list(self.ticks)
        nets = list(self.liquidity_net)
        gross = list(self.liquidity_gross)
        if delta != 0:
            max_liquidity = max_liquidity_per_tick(self.tick_spacing)
            for t, upper in ((tick_lower, False), (tick_upper, True)):
                if t % self.tick_spacing:
                    raise TickDataError(f"tick {t} is not a multiple of {self.tick_spacing}")
                i = bisect_left(ticks, t)
                present = i < len(ticks) and ticks[i] == t
                gross_before = gross[i] if present else 0
                net_before = nets[i] if present else 0
                gross_after = liquidity_math.add_delta(gross_before, delta)
                if gross_after > max_liquidity:
                    raise LiquidityOverflow()
                net_after = net_before - delta if upper else net_before + delta
                if not INT128_MIN <= net_after <= INT128_MAX:
                    raise SafeCastOverflow() if abs(net_after) < 1 << 255 else SafeMathOverflow()
                if gross_after == 0:  # flipped off and cleared (burn)
                    if present:
                        del ticks[i], nets[i], gross[i]
                elif present:
                    nets[i], gross[i] = net_after, gross_after
                else:
                    ticks.insert(i, t)
                    nets.insert(i, net_after)
                    gross.insert(i, gross_after)
        liquidity = self.liquidity
        if tick_lower <= self.tick < tick_upper:
            liquidity = liquidity_math.add_delta(liquidity, delta)
        stamp = self._stamp(block, log_index)
        return replace(
            self,
            liquidity=liquidity,
            ticks=tuple(ticks),
            liquidity_net=tuple(nets),
            liquidity_gross=tuple(gross),
            block=stamp[0],
            log_index=stamp[1],
        )

    # ------------------------------------------------------------------ views
    def liquidity_net_at(self, tick: int) -> int:
        """``ticks(tick).liquidityNet`` (0 when not initialized)."""
        i = bisect_left(self.ticks, tick)
        return self.liquidity_net[i] if i < len(self.ticks) and self.ticks[i] == tick else 0

    def liquidity_gross_at(self, tick: int) -> int:
        """``ticks(tick).liquidityGross`` (0 when not initialized)."""
        i = bisect_left(self.ticks, tick)
        return self.liquidity_gross[i] if i < len(self.ticks) and self.ticks[i] == tick else 0

    @property
    def tick_map(self) -> dict[int, tuple[int, int]]:
        """``{tick: (liquidity_gross, liquidity_net)}``."""
        return dict(
            zip(self.ticks, zip(self.liquidity_gross, self.liquidity_net, strict=True), strict=True)
        )

    @staticmethod
    def sorted_ticks(ticks: Sequence[int]) -> tuple[int, ...]:
        """Helper for callers building states: the ticks sorted, as a tuple."""
        return tuple(sorted(ticks))
