"""pytest plugin for mutation runs only (``make mutate`` loads it with ``-p``).

The ``mutate`` hypothesis profile (tests/conftest.py) sets fewer examples, but a test's own
``@settings(max_examples=...)`` overrides a profile; this caps every property test at the
active profile's ``max_examples`` and lifts the deadline and health checks, which a mutant's
trampolines slow down without changing what the test checks.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings


def _capped(current: settings) -> settings:
    cap = settings.default.max_examples
    return settings(
        current,
        max_examples=min(current.max_examples, cap),
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Cap the settings of every hypothesis test that was collected."""
    for item in items:
        test: Any = getattr(getattr(item, "obj", None), "__func__", getattr(item, "obj", None))
        if not getattr(test, "is_hypothesis_test", False):
            continue
        current = test._hypothesis_internal_use_settings
        if current.max_examples > settings.default.max_examples or current.deadline is not None:
            test._hypothesis_internal_use_settings = _capped(current)
