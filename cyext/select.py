"""How every public pricing module picks its implementation.

The compiled kernel (``arbstream.cyext._name`` / ``arbstream.cyext.v3._name``) unless
``ARBSTREAM_NO_CYTHON=1`` forces the pure-Python twin; a kernel that was not built falls back
to the twin with a warning logged by the public module.
"""

from __future__ import annotations

import importlib
import logging
import os
from types import ModuleType


def choose(kernel: str, twin: str, public: str) -> tuple[ModuleType, str]:
    """(the module to use, "cython" or "python")."""
    if os.environ.get("ARBSTREAM_NO_CYTHON") == "1":
        return importlib.import_module(twin), "python"
    try:
        return importlib.import_module(kernel), "cython"
    except ImportError as exc:
        logging.getLogger(public).warning(
            "compiled %s unavailable (%s): using the twin", kernel, exc
        )
        return importlib.import_module(twin), "python"
