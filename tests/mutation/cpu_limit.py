"""pytest plugin for mutation runs only (``make mutate`` loads it with ``-p``): a CPU-time
limit per test.

mutmut's own limit is per mutant, over all the tests that reach the mutated function
(``timeout_multiplier`` in targets.toml): a mutant that makes a loop endless holds the one
worker until that limit, for ``cycles_py`` close to a minute, and its search has dozens of
loops to break. This plugin fails a test once it has used more CPU time than ``FACTOR`` times
its clean duration plus ``FLOOR`` seconds; the clean durations are mutmut's own
(``mutmut-stats.json`` in the working directory, written by its first, unmutated run). A
test without one (the first run itself, or a test added since) gets ``UNKNOWN`` seconds.

CPU time of the test's process, not wall time: a busy machine does not trip it. A mutant that
trips it counts as killed, as one that trips mutmut's limit does (a timeout).
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

FACTOR = 5.0
FLOOR = 2.0
UNKNOWN = 120.0
STATS = Path("mutmut-stats.json")


class CpuLimitExceeded(Exception):
    """A test used more CPU time than its limit under this mutant."""


def _clean_durations() -> dict[str, float]:
    try:
        durations: dict[str, float] = json.loads(STATS.read_text())["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return {}
    return durations


_DURATIONS: dict[str, float] = {}


def pytest_sessionstart(session: pytest.Session) -> None:
    """Read the clean durations afresh for every session: mutmut runs pytest many times in
    one process (and its forks), the first time before the file exists."""
    global _DURATIONS
    _DURATIONS = _clean_durations()


def limit_for(nodeid: str) -> float:
    """The CPU seconds a test may use: FACTOR x its clean duration + FLOOR, or UNKNOWN."""
    clean = _DURATIONS.get(nodeid)
    return UNKNOWN if clean is None else FACTOR * clean + FLOOR


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Run the test body under an ITIMER_PROF alarm of its limit."""
    limit = limit_for(item.nodeid)

    def exceeded(signum: int, frame: FrameType | None) -> None:
        raise CpuLimitExceeded(f"{item.nodeid} used more than {limit:.1f} s of CPU time")

    previous = signal.signal(signal.SIGPROF, exceeded)
    signal.setitimer(signal.ITIMER_PROF, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
