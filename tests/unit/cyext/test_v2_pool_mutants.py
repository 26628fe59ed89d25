"""V2PoolState: snapshot forms, direction of quotes, Sync bookkeeping (checks that mutation
testing found missing).

Oracles: the snapshot formats as degenbot writes them (tests/data/degenbot), Uniswap's
``getAmountOut``/``getAmountIn`` written out with the contract's 997/1000 constants, and the
``Sync`` event's meaning (the pair's reserves after the block's log, nothing else).
"""

from __future__ import annotations

import pytest

from arbstream.cyext.errors import PricingInputError
from arbstream.cyext.v2_pool import V2PoolState

A, B = "0xAaAa000000000000000000000000000000000001", "0xbBbB000000000000000000000000000000000002"


def uniswap_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    with_fee = amount_in * 997
    return with_fee * reserve_out // (reserve_in * 1000 + with_fee)


def uniswap_in(amount_out: int, reserve_in: int, reserve_out: int) -> int:
    return reserve_in * amount_out * 1000 // ((reserve_out - amount_out) * 997) + 1


BASE = {"reserves_token0": "1000000000000000000000", "reserves_token1": 2 * 10**21}


@pytest.mark.parametrize(
    ("extra", "want"),
    [
        ({"tokens": [{"address": A}, {"address": B}]}, (A, B)),
        ({"tokens": [A, B]}, (A, B)),
        ({"token0": {"address": A}, "token1": B}, (A, B)),
        ({"token0": A, "token1": {"address": B}}, (A, B)),
    ],
)
def test_snapshot_token_forms(extra: dict[str, object], want: tuple[str, str]) -> None:
    pool = V2PoolState.from_snapshot(BASE | extra)
    assert (pool.token0, pool.token1) == want
    assert (pool.reserve0, pool.reserve1) == (10**21, 2 * 10**21)
    assert type(pool.reserve0) is int


@pytest.mark.parametrize(
    ("fee", "bps"),
    [
        ({}, 30),  # degenbot's default: Uniswap's 3/1000
        ({"fee_token0": "3/1000"}, 30),
        ({"fee_token0": "25/10000"}, 25),
        ({"fee_numer": 25, "fee_denom": 10_000}, 25),
        ({"fee_numer": "1", "fee_denom": "100"}, 100),
        ({"fee_bps": 5}, 5),
        ({"fee_bps": "0"}, 0),
    ],
)
def test_snapshot_fee_forms(fee: dict[str, object], bps: int) -> None:
    pool = V2PoolState.from_snapshot(BASE | {"tokens": [A, B]} | fee)
    assert pool.fee_bps == bps and type(pool.fee_bps) is int


@pytest.mark.parametrize("fee", [{"fee_token0": "1/3"}, {"fee_numer": 1, "fee_denom": 30_000}])
def test_snapshot_fee_must_be_whole_bps(fee: dict[str, object]) -> None:
    with pytest.raises(PricingInputError, match="not a whole number of bps"):
        V2PoolState.from_snapshot(BASE | {"tokens": [A, B]} | fee)


@pytest.mark.parametrize(
    ("extra", "address", "block", "log_index"),
    [
        ({}, "", 0, -1),
        ({"address": "0xpair", "block": 7, "log_index": 3}, "0xpair", 7, 3),
        ({"pool": "0xpool", "block_number": "9"}, "0xpool", 9, -1),
        ({"address": "0xpair", "pool": "0xpool", "block": 1, "block_number": 2}, "0xpair", 1, -1),
    ],
)
def test_snapshot_identity_and_version(
    extra: dict[str, object], address: str, block: int, log_index: int
) -> None:
    pool = V2PoolState.from_snapshot(BASE | {"tokens": [A, B]} | extra)
    assert (pool.address, pool.block, pool.log_index) == (address, block, log_index)


def test_defaults_are_an_unversioned_state() -> None:
    pool = V2PoolState("0xp", A, B, 30, 1, 2)
    assert (pool.block, pool.log_index) == (0, -1)


def test_quotes_take_the_reserves_of_the_direction() -> None:
    r0, r1 = 10**21, 3 * 10**21
    pool = V2PoolState("0xp", A, B, 30, r0, r1)
    amount = 10**19
    assert pool.quote_exact_input(A, amount) == uniswap_out(amount, r0, r1)
    assert pool.quote_exact_input(B, amount) == uniswap_out(amount, r1, r0)
    assert pool.quote_exact_output(A, amount) == uniswap_in(amount, r0, r1)
    assert pool.quote_exact_output(B, amount) == uniswap_in(amount, r1, r0)
    # addresses compare case-insensitively, either side
    assert pool.quote_exact_input(A.lower(), amount) == pool.quote_exact_input(A.upper(), amount)
    assert pool.quote_exact_output(B.upper(), amount) == uniswap_in(amount, r1, r0)
    mixed = V2PoolState("0xp", A.lower(), B.upper(), 30, r0, r1)
    assert mixed.quote_exact_input(A, amount) == uniswap_out(amount, r0, r1)
    assert mixed.quote_exact_input(B, amount) == uniswap_out(amount, r1, r0)


def test_quotes_use_the_pools_fee() -> None:
    pool = V2PoolState("0xp", A, B, 25, 10**21, 10**21)
    amount = 10**18
    assert pool.quote_exact_input(A, amount) == amount * 9975 * 10**21 // (
        10**21 * 10_000 + amount * 9975
    )
    assert (
        pool.quote_exact_output(A, amount)
        == 10**21 * amount * 10_000 // ((10**21 - amount) * 9975) + 1
    )


@pytest.mark.parametrize("method", ["quote_exact_input", "quote_exact_output"])
def test_a_foreign_token_is_an_input_error_naming_it(method: str) -> None:
    pool = V2PoolState("0xpair", A, B, 30, 10, 10)
    with pytest.raises(PricingInputError) as info:
        getattr(pool, method)("0xC", 1)
    assert "0xC" in str(info.value) and "0xpair" in str(info.value)


def test_sync_replaces_reserves_and_keeps_or_moves_the_version() -> None:
    pool = V2PoolState("0xp", A, B, 30, 1, 2, block=5, log_index=4)
    kept = pool.apply_sync(10, 20)
    assert (kept.reserve0, kept.reserve1, kept.block, kept.log_index) == (10, 20, 5, 4)
    moved = pool.apply_sync(11, 21, block=6)
    assert (moved.reserve0, moved.reserve1, moved.block, moved.log_index) == (11, 21, 6, 4)
    moved = pool.apply_sync(12, 22, log_index=0)
    assert (moved.block, moved.log_index) == (5, 0)
    moved = pool.apply_sync(12, 22, block=0, log_index=9)
    assert (moved.block, moved.log_index) == (0, 9)
    assert (moved.address, moved.token0, moved.token1, moved.fee_bps) == ("0xp", A, B, 30)
    assert (pool.reserve0, pool.reserve1) == (1, 2)  # a new snapshot; the old one is unchanged
