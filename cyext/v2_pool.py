"""I/O-free state of one Uniswap-V2-style pair, and exact quotes against it.

:class:`V2PoolState` is a frozen snapshot of the reserves; ``Sync`` logs produce new snapshots
(:meth:`V2PoolState.apply_sync`); quotes are ``UniswapV2Library.getAmountOut`` /
``getAmountIn`` via :mod:`arbstream.cyext.v2_math` (kernel or twin), with its reverts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from arbstream.cyext import v2_math
from arbstream.cyext.errors import PricingInputError

__all__ = ["V2PoolState"]


@dataclass(frozen=True, slots=True)
class V2PoolState:
    """One V2 pair at ``(block, log_index)``; ``fee_bps`` is the swap fee (30 = Uniswap V2)."""

    address: str
    token0: str
    token1: str
    fee_bps: int
    reserve0: int
    reserve1: int
    block: int = 0
    log_index: int = -1

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
        if token_in.lower() == self.token0.lower():
            return self.reserve0, self.reserve1
        if token_in.lower() == self.token1.lower():
            return self.reserve1, self.reserve0
        raise PricingInputError(f"{token_in} is not a token of pair {self.address}")

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
