"""The real mainnet Uniswap V3 WBTC/WETH 0.3 % pool at block 24,407,242 (degenbot's recording):
V3PoolState loaded from the snapshot reproduces every on-chain QuoterV1 result to the unit, with
the twin and, when built, the Cython swap kernel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import accumulate
from types import ModuleType
from typing import Any

import pytest

from arbstream.cyext.errors import PricingError
from arbstream.cyext.v3 import pool as pool_module
from arbstream.cyext.v3.pool import V3PoolState
from arbstream.cyext.v3.tick_math_py import (
    MAX_SQRT_RATIO,
    MIN_SQRT_RATIO,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

from .impls import DATA, impls

STATE = json.loads(
    (DATA / "degenbot" / "uniswap_v3_wbtc_weth_state_block_24407242.json").read_text()
)
QUOTES = json.loads(
    (DATA / "degenbot" / "uniswap_v3_wbtc_weth_quotes_block_24407242.json").read_text()
)
SYMBOLS = {
    STATE["token0"]["symbol"]: STATE["token0"]["address"],
    STATE["token1"]["symbol"]: STATE["token1"]["address"],
}


def parse(key: str) -> tuple[str, str, str, str, int]:
    """'pool|quoteExactInputSingle|WBTC->WETH|amount' -> (pool, method, token_in, token_out, amount)."""
    pool, method, pair, amount = key.split("|")
    token_in, token_out = pair.split("->")
    return pool, method, token_in, token_out, int(amount)


ENTRIES = [
    pytest.param(key, value, id=key.split("|", 1)[1]) for key, value in QUOTES["entries"].items()
]


@pytest.fixture(params=impls("swap"))
def swap_impl(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ModuleType]:
    """V3PoolState quoting through the given swap implementation."""
    monkeypatch.setattr(pool_module, "swap_module", request.param)
    yield request.param


@pytest.fixture(scope="module")
def state() -> V3PoolState:
    return V3PoolState.from_snapshot(STATE)


def test_snapshot_loads(state: V3PoolState) -> None:
    assert state.address == QUOTES_POOL == "0xCBCdF9626bC03E24f779434178A73a0B4bad62eD"
    assert (state.fee, state.tick_spacing, state.block) == (3000, 60, 24407242)
    assert state.sqrt_price_x96 == 45586356773108504879089041748871691
    assert (state.tick, state.liquidity) == (265269, 77835804873159631)
    assert len(state.ticks) == len(STATE["tick_data"]) == 458
    assert list(state.ticks) == sorted(int(t) for t in STATE["tick_data"])
    for tick, (gross, net, _block) in STATE["tick_data"].items():
        assert state.liquidity_gross_at(int(tick)) == gross
        assert state.liquidity_net_at(int(tick)) == net
    # the pool's own invariants: the tick of the price, and the in-range liquidity is the sum
    # of liquidityNet over the initialized ticks at or below the current tick
    assert get_tick_at_sqrt_ratio(state.sqrt_price_x96) == state.tick
    below = [n for t, n in zip(state.ticks, state.liquidity_net, strict=True) if t <= state.tick]
    assert sum(below) == state.liquidity
    assert sum(state.liquidity_net) == 0


QUOTES_POOL = parse(next(iter(QUOTES["entries"])))[0]


def test_quote_keys() -> None:
    """Both directions, exact input and exact output, all for this pool at this block."""
    keys = [parse(k) for k in QUOTES["entries"]]
    assert QUOTES["block_number"] == STATE["block"]
    assert {k[0] for k in keys} == {STATE["pool"]}
    assert {(k[1], k[2]) for k in keys} == {
        (m, t)
        for m in ("quoteExactInputSingle", "quoteExactOutputSingle")
        for t in ("WBTC", "WETH")
    }
    assert len(keys) == 12


@pytest.mark.parametrize(("key", "entry"), ENTRIES)
def test_reproduces_on_chain_quoter(
    swap_impl: ModuleType, state: V3PoolState, key: str, entry: dict[str, Any]
) -> None:
    _pool, method, token_in, token_out, amount = parse(key)
    assert {token_in, token_out} == set(SYMBOLS)
    quote = (
        state.quote_exact_input if method == "quoteExactInputSingle" else state.quote_exact_output
    )
    if "value" not in entry:  # reverted on chain: must raise here too
        with pytest.raises(PricingError):
            quote(SYMBOLS[token_in], amount)
        return
    assert quote(SYMBOLS[token_in], amount) == int(entry["value"])


@pytest.mark.parametrize(("key", "entry"), ENTRIES)
def test_swap_post_state_is_consistent(
    swap_impl: ModuleType, state: V3PoolState, key: str, entry: dict[str, Any]
) -> None:
    """The swap behind each quote: deltas agree with the quote, the post-state is a pool state
    (tick of the price, in-range liquidity = cumulative liquidityNet), crossings are counted."""
    _pool, method, token_in, _token_out, amount = parse(key)
    zero_for_one = token_in == "WBTC"
    exact_in = method == "quoteExactInputSingle"
    result = state.swap(zero_for_one, amount if exact_in else -amount)
    paid, received = (
        (result.amount0, -result.amount1) if zero_for_one else (result.amount1, -result.amount0)
    )
    assert received == (entry["value"] if exact_in else min(received, amount))
    if not exact_in:
        assert paid == entry["value"]
    assert paid <= amount if exact_in else received <= amount
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    if (exact_in and paid < amount) or (not exact_in and received < amount):
        assert result.sqrt_price_x96 == limit  # only a price-limited swap stops short
    if zero_for_one:
        assert result.sqrt_price_x96 <= state.sqrt_price_x96
        crossed = [t for t in state.ticks if result.tick < t <= state.tick]
    else:
        assert result.sqrt_price_x96 >= state.sqrt_price_x96
        crossed = [t for t in state.ticks if state.tick < t <= result.tick]
    assert result.ticks_crossed == len(crossed)
    assert get_sqrt_ratio_at_tick(result.tick) <= result.sqrt_price_x96
    upper = get_sqrt_ratio_at_tick(result.tick + 1)
    # crossing tick t leftwards leaves tick = t - 1 at price(t) (the contract does this too)
    assert result.sqrt_price_x96 < upper or (zero_for_one and result.sqrt_price_x96 == upper)
    cumulative = dict(zip(state.ticks, accumulate(state.liquidity_net), strict=True))
    at_or_below = [t for t in state.ticks if t <= result.tick]
    assert result.liquidity == (cumulative[at_or_below[-1]] if at_or_below else 0)


def test_swap_events_chain(swap_impl: ModuleType, state: V3PoolState) -> None:
    """Applying a swap's result and swapping back: the state machine stays a valid pool."""
    weth, wbtc = SYMBOLS["WETH"], SYMBOLS["WBTC"]
    forward = state.swap(True, 50 * 10**8)
    after = state.with_swap(forward, block=state.block + 1, log_index=3)
    assert (after.block, after.log_index) == (state.block + 1, 3)
    assert after.sqrt_price_x96 == forward.sqrt_price_x96 and after.tick == forward.tick
    assert after == state.apply_swap_event(
        forward.sqrt_price_x96, forward.liquidity, forward.tick, block=state.block + 1, log_index=3
    )
    weth_out = -forward.amount1
    # buying the WBTC back costs more WETH than the first swap paid out (fees both ways)
    back = after.quote_exact_input(weth, weth_out)
    assert back < 50 * 10**8
    assert after.quote_exact_output(wbtc, weth_out) > 50 * 10**8
