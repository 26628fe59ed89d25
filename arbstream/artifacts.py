"""Compiled contract artifacts: our own (solc-js build) and the pinned Uniswap V2 npm builds.

`load_artifact("FlashArb")` looks in `build/contracts/` (written by
`scripts/compile_contracts.js` from `executor/contracts/*.sol` and the local stack's
test-only `localstack/contracts/*.sol`, i.e. `make contracts`), then in the npm packages for the
real Uniswap V2 bytecode (`UniswapV2Factory`, `UniswapV2Pair`, `UniswapV2Router02`, `WETH9`).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arbstream.errors import ConfigError


def project_root() -> Path:
    """The source checkout this package was installed from (editable install)."""
    return Path(__file__).resolve().parents[1]


#: Where `scripts/compile_contracts.js` writes our artifacts.
BUILD_DIR = project_root() / "build" / "contracts"

#: Real Uniswap V2 builds shipped in the pinned npm packages (relative to the checkout).
NPM_ARTIFACTS: dict[str, Path] = {
    "UniswapV2Factory": Path("node_modules/@uniswap/v2-core/build/UniswapV2Factory.json"),
    "UniswapV2Pair": Path("node_modules/@uniswap/v2-core/build/UniswapV2Pair.json"),
    "UniswapV2ERC20": Path("node_modules/@uniswap/v2-core/build/UniswapV2ERC20.json"),
    "UniswapV2Router02": Path("node_modules/@uniswap/v2-periphery/build/UniswapV2Router02.json"),
    "WETH9": Path("node_modules/@uniswap/v2-periphery/build/WETH9.json"),
    "UniswapV3Factory": Path(
        "node_modules/@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json"
    ),
    "UniswapV3Pool": Path(
        "node_modules/@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json"
    ),
}


@dataclass(frozen=True, slots=True)
class Artifact:
    """ABI and creation bytecode (0x-prefixed hex) of one contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    path: Path

    @property
    def bytecode_bytes(self) -> bytes:
        return bytes.fromhex(self.bytecode.removeprefix("0x"))


def _read(name: str, path: Path) -> Artifact:
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"contract artifact {name}: cannot read {path}: {exc}") from exc
    abi = raw.get("abi")
    bytecode = raw.get("bytecode")
    if bytecode is None and isinstance(raw.get("evm"), dict):
        bytecode = raw["evm"].get("bytecode", {}).get("object")
    if isinstance(abi, str):  # some old builds store the ABI as a JSON string
        abi = json.loads(abi)
    if not isinstance(abi, list) or not isinstance(bytecode, str):
        raise ConfigError(f"contract artifact {name}: {path} has no abi/bytecode")
    if not bytecode.startswith("0x"):
        bytecode = "0x" + bytecode
    return Artifact(name=name, abi=abi, bytecode=bytecode, path=path)


@functools.cache
def load_artifact(name: str) -> Artifact:
    """The artifact of contract `name`: our build dir first, then the Uniswap npm builds.

    Raises ConfigError naming the command that produces the missing file.
    """
    ours = BUILD_DIR / f"{name}.json"
    if ours.is_file():
        return _read(name, ours)
    npm = NPM_ARTIFACTS.get(name)
    if npm is not None:
        path = project_root() / npm
        if path.is_file():
            return _read(name, path)
        raise ConfigError(
            f"contract artifact {name} not found at {path}: run `npm ci` in the checkout "
            "(package.json pins @uniswap/v2-core and @uniswap/v2-periphery)"
        )
    raise ConfigError(
        f"contract artifact {name} not found at {ours}: run `make contracts` "
        "(node scripts/compile_contracts.js) to compile executor/contracts/*.sol and localstack/contracts/*.sol"
    )
