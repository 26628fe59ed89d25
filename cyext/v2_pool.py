"""I/O-free state of one Uniswap-V2-style pair, and exact quotes against it.

:class:`V2PoolState` is a frozen snapshot of the reserves; ``Sync`` logs produce new snapshots
(:meth:`V2PoolState.apply_sync`); quotes are ``UniswapV2Library.getAmountOut`` /
``getAmountIn`` via :mod:`arbstream.cyext.v2_math` (kernel or twin), with its reverts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, ClassVar

from arbstream.cyext import v2_math
from arbstream.cyext.errors import PricingInputError

__all__ = ["V2PoolState"]


@dataclass(frozen=True, slots=True)
class V2PoolState:
    """One V2 pair at ``(block, log_index)``; ``fee_bps`` is the swap fee (30 = Uniswap V2).

    ``chain_id`` and ``dex`` say where the pool lives (metadata, not used in pricing).
    :meth:`to_row` / :meth:`from_row` are its compact serialized form (a JSON-ready list with
    exact integers) for Faust tables and their changelogs.
    """

    PROTOCOL: ClassVar[str] = "v2"

    address: str
    token0: str
    token1: str
    fee_bps: int
    reserve0: int
    reserve1: int
    block: int = 0
    log_index: int = -1
    chain_id: int = 0
    dex: str = ""

    @property
    def fee_pips(self) -> int:
        """The fee in millionths (30 bps = 3000), the unit V3 pools use."""
        return self.fee_bps * 100

    def to_row(self) -> list[Any]:
        """``["v2", address, token0, token1, fee_bps, reserve0, reserve1, block, log_index,
        chain_id, dex]``."""
        return [
            self.PROTOCOL,
            self.address,
            self.token0,
            self.token1,
            self.fee_bps,
            self.reserve0,
            self.reserve1,
            self.block,
            self.log_index,
            self.chain_id,
            self.dex,
        ]

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> V2PoolState:
        """The inverse of :meth:`to_row`; PricingInputError on a malformed row."""
        if len(row) != 11 or row[0] != cls.PROTOCOL:
            raise PricingInputError(f"not a V2 pool row: {list(row)[:3]!r}...")
        _, address, token0, token1, fee_bps, r0, r1, block, log_index, chain_id, dex = row
        return cls(
            str(address),
            str(token0),
            str(token1),
            int(fee_bps),
            int(r0),
            int(r1),
            int(block),
            int(log_index),
            int(chain_id),
            str(dex),
        )

    def zero_for_one(self, token_in: str) -> bool:
        """True when ``token_in`` is token0; PricingInputError if neither token."""
        if token_in == self.token0:
            return True
        if token_in == self.token1:
            return False
        if token_in.lower() == self.token0.lower():
            return True
        if token_in.lower() == self.token1.lower():
            return False
        raise PricingInputError(f"{token_in} is not a token of pair {self.address}")

    def other(self, token: str) -> str:
        """The pair's other token."""
        return self.token1 if self.zero_for_one(token) else self.token0

    def reserves_from(self, token_in: str) -> tuple[int, int]:
        """(reserve of ``token_in``, reserve of the other token)."""
        return self._reserves(token_in)

    @property
    def live(self) -> bool:
        """Both reserves positive (an empty pair quotes nothing)."""
        return self.reserve0 > 0 and self.reserve1 > 0

    def cycle_leg(self, token_in: str) -> tuple[Any, ...]:
        """This pool as a leg tuple of :mod:`arbstream.cyext.cycles`, swapping ``token_in``."""
        reserve_in, reserve_out = self._reserves(token_in)
        return ("v2", reserve_in, reserve_out, self.fee_bps)

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> V2PoolState:
        """From a degenbot-style V2 snapshot: ``address``/``pool``, ``reserves_token0/1``,
        ``token0``/``token1`` or ``tokens`` (dicts with ``address``, or addresses), and the fee
        as ``fee_numer``/``fee_denom``, ``fee_token0`` ("3/1000") or ``fee_bps``."""

        def address(token: Any) -> str:
            return str(token["address"] if isinstance(token, Mapping) else token)

        if "tokens" in snapshot:
            token0, token1 = (address(t) for t in snapshot["tokens"])
        else:
            token0, token1 = address(snapshot["token0"]), address(snapshot["token1"])
        if "fee_bps" in snapshot:
            fee = Fraction(int(snapshot["fee_bps"]), 10_000)
        elif "fee_numer" in snapshot:
            fee = Fraction(int(snapshot["fee_numer"]), int(snapshot["fee_denom"]))
        else:
            fee = Fraction(str(snapshot.get("fee_token0", "3/1000")))
        fee_bps = fee * 10_000
        if fee_bps.denominator != 1:
            raise PricingInputError(f"fee {fee} is not a whole number of bps")
        return cls(
            address=str(snapshot.get("address", snapshot.get("pool", ""))),
            token0=token0,
            token1=token1,
            fee_bps=int(fee_bps),
            reserve0=int(snapshot["reserves_token0"]),
            reserve1=int(snapshot["reserves_token1"]),
            block=int(snapshot.get("block", snapshot.get("block_number", 0))),
            log_index=int(snapshot.get("log_index", -1)),
        )

    def _reserves(self, token_in: str) -> tuple[int, int]:
        if self.zero_for_one(token_in):
            return self.reserve0, self.reserve1
        return self.reserve1, self.reserve0

    def quote_exact_input(self, token_in: str, amount_in: int) -> int:
        """``getAmountOut``: the output for ``amount_in`` of ``token_in``."""
        reserve_in, reserve_out = self._reserves(token_in)
        return v2_math.get_amount_out(amount_in, reserve_in, reserve_out, self.fee_bps)

    def quote_exact_output(self, token_in: str, amount_out: int) -> int:
        """``getAmountIn``: the input of ``token_in`` for ``amount_out`` of the other token."""
        reserve_in, reserve_out = self._reserves(token_in)
        return v2_math.get_amount_in(amount_out, reserve_in, reserve_out, self.fee_bps)

    def apply_sync(
        self,
        reserve0: int,
        reserve1: int,
        *,
        block: int | None = None,
        log_index: int | None = None,
    ) -> V2PoolState:
        """A ``Sync(reserve0, reserve1)`` log: the pair's new reserves."""
        return replace(
            self,
            reserve0=reserve0,
            reserve1=reserve1,
            block=self.block if block is None else block,
            log_index=self.log_index if log_index is None else log_index,
        )
