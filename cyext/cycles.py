"""Optimal sizing of 2-4 leg V2/V3 arbitrage cycles: the Cython kernel, or its pure-Python twin.

``ARBSTREAM_NO_CYTHON=1`` forces the twin (:mod:`arbstream.cyext.cycles_py`). Otherwise the
compiled :mod:`arbstream.cyext._cycles` is used, falling back to the twin with a warning when
it was not built. Both return the same results and raise the same errors. ``IMPLEMENTATION``
says which one is live. The API, the leg tuples and the optimality guarantee are documented in
:mod:`arbstream.cyext.cycles_py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arbstream.cyext.select import choose

__all__ = ["IMPLEMENTATION", "cycle_output", "optimize_cycle", "optimize_cycles"]

if TYPE_CHECKING:
    from arbstream.cyext.cycles_py import cycle_output, optimize_cycle, optimize_cycles

    IMPLEMENTATION: str
else:
    _impl, IMPLEMENTATION = choose("arbstream.cyext._cycles", "arbstream.cyext.cycles_py", __name__)

    cycle_output = _impl.cycle_output
    optimize_cycle = _impl.optimize_cycle
    optimize_cycles = _impl.optimize_cycles
