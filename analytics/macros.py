"""The Grafana ClickHouse plugin's SQL macros, expanded as the plugin does.

Panel SQL in the query library uses ``$__timeFilter_ms(...)`` and ``$__timeInterval(...)``;
Grafana expands them for the dashboard's range, :func:`expand_macros` does the same for
``run_query``, the CLI and the tests.
"""

from __future__ import annotations

import re

__all__ = ["expand_macros"]

_MACRO = re.compile(r"\$__(\w+)")


def _split_args(text: str) -> list[str]:
    """Top-level comma split of a macro's argument text."""
    args, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(text[start:i].strip())
            start = i + 1
    args.append(text[start:].strip())
    return [a for a in args if a]


def _call(sql: str, open_at: int) -> tuple[str, int]:
    """The argument text of the call whose ``(`` is at ``open_at``, and the index after ``)``."""
    depth = 0
    for i in range(open_at, len(sql)):
        if sql[i] == "(":
            depth += 1
        elif sql[i] == ")":
            depth -= 1
            if depth == 0:
                return sql[open_at + 1 : i], i + 1
    raise ValueError(f"unbalanced parentheses after macro at {open_at}: {sql[open_at:][:60]!r}")


def expand_macros(sql: str, *, from_ms: int, to_ms: int, interval_s: int = 60) -> str:
    """Expand the Grafana ClickHouse plugin macros for the time range [from_ms, to_ms].

    The expansions match the plugin (grafana/clickhouse-datasource ``pkg/macros``):
    ``$__timeFilter(c)`` -> ``c >= toDateTime(s) AND c <= toDateTime(s)``,
    ``$__timeFilter_ms(c)`` -> the same with ``fromUnixTimestamp64Milli(ms)``,
    ``$__timeInterval(c)`` -> ``toStartOfInterval(toDateTime(c), INTERVAL n second)``,
    ``$__timeInterval_ms(c)``, ``$__fromTime``/``$__toTime`` (and ``_ms``), ``$__interval_s``.
    Arguments may contain nested calls. An unknown macro raises ValueError.
    """
    interval_s = max(int(interval_s), 1)
    secs = (from_ms // 1000, to_ms // 1000)

    def dt(s: int) -> str:
        return f"toDateTime({s})"

    def dt64(ms: int) -> str:
        return f"fromUnixTimestamp64Milli({ms})"

    plain = {
        "fromTime": dt(secs[0]),
        "toTime": dt(secs[1]),
        "fromTime_ms": dt64(from_ms),
        "toTime_ms": dt64(to_ms),
        "interval_s": str(interval_s),
    }
    unary = {
        "timeFilter": lambda c: f"{c} >= {dt(secs[0])} AND {c} <= {dt(secs[1])}",
        "timeFilter_ms": lambda c: f"{c} >= {dt64(from_ms)} AND {c} <= {dt64(to_ms)}",
        "timeInterval": lambda c: (
            f"toStartOfInterval(toDateTime({c}), INTERVAL {interval_s} second)"
        ),
        "timeInterval_ms": lambda c: (
            f"toStartOfInterval(toDateTime64({c}, 3), INTERVAL {interval_s * 1000} millisecond)"
        ),
    }
    out: list[str] = []
    pos = 0
    while (m := _MACRO.search(sql, pos)) is not None:
        out.append(sql[pos : m.start()])
        name, end = m.group(1), m.end()
        if name in unary:
            if end >= len(sql) or sql[end] != "(":
                raise ValueError(f"macro $__{name} needs one argument")
            text, end = _call(sql, end)
            args = _split_args(text)
            if len(args) != 1:
                raise ValueError(f"macro $__{name}: expected 1 argument, got {len(args)}")
            # an argument may itself hold macros (e.g. $__timeInterval(...) inside)
            arg = expand_macros(args[0], from_ms=from_ms, to_ms=to_ms, interval_s=interval_s)
            out.append(unary[name](arg))
        elif name in plain:
            if sql.startswith("()", end):
                end += 2
            out.append(plain[name])
        else:
            raise ValueError(f"unknown Grafana macro $__{name}")
        pos = end
    out.append(sql[pos:])
    return "".join(out)
