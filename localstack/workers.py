"""Faust workers as child processes of the CLI (demo, tests): one per app."""

from __future__ import annotations

import sys
from pathlib import Path

from arbstream.config import CONFIG_ENV, Settings
from arbstream.localstack.process import ManagedProcess


def worker_process(
    which: str, config_file: Path, settings: Settings, *, env: dict[str, str] | None = None
) -> ManagedProcess:
    """``arbstream worker <which>`` reading ``config_file``; ready once Faust says so."""
    log_path = settings.data_dir / "logs" / f"worker-{which}.log"
    marker = "[^Worker]: Ready"

    def ready() -> bool:
        try:
            return marker in log_path.read_text(errors="replace")
        except OSError:
            return False

    return ManagedProcess(
        f"worker[{which}]",
        [sys.executable, "-m", "arbstream", "worker", which],
        ready=ready,
        log_path=log_path,
        env={CONFIG_ENV: str(config_file), "PYTHONUNBUFFERED": "1", **(env or {})},
        ready_timeout=90.0,
    )


def executor_env(private_key: str, armed: bool = True) -> dict[str, str]:
    """The executor's key goes by environment to that one process only."""
    return {
        "ARBSTREAM_EXECUTOR__PRIVATE_KEY": private_key,
        "ARBSTREAM_EXECUTOR__ARMED": "true" if armed else "false",
    }
