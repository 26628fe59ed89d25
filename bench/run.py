"""``make bench``: arbstream's Cython kernels against their pure-Python twins and an external peer.

Every figure is a median over repeats measured in this run, on the same inputs for every
implementation; ratios are kernel / twin and kernel / degenbot (degenbot 0.3.0's pure-Python
libraries, run in their own virtualenv because degenbot pins web3 7). The peer's results are
checked against ours before its speed is reported. Writes bench/results.json.

Nothing here passes or fails a build: targets are read off this table (README, Performance).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from arbstream.cyext import _v2_math as v2_kernel
from arbstream.cyext import v2_math_py as v2_twin

HERE = Path(__file__).resolve().parent
REPEATS = 7


def median_rate(fn: Callable[[], Any], ops: int, repeats: int = REPEATS) -> float:
    """Operations per second: the median over ``repeats`` timed runs of ``fn``."""
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        rates.append(ops / (time.perf_counter() - t0))
    return statistics.median(rates)


def v2_cases(n: int, rng: random.Random) -> list[tuple[int, int, int]]:
    out = []
    for _ in range(n):
        r_in = rng.randrange(10**18, 10**26)
        r_out = rng.randrange(10**6, 10**26)
        out.append((rng.randrange(1, r_in // 10), r_in, r_out))
    return out


class Table:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, name: str, kernel: float, twin: float, peer: float | None = None) -> None:
        self.rows.append(
            {"benchmark": name, "cython_per_s": kernel, "twin_per_s": twin, "degenbot_per_s": peer}
        )

    def print(self) -> None:
        head = f"{'benchmark':<56} {'cython/s':>12} {'twin/s':>11} {'x twin':>7} {'degenbot/s':>11} {'x peer':>7}"
        print(head)
        print("-" * len(head))
        for r in self.rows:
            peer = r["degenbot_per_s"]
            peer_s = (
                f"{peer:>11,.0f} {r['cython_per_s'] / peer:>6.1f}x" if peer else f"{'':>11} {'':>7}"
            )
            print(
                f"{r['benchmark']:<56} {r['cython_per_s']:>12,.0f} {r['twin_per_s']:>11,.0f} "
                f"{r['cython_per_s'] / r['twin_per_s']:>6.1f}x {peer_s}"
            )
        print(
            f"(ops per second, median of {REPEATS} repeats; same inputs for every implementation)"
        )


def run_peer(python: str, cases: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "cases.json", Path(tmp) / "peer.json"
        src.write_text(json.dumps(cases))
        subprocess.run([python, str(HERE / "peer_degenbot.py"), str(src), str(dst)], check=True)
        return dict(json.loads(dst.read_text()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--peer", help="python of the degenbot virtualenv (bench/.venv-degenbot/bin/python)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer cases (a smoke run)")
    args = parser.parse_args()
    rng = random.Random(1)
    n = 2_000 if args.quick else 20_000
    quotes = v2_cases(n, rng)
    rows = [(a, r_in, r_out, 30) for a, r_in, r_out in quotes]

    import bench.v3_cases as v3

    pool, swaps = v3.cases(rng, per_group=50 if args.quick else 300)
    cases = {
        "v2": [[str(a), str(r_in), str(r_out)] for a, r_in, r_out in quotes],
        "v3_pool": v3.pool_json(pool),
        "v3": {str(k): [[z, str(a)] for z, a in group] for k, group in swaps.items()},
    }
    peer = run_peer(args.peer, cases) if args.peer else None
    if peer:
        expected = [
            str(v2_twin.get_amount_out(a, r_in, r_out, 30)) for a, r_in, r_out in quotes[:50]
        ]
        assert peer["v2_results"] == expected, "degenbot V2 quotes differ from ours"
        for k, group in swaps.items():
            ours = [[str(x) for x in v3.twin_swap(pool, z, a)[:2]] for z, a in group[:10]]
            assert peer["v3"][str(k)]["results"] == ours, (
                f"degenbot V3 swaps differ ({k} crossings)"
            )

    table = Table()

    def quote_loop(impl: Any) -> Callable[[], None]:
        f = impl.get_amount_out

        def loop() -> None:
            for a, r_in, r_out in quotes:
                f(a, r_in, r_out, 30)

        return loop

    table.add(
        "V2 getAmountOut, per call",
        median_rate(quote_loop(v2_kernel), n),
        median_rate(quote_loop(v2_twin), n),
        peer["v2_quotes_per_s"] if peer else None,
    )
    table.add(
        f"V2 getAmountOut, batch API ({n:,} quotes)",
        median_rate(lambda: v2_kernel.get_amount_out_batch(rows), n),
        median_rate(lambda: v2_twin.get_amount_out_batch(rows), n),
    )
    # the same quotes as three columns of packed little-endian uint256 (packed once, outside)
    cols = [v2_twin.pack_u256(col) for col in zip(*quotes, strict=True)]
    packed = v2_kernel.get_amount_out_packed(*cols, 30)
    assert packed == v2_twin.get_amount_out_packed(*cols, 30), "packed kernel != twin"
    assert v2_kernel.unpack_u256(packed[0]) == v2_kernel.get_amount_out_batch(rows)
    table.add(
        f"V2 getAmountOut, packed uint256 columns ({n:,} quotes)",
        median_rate(lambda: v2_kernel.get_amount_out_packed(*cols, 30), n),
        median_rate(lambda: v2_twin.get_amount_out_packed(*cols, 30), n),
    )
    # the latency of one exact quote: each waits for the one before, as in a sizing search
    chain_args = (10**21, 37 * 10**21, 29 * 10**21, 30)
    n_chain = 100_000 if args.quick else 1_000_000
    n_chain_twin = n_chain // 50
    assert v2_kernel._dependent_quotes(*chain_args, 1000) == v2_twin._dependent_quotes(
        *chain_args, 1000
    )
    table.add(
        "V2 getAmountOut, dependent quotes in one call (latency)",
        median_rate(lambda: v2_kernel._dependent_quotes(*chain_args, n_chain), n_chain),
        median_rate(lambda: v2_twin._dependent_quotes(*chain_args, n_chain_twin), n_chain_twin),
    )
    for k, group in swaps.items():
        table.add(
            f"V3 swap, {k} initialized ticks crossed",
            median_rate(v3.kernel_loop(pool, group), len(group)),
            median_rate(v3.twin_loop(pool, group), len(group)),
            peer["v3"][str(k)]["per_s"] if peer else None,
        )

    import bench.sizing_cases as sizing

    for name, kernel_fn, twin_fn, ops in sizing.benchmarks(rng, pool, quick=args.quick):
        table.add(name, median_rate(kernel_fn, ops), median_rate(twin_fn, ops))
    table.print()
    (HERE / "results.json").write_text(json.dumps(table.rows, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    main()
