"""The user's top-level folders live only inside the ``arbstream`` namespace."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FOLDERS = ("ingest", "streams", "executor", "analytics", "cyext", "localstack")


def test_installed_environment_has_no_bare_top_level_modules(tmp_path: Path) -> None:
    site = Path(sysconfig.get_paths()["purelib"])
    assert not [n for n in FOLDERS if (site / n).exists() or (site / f"{n}.py").exists()]
    code = (
        "import importlib.util, sys; "
        f"print([n for n in {FOLDERS!r} if importlib.util.find_spec(n) is not None]); "
        "import arbstream.streams.app, arbstream.ingest.ingestor, arbstream.executor.app, arbstream.cyext.v2_math, arbstream.analytics.sink, arbstream.localstack.stack"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_wheel_has_one_top_level_package(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ARBSTREAM_NO_CYTHON_BUILD": "1",
    }  # layout only; the kernel build is tested elsewhere
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("arbstream-*.whl")
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert tops == {
        "arbstream",
        wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info",
    }
    names = zipfile.ZipFile(wheel).namelist()
    for folder in FOLDERS:
        assert any(n.startswith(f"arbstream/{folder}/") for n in names), folder
