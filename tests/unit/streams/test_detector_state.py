from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from arbstream.cyext import v2_math
from arbstream.schemas import PoolEvent
from arbstream.streams.agents.detector import apply_sync, pool_states
from arbstream.streams.cross_dex import PoolState, best_cross_dex


def _sync(
    block: int, log_index: int, r0: int, r1: int, pool: str = "0xp", removed: bool = False
) -> PoolEvent:
    return PoolEvent(
        kind="Sync",
        chain_id=1,
        dex="d",
        pool=pool,
        token0="0xa",
        token1="0xb",
        fee_bps=30,
        block_number=block,
        block_hash=f"0xh{block}",
        tx_hash=f"0xt{block}",
        log_index=log_index,
        removed=removed,
        reserve0=r0,
        reserve1=r1,
    )


def test_retraction_restores_the_previous_state() -> None:
    pools = apply_sync({}, _sync(1, 0, 100, 200))
    pools = apply_sync(pools, _sync(2, 0, 110, 190))
    assert pool_states(1, pools)["0xp"].reserve0 == 110
    pools = apply_sync(pools, dataclasses.replace(_sync(2, 0, 110, 190), removed=True))
    state = pool_states(1, pools)["0xp"]
    assert (state.reserve0, state.reserve1, state.block) == (100, 200, 1)


def test_out_of_order_sync_does_not_win() -> None:
    pools = apply_sync({}, _sync(5, 1, 1, 1))
    pools = apply_sync(pools, _sync(4, 9, 2, 2))
    assert pool_states(1, pools)["0xp"].block == 5


def _pool(addr: str, r0: int, r1: int) -> PoolState:
    return PoolState(1, addr, addr, "0xa", "0xb", 30, r0, r1, 1, 0)


@settings(max_examples=200, deadline=None)
@given(
    r0=st.integers(10**6, 10**27),
    r1=st.integers(10**6, 10**27),
    skew=st.floats(0.9, 1.1),
    depth=st.floats(0.05, 1.0),
)
def test_best_cross_dex_is_profitable_and_exact(
    r0: int, r1: int, skew: float, depth: float
) -> None:
    a = _pool("0xa1", r0, r1)
    b = _pool("0xb1", max(1, int(r0 * depth)), max(1, int(r1 * depth * skew)))
    quote = best_cross_dex(a, b)
    if quote is None:
        return
    r_in1, r_mid1 = quote.borrow.reserves_from(quote.token_in)
    r_in2, r_mid2 = quote.sell.reserves_from(quote.token_in)
    mid = v2_math.get_amount_out(quote.amount_in, r_in1, r_mid1, 30)
    out = v2_math.get_amount_out(mid, r_mid2, r_in2, 30)
    assert (mid, out, out - quote.amount_in) == (quote.amount_mid, quote.amount_out, quote.profit)
    assert quote.profit > 0


def test_empty_pool_is_ignored() -> None:
    assert best_cross_dex(_pool("0xa1", 0, 0), _pool("0xb1", 10**20, 10**20)) is None
