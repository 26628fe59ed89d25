"""Revalidate, simulate, then execute one opportunity on one chain.

The executor is the only holder of a key. For every opportunity it:
1. refuses stale ones (older than ``max_age_s``) without touching the chain;
2. re-reads both pools' reserves at the latest block into the V2 pool model and re-sizes
   the cycle with the strategy module the detector used (:mod:`arbstream.streams.strategy`);
   refuses when the edge no longer covers gas, or is below the estimate the detector
   emitted (the detector emits a fresh opportunity for the new state);
3. applies risk limits (trade size, gas price, consecutive reverts);
4. simulates ``FlashArb.execute`` with ``eth_call`` and refuses on revert or when the
   simulated profit is below the required minimum;
5. only when armed, sends the transaction with that minimum as the on-chain
   ``minProfit`` (so it reverts rather than under-delivers) and reads the realized profit
   from the contract's ``ArbExecuted`` event and each leg's realized amounts from its
   pool's ``Swap`` log in the receipt.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import AsyncWeb3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3Exception
from web3.logs import DISCARD

from arbstream.abi import FLASH_ARB_ABI, SWAP_TOPIC, V2_PAIR_ABI
from arbstream.config import ChainConfig, ExecutorConfig
from arbstream.cyext.pools import PoolModel
from arbstream.cyext.v2_pool import V2PoolState
from arbstream.errors import ExecutionError, SchemaError
from arbstream.executor import decision
from arbstream.schemas import Execution, ExecutionLeg, Leg, Opportunity, now_ms
from arbstream.streams import strategy
from arbstream.streams.valuation import Valuation

log = logging.getLogger(__name__)


class ChainExecutor:
    """Executes opportunities of one chain, one at a time (one nonce sequence)."""

    def __init__(
        self, chain: ChainConfig, w3: AsyncWeb3, account: LocalAccount | None, cfg: ExecutorConfig
    ) -> None:
        if not chain.arb_contract:
            raise ValueError(f"chain {chain.chain_id}: no arb_contract configured")
        self.chain = chain
        self.w3 = w3
        self.account = account
        self.cfg = cfg
        self.valuation = Valuation(chain)
        self.contract = w3.eth.contract(
            address=AsyncWeb3.to_checksum_address(chain.arb_contract), abi=FLASH_ARB_ABI
        )
        self.lock = asyncio.Lock()
        self.consecutive_reverts = 0

    def _result(self, opp: Opportunity, status: str, reason: str = "", **fields: Any) -> Execution:
        if status == "rejected":
            log.info("chain %s: rejected %s: %s", opp.chain_id, opp.id, reason)
        return Execution(
            opportunity_id=opp.id,
            chain_id=opp.chain_id,
            status=status,
            reason=reason,
            profit_token=opp.profit_token,
            profit_symbol=opp.profit_symbol,
            **fields,
        )

    async def handle(self, opp: Opportunity) -> Execution:
        """The execution record of ``opp``; ExecutionError when a chain call fails."""
        async with self.lock:
            try:
                return await self._handle(opp)
            except (TimeoutError, Web3Exception, OSError) as exc:
                raise ExecutionError(
                    f"{type(exc).__name__}: {exc}", chain_id=opp.chain_id, opportunity_id=opp.id
                ) from exc

    async def _handle(self, opp: Opportunity) -> Execution:
        refusal = decision.precheck(
            opp, now_ms=now_ms(), consecutive_reverts=self.consecutive_reverts, cfg=self.cfg
        )
        if refusal:
            return self._result(opp, "rejected", refusal)

        # 1. revalidate on the latest state
        block = await self.w3.eth.get_block("latest")
        number = int(block["number"])
        token_in = opp.start_token
        borrow, sell = (AsyncWeb3.to_checksum_address(leg.pool) for leg in opp.legs)
        fresh = await asyncio.gather(*(self._pool_state(leg, number) for leg in opp.legs))
        try:
            cycle = strategy.cycle_from_legs(opp.legs, {p.address: p for p in fresh})
        except SchemaError as exc:
            return self._result(opp, "rejected", f"legs do not describe a cycle: {exc}")
        (sized,) = strategy.size([cycle])
        amount_in, profit = sized.amount_in, sized.profit
        base_fee = int(block.get("baseFeePerGas") or 0)
        gas_price = base_fee + self.chain.priority_fee_wei
        gas_cost_token, min_profit = decision.required_profit(opp, gas_price)
        refusal = decision.edge_refusal(opp, profit, min_profit, gas_cost_token, number)
        if refusal:
            fields = {"amount_in": amount_in, "expected_profit": profit} if profit > 0 else {}
            return self._result(opp, "rejected", refusal, **fields)

        # 2. risk limits
        trade_usd = self.valuation.usd(token_in, amount_in)
        refusal = decision.limit_refusal(trade_usd, gas_price, self.cfg)
        if refusal:
            return self._result(opp, "rejected", refusal, amount_in=amount_in)

        # 3. simulate
        call = self.contract.functions.execute(
            borrow,
            sell,
            AsyncWeb3.to_checksum_address(token_in),
            amount_in,
            opp.legs[0].fee_pips // 100,
            opp.legs[1].fee_pips // 100,
            min_profit,
        )
        sender = self.account.address if self.account else await self._owner()
        try:
            simulated = int(await call.call({"from": sender}, block_identifier=number))
        except ContractLogicError as exc:
            return self._result(
                opp,
                "rejected",
                f"simulation reverted: {exc.message or exc}",
                amount_in=amount_in,
                expected_profit=profit,
            )
        refusal = decision.simulation_refusal(simulated, min_profit)
        if refusal:
            return self._result(
                opp,
                "rejected",
                refusal,
                amount_in=amount_in,
                expected_profit=profit,
                simulated_profit=simulated,
            )
        if not self.cfg.armed or self.account is None:
            return self._result(
                opp,
                "simulated",
                "dry run (executor not armed)",
                amount_in=amount_in,
                expected_profit=profit,
                simulated_profit=simulated,
            )

        # 4. execute
        return await self._send(opp, call, sized, simulated, base_fee)

    async def _send(
        self,
        opp: Opportunity,
        call: Any,
        sized: strategy.SizedCycle,
        simulated: int,
        base_fee: int,
    ) -> Execution:
        assert self.account is not None
        amount_in, profit = sized.amount_in, sized.profit
        w3 = self.w3
        nonce = await w3.eth.get_transaction_count(self.account.address, "pending")
        tx = await call.build_transaction(
            {
                "from": self.account.address,
                "nonce": nonce,
                "chainId": self.chain.chain_id,
                "gas": int(opp.gas_estimate * 2),
                "maxPriorityFeePerGas": self.chain.priority_fee_wei,
                "maxFeePerGas": 2 * base_fee + self.chain.priority_fee_wei,
            }
        )
        signed = self.account.sign_transaction(tx)
        sent_at = time.monotonic()
        tx_hash = await w3.eth.send_raw_transaction(signed.raw_transaction)
        try:
            receipt = await w3.eth.wait_for_transaction_receipt(
                tx_hash, timeout=self.cfg.receipt_timeout_s, poll_latency=0.1
            )
        except TimeExhausted:
            return self._result(
                opp,
                "failed",
                f"no receipt after {self.cfg.receipt_timeout_s}s",
                tx_hash=tx_hash.to_0x_hex(),
                amount_in=amount_in,
                expected_profit=profit,
                simulated_profit=simulated,
            )
        gas_used = int(receipt["gasUsed"])
        price = int(receipt.get("effectiveGasPrice") or 0)
        common = dict(
            tx_hash=tx_hash.to_0x_hex(),
            block_number=int(receipt["blockNumber"]),
            amount_in=amount_in,
            expected_profit=profit,
            simulated_profit=simulated,
            gas_used=gas_used,
            effective_gas_price=price,
            gas_cost_wei=gas_used * price,
        )
        if int(receipt["status"]) != 1:
            self.consecutive_reverts += 1
            log.warning("chain %s: tx %s reverted", opp.chain_id, tx_hash.to_0x_hex())
            return self._result(
                opp,
                "reverted",
                "transaction reverted on chain",
                legs=realized_legs(sized, receipt),
                **common,
            )
        self.consecutive_reverts = 0
        events = self.contract.events.ArbExecuted().process_receipt(receipt, errors=DISCARD)
        realized = sum(int(e["args"]["profit"]) for e in events)
        log.info(
            "chain %s: executed %s in block %s: profit %s %s (%.1fs)",
            opp.chain_id,
            opp.id,
            receipt["blockNumber"],
            realized,
            opp.profit_symbol,
            time.monotonic() - sent_at,
        )
        return self._result(
            opp,
            "succeeded",
            "",
            realized_profit=realized,
            realized_profit_usd=self.valuation.usd(opp.profit_token, realized),
            legs=realized_legs(sized, receipt),
            **common,
        )

    async def _pool_state(self, leg: Leg, block: int) -> PoolModel:
        """The leg's V2 pool read at ``block`` (reserves from ``getReserves``; -1 log index:
        a state read over RPC, not from a log)."""
        pair: ChecksumAddress = AsyncWeb3.to_checksum_address(leg.pool)
        contract = self.w3.eth.contract(address=pair, abi=V2_PAIR_ABI)
        r0, r1, _ = await contract.functions.getReserves().call(block_identifier=block)
        token0, token1 = (
            (leg.token_in, leg.token_out) if leg.zero_for_one else (leg.token_out, leg.token_in)
        )
        return V2PoolState(
            address=leg.pool,
            token0=token0,
            token1=token1,
            fee_bps=leg.fee_pips // 100,
            reserve0=int(r0),
            reserve1=int(r1),
            block=block,
            log_index=-1,
            chain_id=leg.chain_id,
            dex=leg.dex,
        )

    async def _owner(self) -> str:
        return str(await self.contract.functions.owner().call())


def _swap_amounts(receipt: Any, pool: str) -> tuple[int, int, int, int] | None:
    """(amount0In, amount1In, amount0Out, amount1Out) of ``pool``'s V2 ``Swap`` log."""
    for entry in receipt["logs"]:
        topics = entry["topics"]
        if str(entry["address"]).lower() != pool.lower() or not topics:
            continue
        topic0 = topics[0] if isinstance(topics[0], str) else topics[0].to_0x_hex()
        if topic0.lower() != SWAP_TOPIC:
            continue
        data = bytes(entry["data"])
        words = [int.from_bytes(data[i : i + 32], "big") for i in range(0, 128, 32)]
        return words[0], words[1], words[2], words[3]
    return None


def realized_legs(sized: strategy.SizedCycle, receipt: Any) -> list[ExecutionLeg]:
    """Each leg's expected amounts and what its pool's ``Swap`` log in ``receipt`` says it
    took and paid (0 when the pool has no Swap log there, e.g. a reverted transaction)."""
    out = []
    for hop, expected_in, expected_out in zip(
        sized.cycle.hops, sized.hop_inputs(), sized.amounts, strict=True
    ):
        amounts = _swap_amounts(receipt, hop.pool.address)
        realized_in = realized_out = 0
        if amounts is not None:
            a0_in, a1_in, a0_out, a1_out = amounts
            realized_in, realized_out = (a0_in, a1_out) if hop.zero_for_one else (a1_in, a0_out)
        out.append(
            ExecutionLeg(
                pool=hop.pool.address,
                token_in=hop.token_in,
                token_out=hop.token_out,
                expected_in=expected_in,
                expected_out=expected_out,
                realized_in=realized_in,
                realized_out=realized_out,
            )
        )
    return out
