"""JSON-RPC straight through the provider, for the EVM oracle tests' hot loops.

web3's middleware adds an eth_chainId (and for sends an eth_getBlockByNumber) round trip to
most requests, tripling the request count; raw requests keep each swap at a few round
trips. Results are raw hex, decoded by the tests with the ABI codec.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import pytest
from web3 import AsyncWeb3
from web3.types import RPCEndpoint

ERROR_SELECTOR = "0x08c379a0"  # Error(string)


class RpcError(Exception):
    def __init__(self, method: str, error: dict[str, Any]) -> None:
        super().__init__(f"{method}: {error}")
        self.error = error

    def reason(self, w3: AsyncWeb3[Any]) -> str:
        """The revert's Error(string) reason ('' for a bare revert without data)."""
        data = self.error.get("data")
        if data in (None, "0x"):
            assert "revert" in str(self.error.get("message", "")), self.error
            return ""
        assert isinstance(data, str) and data.startswith(ERROR_SELECTOR), self.error
        (reason,) = w3.codec.decode(["string"], bytes.fromhex(data[len(ERROR_SELECTOR) :]))
        return str(reason)


class RawRpc:
    """Requests, calls, revert reasons and receipts without web3's middleware."""

    def __init__(self, w3: AsyncWeb3[Any]) -> None:
        self.w3 = w3

    async def request(self, method: str, params: list[Any]) -> Any:
        resp = await self.w3.provider.make_request(RPCEndpoint(method), params)
        if "error" in resp:
            raise RpcError(method, dict(resp["error"]))
        return resp["result"]

    async def call(self, to: str, data: str, sender: str | None = None) -> bytes:
        tx = {"to": to, "data": data} | ({"from": sender} if sender else {})
        return bytes.fromhex(str(await self.request("eth_call", [tx, "latest"]))[2:])

    async def call_or_reason(self, to: str, data: str, sender: str) -> bytes | str:
        """The call's return data, or its revert reason (str)."""
        try:
            return await self.call(to, data, sender)
        except RpcError as exc:
            return exc.reason(self.w3)

    async def revert_reason(self, to: str, data: str, sender: str) -> str:
        """The Error(string) reason of an eth_call that must revert, with the node's message
        checked against it."""
        try:
            result = await self.call(to, data, sender)
        except RpcError as exc:
            reason = exc.reason(self.w3)
            assert exc.error.get("message") == f"execution reverted: {reason}", exc.error
            return reason
        pytest.fail(f"eth_call to {to} ({data[:10]}) did not revert: returned 0x{result.hex()}")

    async def receipt(self, tx_hash: str) -> dict[str, Any]:
        deadline = time.monotonic() + 30
        while (rcpt := await self.request("eth_getTransactionReceipt", [tx_hash])) is None:
            assert time.monotonic() < deadline, f"{tx_hash} not mined"
            await asyncio.sleep(0.002)
        return dict(rcpt)

    async def wait_all(self, tx_hashes: Sequence[str], label: str) -> list[dict[str, Any]]:
        rcpts = [await self.receipt(h) for h in tx_hashes]
        for h, r in zip(tx_hashes, rcpts, strict=True):
            assert r["status"] == "0x1", f"{label}: {h} reverted: {r}"
        return rcpts
