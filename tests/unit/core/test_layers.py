"""The house in data-flow order: no import runs upwards, production never imports the local stack.

Every module of the ``arbstream`` namespace belongs to one layer, ranked in the order data
flows (``arbstream/`` base at the bottom, then ``cyext/``, ``ingest/``, ``streams/``,
``executor/``, ``analytics/``, the local stack above all production rooms, the CLI entry
points on top). A module may import its own layer and the layers below it, never one above;
every import counts, also the lazy ones inside functions. The only production import of the
local stack is the ``arbstream demo`` command's, named in ``ALLOWED``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

#: folder -> package it is mapped to (pyproject's package-dir)
FOLDERS = {
    "arbstream": "arbstream",
    "cyext": "arbstream.cyext",
    "ingest": "arbstream.ingest",
    "streams": "arbstream.streams",
    "executor": "arbstream.executor",
    "analytics": "arbstream.analytics",
    "localstack": "arbstream.localstack",
}

#: layers, bottom first
LAYERS = ["base", "cyext", "ingest", "streams", "executor", "analytics", "localstack", "entry"]
ENTRY_POINTS = {"arbstream.cli", "arbstream.__main__"}

#: (importer, imported module) pairs allowed to cross the rule, each with its reason
ALLOWED = {
    ("arbstream.cli", "arbstream.localstack.demo"): "the `arbstream demo` command",
}


def layer_of(module: str) -> str:
    if module in ENTRY_POINTS:
        return "entry"
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "arbstream" and parts[1] in LAYERS:
        return parts[1]
    return "base"


def modules() -> dict[str, Path]:
    out = {}
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([package, *parts])] = path
    return out


def imports_of(module: str, path: Path) -> list[tuple[int, str]]:
    """Every ``arbstream`` module imported anywhere in the file (line, dotted name)."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from arbstream.x import y` may name a submodule y
            found += [(node.lineno, f"{target}.{a.name}") for a in node.names]
            found.append((node.lineno, target))
    return [(line, name) for line, name in found if name.split(".")[0] == "arbstream"]


def violations() -> list[str]:
    mods = modules()
    bad = []
    for module, path in mods.items():
        mine = LAYERS.index(layer_of(module))
        for line, name in imports_of(module, path):
            # resolve to the longest prefix that is a module of the tree
            target = name
            while target not in mods and "." in target:
                target = target.rpartition(".")[0]
            if target not in mods or (module, target) in ALLOWED:
                continue
            theirs = layer_of(target)
            if LAYERS.index(theirs) > mine:
                where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                bad.append(
                    f"{where}:{line}: {module} ({layer_of(module)}) imports {target} ({theirs})"
                )
    return bad


def test_the_tree_has_modules_in_every_room() -> None:
    layers = {layer_of(m) for m in modules()}
    assert layers == set(LAYERS), layers


def test_no_upward_import() -> None:
    assert violations() == []


def test_production_never_imports_the_local_stack() -> None:
    mods = modules()
    bad = [
        f"{module} imports {name}"
        for module, path in mods.items()
        if layer_of(module) not in ("localstack",)
        for _, name in imports_of(module, path)
        if name.startswith("arbstream.localstack")
        and (module, name) not in ALLOWED
        and (module, name.rpartition(".")[0]) not in ALLOWED
    ]
    assert bad == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from arbstream.executor.app import x\n", "arbstream.executor.app"),
        ("import arbstream.localstack.stack\n", "arbstream.localstack.stack"),
        ("def f():\n    from arbstream.analytics import sink\n", "arbstream.analytics.sink"),
        ("from . import chain_state\n", "arbstream.streams.agents.chain_state"),
    ],
)
def test_the_walk_sees_every_form_of_import(tmp_path: Path, source: str, expected: str) -> None:
    path = tmp_path / "mod.py"
    path.write_text(source)
    names = {name for _, name in imports_of("arbstream.streams.agents.mod", path)}
    assert expected in names


def test_an_upward_import_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check fails on a base module importing a room (the rule can fail)."""
    real = modules()
    fake = tmp_path / "fake.py"
    fake.write_text("def f():\n    from arbstream.executor.app import build_executor_app\n")
    monkeypatch.setitem(globals(), "modules", lambda: {**real, "arbstream.fake": fake})
    assert any("arbstream.fake (base) imports arbstream.executor.app" in v for v in violations())
