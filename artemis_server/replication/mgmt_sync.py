"""Management changes between peers with their own databases: pull what is missing, poke to go fast (S14.2).

Every node pulls from every peer: ``POST /api/replication/management/changes.json {since, limit}`` answers the
change-log entries the caller lacks (``since`` = per origin, the last sequence number it holds), oldest stamp
first, with ``more`` when cut. Because a node serves the entries it received from others too, a change
travels through any path that is up, and a node that restarts both serves what it owes (its log is durable)
and fetches what it missed.

When to pull:

* at start, as soon as the database is open;
* every ``PULL_INTERVAL_SECS`` from each peer, whatever its health-check status says (a peer that fails is
  retried with back-off up to ``MAX_BACKOFF_SECS``): convergence does not wait for the health checks, whose
  defaults (first after 10 s, then every 5 s) are slower than the 15 s a restarted node has to catch up;
* at once when a peer pokes this node (``POST .../poke.json``, sent after each local commit, so a change is
  visible on the peers within tens of milliseconds: S14.2's 2 s and WebSocket subscribers), when it says
  hello after its start, and when its health check turns good.

A poke carries the changes it announces when they are few and small (``changes``: entries as changes.json
answers them, at most ``PUSH_MAX_ENTRIES`` and ``PUSH_MAX_BYTES``; issue 20). The poked node merges them
without the pull's round trip when each is the next of its origin there, and pulls as before when one is not
(a gap: a poke it missed) or the poke carried none. The pull stays the one path that guarantees delivery;
the pushed copy only saves time, and a node of an older version ignores it and pulls.

A peer that turns out to share this node's database (same ``databaseId``) is not pulled from: the database
already holds its changes, and its pokes make this node read the shared log at once. A peer answering 404 has
no change log (a Java or Rust node): it is asked again only every ``NO_LOG_RETRY_SECS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from artemis_client.errors import StorageUnavailableError
from artemis_client.wire import codec
from artemis_client.wire.replication import ChangeEntry
from artemis_server.replication.client import Outcome, PeerClient
from artemis_server.replication.peers import Peer, PeerSet, same_address
from artemis_server.store.changelog import Entry

if TYPE_CHECKING:
    from artemis_server.node import Node

log = logging.getLogger(__name__)

CHANGES = "/api/replication/management/changes.json"
POKE = "/api/replication/management/poke.json"
PULL_INTERVAL_SECS = 1.0
MAX_BACKOFF_SECS = 5.0
NO_LOG_RETRY_SECS = 60.0
PAGE = 200  # entries per answer
MAX_PAGES = 500  # per pull round (100,000 entries); the next round continues
POKE_TIMEOUT_SECS = 1.0
PUSH_MAX_ENTRIES = 16  # changes sent with one poke; more than that (a burst) is left to the pull
PUSH_MAX_BYTES = 64 * 1024  # ... and at most this much of them


@dataclass(slots=True)
class PeerSync:
    peer: Peer
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    failures: int = 0
    same_db: bool = False
    no_log: bool = False
    holds: dict[str, int] = field(default_factory=dict)  # what the peer last said it holds, per origin
    pulled: int = 0  # entries received from it
    last_ok: float = 0.0
    last_error: str = ""
    trace: Any = None  # the context of the traced change a poke announced: the next pull continues it
    pushed: list[Entry] = field(default_factory=list)  # changes its pokes carried, not merged yet

    def pending(self, mine: dict[str, int]) -> int:
        """Changes this node holds that the peer did not hold when we last heard from it."""
        return sum(max(0, seq - self.holds.get(origin, 0)) for origin, seq in mine.items())


class ManagementSync:
    def __init__(self, node: Node, peers: PeerSet, client: PeerClient) -> None:
        self.node = node
        self.peers = peers
        self.client = client
        self.states = {p.url: PeerSync(p) for p in peers.peers}
        self._poke = asyncio.Event()
        self._poke_traces: list[Any] = []  # contexts of traced commits since the last poke round
        self._outbox: list[ChangeEntry] = []  # changes committed here since the last poke round
        node.management.on_commit.append(self._committed)
        peers.on_up.append(lambda p: self.wake(p.url))

    # -- wiring ----------------------------------------------------------------------------------------
    def start(self) -> None:
        for st in self.states.values():
            self.node.spawn(self._loop(st), f"management-pull:{st.peer.url}")
        self.node.spawn(self._poker(), "management-poke")

    def state_of(self, url: str | None) -> PeerSync | None:
        if not url:
            return None
        for st in self.states.values():
            if same_address(st.peer.url, url):
                return st
        return None

    def wake(self, url: str | None) -> None:
        st = self.state_of(url)
        if st is not None:
            st.failures = 0
            st.wake.set()

    def _committed(self, entry: Entry) -> None:
        """A local commit (called inside the command's span): poke the peers, with the change (as stored:
        its wire form is taken now) and its trace when traced."""
        tracing = self.node.tracing
        if tracing.on:
            sc = tracing.current()
            if sc is not None:
                self._poke_traces.append(sc)
        if len(self._outbox) <= PUSH_MAX_ENTRIES:
            self._outbox.append(entry.to_wire())
        self._poke.set()

    def poked(self, url: str | None, trace: Any = None, changes: list[Entry] | None = None) -> None:
        """A peer committed a change: fetch it (or, sharing the database, read the log) now. A caller this
        node knows under another address (a host name instead of an IP) makes it pull from every peer.
        ``trace``: the context of the change's trace the poke carried; the pull that fetches it joins it.
        ``changes``: the changes the poke carried, merged by that peer's loop instead of a pull when they
        follow what this node holds (never from a peer sharing this node's database: it holds them)."""
        st = self.state_of(url)
        if trace is not None:
            for other in [st] if st is not None else self.states.values():
                if other is not None:
                    other.trace = trace
        if changes and st is not None and not st.same_db:
            st.pushed.extend(changes)
        watch = self.node.management.watch
        if (st is None or st.same_db) and watch is not None:
            watch.poke()
        for other in [st] if st is not None else self.states.values():
            if not other.same_db:
                other.failures = 0
                other.wake.set()

    def heard(self, url: str | None, since: dict[str, int]) -> None:
        """The peer pulled from us with ``since``: that is what it holds."""
        st = self.state_of(url)
        if st is not None:
            st.holds = dict(since)

    def pending(self) -> dict[str, int]:
        mine = self.node.management.positions
        return {url: st.pending(mine) for url, st in self.states.items() if not st.same_db}

    # -- pulling -------------------------------------------------------------------------------------------
    async def _loop(self, st: PeerSync) -> None:
        mgmt = self.node.management
        while not mgmt.ready:
            await asyncio.sleep(0.1)
        while True:
            try:
                ok = await self._traced_pull(st)
            except StorageUnavailableError as exc:
                ok = False
                st.last_error = str(exc)
            except Exception:
                log.exception("management pull from %s failed", st.peer.url)
                ok = False
            if ok:
                st.failures = 0
                delay = PULL_INTERVAL_SECS
            else:
                st.failures += 1
                delay = min(MAX_BACKOFF_SECS, PULL_INTERVAL_SECS * 2 ** (st.failures - 1))
            if st.no_log:
                delay = NO_LOG_RETRY_SECS
            if st.same_db:
                delay = 3600.0  # its changes come from the database; only a poke (or hello) wakes this loop
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(st.wake.wait(), delay)
            st.wake.clear()
            if st.same_db:
                watch = mgmt.watch
                if watch is not None:
                    watch.poke()

    async def _traced_pull(self, st: PeerSync) -> bool:
        tracing = self.node.tracing
        trace, st.trace = st.trace, None
        if trace is None or not tracing.on:
            return await self._round(st)
        with tracing.span("management.pull", {"artemis.peer": st.peer.url}, parent=trace, kind="consumer"):
            return await self._round(st)

    async def _round(self, st: PeerSync) -> bool:
        """Merge what the peer's pokes carried; pull when that was nothing or left a gap."""
        pushed, st.pushed = st.pushed, []
        if pushed and not st.same_db and await self.node.management.merge_pushed(pushed):
            st.last_ok = time.monotonic()
            return True
        return await self.pull(st)

    async def pull(self, st: PeerSync) -> bool:
        """Fetch and merge everything the peer holds that this node lacks; False when the peer failed."""
        mgmt = self.node.management
        if st.same_db:
            return True
        for _ in range(MAX_PAGES):
            body = codec.encode(
                {
                    "since": dict(mgmt.positions),
                    "limit": PAGE,
                    "nodeId": self.node.node_id,
                    "databaseId": mgmt.database_id,
                }
            )
            res = await self.client.post(st.peer.url, CHANGES, body)
            if res.outcome is Outcome.NOT_FOUND:
                if not st.no_log:
                    log.info("peer %s keeps no management change log (a Java or Rust node?)", st.peer.url)
                st.no_log = True
                return False
            st.no_log = False
            if res.outcome is not Outcome.OK:
                st.last_error = res.error
                return False
            doc: dict[str, Any] = res.body
            if isinstance(doc.get("nodeId"), str) and doc["nodeId"]:
                st.peer.node_id = doc[
                    "nodeId"
                ]  # known within a second of start, not at the first health check
            if doc.get("databaseId") and doc.get("databaseId") == mgmt.database_id:
                log.info("peer %s shares this node's database: its changes are read from there", st.peer.url)
                st.same_db = True
                await mgmt.read_shared()
                return True
            try:
                entries = [Entry.from_wire(e) for e in doc.get("changes") or []]
                holds = {str(o): int(s) for o, s in (doc.get("origins") or {}).items()}
            except (KeyError, TypeError, ValueError) as exc:
                st.last_error = f"unreadable changes from peer: {exc}"
                log.warning("peer %s answered changes this node cannot read: %s", st.peer.url, exc)
                return False
            st.holds = holds
            if entries:
                st.pulled += await mgmt.merge_remote(entries)
            st.last_ok = time.monotonic()
            if not doc.get("more") or not entries:
                return True
        return True

    # -- poking ----------------------------------------------------------------------------------------------
    async def _poker(self) -> None:
        """After local commits, tell every peer (pokes coalesce: one round covers every commit before it),
        sending the changes along when they are few and small."""
        hello = {"nodeId": self.node.node_id, "url": self.node.url}
        plain = codec.encode(hello)
        tracing = self.node.tracing
        while True:
            await self._poke.wait()
            self._poke.clear()
            traces, self._poke_traces = self._poke_traces, []
            outbox, self._outbox = self._outbox, []
            body = plain
            if 0 < len(outbox) <= PUSH_MAX_ENTRIES:
                full = codec.encode({**hello, "changes": outbox})
                if len(full) <= PUSH_MAX_BYTES:
                    body = full
            targets = [st for st in self.states.values() if not st.no_log]
            if traces and tracing.on:
                parent, links = tracing.batch_parent(traces)
                with tracing.span("management.poke", parent=parent, links=links, kind="producer"):
                    await self._poke_all(targets, body, tracing.headers())
            else:
                await self._poke_all(targets, body, None)

    async def _poke_all(self, targets: list[PeerSync], body: bytes, headers: dict[str, str] | None) -> None:
        await asyncio.gather(
            *(
                self.client.post(st.peer.url, POKE, body, timeout=POKE_TIMEOUT_SECS, headers=headers)
                for st in targets
            ),
            return_exceptions=True,
        )
