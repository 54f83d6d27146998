"""Outgoing replication of client writes to peers (S14.2-S14.5, S14.7). Management changes: mgmt_sync.py.

Client writes are buffered in arrival order; consecutive writes of one kind form one batch, so a batch never
overtakes an earlier write of another kind (a register followed by an unregister of the same instance is
applied in that order on every peer). A buffer is flushed when it reaches ``replication.batch_size`` items
(``replication.heartbeat_batch_size`` when it ends in heartbeats) or every ``replication.batch_interval_ms``;
each batch goes to every peer that is up.

Every peer has its own :class:`PeerLink` with its own bounded queue and sender task, so a peer that is slow,
down or answering garbage never delays replication to the others, nor the client that made the write.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from artemis_client.wire import codec
from artemis_client.wire.registry import Instance
from artemis_server.registry.model import key_of
from artemis_server.replication.client import Outcome, PeerClient, Result
from artemis_server.replication.peers import Peer, PeerSet
from artemis_server.tracing import Tracing

if TYPE_CHECKING:
    from artemis_server.node import Node
    from artemis_server.registry.registry import Registry

log = logging.getLogger(__name__)

R = "/api/replication/registry/"
HELLO = "/api/replication/cluster/hello.json"
WARN_EVERY = 10.0
BACKLOG_BATCHES = 8  # queued batches from which a peer counts as lagging
BACKLOG_FACTOR = 10  # ... and then gets batches of up to this many times replication.batch_size

# Batch paths of an R peer (S14.4) and the single paths used for J peers and for retries.
BATCH_PATHS = {
    "register": R + "batch-register.json",
    "heartbeat": R + "heartbeat.json",
    "unregister": R + "batch-unregister.json",
}
SINGLE_PATHS = {
    "register": R + "register.json",
    "heartbeat": R + "heartbeat.json",
    "unregister": R + "unregister.json",
}


LEAN_HEARTBEAT = R + "lean-heartbeat"
LEAN_HEADERS = {"content-type": "text/plain; charset=utf-8"}


def lean_payload(items: list[Instance]) -> bytes:
    """A heartbeat batch for a peer of this version (api/replication.py ``lean_heartbeat``): the identity
    keys of the instances, one per line, so the peer looks each lease up without decoding or folding.

    :func:`model.identity` of each, folded with one ``casefold()`` of the joined lines: folding is per
    character and leaves the separators alone (a stored id holds neither), so it is the same text for a
    third less CPU (~80 instead of ~125 us per 1,000 keys, paid once per batch and peer)."""
    return (
        "\n".join([f"{i.region_id or ''}\x1f{i.service_id}\x1f{i.instance_id}" for i in items])
        .casefold()
        .encode()
    )


def payload(kind: str, items: list[Instance], java: bool) -> bytes:
    """One replication body: registers carry instances, the rest keys (full instances for J peers)."""
    if kind == "register" or java:
        return codec.encode({"instances": items})
    return codec.encode({"instanceKeys": [key_of(i) for i in items]})


@dataclass(slots=True)
class RetryItem:
    due: float
    attempts: int
    kind: str
    instance: Instance


class PeerLink:
    """The outgoing side of one peer: an ordered queue of batches and retries."""

    def __init__(self, rep: Replicator, peer: Peer) -> None:
        self.rep = rep
        self.peer = peer
        # (kind, items, the trace contexts of the writes they came from: empty unless tracing is on)
        self.queue: deque[tuple[str, list[Instance], list[Any]]] = deque()
        self.queued = 0
        self.retries: list[RetryItem] = []
        self._wake = asyncio.Event()
        self.sent = 0
        self.dropped = 0
        self._last_warn = -WARN_EVERY
        # Keys per heartbeat batch to this peer: replication.heartbeat_batch_size until the peer refuses one
        # that large (HTTP 413), replication.batch_size from then on.
        self.heartbeat_limit = rep.heartbeat_batch_size

    # -- enqueue (event loop, never blocks) -------------------------------------------------------
    def enqueue(self, kind: str, items: list[Instance], traces: list[Any] | None = None) -> None:
        self.queue.append((kind, items, traces or []))
        self.queued += len(items)
        cap = self.rep.queue_size
        while self.queued > cap and len(self.queue) > 1:
            _, old, _ = self.queue.popleft()
            self.queued -= len(old)
            self.dropped += len(old)
            self.rep.node.metrics.replication_failed.labels(self.peer.url).inc()
        self._wake.set()

    def drop_all(self) -> None:
        """The peer went down: its pending writes and retries are dropped (S14.5)."""
        self.dropped += self.queued + len(self.retries)
        self.queue.clear()
        self.queued = 0
        self.retries.clear()

    # -- sender ----------------------------------------------------------------------------------
    def _next_batch(self) -> tuple[str, list[Instance], list[Any]]:
        kind, items, traces = self.queue.popleft()
        if kind == "heartbeat" and len(items) > self.heartbeat_limit:
            # flushed for a larger limit than this peer takes (it refused one: HTTP 413): the rest stays first
            self.queue.appendleft((kind, items[self.heartbeat_limit :], traces))
            items = items[: self.heartbeat_limit]
        items = list(items)
        traces = list(traces)
        # Merge queued batches of the same kind: a backlog drains in full batches, and a long backlog
        # (the peer is slower than the writes) in larger ones, so fewer round trips catch up faster.
        # Heartbeat batches are large already: they merge up to the heartbeat batch size only.
        if kind == "heartbeat":
            limit = self.heartbeat_limit
        else:
            limit = self.rep.batch_size * (BACKLOG_FACTOR if len(self.queue) >= BACKLOG_BATCHES else 1)
        while self.queue and self.queue[0][0] == kind and len(items) + len(self.queue[0][1]) <= limit:
            _, more, more_traces = self.queue.popleft()
            items.extend(more)
            traces.extend(more_traces)
        self.queued -= len(items)
        return kind, items, traces

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            while self.queue:
                kind, items, traces = self._next_batch()
                try:
                    await self._send_batch(kind, items, traces)
                except Exception:
                    log.exception("replication to %s failed", self.peer.url)
            self._wake.clear()

    async def _send_batch(self, kind: str, items: list[Instance], traces: list[Any] | None = None) -> None:
        if not self.peer.up:
            self.dropped += len(items)
            return
        tracing = self.rep.tracing
        if traces and tracing.on:
            # One span per batch and peer: a child of the first traced write's trace, linked to the others;
            # its context travels in the request's traceparent header to the peer's receiving span.
            parent, links = tracing.batch_parent(traces)
            attrs = {"artemis.kind": kind, "artemis.items": len(items), "artemis.peer": self.peer.url}
            with tracing.span("replication.send", attrs, parent=parent, links=links, kind="client"):
                res = await self._post(kind, items, tracing.headers())
        else:
            res = await self._post(kind, items, None)
        size = self.rep.batch_size
        if res.status == 413 and kind == "heartbeat" and len(items) > size:
            # The peer takes fewer keys per request (its limits.max_batch_instances): batch_size from now on,
            # and this batch again in pieces of that size, so no lease on the peer misses its renewal.
            log.warning(
                "peer %s refused a heartbeat batch of %d keys (HTTP 413); sending it batches of %d",
                self.peer.url,
                len(items),
                size,
            )
            self.heartbeat_limit = size
            for i in range(0, len(items), size):
                chunk = items[i : i + size]
                self._settle(kind, chunk, await self._post(kind, chunk, None))
            return
        self._settle(kind, items, res)

    async def _post(self, kind: str, items: list[Instance], headers: dict[str, str] | None) -> Result:
        client = self.rep.client
        if kind == "heartbeat" and self.peer.lean and not self.peer.java:
            lean_headers = {**LEAN_HEADERS, **headers} if headers else LEAN_HEADERS
            res = await client.post(self.peer.url, LEAN_HEARTBEAT, lean_payload(items), headers=lean_headers)
            if res.outcome is not Outcome.NOT_FOUND:
                return res
            # An older node or Java Artemis: JSON keys from now on (it answered 404, as for S14.4).
            log.info("peer %s has no %s: sending it JSON heartbeat keys", self.peer.url, LEAN_HEARTBEAT)
            self.peer.lean = False
        path = SINGLE_PATHS[kind] if self.peer.java else BATCH_PATHS[kind]
        res = await client.post(self.peer.url, path, payload(kind, items, self.peer.java), headers=headers)
        if res.outcome is Outcome.NOT_FOUND and not self.peer.java and path != SINGLE_PATHS[kind]:
            log.warning("peer %s has no %s: treating it as a Java peer", self.peer.url, path)
            self.peer.java = True
            res = await client.post(
                self.peer.url, SINGLE_PATHS[kind], payload(kind, items, True), headers=headers
            )
        return res

    def _settle(self, kind: str, items: list[Instance], res: Result) -> None:
        metrics = self.rep.node.metrics
        if res.outcome is Outcome.OK:
            self.sent += len(items)
            metrics.replication_sent.labels(kind).inc(len(items))
            if kind == "heartbeat":
                self._reregister_failed(res.body)
            return
        metrics.replication_failed.labels(self.peer.url).inc()
        if res.outcome is Outcome.RETRY and self.rep.max_retries > 0 and self.peer.up:
            due = time.monotonic() + 1.0
            self.retries.extend(RetryItem(due, 0, kind, i) for i in items)
            log.debug(
                "replication of %d %s item(s) to %s failed (%s); will retry",
                len(items),
                kind,
                self.peer.url,
                res.error,
                extra={"peer": self.peer.url},
            )
            return
        self.dropped += len(items)
        now = time.monotonic()
        # A broken peer fails every batch: warn once per WARN_EVERY seconds, the rest at debug level.
        level = logging.WARNING if now - self._last_warn >= WARN_EVERY else logging.DEBUG
        if level == logging.WARNING:
            self._last_warn = now
        log.log(
            level,
            "replication of %d %s item(s) to %s failed (%s); dropped",
            len(items),
            kind,
            self.peer.url,
            res.error,
            extra={"peer": self.peer.url},
        )

    def _reregister_failed(self, body: Any) -> None:
        """S14.7: the peer does not know some renewed instances; send it their registration."""
        if not isinstance(body, dict):
            return
        keys: list[Any] = []
        for k, v in body.items():
            nk = codec.normkey(k)
            if nk == "failedinstancekeys" and isinstance(v, list):
                keys.extend(v)
            elif nk == "failedinstances" and isinstance(v, list):
                keys.extend(x.get("instance") for x in v if isinstance(x, dict))
        registry = self.rep.node.registry
        found: dict[tuple[str, str, str], Instance] = {}
        for key in keys:
            if not isinstance(key, dict):
                continue
            norm = {codec.normkey(a): b for a, b in key.items() if isinstance(a, str)}
            service, instance = norm.get("serviceid"), norm.get("instanceid")
            if not isinstance(service, str) or not isinstance(instance, str):
                continue
            region = norm.get("regionid") or registry.region
            inst = registry.get_instance(str(region), service, instance)
            if inst is not None:
                found[(str(region).casefold(), service.casefold(), instance.casefold())] = inst
        if found:
            log.info("peer %s lost %d instance(s); re-registering them", self.peer.url, len(found))
            self.enqueue("register", list(found.values()))

    def _current(self, item: RetryItem) -> Instance | None:
        """What a retry sends now: the stored instance (register, heartbeat) or the removed one (unregister);
        None when the local registry no longer agrees with the failed write."""
        inst = item.instance
        stored = self.rep.node.registry.get_instance(inst.region_id or "", inst.service_id, inst.instance_id)
        if item.kind == "unregister":
            return inst if stored is None else None
        return stored

    async def retry_loop(self) -> None:
        """S14.5: every retry tick, due retries are sent one item per request on the single paths."""
        interval = self.rep.retry_interval
        while True:
            await asyncio.sleep(interval)
            if not self.retries:
                continue
            if not self.peer.up:
                self.dropped += len(self.retries)
                self.retries.clear()
                continue
            now = time.monotonic()
            due = [r for r in self.retries if r.due <= now]
            if not due:
                continue
            self.retries = [r for r in self.retries if r.due > now]
            for item in due:
                if not self.peer.up:
                    break
                current = self._current(item)
                if current is None:
                    continue  # overtaken by a later write: sending it now would undo that write
                res = await self.rep.client.post(
                    self.peer.url, SINGLE_PATHS[item.kind], payload(item.kind, [current], self.peer.java)
                )
                if res.outcome is Outcome.OK:
                    self.sent += 1
                    self.rep.node.metrics.replication_sent.labels(item.kind).inc()
                    if item.kind == "heartbeat":
                        self._reregister_failed(res.body)
                elif res.outcome is Outcome.RETRY and item.attempts + 1 < self.rep.max_retries:
                    item.attempts += 1
                    item.due = time.monotonic() + 2.0**item.attempts
                    self.retries.append(item)
                else:
                    self.dropped += 1


class Replicator:
    """``node.replicator``: api/registry.py calls register/heartbeat/unregister for client writes only."""

    def __init__(self, node: Node, peers: PeerSet, client: PeerClient) -> None:
        s = node.settings.replication
        self.node = node
        self.peers = peers
        self.client = client
        self.batch_size = s.batch_size
        self.heartbeat_batch_size = s.heartbeat_batch_size
        self.interval = s.batch_interval_ms / 1000.0
        self.max_retries = s.max_retries
        self.retry_interval = s.retry_interval_secs
        self.queue_size = s.queue_size
        self.links = {p.url: PeerLink(self, p) for p in peers.peers}
        if not s.lean_heartbeats:
            for p in peers.peers:
                p.lean = False
        self._pending: list[tuple[str, list[Instance], list[Any]]] = []
        self._count = 0
        self.tracing: Tracing = node.tracing
        peers.on_down.append(lambda p: self.links[p.url].drop_all())

    # -- called by api/registry.py on the event loop ------------------------------------------------
    def register(self, instances: list[Instance]) -> None:
        self._add("register", instances)

    def heartbeat(self, instances: list[Instance]) -> None:
        self._add("heartbeat", instances)

    def unregister(self, instances: list[Instance]) -> None:
        self._add("unregister", instances)

    def _add(self, kind: str, items: list[Instance]) -> None:
        if not items or not self.peers.any_up:
            return  # writes for peers that are down are dropped (S14.5)
        trace = self.tracing.current() if self.tracing.on else None
        if self._pending and self._pending[-1][0] == kind:
            last = self._pending[-1]
            last[1].extend(items)
            if trace is not None:
                last[2].append(trace)
        else:
            self._pending.append((kind, list(items), [] if trace is None else [trace]))
        self._count += len(items)
        if self._count >= (self.heartbeat_batch_size if kind == "heartbeat" else self.batch_size):
            self.flush()

    def flush(self) -> None:
        pending, self._pending, self._count = self._pending, [], 0
        if not pending:
            return
        links = [self.links[p.url] for p in self.peers.up_peers()]
        for kind, items, traces in pending:
            size = self.heartbeat_batch_size if kind == "heartbeat" else self.batch_size
            for i in range(0, len(items), size):
                chunk = items[i : i + size]
                for link in links:
                    link.enqueue(kind, chunk, traces)

    async def ticker(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self._pending:
                self.flush()

    # -- start-up sync (S14.8) ------------------------------------------------------------------------
    async def startup_sync(self, timeout: float) -> None:
        node = self.node
        tracing = self.tracing
        try:
            with tracing.span("replication.startup_sync", {"artemis.peers": len(self.peers.peers)}):
                await self._sync_from_peers(timeout)
        finally:
            try:
                await self.announce()
            finally:
                node.status = "up"

    async def _sync_from_peers(self, timeout: float) -> None:
        tracing = self.tracing
        for peer in self.peers.peers:
            if not peer.up:
                continue
            with tracing.span("replication.startup_sync.fetch", {"artemis.peer": peer.url}, kind="client"):
                res = await self.client.post(
                    peer.url,
                    R + "services.json",
                    b"{}",
                    timeout=timeout,
                    decode=False,
                    headers=tracing.headers() if tracing.on else None,
                )
            if res.outcome is not Outcome.OK:
                log.warning("start-up sync from %s failed (%s); trying the next peer", peer.url, res.error)
                continue
            services = services_of(res.body)
            del res  # the answer's bytes live on only in the services' raw slices
            if services is None:
                log.warning("start-up sync from %s: unexpected answer; trying the next peer", peer.url)
                continue
            with tracing.span("replication.startup_sync.copy", {"artemis.services": len(services)}) as span:
                copied = await copy_services(self.node.registry, services)
                if span is not None:
                    span.set_attribute("artemis.instances", copied)
            log.info("start-up sync: copied %d instance(s) from %s", copied, peer.url)
            return
        if self.peers.peers:
            log.warning("start-up sync: no peer answered; starting with an empty registry")

    async def announce(self) -> None:
        """Tell every peer we are (back) up, and our node id, so none drops writes for us until its next
        health check and each lists us under the right id at once."""
        body = codec.encode({"nodeId": self.node.node_id, "url": self.node.url})
        await asyncio.gather(
            *(self.client.post(p.url, HELLO, body, timeout=2.0) for p in self.peers.peers),
            return_exceptions=True,
        )

    async def close(self) -> None:
        await self.client.close()


SYNC_CHUNK = 20_000
"""Instances decoded and registered per step of the start-up sync: the event loop serves requests (the
peers' health checks among them) between steps, so a node copying a million instances keeps answering."""


class _RawServices(msgspec.Struct):
    """A services.json answer with each service left undecoded (a slice of the answer's bytes)."""

    services: list[msgspec.Raw] | None = None


_raw_services = msgspec.json.Decoder(_RawServices)


def services_of(body: bytes) -> list[Any] | None:
    """The services of a peer's services.json answer, each as raw JSON (``msgspec.Raw``) or, when the
    answer does not spell ``services`` as R and J nodes do, as an already decoded ``Service``; None when
    it is not a services answer."""
    try:
        doc = _raw_services.decode(body)
    except msgspec.DecodeError:
        return None
    if doc.services is not None:
        return doc.services
    # Another spelling of the keys (N1): the tolerant decode of the whole answer.
    from artemis_client.errors import BadRequestError
    from artemis_client.wire.replication import ServicesReply

    try:
        reply = codec.decode(body, ServicesReply)
    except BadRequestError:
        return None
    return reply.services


async def copy_services(registry: Registry, services: list[Any]) -> int:
    """Register every instance of ``services`` (raw slices decoded here, :data:`SYNC_CHUNK` instances per
    step, yielding to the event loop between steps); the number of instances stored. A service that does not
    decode is skipped with a warning, the others are copied."""
    from artemis_client.errors import BadRequestError
    from artemis_client.wire.registry import Service

    copied = 0
    batch: list[Instance] = []
    for k, item in enumerate(services):
        if isinstance(item, msgspec.Raw):
            try:
                svc = codec.decode(bytes(item), Service)
            except BadRequestError as exc:
                log.warning("start-up sync: service #%d of the peer's answer skipped: %s", k, exc)
                continue
        else:
            svc = item
        services[k] = None  # let the slice (and at the end the whole answer) go
        batch.extend(svc.instances or ())
        if len(batch) >= SYNC_CHUNK:
            copied += len(registry.register(batch)[0])
            batch = []
            await asyncio.sleep(0)
    if batch:
        copied += len(registry.register(batch)[0])
    return copied


class ReplicationCollector:
    """Per-peer gauges on /metrics: is the peer up, how many items wait for it, how many were dropped."""

    def __init__(self, rep: Replicator) -> None:
        self.rep = rep

    def collect(self) -> Any:
        from prometheus_client.core import GaugeMetricFamily

        up = GaugeMetricFamily(
            "artemis_peer_up", "1 when the peer answered its last health check", labels=["peer"]
        )
        pending = GaugeMetricFamily(
            "artemis_replication_pending_items",
            "Writes queued or waiting for retry per peer",
            labels=["peer"],
        )
        dropped = GaugeMetricFamily(
            "artemis_replication_dropped_items",
            "Writes dropped for a peer (down, overflow, failure)",
            labels=["peer"],
        )
        mgmt = GaugeMetricFamily(
            "artemis_management_pending_changes",
            "Management changes this node holds that the peer did not hold at its last pull",
            labels=["peer"],
        )
        sync = self.rep.node.mgmt_sync
        owed = sync.pending() if sync is not None else {}
        for link in self.rep.links.values():
            url = link.peer.url
            up.add_metric([url], 1.0 if link.peer.up else 0.0)
            pending.add_metric([url], float(link.queued + len(link.retries)))
            dropped.add_metric([url], float(link.dropped))
            if url in owed:
                mgmt.add_metric([url], float(owed[url]))
        yield up
        yield pending
        yield dropped
        yield mgmt
