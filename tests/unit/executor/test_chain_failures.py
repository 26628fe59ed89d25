"""A chain call that fails mid-decision is an ExecutionError with its context, and the
executor records it as a ``failed`` execution instead of stopping (a real refused TCP
connection on loopback, no mock)."""

from __future__ import annotations

import socket

import pytest
from web3 import AsyncHTTPProvider, AsyncWeb3

from arbstream.config import ChainConfig, ExecutorConfig
from arbstream.cyext.v2_pool import V2PoolState
from arbstream.errors import ExecutionError
from arbstream.executor.app import execute_batch
from arbstream.executor.executor import ChainExecutor
from arbstream.schemas import now_ms
from arbstream.streams import strategy
from arbstream.streams.valuation import Valuation

A, B = "0x" + "a" * 40, "0x" + "b" * 40


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


def _chain(port: int) -> ChainConfig:
    return ChainConfig(
        chain_id=8453,
        name="base",
        ws_url=f"ws://127.0.0.1:{port}",
        http_url=f"http://127.0.0.1:{port}",
        weth=A,
        arb_contract="0x" + "c" * 40,
    )


def _opportunity(chain: ChainConfig):  # type: ignore[no-untyped-def]
    a = V2PoolState("0xa1", A, B, 30, 10**21, 2 * 10**21, 1, 0, chain.chain_id, "x")
    b = V2PoolState("0xb1", A, B, 30, 10**20, 3 * 10**20, 1, 0, chain.chain_id, "y")
    winner = strategy.best(strategy.size(strategy.two_pool_cycles(a, b)))
    assert winner is not None
    gas = strategy.GasCost(1, 1, 1, 1)
    return strategy.opportunity(
        winner, gas, Valuation(chain), strategy.Trigger(1, "0x", 0, now_ms())
    )


async def test_unreachable_rpc_is_an_execution_error_with_context() -> None:
    chain = _chain(_closed_port())
    w3 = AsyncWeb3(AsyncHTTPProvider(chain.http_url, request_kwargs={"timeout": 5}))
    executor = ChainExecutor(chain, w3, None, ExecutorConfig())
    opp = _opportunity(chain)
    with pytest.raises(ExecutionError) as info:
        await executor.handle(opp)
    assert (info.value.chain_id, info.value.opportunity_id) == (8453, opp.id)
    assert isinstance(info.value, RuntimeError) and "chain=8453" in str(info.value)

    (record,) = await execute_batch({chain.chain_id: executor}, [opp])
    assert (record.status, record.opportunity_id) == ("failed", opp.id)
    assert "chain=8453" in record.reason
    await w3.provider.disconnect()
