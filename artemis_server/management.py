"""The management plane: every state-changing management call goes through ``ManagementService.execute``.

A command (``"instance.operate"``, ``"zone.operate"``, ``"canary.set"``, ``"routing.group.create"`` ...) with
JSON-able ``args`` is planned against the in-memory view: validation errors raise before anything is written,
and the plan holds the resulting value of every entity the command touches (artemis_server/entities.py) plus
its audit record and Java log rows. One transaction writes the entities' rows, their versions, the audit rows
and the change-log entry (store/changelog.py), committed before the caller answers; then the view discovery
reads is updated and instances whose visibility changed raise ``delete`` / ``new`` (S10.10), canary and
routing changes ``reload`` (S13.1).

Changes made on other nodes arrive as change-log entries (replication/mgmt_sync.py pulls them from peers; a
database shared with other nodes is watched by :class:`~artemis_server.mgmt_watch.SharedWatch`) and are merged
entity by entity: the value with the newer hybrid-logical-clock stamp wins (S14.2). A merged change raises the
same events as a local one.

Registration, heartbeat and discovery never wait for the database: when it is unreachable, management calls
fail with :class:`StorageUnavailableError` and everything else keeps serving from memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

from artemis_client.errors import (
    ArtemisError,
    BadRequestError,
    NotFoundError,
    StorageUnavailableError,
    UnavailableError,
)
from artemis_client.wire.audit import AuditLog, JLog
from artemis_client.wire.registry import Instance
from artemis_server import entities as ent
from artemis_server.entities import EntityChange, fold
from artemis_server.hlc import ZERO, HybridClock, Stamp, wins
from artemis_server.registry.management import CanaryConfig, ManagementState, OperationRecord
from artemis_server.registry.model import instance_identity
from artemis_server.registry.routing import RoutingTable
from artemis_server.store.changelog import Entry
from artemis_server.store.repository import AuditQuery, CanaryRow, Loaded, SqlStore, StaleStateError
from artemis_server.views import canary_view

if TYPE_CHECKING:
    from artemis_server.node import Node

log = logging.getLogger(__name__)

OPERATIONS = ("pullout", "pullin")
MAX_ATTEMPTS = (
    8  # a write planned against a view another node sharing the database just changed is re-planned
)


def norm_operation(value: Any, field_name: str = "operation") -> str:
    """N6: ``pullOut``, ``pull-out``, ``PULL_OUT`` all mean ``pullout``."""
    if not isinstance(value, str) or not value.strip():
        raise BadRequestError(f"missing required field `{field_name}`", field=field_name)
    op = value.strip().lower().replace("-", "").replace("_", "")
    if op not in OPERATIONS:
        raise BadRequestError(
            f"invalid field `{field_name}`: expected pullout or pullin, got {value!r}", field=field_name
        )
    return op


def _req(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise BadRequestError(f"missing required field `{name}`", field=name)
    if not isinstance(value, str):
        raise BadRequestError(f"invalid field `{name}`: expected a string", field=name)
    return value.strip()


def _opt(args: dict[str, Any], name: str, default: str = "") -> str:
    value = args.get(name)
    return value.strip() if isinstance(value, str) else default


@dataclass(slots=True)
class Plan:
    """What a command will do: entity values, audit records, Java log rows, and how to answer."""

    entities: list[EntityChange] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    j_logs: list[list[Any]] = field(default_factory=list)
    reload_services: list[str] = field(default_factory=list)
    result: Any = None
    # Commands whose answer names what the write produced (a new group's id): computed from the updated view.
    after: Callable[[], Any] | None = None

    def audit(
        self,
        op_type: str,
        target: str,
        operation: str,
        details: Any = None,
        refs: dict[str, str] | None = None,
    ) -> None:
        """One audit record; ``refs`` names the group key / routeId behind REF_GROUP / REF_RULE."""
        doc: dict[str, Any] = {"type": op_type, "target": target, "operation": operation, "details": details}
        if refs:
            doc["refs"] = refs
        self.audits.append(doc)

    def j_log(self, table: str, values: dict[str, Any], refs: dict[str, str] | None = None) -> None:
        self.j_logs.append([table, values, refs or {}])


class ManagementService:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.store: SqlStore | None = None
        self.database_id: str | None = None
        self.ready = False
        self.error: str | None = None
        self.origin = ""
        self.clock = HybridClock("")
        # per entity, the stamp of the value the view holds; per origin, the last change the view holds
        self.versions: dict[str, Stamp] = {}
        self.positions: dict[str, int] = {}
        # called (on the event loop) after every change committed here: peers are told to pull
        self.on_commit: list[Callable[[], None]] = []
        # called once the database is open (start-up catch-up from peers begins then)
        self.on_ready: list[Callable[[], None]] = []
        self.watch: Any = None
        self.reloads = 0  # whole-view reloads done (start, periodic)
        self._lock: asyncio.Lock | None = None
        self._commands: dict[str, Callable[[dict[str, Any], str], Plan]] = {
            "instance.operate": self._instance_operate,
            "server.operate": self._server_operate,
            "zone.operate": self._zone_operate,
            "canary.set": self._canary_set,
            "canary.enable": self._canary_enable,
            "canary.delete": self._canary_delete,
            "canary.whitelist": self._canary_whitelist,
        }

        if isinstance(node.router, RoutingTable):
            from artemis_server.routing_commands import RoutingCommands

            self.routing: RoutingCommands | None = RoutingCommands(self, node.router)
        else:
            self.routing = None

    def register_command(self, name: str, builder: Callable[[dict[str, Any], str], Plan]) -> None:
        """Later planes (routing) add their commands here."""
        self._commands[name] = builder

    # -- lifecycle -----------------------------------------------------------------------------------
    async def open(self) -> None:
        """Connect, migrate and load. A database that is down at start is retried in the background."""
        settings = self.node.settings
        db = settings.database
        self.store = SqlStore(
            settings.database_url(), max_connections=db.max_connections, busy_timeout_ms=db.busy_timeout_ms
        )
        try:
            await self._open_once()
        except StorageUnavailableError as exc:
            self.error = str(exc)
            log.error("%s; management calls fail until it is reachable (retrying)", exc)
            self.node.spawn(self._retry_open(), "management-open-retry")

    async def _open_once(self) -> None:
        assert self.store is not None
        store = self.store
        self.database_id = await anyio.to_thread.run_sync(store.open)
        # The writer's stream: a database that was wiped gets a new id, so sequence numbers are never reused.
        self.origin = f"{self.node.node_id}/{self.database_id}"
        self.clock = HybridClock(self.origin)
        # Never behind the newest change this database holds (survives restarts and wall-clock steps back).
        self.clock.observe_stamp(await anyio.to_thread.run_sync(store.newest_stamp))
        await self.reload()
        self.ready = True
        self.error = None
        log.info("management state loaded from %s database", store.backend)
        from artemis_server.mgmt_watch import SharedWatch

        self.watch = SharedWatch(self)
        self.node.spawn(self.watch.run(), "management-shared-watch")
        interval = self.node.settings.database.reload_interval_secs
        if interval > 0:
            self.node.spawn(self._reload_loop(interval), "management-reload")
        if self.node.settings.audit.retention_days > 0:
            self.node.spawn(self._retention_loop(), "audit-retention")
        for fn in list(self.on_ready):
            fn()

    async def prune_audit(self) -> int:
        """Drop audit entries older than `audit.retention_days` (S18.4); returns how many went."""
        store = self._require_store()
        days = self.node.settings.audit.retention_days
        cutoff = int(time.time()) - days * 86400
        removed: int = await anyio.to_thread.run_sync(lambda: store.prune_audit(cutoff))
        if removed:
            log.info("audit retention: dropped %d entries older than %d days", removed, days)
        return removed

    async def _retention_loop(self) -> None:
        while True:  # at start, then daily
            try:
                await self.prune_audit()
            except StorageUnavailableError as exc:
                log.warning("audit retention skipped: %s", exc)
            await asyncio.sleep(86400)

    async def _reload_loop(self, interval: float) -> None:
        """Mixed clusters: Java nodes write the shared tables without our change log; re-read them."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reload()
            except StorageUnavailableError as exc:
                log.warning("periodic management reload failed: %s", exc)

    async def _retry_open(self) -> None:
        delay = 1.0
        while not self.ready:
            await asyncio.sleep(delay)
            try:
                await self._open_once()
            except StorageUnavailableError as exc:
                self.error = str(exc)
                delay = min(delay * 2, 30.0)

    async def close(self) -> None:
        if self.store is not None:
            await anyio.to_thread.run_sync(self.store.close)

    def _require_store(self) -> SqlStore:
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
        from artemis_server.mgmt_view import routing_signature

        fresh = ManagementState()
        for row in loaded.ops:
            rec = OperationRecord(row.operation, row.effective, False, row.operator_id, row.token, row.time)
            if row.kind == "instance":
                fresh.put_instance_op(row.region_id, row.target[0], row.target[1], rec)
            elif row.kind == "server":
                fresh.put_server_op(row.region_id, row.target[0], rec)
            else:
                fresh.put_zone_op(row.region_id, row.target[0], row.target[1], rec)
        for c in loaded.canary:
            fresh.canary[fold(c.service_id)] = CanaryConfig(
                c.service_id, list(c.ip_whitelist), c.enabled, c.created_at, c.updated_at
            )
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
    async def execute(self, command: str, args: dict[str, Any], *, operator: str = "") -> Any:
        builder = self._commands.get(command)
        if builder is None:
            raise BadRequestError(f"unknown management command {command!r}", field="command")
        store = self._require_store()
        async with self.get_lock():
            for _ in range(MAX_ATTEMPTS):
                plan = builder(args, operator)
                now = time.time()
                for a in plan.audits:
                    a["operator"], a["time"] = operator, int(now)
                for item in plan.j_logs:
                    item[1].setdefault("OPERATOR_ID", operator)
                entry = Entry(self.origin, 0, ZERO, command, plan.entities, plan.audits, plan.j_logs)
                expected = {e.id: self.versions.get(e.id) for e in plan.entities}
                try:
                    await anyio.to_thread.run_sync(store.commit_local, entry, self.clock, expected, now)
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
            self.node.metrics.management_ops.labels(command).inc()
        for fn in list(self.on_commit):
            fn()
        return result

    # -- changes made elsewhere --------------------------------------------------------------------------
    async def merge_remote(self, entries: list[Entry]) -> int:
        """Merge changes pulled from a peer (own database): write what is new here, then update the view."""
        if not entries:
            return 0
        store = self._require_store()
        async with self.get_lock():
            done = await anyio.to_thread.run_sync(lambda: store.apply_remote(entries, self.clock))
            pairs = [(entry.stamp, change) for entry, applied in done for change in applied]
            for entry, _ in done:
                self.positions[entry.origin] = max(self.positions.get(entry.origin, 0), entry.seq)
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
        from artemis_server.mgmt_view import routing_services

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

    # -- commands: instance / server / zone (S10) --------------------------------------------------------
    def _region(self, args: dict[str, Any]) -> str:
        return _opt(args, "regionId") or self.node.settings.server.region

    def _ops_change(
        self, kind: str, names: tuple[str, ...], put: OperationRecord | None, drop: str | None
    ) -> EntityChange:
        """The target's records after putting ``put`` and/or dropping ``drop`` (``"*"`` = every record)."""
        spelled, records = ent.current_ops(self.node.mgmt, kind, names)
        if drop == "*":
            records.clear()
        elif drop is not None:
            records.pop(drop, None)
        if put is not None:
            records[put.operation] = put
        return ent.ops_change(kind, spelled, records)

    def _instance_operate(self, args: dict[str, Any], operator: str) -> Plan:
        region = self._region(args)
        service = _req(args, "serviceId")
        instance = _req(args, "instanceId")
        op = norm_operation(args.get("operation"))
        complete = bool(args.get("operationComplete", False))
        token = args.get("token") if isinstance(args.get("token"), str) else None
        java = args.get("style") == "j"
        rec = OperationRecord(op, True, False, operator, token, time.time())
        names = (region, service, instance)
        plan = Plan()
        if java:
            # S10.6: complete=false inserts (identity, op) as effective; complete=true deletes that record.
            change = self._ops_change("instance", names, None if complete else rec, op if complete else None)
        elif op == "pullout":
            rec.effective = complete  # S10.2: an announced (incomplete) pull-out does not take it down
            change = self._ops_change("instance", names, rec, None)
        else:
            change = self._ops_change("instance", names, None, "*")
        plan.entities.append(change)
        details: dict[str, Any] = {"operationComplete": complete}
        if java:
            details["api"] = "java"
        if args.get("reason"):
            details["reason"] = args.get("reason")
        plan.audit("instance", f"{service}:{region}:{instance}", op, details)
        ext = args.get("extensions")
        plan.j_log(
            "instance_log",
            {
                "INSTANCE_ID": instance,
                "SERVICE_ID": service,
                "REGION_ID": region,
                "OPERATION": op,
                "OPERATOR_ID": operator,
                "TOKEN": token,
                "COMPLETE": 1 if complete else 0,
                "EXTENSIONS": _json(ext if isinstance(ext, dict) else {}),
            },
        )
        return plan

    def _server_operate(self, args: dict[str, Any], operator: str) -> Plan:
        region = self._region(args)
        server = _req(args, "serverId")
        op = norm_operation(args.get("operation"))
        complete = bool(args.get("operationComplete", False))
        token = args.get("token") if isinstance(args.get("token"), str) else None
        java = args.get("style") == "j"
        rec = OperationRecord(op, True, False, operator, token, time.time())
        names = (region, server)
        plan = Plan()
        if java:
            plan.entities.append(
                self._ops_change("server", names, None if complete else rec, op if complete else None)
            )
        elif complete and op == "pullout":
            plan.entities.append(self._ops_change("server", names, rec, None))
        elif complete:
            plan.entities.append(self._ops_change("server", names, None, "*"))
        # R with operationComplete=false: recorded in the logs only (S10.5).
        plan.audit("server", f"{server}:{region}", op, {"operationComplete": complete})
        plan.j_log(
            "server_log",
            {
                "SERVER_ID": server,
                "REGION_ID": region,
                "OPERATION": op,
                "OPERATOR_ID": operator,
                "TOKEN": token,
                "COMPLETE": 1 if complete else 0,
                "EXTENSIONS": "{}",
            },
        )
        return plan

    def _zone_operate(self, args: dict[str, Any], operator: str) -> Plan:
        region = _req(args, "regionId")
        zone = _req(args, "zoneId")
        service = _opt(args, "serviceId")
        op = norm_operation(args.get("operation"))
        complete = bool(args.get("operationComplete", False))
        java = args.get("style") == "j"
        # zone status and operations report who and when (S10.8): the record carries both from the start
        rec = OperationRecord(op, True, False, operator, None, time.time())
        names = (region, zone, service)
        plan = Plan()
        if java:
            plan.entities.append(
                self._ops_change("zone", names, None if complete else rec, op if complete else None)
            )
        elif op == "pullout":
            plan.entities.append(self._ops_change("zone", names, rec, None))
        else:
            plan.entities.append(self._ops_change("zone", names, None, "*"))
        target = f"zone:{zone},region:{region}" + (f",service:{service}" if service else "")
        plan.audit("zone", target, op, {"operationComplete": complete} if java else None)
        plan.j_log(
            "service_zone_log",
            {
                "SERVICE_ID": service,
                "ZONE_ID": zone,
                "REGION_ID": region,
                "OPERATION": op,
                "OPERATOR_ID": operator,
                "TOKEN": args.get("token") if isinstance(args.get("token"), str) else None,
                "REASON": args.get("reason") if isinstance(args.get("reason"), str) else None,
                "COMPLETE": 1 if complete else 0,
            },
        )
        return plan

    # -- commands: canary (S11) --------------------------------------------------------------------------
    def _canary_existing(self, service: str) -> CanaryConfig:
        cfg = self.node.mgmt.canary.get(fold(service))
        if cfg is None:
            raise NotFoundError(f"no canary config for service {service}")
        return cfg

    def _canary_plan(self, cfg: CanaryRow, operation: str, details: Any = None) -> Plan:
        config = CanaryConfig(cfg.service_id, cfg.ip_whitelist, cfg.enabled, cfg.created_at, cfg.updated_at)
        plan = Plan(
            entities=[EntityChange("canary", ent.canary_key(cfg.service_id), ent.canary_value(config))],
            reload_services=[cfg.service_id],
        )
        plan.audit("canary", f"service:{cfg.service_id}", operation, details)
        plan.result = canary_view(cfg)
        return plan

    def _canary_set(self, args: dict[str, Any], operator: str) -> Plan:
        service = _req(args, "serviceId")
        ips = _ip_list(args.get("ipWhitelist"), "ipWhitelist", required=True)
        enabled = args.get("enabled")
        now = int(time.time())
        old = self.node.mgmt.canary.get(fold(service))
        row = CanaryRow(
            old.service_id if old else service,
            ips,
            True if enabled is None else bool(enabled),
            old.created_at if old else now,
            now,
        )
        return self._canary_plan(row, "set", {"ipWhitelist": ips, "enabled": row.enabled})

    def _canary_enable(self, args: dict[str, Any], operator: str) -> Plan:
        service = _req(args, "serviceId")
        cfg = self._canary_existing(service)
        enabled = bool(args.get("enabled", True))
        row = CanaryRow(cfg.service_id, list(cfg.ip_whitelist), enabled, cfg.created_at, int(time.time()))
        return self._canary_plan(row, "enable" if enabled else "disable")

    def _canary_delete(self, args: dict[str, Any], operator: str) -> Plan:
        service = _req(args, "serviceId")
        cfg = self.node.mgmt.canary.get(fold(service))
        # a tombstone even when there is no config here: it also wins over an older set made elsewhere
        plan = Plan(entities=[EntityChange("canary", ent.canary_key(service), None)])
        plan.audit("canary", f"service:{cfg.service_id if cfg else service}", "delete", None)
        return plan

    def _canary_whitelist(self, args: dict[str, Any], operator: str) -> Plan:
        service = _req(args, "serviceId")
        cfg = self._canary_existing(service)
        ips = _ip_list(args.get("ips"), "ips", required=True)
        action = _opt(args, "action", "add")
        current = list(cfg.ip_whitelist)
        if action == "add":
            for ip in ips:
                if ip not in current:
                    current.append(ip)
        else:
            current = [ip for ip in current if ip not in ips]
        row = CanaryRow(cfg.service_id, current, cfg.enabled, cfg.created_at, int(time.time()))
        return self._canary_plan(row, f"whitelist-{'add' if action == 'add' else 'remove'}", {"ips": ips})

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


def _ip_list(value: Any, name: str, *, required: bool) -> list[str]:
    if value is None:
        if required:
            raise BadRequestError(f"missing required field `{name}`", field=name)
        return []
    if isinstance(value, str):
        value = [v for v in (x.strip() for x in value.split(",")) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequestError(f"invalid field `{name}`: expected a list of IP addresses", field=name)
    import ipaddress

    out: list[str] = []
    for v in value:
        v = v.strip()
        try:
            if "/" in v:
                ipaddress.ip_network(v, strict=False)
            else:
                ipaddress.ip_address(v)
        except ValueError:
            raise BadRequestError(
                f"invalid field `{name}`: {v!r} is not an IP address or CIDR block", field=name
            ) from None
        if v not in out:
            out.append(v)
    return out


def _json(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))


__all__ = ["ArtemisError", "ManagementService", "Plan", "norm_operation"]
