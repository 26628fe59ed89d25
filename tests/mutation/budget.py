"""Smaller test cases for ``make mutate``, the same oracles.

Every mutant re-runs the unit tests that reach the mutated function, and a mutant that
survives runs all of them: a module whose tests spend minutes in brute-force or dense
searches (``cyext/cycles_py.py``) would need hours. tests/mutation/run.py sets
``ARBSTREAM_MUTATE=1``; under it a test may run fewer of its cases through :func:`subset` (a
listed part of its parameter list) and :func:`sized` (fewer draws from the same generator),
and the compiled kernels' parametrizations are left out (they never run the mutated twin).
The cases left are checked against the same oracles, with the same assertions. Outside
``make mutate`` every case runs.

A test that uses these must still kill the module's mutants: `make mutate` measures the score
with the smaller sizes, so whatever they let through shows up as a survivor.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

#: True in the test runs of ``make mutate`` (tests/mutation/run.py sets the variable).
MUTATING = os.environ.get("ARBSTREAM_MUTATE") == "1"


def subset(full: Sequence[T], mutate: Sequence[T]) -> list[T]:
    """``full``, or under ``make mutate`` only ``mutate`` (which must be cases of ``full``)."""
    if not MUTATING:
        return list(full)
    missing = [case for case in mutate if case not in full]
    if missing:
        raise ValueError(f"mutation cases that no other run checks: {missing}")
    return list(mutate)


def sized(full: int, mutate: int) -> int:
    """A case count: ``full``, or under ``make mutate`` the smaller ``mutate``."""
    if mutate > full:
        raise ValueError(f"a mutation run's size {mutate} exceeds the full {full}")
    return mutate if MUTATING else full
