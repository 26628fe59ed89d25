"""The chain registry (arbstream/registry/chains.toml): checksums, hashes, sources, consistency,
required content, unsupported kinds, CREATE2 derivation against live pool addresses, and the
loader's errors on bad data.

The data checks read the raw TOML (not the loader) so they hold even if the loader's own
validation were loosened; checksums are recomputed with eth_utils.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from eth_utils import to_checksum_address

from arbstream.errors import ConfigError
from arbstream.registry import (
    Registry,
    load_registry,
    sort_tokens,
    v2_pair_address,
    v3_pool_address,
)

CHAIN_IDS = {1, 56, 42161, 8453, 137}
ADDRESS_KEYS = {"address", "factory", "pool_deployer", "router", "vault"}

#: the fee -> tick spacing each factory enables at deployment (UniswapV3Factory and
#: PancakeV3Factory constructors)
UNISWAP_V3_SPACINGS = {100: 1, 500: 10, 3000: 60, 10000: 200}
PANCAKESWAP_V3_SPACINGS = {100: 1, 500: 10, 2500: 50, 10000: 200}
V2_FEES_BPS = {"uniswap_v2": 30, "sushiswap_v2": 30, "quickswap_v2": 30, "pancakeswap_v2": 25}


def raw_registry() -> dict[str, Any]:
    text = resources.files("arbstream.registry").joinpath("chains.toml").read_text()
    return tomllib.loads(text)


def walk(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) for every key/value pair in the nested data."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from walk(item, f"{path}[{i}]")


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


def test_all_five_chains_present_with_required_tokens(registry: Registry) -> None:
    assert set(registry.chain_ids) == CHAIN_IDS
    for chain in registry.chains:
        assert chain.block_time_s > 0 and chain.block_time_source
        wrapped = chain.wrapped_native_token
        assert wrapped.decimals == 18, chain.name
        for symbol in ("USDC", "USDT", "DAI"):
            chain.token(symbol)
        bitcoin = [t for t in chain.tokens if t.symbol in ("WBTC", "BTCB", "cbBTC")]
        assert bitcoin, f"{chain.name}: no bitcoin token"
        assert chain.dexes(), f"{chain.name}: no supported DEX"
        protocols = {d.protocol for d in chain.dexes()}
        assert protocols == {"v2", "v3"}, f"{chain.name}: {protocols}"
    assert registry.chain(1).wrapped_native == "WETH"
    assert registry.chain(56).wrapped_native == "WBNB"
    assert registry.chain(137).token("WMATIC") is registry.chain(137).token("WPOL")
    # bridged variants kept apart from native USDC where both exist
    assert registry.chain(42161).token("USDC.e").variant_of == "USDC"
    assert registry.chain(137).token("USDC.e").variant_of == "USDC"
    assert registry.chain(8453).token("USDbC").variant_of == "USDC"


def test_bsc_stablecoins_have_18_decimals(registry: Registry) -> None:
    bsc = registry.chain(56)
    assert bsc.token("USDC").decimals == 18
    assert bsc.token("USDT").decimals == 18
    for chain_id in CHAIN_IDS - {56}:
        assert registry.chain(chain_id).token("USDC").decimals == 6
        assert registry.chain(chain_id).token("USDT").decimals == 6


def test_every_address_is_eip55_checksummed() -> None:
    data = raw_registry()
    seen = 0
    for path, key, value in walk(data):
        if key in ADDRESS_KEYS:
            assert isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{40}", value), (path, key)
            assert to_checksum_address(value) == value, f"{path}.{key}: {value} is not EIP-55"
            seen += 1
        elif isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{40}", value):
            pytest.fail(f"{path}.{key} holds an address under an unchecked key")
    assert seen > 80


def test_every_init_code_hash_is_32_bytes_hex() -> None:
    hashes = [(p, v) for p, k, v in walk(raw_registry()) if k == "init_code_hash"]
    assert len(hashes) > 20
    for path, value in hashes:
        assert re.fullmatch(r"0x[0-9a-f]{64}", value), f"{path}: {value!r}"


def test_every_entry_has_a_source() -> None:
    data = raw_registry()
    for chain in data["chains"]:
        assert chain["block_time_source"].startswith("https://"), chain["id"]
        for entry in (*chain["tokens"], *chain["dexes"]):
            name = entry.get("symbol") or entry.get("name")
            assert entry.get("source", "").startswith("https://"), (chain["id"], name)
            for key in ("hash_source", "fee_source"):
                if key in entry:
                    assert entry[key].startswith("https://"), (chain["id"], name, key)


def test_no_two_entries_disagree() -> None:
    data = raw_registry()
    for chain in data["chains"]:
        cid = chain["id"]
        by_symbol: dict[str, set[str]] = defaultdict(set)
        decimals_by_address: dict[str, set[int]] = defaultdict(set)
        for token in chain["tokens"]:
            for name in (token["symbol"], *token.get("aliases", ())):
                by_symbol[name].add(token["address"])
            decimals_by_address[token["address"].lower()].add(token["decimals"])
            if "variant_of" in token:
                assert token["variant_of"] != token["symbol"]
                assert token["variant_of"] in by_symbol or any(
                    t["symbol"] == token["variant_of"] for t in chain["tokens"]
                ), (cid, token["symbol"])
        for symbol, addresses in by_symbol.items():
            assert len(addresses) == 1, f"chain {cid}: {symbol} -> {addresses}"
        for address, decimals in decimals_by_address.items():
            assert len(decimals) == 1, f"chain {cid}: {address} has decimals {decimals}"
        # one token symbol per address too (distinct variants have distinct addresses)
        addresses = [t["address"].lower() for t in chain["tokens"]]
        assert len(addresses) == len(set(addresses)), cid
        names = [d["name"] for d in chain["dexes"]]
        assert len(names) == len(set(names)), cid
        factories = [d["factory"].lower() for d in chain["dexes"] if "factory" in d]
        assert len(factories) == len(set(factories)), f"chain {cid}: a factory listed twice"
        for dex in chain["dexes"]:
            tiers, spacings = dex.get("fee_tiers", []), dex.get("tick_spacings", [])
            assert len(tiers) == len(spacings), (cid, dex["name"])
            if dex["name"] in ("uniswap_v3", "sushiswap_v3"):
                assert dex["family"] == "uniswap_v3"
                assert dict(zip(tiers, spacings, strict=True)) == UNISWAP_V3_SPACINGS
            if dex["name"] == "pancakeswap_v3":
                assert dex["family"] == "pancakeswap_v3"
                assert dict(zip(tiers, spacings, strict=True)) == PANCAKESWAP_V3_SPACINGS
                assert "pool_deployer" in dex, (
                    "PancakeSwap V3 pools are deployed by the PoolDeployer"
                )
                assert dex["pool_deployer"] != dex["factory"], cid
            if dex["supported"] and dex["protocol"] == "v2":
                assert dex["fee_bps"] == V2_FEES_BPS[dex["name"]], (cid, dex["name"])


def test_same_dex_agrees_across_chains() -> None:
    """One DEX codebase -> one V3 fee schedule and (for the V3 forks) one init code hash."""
    by_name: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    for chain in raw_registry()["chains"]:
        for dex in chain["dexes"]:
            if dex["protocol"] == "v3":
                by_name[dex["name"]].add(
                    (tuple(dex["fee_tiers"]), tuple(dex["tick_spacings"]), dex["init_code_hash"])
                )
    for name, variants in by_name.items():
        assert len(variants) == 1, f"{name}: {variants}"


def test_unsupported_kinds_are_listed_with_a_reason(registry: Registry) -> None:
    for chain in registry.chains:
        for dex in chain.dexes(supported_only=False):
            if not dex.supported:
                assert dex.reason and len(dex.reason) > 20, (chain.id, dex.name)
                assert dex not in chain.dexes()
            if dex.protocol not in ("v2", "v3"):
                assert not dex.supported, (chain.id, dex.name)
    assert registry.chain(8453).dex("aerodrome").protocol == "solidly"
    assert not registry.chain(137).dex("quickswap_v3").supported
    assert registry.chain(137).dex("quickswap_v3").protocol == "algebra"
    assert not registry.chain(42161).dex("camelot_v2").supported
    assert not registry.chain(42161).dex("camelot_v3").supported
    for chain in registry.chains:
        assert not chain.dex("balancer_v2").supported
    kinds = {d.protocol for c in registry.chains for d in c.dexes(supported_only=False)}
    assert {"solidly", "algebra", "curve", "balancer"} <= kinds


#: (chain, dex, token a, token b, fee, live pool address): a real deployed pool for every
#: supported DEX on every chain. Uniswap's V3 deployment docs name the mainnet 0.3 % pool; the
#: others are main pools of their pair, each found under that name in independent public
#: integrations (and, for SushiSwap V3 on BSC/Polygon and PancakeSwap V3 on Base, in the
#: protocol's own subgraph or farm configs). A wrong factory, pool deployer, init code hash,
#: token address or fee encoding in the registry cannot reproduce them.
LIVE_POOLS = [
    (1, "uniswap_v2", "USDC", "WETH", None, "0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc"),
    (1, "sushiswap_v2", "USDC", "WETH", None, "0x397FF1542f962076d0BFE58eA045FfA2d347ACa0"),
    (1, "uniswap_v3", "USDC", "WETH", 500, "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640"),
    (1, "uniswap_v3", "USDC", "WETH", 3000, "0x8ad599c3A0ff1De082011EFDDc58f1908eb6e6D8"),
    (1, "sushiswap_v3", "USDC", "WETH", 500, "0x35644Fb61aFBc458bf92B15AdD6ABc1996Be5014"),
    (1, "pancakeswap_v3", "USDC", "WETH", 500, "0x1ac1A8FEaAEa1900C4166dEeed0C11cC10669D36"),
    (56, "pancakeswap_v2", "WBNB", "BUSD", None, "0x58F876857a02D6762E0101bb5C46A8c1ED44Dc16"),
    (56, "pancakeswap_v2", "WBNB", "USDT", None, "0x16b9a82891338f9bA80E2D6970FddA79D1eb0daE"),
    (56, "pancakeswap_v3", "WBNB", "USDT", 500, "0x36696169C63e42cd08ce11f5deeBbCeBae652050"),
    (56, "uniswap_v2", "WBNB", "USDT", None, "0x8a1Ed8e124fdFBD534bF48baF732E26db9Cc0Cf4"),
    (56, "uniswap_v3", "WBNB", "USDT", 500, "0x6fe9E9de56356F7eDBfcBB29FAB7cd69471a4869"),
    (56, "sushiswap_v2", "WBNB", "USDT", None, "0x2905817b020fD35D9d09672946362b62766f0d69"),
    (56, "sushiswap_v3", "WBNB", "USDT", 500, "0xC0E2792774b2F602F74f6056ED95AB958d253823"),
    (42161, "uniswap_v2", "WETH", "USDC", None, "0xF64Dfe17C8b87F012FCf50FbDA1D62bfA148366a"),
    (42161, "sushiswap_v2", "WETH", "USDC.e", None, "0x905dfCD5649217c42684f23958568e533C711Aa3"),
    (42161, "uniswap_v3", "WETH", "USDC", 500, "0xC6962004f452bE9203591991D15f6b388e09E8D0"),
    (42161, "sushiswap_v3", "WETH", "USDC", 500, "0xf3Eb87C1F6020982173C908E7eB31aA66c1f0296"),
    (42161, "pancakeswap_v3", "WETH", "USDC", 500, "0xd9e2a1a61B6E61b275cEc326465d417e52C1b95c"),
    (8453, "uniswap_v2", "WETH", "USDC", None, "0x88A43bbDF9D098eEC7bCEda4e2494615dfD9bB9C"),
    (8453, "sushiswap_v2", "WETH", "USDC", None, "0x2F8818D1B0f3e3E295440c1C0cDDf40aAA21fA87"),
    (8453, "uniswap_v3", "WETH", "USDC", 500, "0xd0b53D9277642d899DF5C87A3966A349A798F224"),
    (8453, "sushiswap_v3", "WETH", "USDC", 500, "0x57713F7716e0b0F65ec116912F834E49805480d2"),
    (8453, "pancakeswap_v3", "WETH", "USDC", 500, "0xB775272E537cc670C65DC852908aD47015244EaF"),
    (137, "quickswap_v2", "WPOL", "USDC.e", None, "0x6e7a5FAFcec6BB1e78bAE2A1F0B612012BF14827"),
    (137, "uniswap_v3", "WPOL", "USDC.e", 500, "0xA374094527e1673A86dE625aa59517c5dE346d32"),
    (137, "uniswap_v2", "WETH", "USDC.e", None, "0xdE32C9ebdd5f587E0F677d5AdCac593ecFfFD91A"),
    (137, "sushiswap_v2", "WETH", "USDC.e", None, "0x34965ba0ac2451A34a0471F04CCa3F990b8dea27"),
    (137, "sushiswap_v3", "WPOL", "USDC.e", 500, "0x21988C9CFD08db3b5793c2C6782271dC94749251"),
]


@pytest.mark.parametrize(("chain_id", "dex_name", "sym_a", "sym_b", "fee", "expected"), LIVE_POOLS)
def test_create2_derivation_matches_live_pools(
    registry: Registry,
    chain_id: int,
    dex_name: str,
    sym_a: str,
    sym_b: str,
    fee: int | None,
    expected: str,
) -> None:
    chain = registry.chain(chain_id)
    dex = chain.dex(dex_name)
    a, b = chain.token(sym_a).address, chain.token(sym_b).address
    assert dex.pool_address(a, b, fee) == expected
    assert dex.pool_address(b, a, fee) == expected  # order of the tokens does not matter


def test_live_pools_cover_every_supported_dex(registry: Registry) -> None:
    covered = {(cid, dex) for cid, dex, *_ in LIVE_POOLS}
    for chain in registry.chains:
        for dex in chain.dexes():
            assert (chain.id, dex.name) in covered, f"no live pool checks {dex.name} on {chain.id}"


def test_derivation_functions_directly() -> None:
    usdc = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
    weth = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
    assert sort_tokens(weth, usdc) == (usdc, weth)
    assert sort_tokens(weth.lower(), usdc) == (usdc, weth.lower())
    assert (
        v2_pair_address(
            "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f",
            weth,
            usdc,
            "0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f",
        )
        == "0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc"
    )
    assert (
        v3_pool_address(
            "0x1F98431c8aD98523631AE4a59f267346ea31F984",
            weth,
            usdc,
            500,
            "0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54",
        )
        == "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640"
    )
    with pytest.raises(ValueError, match="identical"):
        sort_tokens(weth, weth.lower())


def test_lookups(registry: Registry) -> None:
    arbitrum = registry.chain(42161)
    assert arbitrum.token_by_address(
        "0xff970a61a04b1ca14834a43f5de4533ebddb5cc8"
    ) is arbitrum.token("USDC.e")
    assert arbitrum.token_by_address("0x" + "00" * 20) is None
    assert arbitrum.token("USDT0") is arbitrum.token("USDT")
    pancake = registry.chain(56).dex("pancakeswap_v3")
    assert pancake.tick_spacing(2500) == 50
    assert pancake.deployer == pancake.pool_deployer != pancake.factory
    with pytest.raises(KeyError, match="fee tier 3000"):
        pancake.tick_spacing(3000)
    with pytest.raises(KeyError, match="no chain 10"):
        registry.chain(10)
    with pytest.raises(KeyError, match="no token 'XYZ'"):
        arbitrum.token("XYZ")
    with pytest.raises(ValueError, match="needs its fee tier"):
        pancake.pool_address(
            registry.chain(56).token("WBNB").address, registry.chain(56).token("USDT").address
        )
    with pytest.raises(ValueError, match="no CREATE2 rule"):
        registry.chain(8453).dex("aerodrome").pool_address(
            arbitrum.token("WETH").address, arbitrum.token("USDC").address
        )
    assert load_registry() is registry  # the packaged registry is read once


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


PACKAGED = resources.files("arbstream.registry").joinpath("chains.toml").read_text()
WETH_LINE = 'address = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"'


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (WETH_LINE, WETH_LINE.lower(), "not EIP-55 checksummed"),
        (
            "tick_spacings = [1, 10, 50, 200]",
            "tick_spacings = [1, 10, 60, 200]",
            "disagrees with pancakeswap_v3",
        ),
        (
            'protocol = "solidly"\nsupported = false',
            'protocol = "solidly"\nsupported = true',
            "cannot be supported",
        ),
        (
            'supported = false\nreason = "StableSwap',
            'supported = false\n# reason = "StableSwap',
            "needs a reason",
        ),
        ('symbol = "UNI"', 'symbol = "LINK"', "symbol LINK names two tokens"),
        (
            'symbol = "UNI"\naddress = "0x1f9840a85d5aF5bf1D1762F925BDADdC4201F984"',
            'symbol = "UNI"\naddress = "0x514910771AF9Ca656af840dff83E8264EcF986CA"',
            "listed twice",
        ),
        ('wrapped_native = "WBNB"', 'wrapped_native = "WXYZ"', "wrapped native WXYZ"),
        (
            'init_code_hash = "0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f"',
            'init_code_hash = "0x96e8ac42"',
            "32-byte",
        ),
        ("fee_bps = 25", "fee_bps = 0", "greater than 0"),
        ("id = 56", "id = 1", "chain ids listed twice"),
        ("schema_version = 1", "schema_version = 2", "schema_version"),
        ("[[chains]]\nid = 1", "[[chains]\nid = 1", "not valid TOML"),
    ],
)
def test_loader_rejects_bad_data(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = tmp_path / "chains.toml"
    path.write_text(_edit(PACKAGED, old, new))
    with pytest.raises(ConfigError, match=message):
        load_registry(path)


def test_loader_error_names_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "chains.toml"
    path.write_text(_edit(PACKAGED, "fee_bps = 25", "fee_bps = 0"))
    with pytest.raises(ConfigError) as info:
        load_registry(path)
    assert "chains[1] (56)" in str(info.value) and "pancakeswap_v2" in str(info.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_registry(tmp_path / "absent.toml")
