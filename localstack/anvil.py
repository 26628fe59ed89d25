"""Anvil chains on free loopback ports (binary from the pinned npm package)."""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from pathlib import Path

from arbstream.artifacts import project_root
from arbstream.errors import RuntimeStackError
from arbstream.localstack.process import ManagedProcess, free_port

ANVIL_NPM_BIN = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
#: Anvil's default mnemonic; its first accounts are funded with 10,000 ETH each.
DEV_MNEMONIC = "test test test test test test test test test test test junk"


def find_anvil_binary() -> Path:
    """ARBSTREAM_ANVIL_BIN, else the pinned npm package in the checkout, else PATH."""
    env = os.environ.get("ARBSTREAM_ANVIL_BIN")
    candidates = [Path(env)] if env else []
    candidates.append(project_root() / ANVIL_NPM_BIN)
    on_path = shutil.which("anvil")
    if on_path:
        candidates.append(Path(on_path))
    for cand in candidates:
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    raise RuntimeStackError(
        "anvil not found: run `npm ci` in the checkout (package.json pins "
        "@foundry-rs/anvil-linux-amd64) or set ARBSTREAM_ANVIL_BIN"
    )


def rpc_call(
    url: str, method: str, params: list[object] | None = None, timeout: float = 2.0
) -> object:
    """One JSON-RPC call over HTTP (used for readiness and small admin calls)."""
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
    ).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        reply = json.loads(resp.read())
    if "error" in reply:
        raise RuntimeStackError(f"{method} on {url}: {reply['error']}")
    return reply["result"]


class AnvilNode(ManagedProcess):
    """One Anvil chain. `block_time=None` means automine (a block per transaction)."""

    def __init__(
        self,
        chain_id: int,
        log_dir: Path,
        *,
        port: int | None = None,
        block_time: float | None = 1.0,
        accounts: int = 20,
        base_fee: int = 1_000_000_000,
    ) -> None:
        self.chain_id = chain_id
        self.port = port or free_port()
        argv = [
            str(find_anvil_binary()),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--chain-id",
            str(chain_id),
            "--accounts",
            str(accounts),
            "--mnemonic",
            DEV_MNEMONIC,
            "--block-base-fee-per-gas",
            str(base_fee),
            "--silent",
        ]
        if block_time is not None:
            argv += ["--block-time", str(block_time)]
        super().__init__(
            f"anvil[{chain_id}]",
            argv,
            ready=self._ready,
            log_path=log_dir / f"anvil-{chain_id}.log",
        )

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _ready(self) -> bool:
        try:
            return (
                int(str(rpc_call(self.http_url, "eth_chainId", timeout=0.5)), 16) == self.chain_id
            )
        except (OSError, ValueError, RuntimeStackError):
            return False
