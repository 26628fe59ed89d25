"""The strategy: cycles over pool models, their exact sizing, net profit after gas, and the
opportunity record that describes them.

One module that the detector (:mod:`arbstream.streams.agents.detector`) and the executor's
re-check (:mod:`arbstream.executor.executor`) both call, so the executor re-prices a cycle
with exactly the code that found it. Pure functions over the pool models of
:mod:`arbstream.cyext.pools` (no I/O); exact integer amounts through the cyext kernels
(the Cython kernel or its pure-Python twin).

- A :class:`Cycle` is a list of hops (pool, token in, token out) that starts and ends in
  the same token.
- :func:`size` finds every cycle's optimal input in batch calls: two-leg V2 cycles through
  ``v2_math.optimal_two_pool_batch`` (closed form + exact integer search), every other cycle
  (V3 legs, 3-4 legs) through ``cycles.optimize_cycles``; the amounts of every hop are then
  re-quoted leg by leg on the pool models, so what a leg expects is what its pool returns.
- :func:`net_profit` charges gas in the start token; :func:`opportunity` builds the record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from arbstream.cyext import cycles as cycle_kernel
from arbstream.cyext import v2_math
from arbstream.cyext.pools import PoolModel
from arbstream.cyext.v2_pool import V2PoolState
from arbstream.errors import SchemaError
from arbstream.schemas import Leg, Opportunity, now_ms
from arbstream.streams.valuation import Valuation

__all__ = [
    "Cycle",
    "GasCost",
    "Hop",
    "SizedCycle",
    "Trigger",
    "best",
    "cycle_from_legs",
    "gas_cost",
    "net_profit",
    "opportunity",
    "size",
    "size_two_pool",
    "two_pool_cycles",
]


@dataclass(frozen=True, slots=True)
class Hop:
    """Swap ``token_in`` for ``token_out`` in ``pool``."""

    pool: PoolModel
    token_in: str
    token_out: str

    @property
    def zero_for_one(self) -> bool:
        return self.pool.zero_for_one(self.token_in)

    def quote(self, amount_in: int) -> int:
        """The pool's exact output for ``amount_in`` (its revert as a PricingError)."""
        return self.pool.quote_exact_input(self.token_in, amount_in)


@dataclass(frozen=True, slots=True)
class Cycle:
    """Hops that start and end in the same token, each hop's output the next one's input."""

    hops: tuple[Hop, ...]

    def __post_init__(self) -> None:
        if len(self.hops) < 2:
            raise ValueError("a cycle has at least two hops")
        for a, b in zip(self.hops, self.hops[1:] + self.hops[:1], strict=True):
            if a.token_out != b.token_in:
                raise ValueError(f"hops do not chain: {a.token_out} then {b.token_in}")

    @property
    def start_token(self) -> str:
        return self.hops[0].token_in

    @property
    def chain_id(self) -> int:
        return self.hops[0].pool.chain_id

    @property
    def kind(self) -> str:
        """``cross_dex`` for two pools of one pair, ``cyclic`` otherwise."""
        return "cross_dex" if len(self.hops) == 2 else "cyclic"

    @property
    def cycle_id(self) -> str:
        """Stable name of the directed cycle: its pools in order, then the start token."""
        pools = ">".join(h.pool.address[:10] for h in self.hops)
        return f"{pools}:{self.start_token[:10]}"

    @property
    def v2_pair(self) -> bool:
        """Two V2 hops: sized by the two-pool closed form."""
        return len(self.hops) == 2 and all(isinstance(h.pool, V2PoolState) for h in self.hops)

    def leg_tuples(self) -> list[tuple[object, ...]]:
        """The cycle as leg tuples of :mod:`arbstream.cyext.cycles`."""
        return [h.pool.cycle_leg(h.token_in) for h in self.hops]

    def chain(self, amount_in: int) -> tuple[int, ...]:
        """Every hop's exact output for ``amount_in`` of the start token."""
        outs = []
        amount = amount_in
        for hop in self.hops:
            amount = hop.quote(amount)
            outs.append(amount)
        return tuple(outs)


@dataclass(frozen=True, slots=True)
class SizedCycle:
    """A cycle at its optimal input: ``amounts[i]`` is hop ``i``'s output."""

    cycle: Cycle
    amount_in: int
    amounts: tuple[int, ...]

    @property
    def amount_out(self) -> int:
        return self.amounts[-1] if self.amounts else 0

    @property
    def profit(self) -> int:
        """Gross profit in start-token units (before gas)."""
        return self.amount_out - self.amount_in if self.amount_in else 0

    def hop_inputs(self) -> tuple[int, ...]:
        return (self.amount_in, *self.amounts[:-1])


def two_pool_cycles(a: PoolModel, b: PoolModel) -> list[Cycle]:
    """The four directed cycles over two pools of one pair: buy on one, sell on the other,
    starting in either token."""
    out = []
    for first, second in ((a, b), (b, a)):
        for token in (a.token0, a.token1):
            mid = first.other(token)
            out.append(Cycle((Hop(first, token, mid), Hop(second, mid, token))))
    return out


def size(cycles: Sequence[Cycle], *, threads: int = 1) -> list[SizedCycle]:
    """The optimal input of every cycle (0 when none is profitable), in batch kernel calls."""
    results: list[SizedCycle | None] = [None] * len(cycles)
    live = [all(h.pool.live for h in c.hops) for c in cycles]
    for i, c in enumerate(cycles):
        if not live[i]:  # an empty pool quotes nothing (and its kernels would revert)
            results[i] = SizedCycle(c, 0, ())
    pair_index = [i for i, c in enumerate(cycles) if live[i] and c.v2_pair]
    other_index = [i for i, c in enumerate(cycles) if live[i] and not c.v2_pair]
    if pair_index:
        rows = []
        for i in pair_index:
            first, second = cycles[i].hops
            assert isinstance(first.pool, V2PoolState) and isinstance(second.pool, V2PoolState)
            rows.append(_two_pool_row(first.pool, second.pool, first.token_in))
        for i, (amount_in, mid, out, _) in zip(
            pair_index, v2_math.optimal_two_pool_batch(rows), strict=True
        ):
            results[i] = SizedCycle(cycles[i], amount_in, (mid, out) if amount_in else ())
    if other_index:
        found = cycle_kernel.optimize_cycles(
            [cycles[i].leg_tuples() for i in other_index], threads=threads
        )
        for i, (amount_in, _, _) in zip(other_index, found, strict=True):
            amounts = cycles[i].chain(amount_in) if amount_in else ()
            results[i] = SizedCycle(cycles[i], amount_in, amounts)
    return [r for r in results if r is not None]


def _two_pool_row(first: V2PoolState, second: V2PoolState, token_in: str) -> tuple[int, ...]:
    """The ``optimal_two_pool`` row of buying on ``first`` with ``token_in`` and selling the
    other token back on ``second``."""
    r_in1, r_mid1 = first.reserves_from(token_in)
    r_in2, r_mid2 = second.reserves_from(token_in)
    return (r_in1, r_mid1, first.fee_bps, r_mid2, r_in2, second.fee_bps)


def size_two_pool(pairs: Sequence[tuple[V2PoolState, V2PoolState]]) -> list[list[SizedCycle]]:
    """For each pair of V2 pools of one token pair, its profitable directed cycles
    (:func:`two_pool_cycles` order), sized in one batch kernel call for all pairs.

    The detector's hot path: the same results as ``size(two_pool_cycles(a, b))`` restricted
    to profitable cycles, without building a cycle object for the unprofitable ones."""
    rows: list[tuple[int, ...]] = []
    for a, b in pairs:
        if a.token0 == b.token0 and a.token1 == b.token1:
            # the usual case (both pools sort the pair's tokens alike): _two_pool_row's
            # four rows, read straight off the reserves
            a0, a1, fa, b0, b1, fb = (
                a.reserve0,
                a.reserve1,
                a.fee_bps,
                b.reserve0,
                b.reserve1,
                b.fee_bps,
            )
            rows += (
                (a0, a1, fa, b1, b0, fb),
                (a1, a0, fa, b0, b1, fb),
                (b0, b1, fb, a1, a0, fa),
                (b1, b0, fb, a0, a1, fa),
            )
        else:
            rows += [
                _two_pool_row(first, second, token)
                for first, second in ((a, b), (b, a))
                for token in (a.token0, a.token1)
            ]
    results = v2_math.optimal_two_pool_batch(rows) if rows else []
    out: list[list[SizedCycle]] = []
    for i, (a, b) in enumerate(pairs):
        found = []
        for j, (first, second) in enumerate(((a, b), (b, a))):
            for k, token in enumerate((a.token0, a.token1)):
                amount_in, mid, amount_out, profit = results[4 * i + 2 * j + k]
                if profit > 0:
                    mid_token = a.token1 if k == 0 else a.token0
                    cycle = Cycle((Hop(first, token, mid_token), Hop(second, mid_token, token)))
                    found.append(SizedCycle(cycle, amount_in, (mid, amount_out)))
        out.append(found)
    return out


def best(
    sized: Iterable[SizedCycle], value: Callable[[str, int], float] | None = None
) -> SizedCycle | None:
    """The most valuable profitable cycle; ``value(token, amount)`` ranks cycles that start in
    different tokens (e.g. USD), else the larger raw profit wins. None when none profits."""
    winner: SizedCycle | None = None
    winner_value = 0.0
    for s in sized:
        if s.profit <= 0:
            continue
        worth = value(s.cycle.start_token, s.profit) if value else float(s.profit)
        if winner is None or worth > winner_value:
            winner, winner_value = s, worth
    return winner


@dataclass(frozen=True, slots=True)
class GasCost:
    """Gas of one execution, in wei and in start-token units (rounded up)."""

    gas_estimate: int
    gas_price_wei: int
    gas_cost_wei: int
    gas_cost_token: int


def gas_cost(
    valuation: Valuation,
    token: str,
    gas_estimate: int,
    gas_price_wei: int,
    native_reserves: tuple[int, int] | None = None,
) -> GasCost | None:
    """Gas at ``gas_price_wei`` charged in ``token`` (None when no price converts it)."""
    wei = gas_estimate * gas_price_wei
    in_token = valuation.gas_in_token(wei, token, native_reserves)
    if in_token is None:
        return None
    return GasCost(gas_estimate, gas_price_wei, wei, in_token)


def net_profit(sized: SizedCycle, gas: GasCost) -> int:
    """Profit after gas, in start-token units."""
    return sized.profit - gas.gas_cost_token


def _legs(sized: SizedCycle) -> list[Leg]:
    return [
        Leg(
            chain_id=hop.pool.chain_id,
            pool=hop.pool.address,
            protocol=hop.pool.PROTOCOL,
            dex=hop.pool.dex,
            token_in=hop.token_in,
            token_out=hop.token_out,
            zero_for_one=hop.zero_for_one,
            fee_pips=hop.pool.fee_pips,
            amount_in=amount_in,
            amount_out=amount_out,
            state_block=hop.pool.block,
            state_log_index=hop.pool.log_index,
        )
        for hop, amount_in, amount_out in zip(
            sized.cycle.hops, sized.hop_inputs(), sized.amounts, strict=True
        )
    ]


@dataclass(frozen=True, slots=True)
class Trigger:
    """The event whose state change found the opportunity."""

    block: int
    tx_hash: str
    log_index: int
    ingest_ts_ms: int


def opportunity(
    sized: SizedCycle, gas: GasCost, valuation: Valuation, trigger: Trigger
) -> Opportunity:
    """The opportunity record of a sized cycle (identity: chain, cycle, trigger event)."""
    cycle = sized.cycle
    token = cycle.start_token
    net = net_profit(sized, gas)
    detected = now_ms()
    return Opportunity(
        id=f"{cycle.chain_id}:{cycle.cycle_id}:{trigger.block}:{trigger.log_index}",
        kind=cycle.kind,
        chain_id=cycle.chain_id,
        cycle_id=cycle.cycle_id,
        legs=_legs(sized),
        amount_in=sized.amount_in,
        amount_out=sized.amount_out,
        gross_profit=sized.profit,
        gas_estimate=gas.gas_estimate,
        gas_price_wei=gas.gas_price_wei,
        gas_cost_wei=gas.gas_cost_wei,
        gas_cost_token=gas.gas_cost_token,
        net_profit=net,
        profit_token=token,
        profit_symbol=valuation.symbol(token),
        profit_decimals=valuation.decimals(token),
        gross_profit_usd=valuation.usd(token, sized.profit),
        net_profit_usd=valuation.usd(token, net) if net >= 0 else -valuation.usd(token, -net),
        trigger_block=trigger.block,
        trigger_tx=trigger.tx_hash,
        trigger_log_index=trigger.log_index,
        event_ingest_ts_ms=trigger.ingest_ts_ms,
        detected_ts_ms=detected,
        latency_ms=float(max(0, detected - trigger.ingest_ts_ms)),
    )


def cycle_from_legs(legs: Sequence[Leg], pools: Mapping[str, PoolModel]) -> Cycle:
    """The cycle an opportunity describes, over the states in ``pools`` (address -> model),
    e.g. the latest ones the executor read; SchemaError when a leg's pool or tokens do not
    match."""
    hops = []
    for leg in legs:
        pool = pools.get(leg.pool)
        if pool is None:
            raise SchemaError(f"no state for pool {leg.pool}")
        if {leg.token_in, leg.token_out} != {pool.token0, pool.token1}:
            raise SchemaError(f"leg tokens {leg.token_in}/{leg.token_out} not in pool {leg.pool}")
        hops.append(Hop(pool, leg.token_in, leg.token_out))
    try:
        return Cycle(tuple(hops))
    except ValueError as exc:
        raise SchemaError(str(exc)) from exc
