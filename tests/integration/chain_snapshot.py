"""Per-test isolation on a shared Anvil chain: ``evm_snapshot`` before a test, ``evm_revert``
after it, so a test that trades, mints or deploys on a module- or session-scoped chain leaves
it as it found it and the tests pass in any order (pytest-randomly shuffles them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from arbstream.localstack.anvil import rpc_call


def evm_snapshot(url: str) -> str:
    """Anvil's snapshot of the whole chain state (blocks, balances, nonces, mempool)."""
    snapshot_id = rpc_call(url, "evm_snapshot", timeout=30.0)
    assert isinstance(snapshot_id, str), f"evm_snapshot on {url} returned {snapshot_id!r}"
    return snapshot_id


def evm_revert(url: str, snapshot_id: str) -> None:
    """Back to ``snapshot_id`` (which Anvil then forgets)."""
    reverted = rpc_call(url, "evm_revert", [snapshot_id], timeout=30.0)
    assert reverted is True, f"evm_revert to {snapshot_id} on {url} returned {reverted!r}"


@contextmanager
def restored(*urls: str) -> Iterator[None]:
    """Every chain at ``urls`` is reverted to its state at entry when the block exits."""
    snapshots = [(url, evm_snapshot(url)) for url in urls]
    try:
        yield
    finally:
        for url, snapshot_id in snapshots:
            evm_revert(url, snapshot_id)
