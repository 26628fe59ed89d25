"""Edges of the strategy's sizing: a profit of exactly one unit, cycles that do not pay, and a
pool that cannot quote.

The oracle is a brute force over every input with Uniswap V2's getAmountOut written out here
as exact integers (``x g r_out // (r_in D + x g)``), not the kernels or pool models under
test.
"""

from __future__ import annotations

from arbstream.cyext.v2_pool import V2PoolState
from arbstream.cyext.v3.pool import V3PoolState
from arbstream.streams import strategy

A, B = "0x" + "a" * 40, "0x" + "b" * 40
D = 10_000


def _out(x: int, r_in: int, r_out: int, fee_bps: int) -> int:
    g = D - fee_bps
    return x * g * r_out // (r_in * D + x * g)


def _brute(cycle: strategy.Cycle) -> tuple[int, int, int]:
    """(input, mid amount, output) of the smallest input with the largest positive profit
    over every input that could pay; (0, 0, 0) when none does."""
    first, second = cycle.hops
    r_in1, r_mid1 = first.pool.reserves_from(first.token_in)
    r_mid2, r_in2 = second.pool.reserves_from(second.token_in)
    assert isinstance(first.pool, V2PoolState) and isinstance(second.pool, V2PoolState)
    best = (0, 0, 0)
    for x in range(1, r_in2 + 1):  # the output is below r_in2: no input at or above it pays
        mid = _out(x, r_in1, r_mid1, first.pool.fee_bps)
        out = _out(mid, r_mid2, r_in2, second.pool.fee_bps) if mid else 0
        if out - x > best[2] - best[0]:
            best = (x, mid, out)
    return best


# buying B with A on pool a (20 A : 20 B) and selling it on b (41 A : 20 B) pays exactly 1
POOL_A = V2PoolState("0xa1", A, B, 30, 20, 20)
POOL_B = V2PoolState("0xb1", A, B, 30, 41, 20)


def test_size_two_pool_keeps_a_profit_of_exactly_one() -> None:
    """A profit of one unit is a profit: size_two_pool returns it like size() does."""
    cycles = strategy.two_pool_cycles(POOL_A, POOL_B)
    want = []
    for cycle in cycles:
        x, mid, out = _brute(cycle)
        if out > x:
            want.append(strategy.SizedCycle(cycle, x, (mid, out)))
    assert [s.profit for s in want] == [1]  # the case this test is about, and only it
    ((found,),) = strategy.size_two_pool([(POOL_A, POOL_B)])
    assert found == want[0]
    assert (found.cycle.start_token, found.amount_in, found.amounts) == (A, 4, (3, 5))


def test_cycles_that_do_not_pay_size_to_no_amounts() -> None:
    """size(): a cycle without profit has input 0 and no hop amounts (not amounts of 0), a
    paying one the brute force's amounts; both kinds occur here."""
    balanced = V2PoolState("0xc1", A, B, 30, 10**6, 10**6)
    cycles = strategy.two_pool_cycles(POOL_A, POOL_B) + strategy.two_pool_cycles(balanced, POOL_A)
    sized = strategy.size(cycles)
    assert [s.cycle for s in sized] == cycles
    paying = 0
    for s in sized:
        x, mid, out = _brute(s.cycle)
        if out > x:
            paying += 1
            assert (s.amount_in, s.amounts, s.profit) == (x, (mid, out), out - x)
        else:
            assert (s.amount_in, s.amounts, s.amount_out, s.profit) == (0, (), 0, 0)
    assert 0 < paying < len(sized)


def test_a_cycle_through_an_uninitialized_v3_pool_sizes_to_zero() -> None:
    """A V3 pool that was never initialized (price 0) cannot quote: its cycles size to
    nothing without reaching the cycle kernel, whose leg check would reject the price."""
    v3 = V3PoolState("0xv3", A, B, 3000, 60, 0, 0, 0)
    v2 = V2PoolState("0xv2", A, B, 30, 10**6, 2 * 10**6)
    assert not v3.live
    cycles = [
        strategy.Cycle((strategy.Hop(v3, A, B), strategy.Hop(v2, B, A))),
        strategy.Cycle((strategy.Hop(v2, A, B), strategy.Hop(v3, B, A))),
    ]
    sized = strategy.size(cycles)
    assert [(s.cycle, s.amount_in, s.amounts) for s in sized] == [(c, 0, ()) for c in cycles]
