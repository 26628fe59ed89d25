"""Start and stop the local parts (broker, chains) as child processes.

Every part is started on a free loopback port, waited on until it answers, and always
stopped: `ManagedProcess` is a context manager, and `ProcessGroup` stops everything it
started in reverse order, also on Ctrl-C and on failure.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from arbstream.errors import RuntimeStackError

log = logging.getLogger(__name__)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the parent dies, even if it is SIGKILLed (Linux)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ManagedProcess:
    """A child process with a readiness check, a log file and a guaranteed stop."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        ready: Callable[[], bool],
        log_path: Path,
        env: dict[str, str] | None = None,
        ready_timeout: float = 30.0,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.ready = ready
        self.log_path = log_path
        self.env = env
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Spawn and wait until ready."""
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        """Start the child (from the main thread: it dies with the thread that spawned it)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        logf = self.log_path.open("ab")
        log.info("starting %s: %s (log %s)", self.name, " ".join(self.argv), self.log_path)
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=logf,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(self.env or {})},
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        except OSError as exc:
            raise RuntimeStackError(f"{self.name}: cannot run {self.argv[0]}: {exc}") from exc
        finally:
            logf.close()

    def wait_ready(self) -> None:
        """Block until the readiness check passes; raise with the log tail if it never does."""
        assert self.proc is not None, "spawn() first"
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeStackError(
                    f"{self.name} exited with code {self.proc.returncode} before it was ready; "
                    f"last log lines:\n{self.log_tail()}"
                )
            if self.ready():
                log.info("%s ready (pid %s)", self.name, self.proc.pid)
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeStackError(
            f"{self.name} not ready after {self.ready_timeout:.0f}s; last log lines:\n{self.log_tail()}"
        )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)
        log.info("stopped %s", self.name)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> ManagedProcess:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class ProcessGroup:
    """Parts started together and stopped together, last started first."""

    def __init__(self) -> None:
        self.members: list[ManagedProcess] = []

    def start(self, proc: ManagedProcess) -> ManagedProcess:
        self.members.append(proc)
        proc.start()
        return proc

    def spawn(self, proc: ManagedProcess) -> ManagedProcess:
        """Start without waiting; call ``proc.wait_ready()`` (e.g. in a thread) after."""
        self.members.append(proc)
        proc.spawn()
        return proc

    def stop(self) -> None:
        while self.members:
            proc = self.members.pop()
            try:
                proc.stop()
            except Exception:  # keep stopping the others
                log.exception("failed to stop %s", proc.name)

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
