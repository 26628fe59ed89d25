"""Faust workers as child processes of the CLI (demo, tests): one per app.

Each worker exports its metrics on the run's ``metrics_port`` plus its role's offset
(``Settings.metrics_port_of``); :func:`free_port_block` finds a base whose ports are all free.
"""

from __future__ import annotations

import contextlib
import socket
import sys
from pathlib import Path

from arbstream.config import CONFIG_ENV, METRICS_ROLE_OFFSETS, Settings
from arbstream.errors import RuntimeStackError
from arbstream.localstack.process import ManagedProcess


def worker_process(
    which: str,
    config_file: Path,
    settings: Settings,
    *,
    env: dict[str, str] | None = None,
    instance: str = "",
) -> ManagedProcess:
    """``arbstream worker <which>`` reading ``config_file``; ready once Faust says so.
    ``instance`` names one of several workers of the app (its log file and process name)."""
    suffix = f"-{instance}" if instance else ""
    log_path = settings.data_dir / "logs" / f"worker-{which}{suffix}.log"
    marker = "[^Worker]: Ready"

    def ready() -> bool:
        try:
            return marker in log_path.read_text(errors="replace")
        except OSError:
            return False

    return ManagedProcess(
        f"worker[{which}{suffix}]",
        [sys.executable, "-m", "arbstream", "worker", which],
        ready=ready,
        log_path=log_path,
        env={CONFIG_ENV: str(config_file), "PYTHONUNBUFFERED": "1", **(env or {})},
        ready_timeout=90.0,
    )


def free_port_block(n: int = len(METRICS_ROLE_OFFSETS), attempts: int = 100) -> int:
    """The first of ``n`` consecutive TCP ports on 127.0.0.1 that were all free a moment ago."""
    for _ in range(attempts):
        with contextlib.ExitStack() as held:
            first = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            first.bind(("127.0.0.1", 0))
            base = int(first.getsockname()[1])
            if base + n - 1 > 65_535:
                continue
            try:
                for port in range(base + 1, base + n):
                    sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                    sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return base
    raise RuntimeStackError(f"no {n} consecutive free ports found in {attempts} attempts")


def executor_env(private_key: str, armed: bool = True) -> dict[str, str]:
    """The executor's key goes by environment to that one process only."""
    return {
        "ARBSTREAM_EXECUTOR__PRIVATE_KEY": private_key,
        "ARBSTREAM_EXECUTOR__ARMED": "true" if armed else "false",
    }
