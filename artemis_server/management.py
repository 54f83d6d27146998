"""The management plane: every state-changing management call goes through ``ManagementService.execute``.

A command (``"instance.operate"``, ``"zone.operate"``, ``"canary.set"``, ...) with JSON-able ``args`` is
turned into a list of record changes plus its audit record; the changes are written to the store in one
transaction (committed before the caller answers), then applied to the in-memory view discovery reads
(``mgmt``), and instances whose visibility changed raise ``delete`` / ``new`` events (S10.10), canary `reload`
(S11.4). Listeners (peer replication) hear about every command that did not itself arrive from a peer.

Registration, heartbeat and discovery never wait for the database: when it is unreachable, management calls
fail with :class:`StorageUnavailableError` and everything else keeps serving from memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

from artemis_server.errors import ArtemisError, BadRequestError, NotFoundError, StorageUnavailableError
from artemis_server.registry.management import CanaryConfig, OperationRecord
from artemis_server.registry.model import Instance, instance_identity
from artemis_server.registry.routing import RoutingTable
from artemis_server.store.repository import AuditQuery, CanaryRow, Loaded, OpRow, SqlStore, Tx

if TYPE_CHECKING:
    from artemis_server.node import Node

log = logging.getLogger(__name__)

OPERATIONS = ("pullout", "pullin")

Listener = Callable[[str, dict[str, Any], str], Awaitable[None] | None]


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
class Change:
    """One record change: applied to the store inside the transaction, then to memory."""

    action: str  # put | delete
    row: OpRow | None = None
    all_operations: bool = False
    canary: CanaryRow | None = None
    canary_delete: str | None = None


@dataclass(slots=True)
class Plan:
    changes: list[Change] = field(default_factory=list)
    audit: tuple[str, str, str, Any] | None = None  # operationType, targetId, operation, details
    j_log: tuple[str, dict[str, Any]] | None = None
    scope: tuple[str, ...] = ()  # which registered instances may change visibility
    reload_services: list[str] = field(default_factory=list)
    result: Any = None
    # Commands whose rows get ids from the database (routing): ``write`` runs inside the transaction and its
    # value goes to ``apply``, which updates memory (on the event loop) and may return the call's result.
    write: Callable[[Tx], Any] | None = None
    apply: Callable[[Any], Any] | None = None
    audits: list[tuple[str, str, str, Any]] = field(default_factory=list)
    j_logs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class ManagementService:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.store: SqlStore | None = None
        self.database_id: str | None = None
        self.listeners: list[Listener] = []
        self.ready = False
        self.error: str | None = None
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

        from artemis_server.registry.routing import RoutingTable

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
        await self.reload()
        self.ready = True
        self.error = None
        log.info("management state loaded from %s database", store.backend)
        interval = self.node.settings.database.reload_interval_secs
        if interval > 0:
            self.node.spawn(self._reload_loop(interval), "management-reload")
        if self.node.settings.audit.retention_days > 0:
            self.node.spawn(self._retention_loop(), "audit-retention")
        if self.node.settings.cluster.enabled and self.node.settings.cluster.peers:
            self.node.spawn(self._sync_at_start(), "management-catch-up")

    async def prune_audit(self) -> int:
        """Drop audit entries older than `audit.retention_days` (S18.4); returns how many went."""
        store = self._require_store()
        days = self.node.settings.audit.retention_days
        cutoff = int(time.time()) - days * 86400
        removed: int = await anyio.to_thread.run_sync(lambda: store.prune_audit(cutoff))
        if removed:
            log.info("audit retention: dropped %d entries older than %d days", removed, days)
        return removed

    # -- catching up after a restart (separate databases) ------------------------------------------------
    async def export_state(self) -> dict[str, Any]:
        store = self._require_store()
        last = await anyio.to_thread.run_sync(store.last_change)
        tables = await anyio.to_thread.run_sync(store.export_state)
        return {"databaseId": self.database_id, "lastChange": last, "tables": tables}

    async def sync_from_peers(self, peer_urls: list[str], *, timeout: float, token: str | None) -> str | None:
        """Copy the newest management state of a peer with its own database, if it is newer than ours.

        Relayed commands keep running nodes in step; a node that was down missed them. At start it asks every
        peer for its state and last-change time and takes the newest copy (whole-state last-writer-wins).
        Returns the peer copied from, or None.
        """
        import httpx

        store = self._require_store()
        own_last = await anyio.to_thread.run_sync(store.last_change)
        headers = {"X-Artemis-Replication": "true", "X-Artemis-Node-Url": self.node.url}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        best: tuple[float, str, dict[str, Any]] | None = None
        from artemis_server.replication.client import tls_context

        cs = self.node.settings.cluster
        verify = tls_context(cs.ca_file, cs.tls_verify)  # the same trust as replication to these peers
        async with httpx.AsyncClient(timeout=timeout, headers=headers, verify=verify) as http:
            for url in peer_urls:
                try:
                    r = await http.post(
                        url.rstrip("/") + "/api/replication/management/state.json", content=b"{}"
                    )
                    doc = r.json() if r.status_code == 200 else None
                except (httpx.HTTPError, ValueError):
                    doc = None
                if not isinstance(doc, dict) or not isinstance(doc.get("tables"), dict):
                    continue
                if doc.get("databaseId") == self.database_id:
                    return None  # one shared database: nothing to copy
                last = float(doc.get("lastChange") or 0)
                if best is None or last > best[0]:
                    best = (last, url, doc)
        if best is None or best[0] <= own_last:
            return None
        last, url, doc = best
        async with self._get_lock():
            await anyio.to_thread.run_sync(lambda: store.import_state(doc["tables"], last))
        await self.reload()
        log.info("management state copied from %s (newer than ours)", url)
        return url

    async def _sync_at_start(self) -> None:
        cs = self.node.settings.cluster
        for _ in range(250):  # replication attaches the peer set in its own start hook
            if self.node.peers is not None:
                break
            await asyncio.sleep(0.02)
        peers = self.node.peers
        urls = [p.url for p in getattr(peers, "peers", [])]
        if not urls:
            return
        token = cs.peer_token.get_secret_value() if cs.peer_token is not None else None
        try:
            await self.sync_from_peers(urls, timeout=cs.sync_timeout_secs, token=token)
        except StorageUnavailableError as exc:
            log.warning("management catch-up from peers skipped: %s", exc)

    async def _retention_loop(self) -> None:
        while True:  # at start, then daily
            try:
                await self.prune_audit()
            except StorageUnavailableError as exc:
                log.warning("audit retention skipped: %s", exc)
            await asyncio.sleep(86400)

    async def _reload_loop(self, interval: float) -> None:
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

    async def reload(self) -> None:
        """Re-read the whole management state from the database (peers sharing it call this)."""
        assert self.store is not None
        loaded: Loaded = await anyio.to_thread.run_sync(self.store.load)
        async with self._get_lock():
            self._apply_loaded(loaded)

    def _apply_loaded(self, loaded: Loaded) -> None:
        mgmt = self.node.mgmt
        before = self._visible(("all",))
        mgmt.clear()
        for row in loaded.ops:
            self._put_memory(row)
        for c in loaded.canary:
            mgmt.canary[c.service_id.lower()] = CanaryConfig(
                c.service_id, list(c.ip_whitelist), c.enabled, c.created_at, c.updated_at
            )
        mgmt.rebuild()
        table = self.node.router
        if isinstance(table, RoutingTable):
            table.clear()
            for g in loaded.groups:
                table.put_group(g)
            for b in loaded.bindings:
                table.bindings[(b.group_id, b.instance_id)] = b
            for r in loaded.rules:
                table.rules[r.route_id] = r
            table.group_ops.update(loaded.group_ops)
            for si in loaded.service_instances:
                table.service_instances[(str(si["serviceId"]).lower(), str(si["instanceId"]))] = si
            table.rebuild()
        self._emit_diff(before, ("all",))
        self.node.registry.touch()

    def _get_lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    # -- the one entry point ---------------------------------------------------------------------------
    async def execute(
        self, command: str, args: dict[str, Any], *, operator: str = "", origin: str | None = None
    ) -> Any:
        builder = self._commands.get(command)
        if builder is None:
            raise BadRequestError(f"unknown management command {command!r}", field="command")
        store = self._require_store()
        async with self._get_lock():
            plan = builder(args, operator)
            now = time.time()
            written = await anyio.to_thread.run_sync(
                lambda: store.write(lambda tx: self._write(tx, plan, operator), now=now)
            )
            before = self._visible(plan.scope)
            for change in plan.changes:
                self._apply_memory(change)
            if plan.apply is not None:
                applied = plan.apply(written)
                if applied is not None:
                    plan.result = applied
            self.node.mgmt.rebuild()
            self._emit_diff(before, plan.scope)
            if plan.reload_services:
                self.node.bus.reload(plan.reload_services, self.node.now_ms())
            self.node.registry.touch()
            if self.node.snapshots.ring:  # J delta clients see the change at their next poll, not 30 s later
                self.node.take_snapshot()
            self.node.metrics.management_ops.labels(command).inc()
        if origin is None:
            await self._notify(command, args, operator)
        return plan.result

    async def _notify(self, command: str, args: dict[str, Any], operator: str) -> None:
        for listener in list(self.listeners):
            try:
                res = listener(command, args, operator)
                if res is not None:
                    await res
            except Exception:
                log.exception("management listener failed for %s", command)

    def _write(self, tx: Tx, plan: Plan, operator: str) -> Any:
        written = plan.write(tx) if plan.write is not None else None
        tx.touch()
        for change in plan.changes:
            if change.canary is not None:
                tx.put_canary(change.canary)
            elif change.canary_delete is not None:
                tx.delete_canary(change.canary_delete)
            elif change.row is not None and change.action == "put":
                tx.put_op(change.row)
            elif change.row is not None:
                tx.delete_ops(change.row, operation=None if change.all_operations else change.row.operation)
        if plan.j_log is not None:
            tx.j_log(*plan.j_log)
        for table, values in plan.j_logs:
            tx.j_log(table, values)
        audits = ([plan.audit] if plan.audit is not None else []) + plan.audits
        for op_type, target, operation, details in audits:
            tx.audit(op_type, target, operation, operator, details)
        return written

    # -- memory mirror -----------------------------------------------------------------------------------
    def _put_memory(self, row: OpRow) -> None:
        mgmt = self.node.mgmt
        rec = OperationRecord(row.operation, row.effective, False, row.operator_id, row.token, row.time)
        if row.kind == "instance":
            mgmt.put_instance_op(row.region_id, row.target[0], row.target[1], rec)
        elif row.kind == "server":
            mgmt.put_server_op(row.region_id, row.target[0], rec)
        else:
            mgmt.put_zone_op(row.region_id, row.target[0], row.target[1], rec)

    def _apply_memory(self, change: Change) -> None:
        mgmt = self.node.mgmt
        if change.canary is not None:
            c = change.canary
            mgmt.canary[c.service_id.lower()] = CanaryConfig(
                c.service_id, list(c.ip_whitelist), c.enabled, c.created_at, c.updated_at
            )
            return
        if change.canary_delete is not None:
            mgmt.canary.pop(change.canary_delete.lower(), None)
            return
        row = change.row
        assert row is not None
        if change.action == "put":
            self._put_memory(row)
            return
        op = None if change.all_operations else row.operation
        if row.kind == "instance":
            mgmt.delete_instance_ops(row.region_id, row.target[0], row.target[1], op)
        elif row.kind == "server":
            mgmt.delete_server_ops(row.region_id, row.target[0], op)
        else:
            mgmt.delete_zone_ops(row.region_id, row.target[0], row.target[1], op)

    # -- S10.10 events ---------------------------------------------------------------------------------
    def _affected(self, scope: tuple[str, ...]) -> list[Instance]:
        reg = self.node.registry
        if not scope:
            return []
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
        for entry in entries:
            for inst in entry.instances.values():
                if kind == "all":
                    out.append(inst)
                elif (inst.region_id or "").lower() != scope[1].lower():
                    continue
                elif (kind == "server" and inst.ip == scope[2]) or (
                    kind == "zone" and inst.zone_id == scope[2]
                ):
                    out.append(inst)
        return out

    def _visible(self, scope: tuple[str, ...]) -> dict[str, tuple[Instance, bool]]:
        is_down = self.node.mgmt.is_down
        return {instance_identity(i): (i, is_down(i)) for i in self._affected(scope)}

    def _emit_diff(self, before: dict[str, tuple[Instance, bool]], scope: tuple[str, ...]) -> None:
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

    def _instance_operate(self, args: dict[str, Any], operator: str) -> Plan:
        region = self._region(args)
        service = _req(args, "serviceId")
        instance = _req(args, "instanceId")
        op = norm_operation(args.get("operation"))
        complete = bool(args.get("operationComplete", False))
        token = args.get("token") if isinstance(args.get("token"), str) else None
        java = args.get("style") == "j"
        row = OpRow("instance", region, (service, instance), op, True, operator, token)
        plan = Plan(scope=("instance", region, service, instance))
        if java:
            # S10.6: complete=false inserts (identity, op) as effective; complete=true deletes that record.
            plan.changes.append(Change("delete" if complete else "put", row))
        elif op == "pullout":
            row.effective = complete  # S10.2: an announced (incomplete) pull-out does not take it down
            plan.changes.append(Change("put", row))
        else:
            plan.changes.append(Change("delete", row, all_operations=True))
        details: dict[str, Any] = {"operationComplete": complete}
        if java:
            details["api"] = "java"
        if args.get("reason"):
            details["reason"] = args.get("reason")
        plan.audit = ("instance", f"{service}:{region}:{instance}", op, details)
        ext = args.get("extensions")
        plan.j_log = (
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
        row = OpRow("server", region, (server,), op, True, operator, token)
        plan = Plan(scope=("server", region, server))
        if java:
            plan.changes.append(Change("delete" if complete else "put", row))
        elif complete and op == "pullout":
            plan.changes.append(Change("put", row))
        elif complete:
            plan.changes.append(Change("delete", row, all_operations=True))
        # R with operationComplete=false: recorded in the logs only (S10.5).
        plan.audit = ("server", f"{server}:{region}", op, {"operationComplete": complete})
        plan.j_log = (
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
        row = OpRow("zone", region, (zone, service), op, True, operator)
        plan = Plan(scope=("zone", region, zone, service))
        if java:
            plan.changes.append(Change("delete" if complete else "put", row))
        elif op == "pullout":
            plan.changes.append(Change("put", row))
        else:
            plan.changes.append(Change("delete", row, all_operations=True))
        target = f"zone:{zone},region:{region}" + (f",service:{service}" if service else "")
        plan.audit = ("zone", target, op, {"operationComplete": complete} if java else None)
        plan.j_log = (
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
        cfg = self.node.mgmt.canary.get(service.lower())
        if cfg is None:
            raise NotFoundError(f"no canary config for service {service}")
        return cfg

    def _canary_plan(self, cfg: CanaryRow, operation: str, details: Any = None) -> Plan:
        plan = Plan(changes=[Change("put", canary=cfg)], reload_services=[cfg.service_id])
        plan.audit = ("canary", f"service:{cfg.service_id}", operation, details)
        plan.result = canary_view(cfg)
        return plan

    def _canary_set(self, args: dict[str, Any], operator: str) -> Plan:
        service = _req(args, "serviceId")
        ips = _ip_list(args.get("ipWhitelist"), "ipWhitelist", required=True)
        enabled = args.get("enabled")
        now = int(time.time())
        old = self.node.mgmt.canary.get(service.lower())
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
        cfg = self.node.mgmt.canary.get(service.lower())
        plan = Plan(
            changes=[Change("delete", canary_delete=service)], reload_services=[service] if cfg else []
        )
        plan.audit = ("canary", f"service:{cfg.service_id if cfg else service}", "delete", None)
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
    async def audit(self, q: AuditQuery) -> list[dict[str, Any]]:
        store = self._require_store()
        return await anyio.to_thread.run_sync(lambda: store.query_audit(q))

    async def j_logs(self, table: str, filters: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        store = self._require_store()
        return await anyio.to_thread.run_sync(lambda: store.query_j_logs(table, filters, limit))


def canary_view(c: CanaryRow | CanaryConfig) -> dict[str, Any]:
    return {"serviceId": c.service_id, "ipWhitelist": list(c.ip_whitelist), "enabled": c.enabled}


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


__all__ = ["ArtemisError", "Change", "ManagementService", "Plan", "canary_view", "norm_operation"]
