"""One ingestor per chain: newHeads + logs over WebSocket -> chain.blocks, dex.pools, dex.events.

On (re)connect it subscribes first, then backfills with ``eth_getLogs`` from where it
left off (or the configured start block) to the head, so nothing between the two is
lost; duplicates are dropped by event identity. Pools are discovered from the factories'
``PairCreated`` logs; Swap/Sync logs of unknown pools are ignored.

Events are framed for throughput (:mod:`arbstream.framing`): they collect in an outbox and
are published together, one record per (chain, partition of the pair key) in chain order,
whenever nothing more is waiting on the socket (live), after every ``eth_getLogs`` range
(backfill) and after a reorg is handled; every record is acknowledged by the broker before
the ingestor moves its checkpoint on.

Reorgs: a log delivered with ``removed: true`` is re-published as a retraction, and a
new head whose parent is not the block we saw at that height retracts the events of the
orphaned blocks and publishes the canonical blocks' logs (Anvil 1.7.1 never sends
``removed`` logs, so the parent-hash check is what catches reorgs there).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaProducer
from web3 import AsyncWeb3, WebSocketProvider
from web3.exceptions import Web3Exception
from websockets.exceptions import WebSocketException

from arbstream import metrics
from arbstream.config import MAX_REORG_DEPTH, ChainConfig, DexConfig, TopicsConfig
from arbstream.errors import SchemaError
from arbstream.framing import frame
from arbstream.ingest.decode import (
    PAIR_CREATED_TOPIC,
    POOL_TOPICS,
    PoolMeta,
    decode_header,
    decode_pair_created,
    decode_pool_log,
    hexstr,
    log_topic0,
)
from arbstream.log import publish
from arbstream.schemas import BlockHeader, PoolCreated, PoolEvent

log = logging.getLogger(__name__)

#: blocks of history kept for duplicate detection and reorg retraction
REORG_WINDOW = MAX_REORG_DEPTH
#: eth_getLogs block range per request during backfill
BACKFILL_STEP = 2_000
#: session failures counted as RPC errors (node, socket, timeout), not e.g. broker errors
RPC_FAILURES = (Web3Exception, WebSocketException, OSError)


@dataclasses.dataclass
class IngestStats:
    blocks: int = 0
    pools: int = 0
    events: int = 0
    retractions: int = 0
    last_block: int = -1


class ChainIngestor:
    def __init__(
        self, chain: ChainConfig, producer: AIOKafkaProducer, topics: TopicsConfig
    ) -> None:
        self.chain = chain
        self.producer = producer
        self.topics = topics
        self.factories: dict[str, DexConfig] = {d.factory: d for d in chain.dexes}
        self.pools: dict[str, PoolMeta] = {}
        self.stats = IngestStats()
        self.next_block = chain.start_block
        # block number -> hash we published for it; block hash -> pool events published in it
        self._hashes: OrderedDict[int, str] = OrderedDict()
        self._events: dict[str, list[PoolEvent]] = {}
        self._seen: set[tuple[Any, ...]] = set()
        self._outbox: list[PoolEvent] = []
        self._partitions = 0

    # -- lifecycle -------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Ingest until ``stop`` is set, reconnecting (with backfill) on connection loss."""
        sessions = 0
        while not stop.is_set():
            if sessions:
                metrics.WS_RECONNECTS.labels(chain=str(self.chain.chain_id)).inc()
            sessions += 1
            try:
                async with AsyncWeb3(WebSocketProvider(self.chain.ws_url)) as w3:
                    await self._session(w3, stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if stop.is_set():
                    break
                if isinstance(exc, RPC_FAILURES):
                    metrics.RPC_ERRORS.labels(chain=str(self.chain.chain_id)).inc()
                log.warning(
                    "chain %s: ingest session failed (%s); reconnecting", self.chain.chain_id, exc
                )
                await asyncio.sleep(1.0)

    async def _session(self, w3: AsyncWeb3, stop: asyncio.Event) -> None:
        cid = self.chain.chain_id
        await w3.eth.subscribe("newHeads")
        await w3.eth.subscribe("logs", {"topics": [[PAIR_CREATED_TOPIC, *POOL_TOPICS]]})
        head = await w3.eth.block_number
        start = max(self.chain.start_block, self.next_block - 2)
        if head >= start:
            log.info("chain %s: backfilling blocks %s..%s", cid, start, head)
            await self._backfill(w3, start, head)
        log.info("chain %s: live from block %s (%d pools)", cid, head, len(self.pools))
        stopper = asyncio.create_task(stop.wait())
        messages = w3.socket.process_subscriptions().__aiter__()
        try:
            while not stop.is_set():
                nxt = asyncio.ensure_future(messages.__anext__())
                await asyncio.sleep(0)  # lets it take a message that is already queued
                if not nxt.done():
                    await self.flush()  # nothing else waiting: publish what arrived together
                done, _ = await asyncio.wait({nxt, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if nxt not in done:
                    nxt.cancel()
                    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                        await nxt
                    break
                msg = nxt.result()
                result = msg.get("result") if isinstance(msg, Mapping) else None
                if not isinstance(result, Mapping):
                    continue
                if "parentHash" in result:
                    await self._on_head(w3, result)
                else:
                    await self._on_log(result)
        finally:
            stopper.cancel()
            await self.flush()

    # -- backfill --------------------------------------------------------------------------
    async def _backfill(self, w3: AsyncWeb3, start: int, end: int) -> None:
        for lo in range(start, end + 1, BACKFILL_STEP):
            hi = min(end, lo + BACKFILL_STEP - 1)
            entries = await w3.eth.get_logs(
                {"fromBlock": lo, "toBlock": hi, "topics": [[PAIR_CREATED_TOPIC, *POOL_TOPICS]]}
            )
            for entry in sorted(entries, key=lambda e: (int(e["blockNumber"]), int(e["logIndex"]))):
                await self._on_log(entry)
            await self.flush()
            self.next_block = hi + 1

    # -- handlers --------------------------------------------------------------------------
    async def _on_head(self, w3: AsyncWeb3, raw: Mapping[str, Any]) -> None:
        header = decode_header(raw, self.chain.chain_id)
        prev = self._hashes.get(header.number - 1)
        if prev is not None and prev != header.parent_hash:
            await self._handle_reorg(w3, header)
        old = self._hashes.get(header.number)
        if old is not None and old != header.hash:
            await self._retract_block(old)
        self._remember_block(header.number, header.hash)
        await publish(self.producer, self.topics.blocks, str(header.chain_id), header)
        metrics.events_out(self.topics.blocks, header.chain_id)
        metrics.HEAD_BLOCK.labels(chain=str(header.chain_id)).set(header.number)
        self.stats.blocks += 1
        self.stats.last_block = max(self.stats.last_block, header.number)
        self.next_block = max(self.next_block, header.number)

    async def _on_log(self, entry: Mapping[str, Any]) -> None:
        topic0 = log_topic0(entry)
        address = hexstr(entry["address"])
        try:
            if topic0 == PAIR_CREATED_TOPIC:
                dex = self.factories.get(address)
                if dex is not None:
                    await self._on_pool(
                        decode_pair_created(entry, self.chain.chain_id, dex.name, dex.fee_bps)
                    )
                return
            meta = self.pools.get(address)
            if meta is None:
                return
            event = decode_pool_log(entry, meta)
        except SchemaError as exc:
            log.warning(
                "chain %s: undecodable log at block %s tx %s: %s",
                self.chain.chain_id,
                entry.get("blockNumber"),
                hexstr(entry.get("transactionHash", b"")),
                exc,
            )
            return
        await self._publish_event(event)

    async def _on_pool(self, created: PoolCreated) -> None:
        if created.pool in self.pools:
            return
        self.pools[created.pool] = PoolMeta(
            created.chain_id,
            created.dex,
            created.pool,
            created.token0,
            created.token1,
            created.fee_bps,
        )
        await publish(
            self.producer, self.topics.pools, f"{created.chain_id}:{created.pool}", created
        )
        metrics.events_out(self.topics.pools, created.chain_id)
        self.stats.pools += 1
        log.info(
            "chain %s: pool %s %s/%s on %s",
            created.chain_id,
            created.pool,
            created.token0,
            created.token1,
            created.dex,
        )

    async def _publish_event(self, event: PoolEvent) -> None:
        ident = (*event.identity(), event.removed)
        if ident in self._seen:
            return
        self._seen.add(ident)
        if event.removed:
            self.stats.retractions += 1
        else:
            self._events.setdefault(event.block_hash, []).append(event)
            self._remember_block(event.block_number, event.block_hash)
            self.stats.events += 1
        self._outbox.append(event)

    async def flush(self) -> None:
        """Publish the outbox, framed, and wait until the broker has every record."""
        if not self._outbox:
            return
        events, self._outbox = self._outbox, []
        if not self._partitions:  # the topic's own partition count, not the config's
            self._partitions = len(await self.producer.partitions_for(self.topics.events))
        sent = [
            await self.producer.send(self.topics.events, value, key=key, partition=partition)
            for partition, key, value in frame(events, self._partitions)
        ]
        await asyncio.gather(*sent)
        if events:
            metrics.events_out(self.topics.events, events[0].chain_id, len(events))

    # -- reorgs ----------------------------------------------------------------------------
    async def _handle_reorg(self, w3: AsyncWeb3, header: BlockHeader) -> None:
        await self.flush()  # what came before the reorg goes first
        number = header.number - 1
        log.warning("chain %s: reorg detected at block %s", self.chain.chain_id, header.number)
        while number in self._hashes:
            canonical = await w3.eth.get_block(number)
            if hexstr(canonical["hash"]) == self._hashes[number]:
                break
            await self._retract_block(self._hashes[number])
            self._hashes[number] = hexstr(canonical["hash"])
            entries = await w3.eth.get_logs(
                {"blockHash": canonical["hash"], "topics": [[PAIR_CREATED_TOPIC, *POOL_TOPICS]]}
            )
            for entry in sorted(entries, key=lambda e: int(e["logIndex"])):
                await self._on_log(entry)
            number -= 1
        await self.flush()

    async def _retract_block(self, block_hash: str) -> None:
        for event in self._events.pop(block_hash, []):
            await self._publish_event(dataclasses.replace(event, removed=True))

    def _remember_block(self, number: int, block_hash: str) -> None:
        if self._hashes.get(number) != block_hash:
            self._hashes[number] = block_hash
        while len(self._hashes) > REORG_WINDOW:
            _, dropped = self._hashes.popitem(last=False)
            for event in self._events.pop(dropped, []):
                self._seen.discard((*event.identity(), False))
