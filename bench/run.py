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
import math
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
REPEATS = 15


ROUND_S = 0.05  # shortest round: a short kernel call is repeated to fill it


def timed(fn: Callable[[], Any], calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return time.perf_counter() - t0


def calls_per_round(fn: Callable[[], Any]) -> int:
    """How many calls of ``fn`` fill ROUND_S (after a warm-up call), as timeit's autorange."""
    fn()
    single = timed(fn, 1)
    return max(1, math.ceil(ROUND_S / max(single, 1e-9)))


def compare(
    kernel: Callable[[], Any],
    kernel_ops: int,
    twin: Callable[[], Any],
    twin_ops: int,
    repeats: int = REPEATS,
) -> tuple[float, float, float]:
    """(kernel ops/s, twin ops/s, kernel / twin): medians over ``repeats`` rounds, each
    timing the kernel and then the twin (each called enough times to last ROUND_S), so that
    both see the same state of the machine and the ratio is the median of the rounds' own
    ratios (a shared machine drifts)."""
    k_calls, t_calls = calls_per_round(kernel), calls_per_round(twin)
    k_rates, t_rates, ratios = [], [], []
    for _ in range(repeats):
        k = kernel_ops * k_calls / timed(kernel, k_calls)
        t = twin_ops * t_calls / timed(twin, t_calls)
        k_rates.append(k)
        t_rates.append(t)
        ratios.append(k / t)
    return statistics.median(k_rates), statistics.median(t_rates), statistics.median(ratios)


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

    def add(
        self,
        name: str,
        kernel: Callable[[], Any],
        twin: Callable[[], Any],
        ops: int,
        peer: float | None = None,
        twin_ops: int | None = None,
    ) -> None:
        """Time ``kernel`` and ``twin`` (``ops`` operations each, or ``twin_ops`` for the
        twin) in interleaved rounds; ``peer`` is degenbot's rate from its own process."""
        k, t, ratio = compare(kernel, ops, twin, ops if twin_ops is None else twin_ops)
        self.rows.append(
            {
                "benchmark": name,
                "cython_per_s": k,
                "twin_per_s": t,
                "x_twin": ratio,
                "degenbot_per_s": peer,
            }
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
                f"{r['x_twin']:>6.1f}x {peer_s}"
            )
        print(
            f"(ops per second, medians of {REPEATS} rounds of >= {ROUND_S * 1000:.0f} ms timing the"
            " kernel then the twin; x twin: the median of the rounds' ratios; degenbot timed in"
            " its own process)"
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
        quote_loop(v2_kernel),
        quote_loop(v2_twin),
        n,
        peer["v2_quotes_per_s"] if peer else None,
    )
    table.add(
        f"V2 getAmountOut, batch API ({n:,} quotes)",
        lambda: v2_kernel.get_amount_out_batch(rows),
        lambda: v2_twin.get_amount_out_batch(rows),
        n,
    )
    # the same quotes as three columns of packed little-endian uint256 (packed once, outside)
    cols = [v2_twin.pack_u256(col) for col in zip(*quotes, strict=True)]
    packed = v2_kernel.get_amount_out_packed(*cols, 30)
    assert packed == v2_twin.get_amount_out_packed(*cols, 30), "packed kernel != twin"
    assert v2_kernel.unpack_u256(packed[0]) == v2_kernel.get_amount_out_batch(rows)
    table.add(
        f"V2 getAmountOut, packed uint256 columns ({n:,} quotes)",
        lambda: v2_kernel.get_amount_out_packed(*cols, 30),
        lambda: v2_twin.get_amount_out_packed(*cols, 30),
        n,
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
        lambda: v2_kernel._dependent_quotes(*chain_args, n_chain),
        lambda: v2_twin._dependent_quotes(*chain_args, n_chain_twin),
        n_chain,
        twin_ops=n_chain_twin,
    )
    for k, group in swaps.items():
        table.add(
            f"V3 swap, {k} initialized ticks crossed",
            v3.kernel_loop(pool, group),
            v3.twin_loop(pool, group),
            len(group),
            peer["v3"][str(k)]["per_s"] if peer else None,
        )

    import bench.sizing_cases as sizing

    for name, kernel_fn, twin_fn, ops in sizing.benchmarks(rng, pool, quick=args.quick):
        table.add(name, kernel_fn, twin_fn, ops)
    table.print()
    (HERE / "results.json").write_text(json.dumps(table.rows, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    main()
