"""V3PoolState's event handling (Initialize / Mint / Burn / Swap) and QuoterV1 edge cases, and
V2PoolState (Sync, quotes against PancakeSwap V2 router results on Base)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from arbstream.cyext.errors import InsufficientInputAmount, InsufficientLiquidity, PricingInputError
from arbstream.cyext.v2_pool import V2PoolState
from arbstream.cyext.v3.errors import (
    AmountSpecifiedZero,
    LiquidityOverflow,
    LiquiditySub,
    QuoteUnexpectedError,
    SafeCastOverflow,
    TickDataError,
    TickOrder,
)
from arbstream.cyext.v3.pool import V3PoolState, max_liquidity_per_tick
from arbstream.cyext.v3.tick_math_py import MAX_TICK, MIN_TICK, get_sqrt_ratio_at_tick

from .impls import DATA

Q96 = 2**96


def empty(spacing: int = 60, fee: int = 3000) -> V3PoolState:
    return V3PoolState("0xpool", "0xA", "0xB", fee, spacing, 0, 0, 0).apply_initialize(Q96, 0)


@pytest.fixture(scope="module")
def mainnet() -> V3PoolState:
    return V3PoolState.from_snapshot(
        json.loads(
            (DATA / "degenbot" / "uniswap_v3_wbtc_weth_state_block_24407242.json").read_text()
        )
    )


def test_mint_and_burn_bookkeeping() -> None:
    pool = empty().apply_mint(-120, 60, 1000, block=5, log_index=2)
    assert (pool.block, pool.log_index) == (5, 2)
    assert pool.ticks == (-120, 60)
    assert pool.liquidity_net == (1000, -1000) and pool.liquidity_gross == (1000, 1000)
    assert pool.liquidity == 1000  # -120 <= 0 < 60
    pool = pool.apply_mint(60, 180, 7)  # out of range (above)
    assert pool.ticks == (-120, 60, 180)
    assert pool.liquidity_net == (1000, -993, -7) and pool.liquidity_gross == (1000, 1007, 7)
    assert pool.liquidity == 1000
    pool = pool.apply_mint(-60, 0, 5)  # upper == tick: not in range
    assert pool.liquidity == 1000
    pool = pool.apply_burn(-120, 60, 1000)
    assert pool.ticks == (-60, 0, 60, 180)
    assert pool.liquidity_net == (5, -5, 7, -7)
    assert pool.liquidity == 0
    pool = pool.apply_burn(60, 180, 7).apply_burn(-60, 0, 5)
    assert pool.ticks == pool.liquidity_net == pool.liquidity_gross == ()
    assert replace(pool, block=0, log_index=-1) == empty()
    assert pool.apply_burn(-60, 0, 0) == pool  # a poke changes nothing


def test_position_reverts() -> None:
    pool = empty()
    for lower, upper, reason in (
        (60, 60, "TLU"),
        (60, 0, "TLU"),
        (-887280, 0, "TLM"),
        (0, 887280, "TUM"),
    ):
        with pytest.raises(TickOrder) as info:
            pool.apply_mint(lower, upper, 1)
        assert info.value.reason == reason
    with pytest.raises(LiquiditySub) as ls:
        pool.apply_mint(-60, 60, 5).apply_burn(-60, 60, 6)
    assert ls.value.reason == "LS"
    with pytest.raises(LiquidityOverflow) as lo:
        pool.apply_mint(-60, 60, max_liquidity_per_tick(60) + 1)
    assert lo.value.reason == "LO"
    with pytest.raises(TickDataError):
        pool.apply_mint(-61, 60, 1)


def test_max_liquidity_per_tick() -> None:
    """Uniswap's Tick.spec: tickSpacingToMaxLiquidityPerTick."""
    assert max_liquidity_per_tick(10) == 1917569901783203986719870431555990
    assert max_liquidity_per_tick(60) == 11505743598341114571880798222544994
    assert max_liquidity_per_tick(200) == 38350317471085141830651933667504588
    assert max_liquidity_per_tick(887272) == (2**128 - 1) // 3
    assert max_liquidity_per_tick(2302) == 441351967472034323558203122479595605


def test_state_validation() -> None:
    with pytest.raises(TickDataError):
        V3PoolState("p", "a", "b", 3000, 60, Q96, 0, 0, ticks=(60, -60), liquidity_net=(1, -1))
    with pytest.raises(TickDataError):
        V3PoolState("p", "a", "b", 3000, 60, Q96, 0, 0, ticks=(-59, 60), liquidity_net=(1, -1))
    with pytest.raises(TickDataError):
        V3PoolState("p", "a", "b", 3000, 60, Q96, 0, 0, ticks=(-60,), liquidity_net=(1, -1))
    gross_default = V3PoolState(
        "p", "a", "b", 3000, 60, Q96, 0, 1, ticks=(-60, 60), liquidity_net=(1, -1)
    )
    assert gross_default.liquidity_gross == (1, 1)


def test_mint_then_burn_restores_mainnet(mainnet: V3PoolState) -> None:
    lower, upper = mainnet.tick - mainnet.tick % 60 - 600, mainnet.tick - mainnet.tick % 60 + 660
    minted = mainnet.apply_mint(lower, upper, 10**15)
    assert minted.liquidity == mainnet.liquidity + 10**15
    assert minted.liquidity_net_at(lower) == mainnet.liquidity_net_at(lower) + 10**15
    assert minted.liquidity_net_at(upper) == mainnet.liquidity_net_at(upper) - 10**15
    weth = mainnet.token1
    assert minted.quote_exact_input(weth, 10**18) > mainnet.quote_exact_input(weth, 10**18)
    assert minted.apply_burn(lower, upper, 10**15) == mainnet


def test_swap_event_then_quote(mainnet: V3PoolState) -> None:
    r = mainnet.swap(False, 500 * 10**18)
    after = mainnet.apply_swap_event(r.sqrt_price_x96, r.liquidity, r.tick, block=mainnet.block + 1)
    assert after == mainnet.with_swap(r, block=mainnet.block + 1)
    assert after.tick > mainnet.tick
    # the same 500 WETH again buys less WBTC at the new price
    assert after.quote_exact_input(mainnet.token1, 500 * 10**18) < -r.amount0


def test_quote_errors(mainnet: V3PoolState) -> None:
    with pytest.raises(PricingInputError):
        mainnet.quote_exact_input("0x0000000000000000000000000000000000000001", 1)
    with pytest.raises(AmountSpecifiedZero):
        mainnet.quote_exact_input(mainnet.token0, 0)
    with pytest.raises(SafeCastOverflow):
        mainnet.quote_exact_input(mainnet.token0, 2**255)
    # token addresses compare case-insensitively
    assert mainnet.quote_exact_input(mainnet.token0.lower(), 10**6) == mainnet.quote_exact_input(
        mainnet.token0, 10**6
    )
    # QuoterV1 with sqrtPriceLimitX96 == 0 requires the full output: 'Unexpected error'
    everything = 2**255 - 1
    with pytest.raises(QuoteUnexpectedError) as info:
        mainnet.quote_exact_output(mainnet.token0, everything, require_full_output=True)
    assert info.value.reason == "Unexpected error"
    assert mainnet.quote_exact_output(mainnet.token0, 10**19, require_full_output=True) == 30303392


def test_nothing_swapped_is_unexpected_error() -> None:
    """No liquidity anywhere: the callback's require(amount0Delta > 0 || amount1Delta > 0)."""
    pool = empty()
    with pytest.raises(QuoteUnexpectedError):
        pool.quote_exact_input("0xA", 10**18)
    with pytest.raises(QuoteUnexpectedError):
        pool.quote_exact_output("0xB", 10**18)
    r = pool.swap(True, 10**18)
    assert (r.amount0, r.amount1, r.liquidity, r.ticks_crossed) == (0, 0, 0, 0)
    assert r.sqrt_price_x96 == 4295128740 and r.tick == MIN_TICK


def test_explicit_price_limit(mainnet: V3PoolState) -> None:
    limit = get_sqrt_ratio_at_tick(mainnet.tick - 100)
    r = mainnet.swap(True, 10**12, limit)
    assert r.sqrt_price_x96 == limit and r.tick == mainnet.tick - 100
    assert mainnet.quote_exact_input(mainnet.token0, 10**12, limit) == -r.amount1
    assert MIN_TICK < r.tick < MAX_TICK


# ------------------------------------------------------------------------------------- V2
V2_STATE = json.loads(
    (DATA / "degenbot" / "pancakeswap_v2_weth_usdbc_state_block_46875151.json").read_text()
)
V2_QUOTES = json.loads(
    (DATA / "degenbot" / "pancakeswap_v2_router_get_amounts_out.json").read_text()
)


def test_v2_pool_reproduces_router() -> None:
    pool = V2PoolState.from_snapshot(V2_STATE)
    assert (pool.fee_bps, pool.block) == (25, 46875151)
    symbols = {V2_STATE["token0"]["symbol"]: pool.token0, V2_STATE["token1"]["symbol"]: pool.token1}
    # every recorded router call returned a value (none reverted): each one is reproduced
    assert len(V2_QUOTES["entries"]) == 24
    assert all(set(entry) == {"value"} for entry in V2_QUOTES["entries"].values())
    for key, entry in V2_QUOTES["entries"].items():
        _pair, _method, path, amount = key.split("|")
        token_in = symbols[path.split("->")[0]]
        assert pool.quote_exact_input(token_in, int(amount)) == int(entry["value"]), key


def test_v2_pool_sync_and_exact_output() -> None:
    pool = V2PoolState("0xpair", "0xA", "0xB", 30, 10**21, 2 * 10**21, block=1)
    synced = pool.apply_sync(10**20, 10**20, block=2, log_index=7)
    assert synced == replace(pool, reserve0=10**20, reserve1=10**20, block=2, log_index=7)
    out = pool.quote_exact_input("0xa", 10**18)
    assert out == 10**18 * 997 * 2 * 10**21 // (10**21 * 1000 + 10**18 * 997)
    needed = pool.quote_exact_output("0xA", out)
    assert needed <= 10**18 and pool.quote_exact_input("0xA", needed) >= out
    assert pool.quote_exact_input("0xB", 10**18) < 10**18 // 2
    with pytest.raises(PricingInputError):
        pool.quote_exact_input("0xC", 1)
    # the router's reverts, with UniswapV2Library's reason strings
    with pytest.raises(InsufficientInputAmount) as no_input:
        pool.quote_exact_input("0xA", 0)
    assert no_input.value.reason == "UniswapV2Library: INSUFFICIENT_INPUT_AMOUNT"
    with pytest.raises(InsufficientLiquidity) as dry:
        replace(pool, reserve0=0).quote_exact_input("0xA", 5)
    assert dry.value.reason == "UniswapV2Library: INSUFFICIENT_LIQUIDITY"
