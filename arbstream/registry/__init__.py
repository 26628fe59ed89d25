"""The chain registry: chains, tokens and DEXes as data (``chains.toml``), loaded into frozen models.

``chains.toml`` ships with the package and names, for Ethereum (1), BSC (56), Arbitrum One
(42161), Base (8453) and Polygon PoS (137): block time, native and wrapped-native token,
the tokens a searcher watches (address, decimals) and the DEXes with their factory, fees and
pool init-code hash. Every address and hash carries its source. Pool kinds the engine does not
price (Solidly-style, Algebra, Curve, Balancer, Uniswap V4, forks whose fee is unconfirmed)
are listed with ``supported = false`` and a reason, so nothing is silently mispriced.

    registry = load_registry()
    chain = registry.chain(42161)
    chain.token("USDC.e").decimals                      # 6
    [d.name for d in chain.dexes()]                      # supported ones only
    dex = chain.dex("uniswap_v3")
    dex.pool_address(chain.token("WETH").address, chain.token("USDC").address, fee=500)

A malformed file fails at load with a :class:`~arbstream.errors.ConfigError` naming the
entry. Base layer: imports only :mod:`arbstream.errors`, pydantic and eth_utils.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from eth_utils import keccak, to_checksum_address
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from arbstream.errors import ConfigError

__all__ = [
    "V3_FAMILIES",
    "Chain",
    "Dex",
    "Registry",
    "Token",
    "load_registry",
    "sort_tokens",
    "v2_pair_address",
    "v3_pool_address",
]

REGISTRY_FILE = "chains.toml"

#: fee tier (hundredths of a bip) -> tick spacing, as each factory enables them at deployment
V3_FAMILIES: dict[str, dict[int, int]] = {
    # UniswapV3Factory constructor (also SushiSwap V3, a byte-identical fork)
    "uniswap_v3": {100: 1, 500: 10, 3000: 60, 10000: 200},
    # PancakeV3Factory constructor
    "pancakeswap_v3": {100: 1, 500: 10, 2500: 50, 10000: 200},
}

Protocol = Literal[
    "v2", "v3", "algebra", "solidly", "solidly_cl", "curve", "balancer", "uniswap_v4"
]


def _checksummed(value: str) -> str:
    if not (isinstance(value, str) and len(value) == 42 and value.startswith("0x")):
        raise ValueError(f"not a 20-byte hex address: {value!r}")
    int(value[2:], 16)
    expected = to_checksum_address(value)
    if value != expected:
        raise ValueError(f"address {value} is not EIP-55 checksummed (expected {expected})")
    return value


def _hash32(value: str) -> str:
    if not (isinstance(value, str) and len(value) == 66 and value.startswith("0x")):
        raise ValueError(f"not a 32-byte hex hash: {value!r}")
    int(value[2:], 16)
    return value.lower()


def _address_bytes(address: str) -> bytes:
    raw = bytes.fromhex(address[2:] if address.startswith("0x") else address)
    if len(raw) != 20:
        raise ValueError(f"not a 20-byte address: {address!r}")
    return raw


def sort_tokens(token_a: str, token_b: str) -> tuple[str, str]:
    """The pair's (token0, token1): ordered by numeric address value, as the factories do."""
    if _address_bytes(token_a) == _address_bytes(token_b):
        raise ValueError(f"identical tokens: {token_a}")
    return (
        (token_a, token_b)
        if _address_bytes(token_a) < _address_bytes(token_b)
        else (token_b, token_a)
    )


def _create2(deployer: str, salt: bytes, init_code_hash: str) -> str:
    digest = keccak(b"\xff" + _address_bytes(deployer) + salt + bytes.fromhex(init_code_hash[2:]))
    return to_checksum_address(digest[12:])


def v2_pair_address(factory: str, token_a: str, token_b: str, init_code_hash: str) -> str:
    """CREATE2 address of a Uniswap-V2-style pair (UniswapV2Library.pairFor): salt =
    keccak256(abi.encodePacked(token0, token1))."""
    token0, token1 = sort_tokens(token_a, token_b)
    salt = keccak(_address_bytes(token0) + _address_bytes(token1))
    return _create2(factory, salt, init_code_hash)


def v3_pool_address(
    deployer: str, token_a: str, token_b: str, fee: int, init_code_hash: str
) -> str:
    """CREATE2 address of a Uniswap-V3-style pool (PoolAddress.computeAddress): salt =
    keccak256(abi.encode(token0, token1, fee)). ``deployer`` is the factory for Uniswap V3 and
    the separate PancakeV3PoolDeployer for PancakeSwap V3."""
    token0, token1 = sort_tokens(token_a, token_b)
    if not 0 <= fee < 2**24:
        raise ValueError(f"fee {fee} does not fit a uint24")
    salt = keccak(
        _address_bytes(token0).rjust(32, b"\0")
        + _address_bytes(token1).rjust(32, b"\0")
        + fee.to_bytes(32, "big")
    )
    return _create2(deployer, salt, init_code_hash)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Token(_Frozen):
    """An ERC-20 a searcher watches on one chain."""

    symbol: str = Field(min_length=1)
    address: str
    decimals: int = Field(ge=0, le=77)
    source: str = Field(min_length=1)
    #: other names the same contract is known by (WMATIC for WPOL)
    aliases: tuple[str, ...] = ()
    #: set on a distinct variant of another symbol (USDC.e / USDbC -> USDC)
    variant_of: str | None = None
    note: str | None = None

    _check_address = field_validator("address")(_checksummed)

    @property
    def names(self) -> tuple[str, ...]:
        """The symbol and its aliases."""
        return (self.symbol, *self.aliases)


class Dex(_Frozen):
    """One DEX deployment on one chain: how to find its pools and price them."""

    name: str = Field(min_length=1)
    label: str = Field(min_length=1)
    protocol: Protocol
    supported: bool
    reason: str | None = None
    #: V3 fee-tier family (a key of V3_FAMILIES)
    family: str | None = None
    #: V2: swap fee in basis points of the input amount
    fee_bps: int | None = Field(default=None, gt=0, lt=10_000)
    #: V3: enabled fees in hundredths of a bip, and their tick spacings (same order)
    fee_tiers: tuple[int, ...] = ()
    tick_spacings: tuple[int, ...] = ()
    factory: str | None = None
    #: CREATE2 deployer of the pools when it is not the factory (PancakeSwap V3)
    pool_deployer: str | None = None
    router: str | None = None
    vault: str | None = None
    init_code_hash: str | None = None
    source: str = Field(min_length=1)
    hash_source: str | None = None
    fee_source: str | None = None

    _check_addresses = field_validator("factory", "pool_deployer", "router", "vault")(
        lambda v: None if v is None else _checksummed(v)
    )
    _check_hash = field_validator("init_code_hash")(lambda v: None if v is None else _hash32(v))

    @model_validator(mode="after")
    def _consistent(self) -> Dex:
        if len(self.fee_tiers) != len(self.tick_spacings):
            raise ValueError("fee_tiers and tick_spacings differ in length")
        if self.fee_tiers:
            known = V3_FAMILIES.get(self.family or "")
            if known is None:
                raise ValueError(
                    f"fee tiers given but family {self.family!r} is not one of {sorted(V3_FAMILIES)}"
                )
            for fee, spacing in zip(self.fee_tiers, self.tick_spacings, strict=True):
                if known.get(fee) != spacing:
                    raise ValueError(
                        f"fee {fee} with tick spacing {spacing} disagrees with {self.family} ({known})"
                    )
        if not self.supported:
            if not self.reason:
                raise ValueError("an unsupported DEX needs a reason")
            return self
        if self.protocol not in ("v2", "v3"):
            raise ValueError(
                f"protocol {self.protocol} cannot be supported (the engine prices v2 and v3)"
            )
        if self.factory is None or self.init_code_hash is None:
            raise ValueError("a supported DEX needs factory and init_code_hash")
        if self.protocol == "v2" and self.fee_bps is None:
            raise ValueError("a supported v2 DEX needs fee_bps")
        if self.protocol == "v3" and not self.fee_tiers:
            raise ValueError("a supported v3 DEX needs fee_tiers and tick_spacings")
        return self

    @property
    def deployer(self) -> str | None:
        """The address pools are CREATE2-deployed from."""
        return self.pool_deployer or self.factory

    def tick_spacing(self, fee: int) -> int:
        """Tick spacing of the V3 fee tier ``fee``."""
        for tier, spacing in zip(self.fee_tiers, self.tick_spacings, strict=True):
            if tier == fee:
                return spacing
        raise KeyError(f"{self.name}: no fee tier {fee} (tiers {list(self.fee_tiers)})")

    def pool_address(self, token_a: str, token_b: str, fee: int | None = None) -> str:
        """CREATE2 address of this DEX's pool for the two tokens (and ``fee`` for V3)."""
        if self.protocol not in ("v2", "v3"):
            raise ValueError(f"{self.name}: no CREATE2 rule for protocol {self.protocol}")
        if self.deployer is None or self.init_code_hash is None:
            raise ValueError(f"{self.name}: no factory/init code hash to derive pool addresses")
        if self.protocol == "v2":
            if fee is not None:
                raise ValueError(f"{self.name}: a V2 pair has no fee tier")
            return v2_pair_address(self.deployer, token_a, token_b, self.init_code_hash)
        if fee is None:
            raise ValueError(f"{self.name}: a V3 pool needs its fee tier")
        self.tick_spacing(fee)
        return v3_pool_address(self.deployer, token_a, token_b, fee, self.init_code_hash)


class Chain(_Frozen):
    """One chain: its timing, its tokens and its DEXes."""

    id: int = Field(gt=0)
    name: str = Field(min_length=1)
    block_time_s: float = Field(gt=0)
    block_time_source: str = Field(min_length=1)
    block_time_note: str | None = None
    native_symbol: str = Field(min_length=1)
    #: symbol of the wrapped native token (one of ``tokens``)
    wrapped_native: str
    tokens: tuple[Token, ...]
    dexes_: tuple[Dex, ...] = Field(alias="dexes")

    @model_validator(mode="after")
    def _consistent(self) -> Chain:
        names: dict[str, Token] = {}
        by_address: dict[str, Token] = {}
        for token in self.tokens:
            for name in token.names:
                if name in names:
                    raise ValueError(
                        f"symbol {name} names two tokens ({names[name].address}, {token.address})"
                    )
                names[name] = token
            other = by_address.get(token.address)
            if other is not None:
                raise ValueError(
                    f"address {token.address} listed twice ({other.symbol}, {token.symbol})"
                )
            by_address[token.address] = token
        for token in self.tokens:
            if token.variant_of is not None and token.variant_of not in names:
                raise ValueError(f"{token.symbol} is a variant of unknown {token.variant_of}")
        if self.wrapped_native not in names:
            raise ValueError(f"wrapped native {self.wrapped_native} is not among the tokens")
        seen: set[str] = set()
        for dex in self.dexes_:
            if dex.name in seen:
                raise ValueError(f"DEX {dex.name} listed twice")
            seen.add(dex.name)
        return self

    def token(self, symbol: str) -> Token:
        """The token named ``symbol`` (or one of its aliases); KeyError if none."""
        for token in self.tokens:
            if symbol in token.names:
                return token
        raise KeyError(
            f"chain {self.id}: no token {symbol!r} (have {[t.symbol for t in self.tokens]})"
        )

    def token_by_address(self, address: str) -> Token | None:
        """The registry token at ``address`` (any case), or None."""
        wanted = address.lower()
        return next((t for t in self.tokens if t.address.lower() == wanted), None)

    @property
    def wrapped_native_token(self) -> Token:
        """The wrapped native token (WETH, WBNB, WPOL)."""
        return self.token(self.wrapped_native)

    def dexes(self, supported_only: bool = True) -> tuple[Dex, ...]:
        """The chain's DEXes; only those the engine prices unless ``supported_only`` is False."""
        return tuple(d for d in self.dexes_ if d.supported or not supported_only)

    def dex(self, name: str) -> Dex:
        """The DEX named ``name`` (supported or not); KeyError if none."""
        for dex in self.dexes_:
            if dex.name == name:
                return dex
        raise KeyError(f"chain {self.id}: no DEX {name!r} (have {[d.name for d in self.dexes_]})")


class Registry(_Frozen):
    """Every chain of the registry file."""

    schema_version: Literal[1]
    sources: dict[str, str] = {}
    chains: tuple[Chain, ...]

    @model_validator(mode="after")
    def _unique(self) -> Registry:
        ids = [c.id for c in self.chains]
        if len(ids) != len(set(ids)):
            raise ValueError(f"chain ids listed twice: {ids}")
        return self

    @property
    def chain_ids(self) -> tuple[int, ...]:
        """The chain ids, in file order."""
        return tuple(c.id for c in self.chains)

    def chain(self, chain_id: int) -> Chain:
        """The chain with id ``chain_id``; KeyError if the registry has none."""
        for chain in self.chains:
            if chain.id == chain_id:
                return chain
        raise KeyError(f"no chain {chain_id} in the registry (have {list(self.chain_ids)})")


def parse_registry(data: dict[str, Any], origin: str = "<data>") -> Registry:
    """Validate already-parsed registry data; ConfigError naming the bad entry."""
    try:
        return Registry.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = _describe_location(data, err["loc"])
            lines.append(f"  {where}: {err['msg']}")
        raise ConfigError(f"invalid chain registry {origin}:\n" + "\n".join(lines)) from exc


def _describe_location(data: Any, loc: tuple[int | str, ...]) -> str:
    """'chains[1] (id 56) > dexes[0] (pancakeswap_v2) > fee_bps' from a pydantic location."""
    parts: list[str] = []
    node = data
    for key in loc:
        label = f"{key}"
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
            node = node[key]
            name = (
                node.get("id", node.get("name", node.get("symbol")))
                if isinstance(node, dict)
                else None
            )
            label = f"[{key}]" + (f" ({name})" if name is not None else "")
            parts[-1] += label
            continue
        node = node.get(key) if isinstance(node, dict) else None
        parts.append(label)
    return " > ".join(parts) or "<root>"


def load_registry(path: str | Path | None = None) -> Registry:
    """Load and validate the registry; the packaged ``chains.toml`` unless ``path`` is given.

    The packaged registry is read once per process and shared (the models are frozen).
    """
    if path is None:
        return _packaged_registry()
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read chain registry {path}: {exc}") from exc
    return _parse_bytes(raw, str(path))


@functools.cache
def _packaged_registry() -> Registry:
    raw = resources.files(__name__).joinpath(REGISTRY_FILE).read_bytes()
    return _parse_bytes(raw, f"{__name__}/{REGISTRY_FILE}")


def _parse_bytes(raw: bytes, origin: str) -> Registry:
    try:
        data = tomllib.loads(raw.decode())
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"chain registry {origin} is not valid TOML: {exc}") from exc
    return parse_registry(data, origin)
