"""``make mutate``: mutmut over the modules of targets.toml, a score per module and the survivors.

For each module a work tree is laid out under ``.arbstream/mutate/work/<module>/`` in the shape
mutmut expects (``src/arbstream/...``, the repo's rooms mapped by pyproject's package-dir, so
the mutated files are imported under their real ``arbstream.*`` names) with a copy of tests/
and a pyproject holding the mutmut settings: mutate only that module, collect and run only its
unit tests (``-m "not integration and not slow and not parity"``: the compiled kernels are
compared with their twins elsewhere and are no oracle for the twin here). The tests run with
``ARBSTREAM_NO_CYTHON=1`` and the ``mutate`` hypothesis profile (fewer, derandomized examples,
capped by tests/mutation/hypothesis_cap.py). Every run starts from fresh mutants.

The score counts a mutant as killed when a test failed, crashed or timed out on it; "no tests"
(no selected test calls the mutated function) counts as survived; a mutant without a verdict
(a stopped run, or one left out of a ``--retest --sample N`` run) is "not checked" and left out
of the score, which is then over the checked mutants only. Mutants listed in
tests/mutation/equivalent.md (they cannot change behaviour) are left out of the score and
listed with their reason. Writes ``.arbstream/mutate/report.md`` (table + survivors' diffs) and
``report.json``; prints the table.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
OUT = ROOT / ".arbstream" / "mutate"
PYTEST_MARKERS = "not integration and not slow and not parity"
DETECTED = {"killed", "timeout", "segfault", "caught by type check"}
# mutmut's exit-code -> status table (mutmut.stats.status_by_exit_code), for reading .meta files
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped"}
STATUS |= {35: "suspicious", 36: "timeout", 37: "caught by type check", -24: "timeout"}
STATUS |= {24: "timeout", 152: "timeout", 255: "timeout", -11: "segfault", -9: "segfault"}


@dataclass(frozen=True)
class Target:
    """One module to mutate and the unit tests that exercise it."""

    source: str  # as in the repo, e.g. cyext/v3/tick_math_py.py
    tests: tuple[str, ...]
    # mutmut's CPU-time limit per mutant: 2 x this x (its tests' clean time + 1 s)
    timeout_multiplier: float = 20.0

    @property
    def module(self) -> str:
        return import_name(self.source)

    @property
    def slug(self) -> str:
        return self.module.removeprefix("arbstream.").replace(".", "-")


@dataclass
class Result:
    """The verdicts of one module's mutants."""

    target: Target
    status_by_mutant: dict[str, str]
    equivalent: dict[str, str]
    diffs: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.status_by_mutant)

    @property
    def counted(self) -> list[str]:
        """Mutants with a verdict that are not equivalent: the score's denominator."""
        return [
            m
            for m in self.status_by_mutant
            if m not in self.equivalent and self.status_by_mutant[m] != "not checked"
        ]

    @property
    def unchecked(self) -> int:
        """Mutants without a verdict yet (a stopped or sampled run): left out of the score."""
        return sum(v == "not checked" for v in self.status_by_mutant.values())

    @property
    def killed(self) -> int:
        return sum(self.status_by_mutant[m] in DETECTED for m in self.counted)

    @property
    def survivors(self) -> list[str]:
        return [m for m in self.counted if self.status_by_mutant[m] not in DETECTED]

    @property
    def timeouts(self) -> int:
        return sum(self.status_by_mutant[m] == "timeout" for m in self.counted)

    @property
    def score(self) -> float:
        return 100.0 * self.killed / len(self.counted) if self.counted else 100.0


def package_dirs() -> dict[str, str]:
    """pyproject's package-dir: import package -> folder in the repo."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mapping: dict[str, str] = data["tool"]["setuptools"]["package-dir"]
    return mapping


def import_name(source: str) -> str:
    """``cyext/v3/pool.py`` -> ``arbstream.cyext.v3.pool`` (longest package-dir folder wins)."""
    path = Path(source).with_suffix("")
    best = max(
        ((pkg, Path(folder)) for pkg, folder in package_dirs().items()),
        key=lambda item: len(item[1].parts) if path.is_relative_to(item[1]) else -1,
    )
    if not path.is_relative_to(best[1]):
        raise ValueError(f"{source} is in no package-dir folder of pyproject.toml")
    return ".".join([best[0], *path.relative_to(best[1]).parts])


def load_targets() -> list[Target]:
    data = tomllib.loads((HERE / "targets.toml").read_text())
    return [
        Target(m["source"], tuple(m["tests"]), m.get("timeout_multiplier", 20.0))
        for m in data["module"]
    ]


def load_equivalent(name: str = "equivalent.md") -> dict[str, str]:
    """tests/mutation/equivalent.md: lines ``- `mutant name`: why it cannot change behaviour``
    (survivors.md, the same format: known survivors and what would decide them)."""
    pattern = re.compile(r"^- `([^`]+)`:?\s*(.*)$")
    found = {}
    for line in (HERE / name).read_text().splitlines():
        match = pattern.match(line.strip())
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def test_paths(target: Target) -> list[str]:
    paths: list[str] = []
    for spec in target.tests:
        hits = sorted(glob.glob(spec, root_dir=ROOT)) if any(c in spec for c in "*?[") else [spec]
        paths += [p for p in hits if (ROOT / p).exists()]
    if not paths:
        raise FileNotFoundError(f"no tests found for {target.source}: {target.tests}")
    return paths


def copy_tests(dest: Path, exclude: str | None) -> None:
    """tests/ into ``dest`` (replacing it), without the files matching ``exclude``."""
    if dest.exists():
        shutil.rmtree(dest)
    skip = ["__pycache__", *([exclude] if exclude else [])]
    shutil.copytree(ROOT / "tests", dest, ignore=shutil.ignore_patterns(*skip))


def lay_out(target: Target, work: Path, exclude: str | None) -> None:
    """The work tree: src/arbstream/... (every room, .py and compiled kernels), tests/, pyproject."""
    if work.exists():
        shutil.rmtree(work)
    keep = shutil.ignore_patterns("__pycache__", "*.c", "*.html", "*.pyx", "*.pxd", "*.pxi", "*.h")
    dirs = package_dirs()
    for pkg, folder in sorted(dirs.items(), key=lambda item: item[0].count(".")):
        dest = work / "src" / Path(*pkg.split("."))
        nested = [Path(f).name for p, f in dirs.items() if p.startswith(pkg + ".")]
        shutil.copytree(
            ROOT / folder,
            dest,
            ignore=lambda d, names, f=folder, n=nested: [
                *keep(d, names),
                *(x for x in names if Path(d) == ROOT / f and x in n),
            ],
            dirs_exist_ok=True,
        )
    copy_tests(work / "tests", exclude)
    # the `shared_data` fixture looks beside the checkout: the same place, seen from mutants/
    (work / "shared").symlink_to(ROOT.parent / "shared")
    write_config(target, work)


def write_config(target: Target, work: Path) -> None:
    """The work tree's pyproject: mutmut's settings (today's test files) and pytest's."""
    pytest_conf = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    mutated = "src/" + target.module.replace(".", "/") + ".py"
    config = {
        "source_paths": ["src"],
        "only_mutate": [mutated],
        "pytest_add_cli_args": [
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.mutation.hypothesis_cap",
            "-p",
            "tests.mutation.cpu_limit",
            "-m",
            PYTEST_MARKERS,
        ],
        "pytest_add_cli_args_test_selection": test_paths(target),
        "use_git_change_detection": False,
        # CPU-time limit per mutant = 2 x multiplier x (its tests' clean time + 1 s), the
        # clean time as measured under mutmut's tracing: generous, only a mutant that loops
        # (or slows its tests many times over) should hit it
        "timeout_multiplier": target.timeout_multiplier,
    }
    (work / "pyproject.toml").write_text(
        "[tool.mutmut]\n"
        + "".join(f"{key} = {json.dumps(value)}\n" for key, value in config.items())
        + "\n[tool.pytest.ini_options]\n"
        + "".join(
            f"{key} = {json.dumps(value)}\n" for key, value in pytest_conf["ini_options"].items()
        )
    )


def mutmut(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"ARBSTREAM_NO_CYTHON": "1", "ARBSTREAM_HYPOTHESIS_PROFILE": "mutate"}
    env["ARBSTREAM_MUTATE"] = "1"  # tests/mutation/budget.py: the tests' smaller case sets
    # tests that start `python -c ...` import the mutated tree too; the folder must exist
    # before the interpreter starts (a missing sys.path entry is cached as having no modules)
    (work / "mutants" / "src").mkdir(parents=True, exist_ok=True)
    env["PYTHONPATH"] = str(work / "mutants" / "src")
    exe = str(Path(sys.executable).with_name("mutmut"))
    return subprocess.run([exe, *args], cwd=work, env=env, text=True, capture_output=True)


def verdicts(meta: Path) -> dict[str, str]:
    """Each mutant's status; "not checked" for a mutant without a result (a run stopped)."""
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    return {
        name: "not checked" if code is None else STATUS.get(code, "suspicious")
        for name, code in sorted(codes.items())
    }


def run_target(target: Target, args: argparse.Namespace) -> None:
    work = OUT / "work" / target.slug
    meta = work / "mutants" / "src" / (target.module.replace(".", "/") + ".py.meta")
    names: list[str] = []
    if args.retest and meta.exists():
        # survivors, timeouts and untested mutants of the last run, against today's tests
        # (equivalent.md's mutants cannot be killed: not re-tested)
        equivalent = load_equivalent()
        names = [
            m
            for m, v in verdicts(meta).items()
            if v not in {"killed", "segfault"} and m not in equivalent
        ]
        if args.sample:
            # a seeded uniform sample of all the module's mutants; those already decided keep
            # their verdict, the rest of the sample runs
            everything = sorted(verdicts(meta))
            chosen = set(random.Random(0).sample(everything, min(args.sample, len(everything))))
            names = [m for m in names if m in chosen]
        for dest in (work / "tests", work / "mutants" / "tests"):
            copy_tests(dest, None)
        write_config(target, work)  # test files added since are selected too
        print(f"== {target.module}: re-testing {len(names)} mutants", flush=True)
    else:
        lay_out(target, work, args.exclude_tests)
        print(f"== {target.module}: mutmut over {' '.join(test_paths(target))}", flush=True)
    run = mutmut(work, "run", "--max-children", str(args.children), *names)
    (OUT / f"{target.slug}.log").write_text(run.stdout + run.stderr)
    if run.returncode != 0 or not meta.exists():
        tail = "\n".join((run.stdout + run.stderr).splitlines()[-30:])
        raise RuntimeError(f"mutmut failed on {target.module} (exit {run.returncode}):\n{tail}")


def collect(target: Target, equivalent: dict[str, str]) -> Result | None:
    """The verdicts of the module's last run (None if it never ran), with the diffs to show."""
    work = OUT / "work" / target.slug
    meta = work / "mutants" / "src" / (target.module.replace(".", "/") + ".py.meta")
    if not meta.exists():
        return None
    status = verdicts(meta)
    result = Result(target, status, {m: why for m, why in equivalent.items() if m in status})
    cache = work / "diffs.json"  # a mutant's diff is fixed for the life of its work tree
    diffs: dict[str, str] = json.loads(cache.read_text()) if cache.exists() else {}
    for name in result.survivors + sorted(result.equivalent):
        if status[name] == "not checked":
            continue  # a run still going (or stopped): no verdict to explain yet
        if name not in diffs:
            shown = mutmut(work, "show", name).stdout.strip().splitlines()
            diffs[name] = "\n".join(line for line in shown if not line.startswith("# "))
        result.diffs[name] = diffs[name]
    cache.write_text(json.dumps(diffs))
    return result


def table(results: list[Result]) -> str:
    lines = [
        "| module | mutants | equivalent | killed (timeouts) | survived | not checked | score |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| `{r.target.module}` | {r.total} | {len(r.equivalent)} | {r.killed} ({r.timeouts}) "
            f"| {len(r.survivors)} | {r.unchecked} | {r.score:.1f} % |"
        )
    return "\n".join(lines)


def report(results: list[Result], notes: dict[str, str]) -> str:
    parts = [
        "# Mutation report (`make mutate`)\n",
        "score = killed / (mutants - equivalent); killed includes timeouts and crashes.\n",
        table(results),
    ]
    for r in results:
        parts.append(f"\n## {r.target.module}\n")
        for name in r.survivors:
            note = f": {notes[name]}" if name in notes else ""
            parts.append(f"### survived ({r.status_by_mutant[name]}): `{name}`{note}\n")
            parts.append(f"```diff\n{r.diffs.get(name, '')}\n```\n")
        for name, why in sorted(r.equivalent.items()):
            parts.append(f"### equivalent: `{name}`: {why}\n")
            parts.append(f"```diff\n{r.diffs.get(name, '')}\n```\n")
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="module names or sources (substring match)")
    parser.add_argument("--children", type=int, default=2, help="mutmut workers (default 2)")
    parser.add_argument(
        "--retest",
        action="store_true",
        help="re-test only the last run's survivors, timeouts and untested mutants (not those"
        " listed in equivalent.md)",
    )
    parser.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="with --retest: only a seeded random sample of N of all the module's mutants",
    )
    parser.add_argument(
        "--exclude-tests", metavar="GLOB", help="leave test files matching GLOB out (a baseline)"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="run nothing: the report of the last runs"
    )
    args = parser.parse_args(argv)
    targets = load_targets()
    chosen = targets
    if args.only:
        chosen = [t for t in targets if any(o in t.module or o in t.source for o in args.only)]
    OUT.mkdir(parents=True, exist_ok=True)
    for target in [] if args.report_only else chosen:
        run_target(target, args)
    # the report covers every module that has run, so `--only` runs add up to the whole table
    equivalent = load_equivalent()
    results = [r for r in (collect(t, equivalent) for t in targets) if r is not None]
    known = {m for r in results for m in r.status_by_mutant}
    ran = {r.target.module for r in results}
    stale = [m for m in equivalent if m.rsplit(".", 1)[0] in ran and m not in known]
    notes = load_equivalent("survivors.md")
    (OUT / "report.md").write_text(report(results, notes))
    (OUT / "report.json").write_text(
        json.dumps(
            {
                r.target.module: {
                    "mutants": r.total,
                    "equivalent": len(r.equivalent),
                    "killed": r.killed,
                    "survived": r.survivors,
                    "not_checked": r.unchecked,
                    "score": round(r.score, 1),
                }
                for r in results
            },
            indent=2,
        )
    )
    print(table(results))
    for r in results:
        if r.target not in chosen:
            continue
        for name in r.survivors:
            note = f"\n# known: {notes[name]}" if name in notes else ""
            print(
                f"\n# survived ({r.status_by_mutant[name]}): {name}{note}\n{r.diffs.get(name, '')}"
            )
    if stale:
        print(f"\nequivalent.md names mutants that no longer exist: {', '.join(stale)}")
    print(f"\nreport: {OUT / 'report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
