"""What a local DEX market looks like: the spec to deploy, and the deployed result.

`default_market_spec(chain_id)` describes a realistic market per modelled chain: a wrapped
native token (the real WETH9 bytecode), four mintable ERC20s (USDC, USDT, WBTC, DAI) with the
chain's real decimals, and two Uniswap-V2 DEXes with the same five pools (WETH/USDC,
WETH/USDT, WETH/WBTC, WETH/DAI, USDC/USDT) but different depth: the second DEX is ~5x
shallower, so noise flow moves it more and cross-DEX dislocations appear by themselves.

Naming decision: the wrapped-native slot is the WETH9 contract on every chain and is called
"WETH" everywhere (WETH9's on-chain `symbol()` is hard-coded to "WETH"), priced like ETH. On
BSC/Polygon it stands where WBNB/WPOL would be; keeping one symbol and price keeps pair keys
("WETH/USDC") and prices uniform across chains. Likewise BSC's BTCB keeps the symbol "WBTC"
(its token name says BTCB) with 18 decimals.

`DeployedMarket` is what `deploy_market` returns; it round-trips through JSON
(`to_dict`/`from_dict`) so other processes can load the addresses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from arbstream.errors import ConfigError

CHAIN_NAMES: dict[int, str] = {
    1: "ethereum",
    56: "bsc",
    137: "polygon",
    8453: "base",
    42161: "arbitrum",
}

#: USD prices the pools are seeded at.
DEFAULT_USD_PRICES: dict[str, float] = {
    "WETH": 3000.0,
    "WBTC": 60000.0,
    "USDC": 1.0,
    "USDT": 1.0,
    "DAI": 1.0,
}

#: The five pools every default market has, on every DEX.
DEFAULT_POOLS: tuple[tuple[str, str], ...] = (
    ("WETH", "USDC"),
    ("WETH", "USDT"),
    ("WETH", "WBTC"),
    ("WETH", "DAI"),
    ("USDC", "USDT"),
)


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """One token. `wrapped_native` marks the WETH9 contract (deposit/withdraw ETH)."""

    symbol: str
    name: str
    decimals: int
    usd_price: float
    wrapped_native: bool = False


@dataclass(frozen=True, slots=True)
class DexSpec:
    """One Uniswap-V2 deployment (own factory + router).

    `liquidity_usd` is each pool's total value locked (both sides) at seeding. `fee_bps` is
    recorded for the pricing code; the real V2 bytecode hard-codes 30 bps (997/1000).
    """

    name: str
    liquidity_usd: float
    fee_bps: int = 30


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """A pool of two token symbols; `liquidity_scale` multiplies the DEX's `liquidity_usd`."""

    token_a: str
    token_b: str
    liquidity_scale: float = 1.0

    @property
    def label(self) -> str:
        return f"{self.token_a}/{self.token_b}"


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """A market to deploy on one chain. Pools are created on every DEX."""

    chain_id: int
    name: str
    tokens: tuple[TokenSpec, ...]
    dexes: tuple[DexSpec, ...]
    pools: tuple[PoolSpec, ...]
    #: Units of each ERC20 worth this many USD are minted to every trader.
    trader_token_usd: float = 5_000_000.0
    #: ETH each trader wraps into WETH.
    trader_weth: float = 1_500.0

    def __post_init__(self) -> None:
        symbols = [t.symbol for t in self.tokens]
        if len(set(symbols)) != len(symbols):
            raise ConfigError(
                f"market spec chain {self.chain_id}: duplicate token symbols {symbols}"
            )
        natives = [t for t in self.tokens if t.wrapped_native]
        if len(natives) != 1:
            raise ConfigError(
                f"market spec chain {self.chain_id}: exactly one wrapped-native token needed, "
                f"got {[t.symbol for t in natives]}"
            )
        names = [d.name for d in self.dexes]
        if not names or len(set(names)) != len(names):
            raise ConfigError(f"market spec chain {self.chain_id}: bad dex names {names}")
        for pool in self.pools:
            for sym in (pool.token_a, pool.token_b):
                if sym not in symbols:
                    raise ConfigError(
                        f"market spec chain {self.chain_id}: pool {pool.label} uses unknown token {sym}"
                    )
            if pool.token_a == pool.token_b:
                raise ConfigError(
                    f"market spec chain {self.chain_id}: pool {pool.label} is degenerate"
                )

    @property
    def wrapped_native(self) -> TokenSpec:
        return next(t for t in self.tokens if t.wrapped_native)

    def token(self, symbol: str) -> TokenSpec:
        for t in self.tokens:
            if t.symbol == symbol:
                return t
        raise KeyError(symbol)


def _tokens(usdc: int, usdt: int, wbtc: int, dai: int, btc_name: str) -> tuple[TokenSpec, ...]:
    p = DEFAULT_USD_PRICES
    return (
        TokenSpec("WETH", "Wrapped Ether", 18, p["WETH"], wrapped_native=True),
        TokenSpec("USDC", "USD Coin", usdc, p["USDC"]),
        TokenSpec("USDT", "Tether USD", usdt, p["USDT"]),
        TokenSpec("WBTC", btc_name, wbtc, p["WBTC"]),
        TokenSpec("DAI", "Dai Stablecoin", dai, p["DAI"]),
    )


#: chain id -> (token decimals usdc, usdt, wbtc, dai, btc token name, dex names, deep TVL USD)
_CHAIN_DEFAULTS: dict[int, tuple[int, int, int, int, str, tuple[str, str], float]] = {
    1: (6, 6, 8, 18, "Wrapped BTC", ("uniswap_v2", "sushiswap"), 5_000_000.0),
    56: (18, 18, 18, 18, "BTCB Token", ("pancakeswap", "biswap"), 4_000_000.0),
    42161: (6, 6, 8, 18, "Wrapped BTC", ("sushiswap", "camelot"), 3_000_000.0),
    8453: (6, 6, 8, 18, "Coinbase Wrapped BTC", ("baseswap", "sushiswap"), 3_000_000.0),
    137: (6, 6, 8, 18, "Wrapped BTC", ("quickswap", "sushiswap"), 2_500_000.0),
}

#: The second DEX of every default market is this many times shallower than the first.
SHALLOW_FACTOR = 5.0


def default_market_spec(chain_id: int) -> MarketSpec:
    """The default market for a modelled chain (1, 56, 137, 8453, 42161)."""
    try:
        usdc, usdt, wbtc, dai, btc_name, (deep, shallow), tvl = _CHAIN_DEFAULTS[chain_id]
    except KeyError:
        raise ConfigError(
            f"no default market for chain {chain_id}; known: {sorted(_CHAIN_DEFAULTS)}"
        ) from None
    return MarketSpec(
        chain_id=chain_id,
        name=CHAIN_NAMES[chain_id],
        tokens=_tokens(usdc, usdt, wbtc, dai, btc_name),
        dexes=(
            DexSpec(deep, liquidity_usd=tvl, fee_bps=30),
            DexSpec(shallow, liquidity_usd=tvl / SHALLOW_FACTOR, fee_bps=30),
        ),
        pools=tuple(PoolSpec(a, b) for a, b in DEFAULT_POOLS),
    )


# --------------------------------------------------------------------------- deployed market


@dataclass(frozen=True, slots=True)
class TokenInfo:
    symbol: str
    address: str
    decimals: int
    usd_price: float


@dataclass(frozen=True, slots=True)
class DexInfo:
    name: str
    factory: str
    router: str
    fee_bps: int
    init_code_hash: str


@dataclass(frozen=True, slots=True)
class PoolInfo:
    """A V2 pair; token0 < token1 (by address, as the factory sorts them)."""

    dex: str
    address: str
    token0: str
    token1: str


@dataclass(slots=True)
class DeployedMarket:
    """Addresses of a deployed market (checksummed), JSON round-trippable."""

    chain_id: int
    name: str
    weth: str
    tokens: dict[str, TokenInfo]
    dexes: list[DexInfo]
    pools: list[PoolInfo]
    arb_contract: str
    deploy_block: int
    #: Owner of `arb_contract` (the deployer).
    arb_owner: str = ""
    #: Accounts funded with tokens and router approvals by the deployment.
    traders: list[str] = field(default_factory=list)

    # -- lookups
    def token(self, symbol: str) -> TokenInfo:
        return self.tokens[symbol]

    def symbol_of(self, address: str) -> str:
        low = address.lower()
        for sym, tok in self.tokens.items():
            if tok.address.lower() == low:
                return sym
        raise KeyError(address)

    def dex(self, name: str) -> DexInfo:
        for d in self.dexes:
            if d.name == name:
                return d
        raise KeyError(name)

    def pool(self, dex: str, token_a: str, token_b: str) -> PoolInfo:
        """The pool of `dex` holding the two tokens (symbols or addresses)."""
        want = {self._addr(token_a).lower(), self._addr(token_b).lower()}
        for p in self.pools:
            if p.dex == dex and {p.token0.lower(), p.token1.lower()} == want:
                return p
        raise KeyError(f"{dex}:{token_a}/{token_b}")

    def pool_label(self, pool: PoolInfo) -> str:
        return f"{self.symbol_of(pool.token0)}/{self.symbol_of(pool.token1)}"

    def _addr(self, token: str) -> str:
        return token if token.startswith("0x") else self.tokens[token].address

    # -- serialization
    def to_dict(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "name": self.name,
            "weth": self.weth,
            "tokens": {
                sym: {"address": t.address, "decimals": t.decimals, "usd_price": t.usd_price}
                for sym, t in self.tokens.items()
            },
            "dexes": [
                {
                    "name": d.name,
                    "factory": d.factory,
                    "router": d.router,
                    "fee_bps": d.fee_bps,
                    "init_code_hash": d.init_code_hash,
                }
                for d in self.dexes
            ],
            "pools": [
                {"dex": p.dex, "address": p.address, "token0": p.token0, "token1": p.token1}
                for p in self.pools
            ],
            "arb_contract": self.arb_contract,
            "arb_owner": self.arb_owner,
            "deploy_block": self.deploy_block,
            "traders": list(self.traders),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeployedMarket:
        try:
            return cls(
                chain_id=int(data["chain_id"]),
                name=str(data["name"]),
                weth=str(data["weth"]),
                tokens={
                    sym: TokenInfo(
                        symbol=sym,
                        address=str(t["address"]),
                        decimals=int(t["decimals"]),
                        usd_price=float(t["usd_price"]),
                    )
                    for sym, t in data["tokens"].items()
                },
                dexes=[
                    DexInfo(
                        name=str(d["name"]),
                        factory=str(d["factory"]),
                        router=str(d["router"]),
                        fee_bps=int(d["fee_bps"]),
                        init_code_hash=str(d["init_code_hash"]),
                    )
                    for d in data["dexes"]
                ],
                pools=[
                    PoolInfo(
                        dex=str(p["dex"]),
                        address=str(p["address"]),
                        token0=str(p["token0"]),
                        token1=str(p["token1"]),
                    )
                    for p in data["pools"]
                ],
                arb_contract=str(data["arb_contract"]),
                deploy_block=int(data["deploy_block"]),
                arb_owner=str(data.get("arb_owner", "")),
                traders=[str(a) for a in data.get("traders", [])],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"invalid deployed market description: {exc!r}") from exc

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text: str) -> DeployedMarket:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"invalid deployed market JSON: {exc}") from exc
        return cls.from_dict(data)
