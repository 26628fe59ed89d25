"""The executor's decisions, as pure functions of the opportunity, the re-priced cycle and
the limits (no I/O): :class:`~arbstream.executor.executor.ChainExecutor` reads the chain and
calls these, in this order. Each returns the reason for refusing, or ``""`` to go on.

1. :func:`precheck` before any chain call: stale, not executable by ``FlashArb``, halted
   after too many reverts in a row.
2. :func:`required_profit`: the opportunity's gas re-priced at the current gas price, and
   the minimum profit to require (at least the detector's net estimate, and more than gas).
3. :func:`edge_refusal` on the cycle re-sized at the latest state.
4. :func:`limit_refusal`: trade size and gas price limits.
5. :func:`simulation_refusal` on the ``eth_call`` result.
"""

from __future__ import annotations

from arbstream.config import ExecutorConfig
from arbstream.schemas import Opportunity

__all__ = [
    "edge_refusal",
    "flash_arb_unsupported",
    "limit_refusal",
    "precheck",
    "required_profit",
    "simulation_refusal",
]


def flash_arb_unsupported(opp: Opportunity) -> str:
    """Why ``FlashArb`` cannot execute ``opp`` ("" when it can): it runs two V2 legs on the
    opportunity's chain, each fee a whole number of bps."""
    legs = opp.legs
    if opp.kind != "cross_dex" or len(legs) != 2:
        return f"unsupported opportunity kind {opp.kind} with {len(legs)} legs"
    for leg in legs:
        if leg.protocol != "v2":
            return f"unsupported {leg.protocol} leg in pool {leg.pool}"
        if leg.chain_id != opp.chain_id:
            return f"leg on chain {leg.chain_id} in a chain {opp.chain_id} opportunity"
        if leg.fee_pips % 100:
            return f"fee of {leg.fee_pips} pips is not a whole number of bps"
    return ""


def precheck(
    opp: Opportunity, *, now_ms: int, consecutive_reverts: int, cfg: ExecutorConfig
) -> str:
    """Refusals that need no chain call."""
    age_s = (now_ms - opp.detected_ts_ms) / 1000
    if age_s > cfg.max_age_s:
        return f"stale: {age_s:.1f}s old"
    unsupported = flash_arb_unsupported(opp)
    if unsupported:
        return unsupported
    if consecutive_reverts >= cfg.max_consecutive_reverts:
        return f"halted after {consecutive_reverts} reverts in a row"
    return ""


def required_profit(opp: Opportunity, gas_price_wei: int) -> tuple[int, int]:
    """(gas cost in start-token units at ``gas_price_wei``, minimum profit to require).

    The gas cost is the detector's token-per-wei rate applied to the current price, rounded
    up; the minimum is the detector's net estimate, and always more than the gas."""
    gas_cost_wei = opp.gas_estimate * gas_price_wei
    gas_cost_token = (
        -(-gas_cost_wei * opp.gas_cost_token // opp.gas_cost_wei) if opp.gas_cost_wei else 0
    )
    return gas_cost_token, max(opp.net_profit, gas_cost_token + 1)


def edge_refusal(
    opp: Opportunity, profit: int, min_profit: int, gas_cost_token: int, block: int
) -> str:
    """Refuse when the cycle re-sized at ``block`` has no edge or less than required."""
    if profit <= 0:
        return f"no edge at block {block}"
    if profit < min_profit:
        return (
            f"edge {profit} at block {block} below required {min_profit} "
            f"(estimate net {opp.net_profit}, gas {gas_cost_token})"
        )
    return ""


def limit_refusal(trade_usd: float, gas_price_wei: int, cfg: ExecutorConfig) -> str:
    """Refuse a trade above ``max_trade_usd`` or a gas price above ``max_gas_price_gwei``."""
    if trade_usd > cfg.max_trade_usd:
        return f"trade ${trade_usd:,.0f} above max_trade_usd"
    if gas_price_wei > cfg.max_gas_price_gwei * 1e9:
        return f"gas price {gas_price_wei / 1e9:.1f} gwei above limit"
    return ""


def simulation_refusal(simulated: int, min_profit: int) -> str:
    """Refuse when the simulated profit is below the minimum."""
    if simulated < min_profit:
        return f"simulation unprofitable: {simulated} < {min_profit}"
    return ""
