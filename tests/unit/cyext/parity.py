"""Helpers shared by the kernel-vs-twin tests of every cyext module."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from arbstream.cyext.errors import PricingError, PricingInputError


def outcome(fn: Callable[..., Any], *args: Any) -> tuple[Any, Any]:
    """The result, or the exception's type and revert reason: what must match exactly."""
    try:
        return ("ok", fn(*args))
    except PricingError as exc:
        return (type(exc), exc.reason)
    except (PricingInputError, TypeError) as exc:
        return (type(exc), None)


def assert_missing_kernel_falls_back(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    public: ModuleType,
    kernel_name: str,
    twin_function: Callable[..., Any],
) -> None:
    """Reloading ``public`` without ``arbstream.cyext.<kernel_name>`` picks the twin (the
    function ``twin_function`` is the twin's own) and logs a warning; ``public`` is reloaded
    again afterwards."""
    monkeypatch.delenv("ARBSTREAM_NO_CYTHON", raising=False)
    monkeypatch.setitem(sys.modules, f"arbstream.cyext.{kernel_name}", None)  # -> ImportError
    if hasattr(sys.modules["arbstream.cyext"], kernel_name):
        monkeypatch.delattr(sys.modules["arbstream.cyext"], kernel_name)
    try:
        with caplog.at_level(logging.WARNING, logger=public.__name__):
            reloaded = importlib.reload(public)
        assert reloaded.IMPLEMENTATION == "python"
        assert getattr(reloaded, twin_function.__name__) is twin_function
        assert any("unavailable" in r.getMessage() for r in caplog.records)
    finally:
        monkeypatch.undo()
        importlib.reload(public)
