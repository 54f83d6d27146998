"""The management plane: every state-changing management call goes through ``ManagementService.execute``.

A command (a Struct of management/commands.py: ``InstanceOperate``, ``ZoneOperate``, ``CanarySet``,
``GroupCreate`` ...) is planned by the one handler registered for its class against the in-memory view: errors
raise before anything is written, and the plan holds the resulting value of every entity the command touches
(artemis_server/registry/entities.py) plus its audit record and Java log rows. One transaction writes the
entities' rows, their versions, the audit rows and the change-log entry (store/changelog.py), committed before
the caller answers; then the view discovery reads is updated and instances whose visibility changed raise
``delete`` / ``new`` (S10.10), canary and routing changes ``reload`` (S13.1).

Changes made on other nodes arrive as change-log entries (replication/mgmt_sync.py pulls them from peers,
or takes them from the poke that announces them; a database shared with other nodes is watched by
:class:`~artemis_server.management.watch.SharedWatch`) and are merged entity by entity: the value with the
newer hybrid-logical-clock stamp wins (S14.2). A merged change raises the same events as a local one. A
merged change that touches only state held in memory (operations, canary) is put in force before this node's
own copy is written (issue 20: subscribers hear of it without waiting for the fsync); the positions that say
which changes this node holds move only once the copy is on disk, so a failed write is fetched again.

Registration, heartbeat and discovery never wait for the database: when it is unreachable, management calls
fail with :class:`StorageUnavailableError` and everything else keeps serving from memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from artemis_client.errors import (
    BadRequestError,
    StorageUnavailableError,
    UnavailableError,
)
from artemis_client.wire.audit import AuditLog, JLog
from artemis_client.wire.registry import Instance
from artemis_server.management import lifecycle
from artemis_server.management.canary import CanaryCommands
from artemis_server.management.commands import Command, CommandBase, command_name
from artemis_server.management.operations import OperationCommands
from artemis_server.management.plan import Handler
from artemis_server.management.ports import Store
from artemis_server.management.routing import RoutingCommands
from artemis_server.registry import entities as ent
from artemis_server.registry.entities import EntityChange, fold
from artemis_server.registry.hlc import ZERO, HybridClock, Stamp, wins
from artemis_server.registry.model import instance_identity
from artemis_server.registry.routing import RoutingTable
from artemis_server.registry.visibility import ManagementState, OperationRecord
from artemis_server.store.audit_reads import AuditQuery
from artemis_server.store.changelog import Entry
from artemis_server.store.repository import Loaded, StaleStateError

if TYPE_CHECKING:
    from artemis_server.management.watch import SharedWatch
    from artemis_server.node import Node

log = logging.getLogger(__name__)

C = TypeVar("C", bound=CommandBase)

MAX_ATTEMPTS = (
    8  # a write planned against a view another node sharing the database just changed is re-planned
)
FANOUT_WAIT_SECS = 0.5  # a merged change's copy waits at most this long for the push fan-out it started


class ManagementService:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.store: Store | None = None
        self.database_id: str | None = None
        self.ready = False
        self.error: str | None = None
        self.origin = ""
        self.clock = HybridClock("")
        # per entity, the stamp of the value the view holds; per origin, the last change the view holds
        self.versions: dict[str, Stamp] = {}
        self.positions: dict[str, int] = {}
        # called (on the event loop) with every change committed here: peers are told (and sent it)
        self.on_commit: list[Callable[[Entry], None]] = []
        # called once the database is open (start-up catch-up from peers begins then)
        self.on_ready: list[Callable[[], None]] = []
        self.watch: SharedWatch | None = None  # the shared change log (lifecycle.open_once)
        self.reloads = 0  # whole-view reloads done (start, periodic)
        self._lock: asyncio.Lock | None = None
        self.handlers: dict[type[CommandBase], Handler[Any]] = {}
        # Each command family registers its handlers (management/operations.py, canary.py, routing.py).
        OperationCommands(self)
        CanaryCommands(self)
        self.routing: RoutingCommands | None = (
            RoutingCommands(self, node.router) if isinstance(node.router, RoutingTable) else None
        )

    def handle(self, command: type[C], handler: Handler[C]) -> None:
        """Register the one handler of a command class."""
        if command in self.handlers:
            raise ValueError(f"a second handler for the management command {command.__name__}")
        self.handlers[command] = handler

    # -- lifecycle (management/lifecycle.py) ----------------------------------------------------------
    async def open(self) -> None:
        """Connect, migrate and load. A database that is down at start is retried in the background."""
        await lifecycle.open_store(self)

    async def close(self) -> None:
        await lifecycle.close(self)

    async def prune_audit(self) -> int:
        """Drop audit entries older than `audit.retention_days` (S18.4); returns how many went."""
        return await lifecycle.prune_audit(self)

    def _require_store(self) -> Store:
        if self.store is None or not self.ready:
            raise StorageUnavailableError(self.error or "management database not ready")
        return self.store

    def get_lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    # -- whole view (start, periodic reload for mixed Java clusters) --------------------------------------
    async def reload(self) -> None:
        """Re-read the whole management state from the database; events only for what changed."""
        assert self.store is not None
        loaded: Loaded = await anyio.to_thread.run_sync(self.store.load)
        async with self.get_lock():
            self._apply_loaded(loaded)

    def _apply_loaded(self, loaded: Loaded) -> None:
        from artemis_server.management.view import routing_signature

        fresh = ManagementState()
        for row in loaded.ops:
            if row.kind == "instance":
                fresh.put_instance_op(row.region_id, row.target[0], row.target[1], row.record)
            elif row.kind == "server":
                fresh.put_server_op(row.region_id, row.target[0], row.record)
            else:
                fresh.put_zone_op(row.region_id, row.target[0], row.target[1], row.record)
        for c in loaded.canary:
            fresh.canary[fold(c.service_id)] = c
        mgmt = self.node.mgmt
        scopes = _changed_scopes(mgmt, fresh)
        before_vis = self._visible_many(scopes)
        signature = routing_signature(self.node)
        mgmt.instance_ops, mgmt.instance_keys = fresh.instance_ops, fresh.instance_keys
        mgmt.server_ops, mgmt.server_regions = fresh.server_ops, fresh.server_regions
        mgmt.zone_ops, mgmt.zone_keys = fresh.zone_ops, fresh.zone_keys
        mgmt.canary = fresh.canary
        mgmt.rebuild()
        self._install_routing(loaded)
        self.versions = dict(loaded.versions)
        for origin, seq in loaded.positions.items():
            self.positions[origin] = max(self.positions.get(origin, 0), seq)
        self._emit_visibility(before_vis)
        after = routing_signature(self.node)
        changed = sorted(
            after[k][0] if k in after else signature[k][0]
            for k in signature.keys() | after.keys()
            if signature.get(k) != after.get(k)
        )
        now_ms = self.node.now_ms()
        if changed:
            self.node.bus.reload(changed, now_ms)
        self.node.registry.touch()
        self.reloads += 1

    def _install_routing(self, loaded: Loaded) -> None:
        table = self.node.router
        if not isinstance(table, RoutingTable):
            return
        table.clear()
        for g in loaded.groups:
            table.put_group(g)
        for b in loaded.bindings:
            table.bindings[(b.group_id, b.instance_id)] = b
        for r in loaded.rules:
            table.rules[r.route_id] = r
        table.group_ops.update(loaded.group_ops)
        for si in loaded.service_instances:
            table.service_instances[(fold(str(si["serviceId"])), str(si["instanceId"]))] = si
        table.rebuild()

    async def _reload_routing(self) -> None:
        store = self._require_store()
        loaded = await anyio.to_thread.run_sync(store.load_routing_view)
        self._install_routing(loaded)

    # -- the one entry point ---------------------------------------------------------------------------
    async def execute(self, command: Command, *, operator: str = "") -> Any:
        tracing = self.node.tracing
        if not tracing.on:
            return await self._execute(command, operator)
        attrs = {"artemis.command": command_name(command), "artemis.operator": operator}
        with tracing.span("management.execute", attrs):
            return await self._execute(command, operator)

    def _committer(self, store: Any) -> Any:
        """``store.commit_local``, in a span of the store transaction (a child of the command's) when
        tracing is on: the worker thread it runs in does not inherit the command's context by itself."""
        tracing = self.node.tracing
        if not tracing.on:
            return store.commit_local
        parent = tracing.capture()

        def commit(entry: Entry, clock: Any, expected: Any, now: float) -> Any:
            attrs = {"artemis.entities": len(entry.entities), "artemis.command": entry.command}
            with tracing.span("management.store.transaction", attrs, parent=parent):
                return store.commit_local(entry, clock, expected, now)

        return commit

    async def _execute(self, command: Command, operator: str) -> Any:
        handler = self.handlers.get(type(command))
        name = command_name(command)
        if handler is None:
            raise BadRequestError(f"unknown management command {name!r}", field="command")
        store = self._require_store()
        async with self.get_lock():
            for _ in range(MAX_ATTEMPTS):
                plan = handler(command, operator)
                now = time.time()
                for a in plan.audits:
                    a["operator"], a["time"] = operator, int(now)
                for item in plan.j_logs:
                    item[1].setdefault("OPERATOR_ID", operator)
                # the change log names the command (its tag), as it always has: peers merge entity values
                entry = Entry(self.origin, 0, ZERO, name, plan.entities, plan.audits, plan.j_logs)
                expected = {e.id: self.versions.get(e.id) for e in plan.entities}
                try:
                    await anyio.to_thread.run_sync(self._committer(store), entry, self.clock, expected, now)
                except StaleStateError:
                    # a node sharing the database changed one of these entities: take its change, re-plan
                    await self._read_shared_locked()
                    continue
                break
            else:
                raise UnavailableError("management state is changing on other nodes too fast; try again")
            await self._install([(entry.stamp, e) for e in entry.entities], plan.reload_services)
            self.positions[self.origin] = max(self.positions.get(self.origin, 0), entry.seq)
            result = plan.after() if plan.after is not None else plan.result
            self.node.metrics.management_ops.labels(name).inc()
        for fn in list(self.on_commit):
            fn(entry)
        return result

    # -- changes made elsewhere --------------------------------------------------------------------------
    async def merge_remote(self, entries: list[Entry]) -> int:
        """Merge changes pulled from a peer (own database): write what is new here, then update the view."""
        if not entries:
            return 0
        tracing = self.node.tracing
        if tracing.on:
            with tracing.span("management.merge", {"artemis.entries": len(entries)}):
                return await self._merge_remote(entries)
        return await self._merge_remote(entries)

    async def _merge_remote(self, entries: list[Entry]) -> int:
        store = self._require_store()
        async with self.get_lock():
            return await self._merge_locked(store, entries)

    async def merge_pushed(self, entries: list[Entry]) -> bool:
        """Merge the changes a peer sent with its poke (its own, just committed). Only an entry that is the
        next of its origin here is taken, so the positions never skip one; True when every entry was taken
        or is held already, False when one was not (the caller pulls, which fetches whatever is missing)."""
        tracing = self.node.tracing
        if tracing.on:
            with tracing.span("management.merge", {"artemis.entries": len(entries), "artemis.pushed": True}):
                return await self._merge_pushed(entries)
        return await self._merge_pushed(entries)

    async def _merge_pushed(self, entries: list[Entry]) -> bool:
        store = self._require_store()
        async with self.get_lock():
            held = dict(self.positions)
            take: list[Entry] = []
            complete = True
            for e in entries:
                have = held.get(e.origin, 0)
                if e.seq <= have:
                    continue
                if e.seq != have + 1:
                    complete = False  # a gap: an earlier change of this origin has not arrived here
                    break
                take.append(e)
                held[e.origin] = e.seq
            if take:
                await self._merge_locked(store, take)
        return complete

    async def _merge_locked(self, store: Store, entries: list[Entry]) -> int:
        """Write what is new here and update the view (the caller holds the lock). Changes of in-memory
        state only are installed first and pushed to the subscribers, then stored (the view answers with
        them meanwhile); routing changes are read back from the store, so they are installed after it."""
        early = all(c.kind not in ent.ROUTING_KINDS for e in entries for c in e.entities)
        if early:
            held = self.positions
            fresh = [(e.stamp, c) for e in entries if e.seq > held.get(e.origin, 0) for c in e.entities]
            if fresh:
                await self._install(fresh, [])
                # The store's worker thread would take the GIL from the fan-out the install started, and
                # nobody waits for the copy: write it once the subscribers have the change (bounded).
                hub = self.node.push
                if hub is not None:
                    await hub.flushed(FANOUT_WAIT_SECS)
        in_force = time.time()
        done = await anyio.to_thread.run_sync(lambda: store.apply_remote(entries, self.clock))
        if done and log.isEnabledFor(logging.DEBUG):
            last, stored = done[-1][0], time.time()
            log.debug(
                "merged %d change(s) up to %s #%d: in force %.0f ms after its commit, stored %.0f ms later",
                len(done), last.origin, last.seq, 1000 * (in_force if early else stored) - last.stamp.ms,
                1000 * (stored - in_force) if early else 0.0,
            )  # fmt: skip
        pairs = [(entry.stamp, change) for entry, applied in done for change in applied]
        for entry, _ in done:
            self.positions[entry.origin] = max(self.positions.get(entry.origin, 0), entry.seq)
        if early:  # installed above; only what the view did not take then (none while view and store agree)
            pairs = [(st, c) for st, c in pairs if wins(st, self.versions.get(c.id))]
        if pairs:
            await self._install(pairs, [])
        return len(done)

    async def read_shared(self) -> int:
        """Take the changes other nodes wrote into this (shared) database since the view last looked."""
        store = self.store
        if store is None or not self.ready:
            return 0
        held = await anyio.to_thread.run_sync(store.origins)  # one small read when nothing changed
        if all(seq <= self.positions.get(o, 0) for o, seq in held.items()):
            return 0
        async with self.get_lock():
            return await self._read_shared_locked()

    async def _read_shared_locked(self) -> int:
        store = self._require_store()
        total = 0
        for _ in range(1000):  # bounded: 200 entries a round
            held = await anyio.to_thread.run_sync(store.origins)
            if all(seq <= self.positions.get(o, 0) for o, seq in held.items()):
                break
            entries, more = await anyio.to_thread.run_sync(lambda: store.changes_after(self.positions, 200))
            pairs = []
            for entry in entries:
                self.clock.observe_stamp(entry.stamp)
                self.positions[entry.origin] = max(self.positions.get(entry.origin, 0), entry.seq)
                pairs += [(entry.stamp, c) for c in entry.entities]
            total += len(entries)
            if pairs:
                await self._install(pairs, [])
            if not more:
                break
        return total

    async def changes_since(self, since: dict[str, int], limit: int) -> tuple[list[Entry], bool]:
        store = self._require_store()
        return await anyio.to_thread.run_sync(lambda: store.changes_after(since, limit))

    # -- the view ----------------------------------------------------------------------------------------
    async def _install(self, pairs: list[tuple[Stamp, EntityChange]], reload_services: list[str]) -> None:
        """Update the view with entity values (newest stamp wins); raise the events a local change would."""
        from artemis_server.management.view import routing_services

        mgmt = self.node.mgmt
        winners: dict[str, tuple[Stamp, EntityChange]] = {}
        for stamp, change in pairs:
            have = winners.get(change.id)
            current = have[0] if have is not None else self.versions.get(change.id)
            if wins(stamp, current):
                winners[change.id] = (stamp, change)
        memory = [c for _, c in winners.values() if c.kind not in ent.ROUTING_KINDS]
        routing = [c for _, c in winners.values() if c.kind in ent.ROUTING_KINDS]
        services = {fold(s): s for s in reload_services}
        for c in memory:
            if c.kind == "canary":
                old = mgmt.canary.get(c.key[0])
                if old is not None or c.value is not None:
                    name = str(c.value["serviceId"]) if c.value else old.service_id if old else c.key[0]
                    services.setdefault(fold(name), name)
        before = self._visible_many([ent.scope_of(c) for c in memory if c.kind in ent.OP_KINDS])
        for c in memory:
            ent.install_memory(mgmt, c)
        mgmt.rebuild()
        if routing:
            touched = routing_services(self.node.router, routing)
            await self._reload_routing()
            touched |= routing_services(self.node.router, routing)
            for s in touched:
                services.setdefault(fold(s), s)
        for stamp, change in winners.values():
            self.versions[change.id] = stamp
        self._emit_visibility(before)
        now_ms = self.node.now_ms()
        if services:
            self.node.bus.reload(sorted(services.values()), now_ms)
        self.node.registry.touch()
        if self.node.snapshots.ring:  # J delta clients see the change at their next poll, not 30 s later
            self.node.take_snapshot()

    # -- S10.10 events ---------------------------------------------------------------------------------
    def _affected(self, scope: tuple[str, ...]) -> list[Instance]:
        reg = self.node.registry
        kind = scope[0]
        if kind == "instance":
            inst = reg.get_instance(scope[1], scope[2], scope[3])
            return [inst] if inst is not None else []
        out: list[Instance] = []
        if kind == "zone" and scope[3]:
            entry = reg.get_service(scope[3])
            entries = [entry] if entry is not None else []
        else:
            entries = list(reg.iter_services())
        region = fold(scope[1])
        for entry in entries:
            for inst in entry.instances.values():
                if fold(inst.region_id or "") != region:
                    continue
                if (kind == "server" and inst.ip == scope[2]) or (
                    kind == "zone" and inst.zone_id == scope[2]
                ):
                    out.append(inst)
        return out

    def _visible_many(self, scopes: list[tuple[str, ...]]) -> dict[str, tuple[Instance, bool]]:
        is_down = self.node.mgmt.is_down
        out: dict[str, tuple[Instance, bool]] = {}
        for scope in scopes:
            for i in self._affected(scope):
                out.setdefault(instance_identity(i), (i, is_down(i)))
        return out

    def _emit_visibility(self, before: dict[str, tuple[Instance, bool]]) -> None:
        if not before:
            return
        is_down = self.node.mgmt.is_down
        gone: list[Instance] = []
        back: list[Instance] = []
        for inst, was_down in before.values():
            now_down = is_down(inst)
            if now_down and not was_down:
                gone.append(inst)
            elif was_down and not now_down:
                back.append(inst)
        now_ms = self.node.now_ms()
        self.node.bus.emit("delete", gone, now_ms)
        self.node.bus.emit("new", back, now_ms)

    # -- reads -------------------------------------------------------------------------------------------
    async def audit(self, q: AuditQuery) -> list[AuditLog]:
        store = self._require_store()
        return await anyio.to_thread.run_sync(lambda: store.query_audit(q))

    async def j_logs(self, table: str, filters: dict[str, Any], limit: int) -> list[JLog]:
        store = self._require_store()
        return await anyio.to_thread.run_sync(lambda: store.query_j_logs(table, filters, limit))


def _changed_scopes(old: ManagementState, new: ManagementState) -> list[tuple[str, ...]]:
    """Targets whose records differ between two views (a reload emits events for those only)."""

    def sig(records: dict[str, OperationRecord]) -> set[tuple[str, bool]]:
        return {(r.operation, r.effective) for r in records.values()}

    scopes: list[tuple[str, ...]] = []
    for key in old.instance_ops.keys() | new.instance_ops.keys():
        if sig(old.instance_ops.get(key, {})) != sig(new.instance_ops.get(key, {})):
            scopes.append(("instance", *key.split(ent.SEP)))
    for skey in old.server_ops.keys() | new.server_ops.keys():
        if sig(old.server_ops.get(skey, {})) != sig(new.server_ops.get(skey, {})):
            scopes.append(("server", *skey))
    for zkey in old.zone_ops.keys() | new.zone_ops.keys():
        if sig(old.zone_ops.get(zkey, {})) != sig(new.zone_ops.get(zkey, {})):
            scopes.append(("zone", *zkey))
    return scopes


__all__ = ["ManagementService"]
