"""Bounded polling: tests wait on conditions, never on the clock alone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def wait_until(
    missing: Callable[[], Awaitable[str | None]],
    *,
    timeout_s: float,
    interval_s: float = 0.1,
    what: str,
) -> None:
    """Poll ``missing()`` until it returns None (the condition holds); it returns a description
    of what is still missing otherwise, which the failure names after ``timeout_s`` seconds.
    The timeout is a generous bound against a hang, not a speed requirement."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while (still := await missing()) is not None:
        if loop.time() >= deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}: {still}")
        await asyncio.sleep(interval_s)
