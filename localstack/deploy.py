"""Deploy a local DEX market (real Uniswap V2 bytecode) on an Anvil chain.

Everything is sent with explicit nonces and gas limits and waited on once per dependency
stage, so with `--block-time 1` a whole market costs ~3 blocks instead of one block per tx:

  stage 1 (deployer): WETH9, the ERC20s, per DEX a UniswapV2Factory and a UniswapV2Router02
      (their addresses are known in advance from the deployer's nonces), FlashArb.
  stage 2 (deployer + every trader, in parallel):
      deployer: wrap ETH, mint the ERC20s (to itself for liquidity and to the traders),
      createPair for every pool on every DEX (CREATE2 addresses known in advance),
      transfer both sides to each pair and `mint` the LP tokens;
      traders: wrap ETH and approve both routers for every token.

Every receipt is checked; a failed or missing transaction raises ChainError.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3 import AsyncWeb3
from web3.exceptions import TransactionNotFound

from arbstream.abi import (
    TEST_TOKEN_ABI,
    V2_FACTORY_ABI,
    V2_PAIR_ABI,
    WETH_ABI,
)
from arbstream.artifacts import load_artifact
from arbstream.errors import ChainError, ConfigError
from arbstream.localstack.anvil import DEV_MNEMONIC
from arbstream.localstack.market_spec import (
    DeployedMarket,
    DexInfo,
    MarketSpec,
    PoolInfo,
    TokenInfo,
    default_market_spec,
)

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_TRADER_INDICES",
    "DeployedMarket",
    "create2_address",
    "create_address",
    "deploy_market",
    "dev_account",
    "dev_traders",
    "sort_tokens",
]

#: Dev-mnemonic accounts funded as noise traders by default (0 is the usual deployer).
DEFAULT_TRADER_INDICES: tuple[int, ...] = (10, 11, 12, 13, 14)
MAX_UINT256 = 2**256 - 1
GWEI = 10**9

# Gas limits (measured gas used x ~1.2). Explicit limits let dependent transactions be sent
# before their dependencies are mined (estimation would fail against the not-yet-deployed code).
GAS_WETH9 = 730_000
GAS_TOKEN = 700_000
GAS_FACTORY = 3_700_000
GAS_ROUTER = 5_700_000
GAS_FLASH_ARB = 1_250_000
GAS_CREATE_PAIR = 2_800_000
GAS_DEPOSIT = 60_000
GAS_MINT_TOKEN = 85_000
GAS_TRANSFER = 65_000
GAS_PAIR_MINT = 190_000
GAS_APPROVE = 58_000


def dev_account(index: int) -> LocalAccount:
    """Account `index` of Anvil's default mnemonic (m/44'/60'/0'/0/index)."""
    Account.enable_unaudited_hdwallet_features()
    acct: LocalAccount = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return acct


def dev_traders(indices: Sequence[int] = DEFAULT_TRADER_INDICES) -> list[LocalAccount]:
    return [dev_account(i) for i in indices]


def _rlp_create(sender: bytes, nonce: int) -> bytes:
    if nonce == 0:
        enc_nonce = b"\x80"
    elif nonce < 0x80:
        enc_nonce = bytes([nonce])
    else:
        raw = nonce.to_bytes((nonce.bit_length() + 7) // 8, "big")
        enc_nonce = bytes([0x80 + len(raw)]) + raw
    payload = b"\x94" + sender + enc_nonce
    return bytes([0xC0 + len(payload)]) + payload


def create_address(sender: str, nonce: int) -> str:
    """Address of the contract `sender` creates with `nonce` (CREATE)."""
    sender_b = bytes.fromhex(sender.removeprefix("0x"))
    return to_checksum_address(keccak(_rlp_create(sender_b, nonce))[12:])


def sort_tokens(token_a: str, token_b: str) -> tuple[str, str]:
    """(token0, token1) as UniswapV2Factory sorts them."""
    a, b = to_checksum_address(token_a), to_checksum_address(token_b)
    return (a, b) if int(a, 16) < int(b, 16) else (b, a)


def create2_address(factory: str, token_a: str, token_b: str, init_code_hash: str) -> str:
    """Address of the V2 pair of two tokens created by `factory` (CREATE2)."""
    t0, t1 = sort_tokens(token_a, token_b)
    salt = keccak(bytes.fromhex(t0[2:]) + bytes.fromhex(t1[2:]))
    raw = (
        b"\xff"
        + bytes.fromhex(factory.removeprefix("0x"))
        + salt
        + bytes.fromhex(init_code_hash.removeprefix("0x"))
    )
    return to_checksum_address(keccak(raw)[12:])


@dataclass
class _Sent:
    label: str
    tx_hash: str
    sender: str


@dataclass
class _Stage:
    """Signed transactions sent without waiting; `wait()` checks all their receipts."""

    w3: AsyncWeb3[Any]
    chain_id: int
    max_fee: int
    tip: int
    nonces: dict[str, int] = field(default_factory=dict)
    sent: list[_Sent] = field(default_factory=list)
    gas_budget: int = 0

    async def nonce_for(self, account: LocalAccount) -> int:
        if account.address not in self.nonces:
            self.nonces[account.address] = await self.w3.eth.get_transaction_count(
                account.address, "pending"
            )
        return self.nonces[account.address]

    async def send(
        self,
        account: LocalAccount,
        label: str,
        *,
        to: str | None,
        data: str | bytes = b"",
        gas: int,
        value: int = 0,
    ) -> str:
        nonce = await self.nonce_for(account)
        tx: dict[str, Any] = {
            "chainId": self.chain_id,
            "nonce": nonce,
            "gas": gas,
            "maxFeePerGas": self.max_fee,
            "maxPriorityFeePerGas": self.tip,
            "value": value,
            "data": data,
            "type": 2,
        }
        if to is not None:
            tx["to"] = to
        raw = account.sign_transaction(tx).raw_transaction
        try:
            tx_hash = await self.w3.eth.send_raw_transaction(raw)
        except Exception as exc:
            raise ChainError(f"sending {label} failed: {exc}", chain_id=self.chain_id) from exc
        self.nonces[account.address] = nonce + 1
        self.gas_budget += gas
        hex_hash = "0x" + bytes(tx_hash).hex()
        self.sent.append(_Sent(label, hex_hash, account.address))
        return hex_hash

    async def wait(self, timeout: float = 120.0, poll: float = 0.05) -> list[dict[str, Any]]:
        """Wait until every sent transaction is mined; raise ChainError on any failure."""
        if not self.sent:
            return []
        deadline = time.monotonic() + timeout
        # Transactions of one sender are mined in nonce order: wait for each sender's last.
        last: dict[str, _Sent] = {}
        for s in self.sent:
            last[s.sender] = s
        pending = list(last.values())
        while pending:
            still = []
            for s in pending:
                try:
                    await self.w3.eth.get_transaction_receipt(s.tx_hash)  # type: ignore[arg-type]
                except TransactionNotFound:
                    still.append(s)
            pending = still
            if pending:
                if time.monotonic() > deadline:
                    raise ChainError(
                        f"{len(pending)} transaction(s) not mined after {timeout:.0f}s "
                        f"(first: {pending[0].label})",
                        chain_id=self.chain_id,
                        tx=pending[0].tx_hash,
                    )
                await asyncio.sleep(poll)
        receipts = await asyncio.gather(
            *(self.w3.eth.get_transaction_receipt(s.tx_hash) for s in self.sent)  # type: ignore[arg-type]
        )
        for s, rcpt in zip(self.sent, receipts, strict=True):
            if rcpt["status"] != 1:
                raise ChainError(
                    f"deploy step {s.label!r} reverted (gas used {rcpt['gasUsed']})",
                    chain_id=self.chain_id,
                    tx=s.tx_hash,
                )
        out = [dict(r) for r in receipts]
        self.sent = []
        return out


def _units(usd: float, price: float, decimals: int) -> int:
    return round(usd / price * 10**decimals)


async def deploy_market(
    w3: AsyncWeb3[Any],
    chain_id: int,
    deployer: LocalAccount,
    spec: MarketSpec | None = None,
    *,
    traders: Sequence[LocalAccount] | None = None,
    timeout: float = 120.0,
) -> DeployedMarket:
    """Deploy `spec` (default: `default_market_spec(chain_id)`) and return its addresses.

    `deployer` pays for everything, seeds the pools and owns the tokens and the FlashArb
    contract. `traders` (default: dev accounts 10-14) get tokens, WETH and router approvals.
    """
    started = time.monotonic()
    spec = spec or default_market_spec(chain_id)
    if spec.chain_id != chain_id:
        raise ConfigError(f"market spec is for chain {spec.chain_id}, not {chain_id}")
    on_chain = await w3.eth.chain_id
    if on_chain != chain_id:
        raise ChainError(f"node reports chain id {on_chain}", chain_id=chain_id)
    trader_accts = list(traders) if traders is not None else dev_traders()

    weth9 = load_artifact("WETH9")
    token_art = load_artifact("TestToken")
    factory_art = load_artifact("UniswapV2Factory")
    router_art = load_artifact("UniswapV2Router02")
    pair_art = load_artifact("UniswapV2Pair")
    arb_art = load_artifact("FlashArb")
    init_code_hash = "0x" + keccak(pair_art.bytecode_bytes).hex()

    latest = await w3.eth.get_block("latest")
    base_fee = int(latest.get("baseFeePerGas", GWEI) or GWEI)
    tip = GWEI // 10
    stage = _Stage(w3, chain_id, max_fee=base_fee * 4 + tip, tip=tip)

    weth_liq_wei = 0
    for dspec in spec.dexes:
        for pool in spec.pools:
            for sym in (pool.token_a, pool.token_b):
                tok = spec.token(sym)
                if tok.wrapped_native:
                    usd = dspec.liquidity_usd * pool.liquidity_scale / 2
                    weth_liq_wei += _units(usd, tok.usd_price, tok.decimals)
    need = weth_liq_wei + stage.max_fee * 60_000_000
    have = await w3.eth.get_balance(deployer.address)
    if have < need:
        raise ConfigError(
            f"chain {chain_id}: deployer {deployer.address} has {have / 1e18:.1f} ETH, "
            f"the market needs {need / 1e18:.1f} ETH of liquidity and gas"
        )

    # ---- stage 1: contracts (addresses from the deployer's nonces)
    codec = w3.codec
    addresses: dict[str, str] = {}

    async def deploy(label: str, bytecode: str, ctor: bytes, gas: int) -> str:
        addr = create_address(deployer.address, await stage.nonce_for(deployer))
        await stage.send(deployer, f"deploy {label}", to=None, data=bytecode + ctor.hex(), gas=gas)
        addresses[label] = addr
        return addr

    tokens: dict[str, TokenInfo] = {}
    for tok in spec.tokens:
        if tok.wrapped_native:
            addr = await deploy(tok.symbol, weth9.bytecode, b"", GAS_WETH9)
        else:
            ctor = codec.encode(["string", "string", "uint8"], [tok.name, tok.symbol, tok.decimals])
            addr = await deploy(tok.symbol, token_art.bytecode, ctor, GAS_TOKEN)
        tokens[tok.symbol] = TokenInfo(tok.symbol, addr, tok.decimals, tok.usd_price)
    weth_addr = tokens[spec.wrapped_native.symbol].address

    dexes: list[DexInfo] = []
    for dspec in spec.dexes:
        factory = await deploy(
            f"{dspec.name} factory",
            factory_art.bytecode,
            codec.encode(["address"], [deployer.address]),
            GAS_FACTORY,
        )
        router = await deploy(
            f"{dspec.name} router",
            router_art.bytecode,
            codec.encode(["address", "address"], [factory, weth_addr]),
            GAS_ROUTER,
        )
        dexes.append(DexInfo(dspec.name, factory, router, dspec.fee_bps, init_code_hash))
    arb = await deploy("FlashArb", arb_art.bytecode, b"", GAS_FLASH_ARB)
    log.info(
        "chain %s: stage 1 sent (%d contracts, gas budget %d)",
        chain_id,
        len(stage.sent),
        stage.gas_budget,
    )
    receipts = await stage.wait(timeout)
    deploy_block = min(int(r["blockNumber"]) for r in receipts)
    for r in receipts:
        if (
            r.get("contractAddress") is not None
            and to_checksum_address(r["contractAddress"]) not in addresses.values()
        ):
            raise ChainError(
                f"unexpected contract address {r['contractAddress']} (nonce drift?)",
                chain_id=chain_id,
            )

    # ---- stage 2: liquidity (deployer) and trader funding, in parallel
    erc20 = w3.eth.contract(abi=TEST_TOKEN_ABI)
    weth_c = w3.eth.contract(abi=WETH_ABI)
    factory_c = w3.eth.contract(abi=V2_FACTORY_ABI)
    pair_c = w3.eth.contract(abi=V2_PAIR_ABI)
    stage.gas_budget = 0

    mint_needed: dict[str, int] = {t.symbol: 0 for t in spec.tokens}
    seeds: list[tuple[DexInfo, PoolInfo, dict[str, int]]] = []
    for dex_spec, dex in zip(spec.dexes, dexes, strict=True):
        for pool in spec.pools:
            usd = dex_spec.liquidity_usd * pool.liquidity_scale / 2
            amounts = {}
            for sym in (pool.token_a, pool.token_b):
                tok = spec.token(sym)
                amounts[sym] = _units(usd, tok.usd_price, tok.decimals)
                mint_needed[sym] += amounts[sym]
            t0, t1 = sort_tokens(tokens[pool.token_a].address, tokens[pool.token_b].address)
            pair = create2_address(dex.factory, t0, t1, init_code_hash)
            seeds.append((dex, PoolInfo(dex.name, pair, t0, t1), amounts))

    await stage.send(
        deployer, "wrap liquidity ETH", to=weth_addr, data=weth_c.encode_abi("deposit"),
        gas=GAS_DEPOSIT, value=weth_liq_wei,
    )  # fmt: skip
    for tok in spec.tokens:
        if tok.wrapped_native:
            continue
        addr = tokens[tok.symbol].address
        await stage.send(
            deployer, f"mint {tok.symbol} liquidity", to=addr,
            data=erc20.encode_abi("mint", args=[deployer.address, mint_needed[tok.symbol]]),
            gas=GAS_MINT_TOKEN,
        )  # fmt: skip
        per_trader = _units(spec.trader_token_usd, tok.usd_price, tok.decimals)
        for trader in trader_accts:
            await stage.send(
                deployer, f"mint {tok.symbol} to trader {trader.address}", to=addr,
                data=erc20.encode_abi("mint", args=[trader.address, per_trader]),
                gas=GAS_MINT_TOKEN,
            )  # fmt: skip
    for dex, pool_info, _ in seeds:
        await stage.send(
            deployer, f"{dex.name} createPair {pool_info.address}", to=dex.factory,
            data=factory_c.encode_abi("createPair", args=[pool_info.token0, pool_info.token1]),
            gas=GAS_CREATE_PAIR,
        )  # fmt: skip
    for dex, pool_info, amounts in seeds:
        for sym, amount in amounts.items():
            await stage.send(
                deployer, f"{dex.name} seed {sym} -> {pool_info.address}", to=tokens[sym].address,
                data=erc20.encode_abi("transfer", args=[pool_info.address, amount]),
                gas=GAS_TRANSFER,
            )  # fmt: skip
        await stage.send(
            deployer, f"{dex.name} mint LP {pool_info.address}", to=pool_info.address,
            data=pair_c.encode_abi("mint", args=[deployer.address]),
            gas=GAS_PAIR_MINT,
        )  # fmt: skip

    trader_weth = round(spec.trader_weth * 10**18)
    for trader in trader_accts:
        if trader_weth:
            await stage.send(
                trader, "trader wrap ETH", to=weth_addr, data=weth_c.encode_abi("deposit"),
                gas=GAS_DEPOSIT, value=trader_weth,
            )  # fmt: skip
        for tok_info in tokens.values():
            for dex in dexes:
                await stage.send(
                    trader, f"trader approve {tok_info.symbol} to {dex.name}", to=tok_info.address,
                    data=erc20.encode_abi("approve", args=[dex.router, MAX_UINT256]),
                    gas=GAS_APPROVE,
                )  # fmt: skip
    log.info(
        "chain %s: stage 2 sent (%d txs, gas budget %d)",
        chain_id,
        len(stage.sent),
        stage.gas_budget,
    )
    await stage.wait(timeout)

    # The pair addresses were predicted: check them against the factories.
    pools = [p for _, p, _ in seeds]
    got = await asyncio.gather(
        *(
            w3.eth.contract(address=d.factory, abi=V2_FACTORY_ABI)  # type: ignore[call-overload]
            .functions.getPair(p.token0, p.token1)
            .call()
            for d, p, _ in seeds
        )
    )
    for p, actual in zip(pools, got, strict=True):
        if to_checksum_address(actual) != p.address:
            raise ChainError(
                f"{p.dex} pair {p.token0}/{p.token1} is at {actual}, predicted {p.address} "
                "(init code hash mismatch?)",
                chain_id=chain_id,
            )

    market = DeployedMarket(
        chain_id=chain_id,
        name=spec.name,
        weth=weth_addr,
        tokens=tokens,
        dexes=dexes,
        pools=pools,
        arb_contract=arb,
        deploy_block=deploy_block,
        arb_owner=deployer.address,
        traders=[t.address for t in trader_accts],
    )
    log.info(
        "chain %s: deployed market %s in %.2fs: %d tokens, %d dexes, %d pools, FlashArb %s, "
        "deploy block %s",
        chain_id, spec.name, time.monotonic() - started, len(tokens), len(dexes), len(pools), arb,
        deploy_block,
    )  # fmt: skip
    return market
