"""SqlStore: the durable copy of the management state (S17), synchronous SQLAlchemy Core.

The management service calls it from a worker thread. Every management call is one :meth:`SqlStore.write`
transaction holding its record changes, its Java log row and its audit record, committed before the HTTP
answer. Identities compare case-insensitively like the in-memory view (S1), so ``SvcA`` and ``svca`` address
the same rows.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, DateTime, Engine, and_, delete, func, insert, or_, select, text, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError

from artemis_server.errors import BadRequestError, StorageUnavailableError
from artemis_server.registry.routing import Binding, Group, Rule
from artemis_server.store import tables as t
from artemis_server.store.engine import make_engine, migrate
from artemis_server.store.routing_repo import RoutingWriter, load_extras, load_routing

log = logging.getLogger(__name__)

# The management tables a node with its own database copies from a peer when it (re)starts. Logs and audit
# records are each node's own history and are not copied.
STATE_TABLES = (
    "instance",
    "server",
    "service_zone",
    "canary_config",
    "service_group",
    "service_group_tag",
    "service_group_instance",
    "service_group_operation",
    "service_instance",
    "service_route_rule",
    "service_route_rule_group",
)

T = TypeVar("T")


def _eq(col: Any, value: str) -> Any:
    return func.lower(col) == value.lower()


@dataclass(slots=True)
class OpRow:
    """An instance, server or zone operation record as stored."""

    kind: str  # instance | server | zone
    region_id: str
    target: tuple[str, ...]  # (serviceId, instanceId) | (serverId,) | (zoneId, serviceId)
    operation: str
    effective: bool = True
    operator_id: str = ""
    token: str | None = None
    time: float = 0.0


@dataclass(slots=True)
class CanaryRow:
    service_id: str
    ip_whitelist: list[str]
    enabled: bool
    created_at: int
    updated_at: int


@dataclass(slots=True)
class Loaded:
    ops: list[OpRow] = field(default_factory=list)
    canary: list[CanaryRow] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    group_ops: dict[int, set[str]] = field(default_factory=dict)
    service_instances: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class AuditQuery:
    types: list[str] | None = None
    operator_id: str | None = None
    operation: str | None = None
    target_prefix: list[str] | None = None  # any of
    target_contains: list[str] | None = None  # all of
    target_any: list[str] | None = None  # contains any of (combined with target_prefix as OR)
    tokens: list[str] | None = (
        None  # all of: ``group:7`` matches ``group:7,key:..`` and ``..,group:7``, not ``group:70``
    )
    since: int | None = None
    limit: int = 100


class Tx:
    """The write side of one transaction."""

    def __init__(self, conn: Connection, now: float) -> None:
        self.conn = conn
        self.now = now
        self.stamp = datetime.fromtimestamp(now, UTC).replace(tzinfo=None)
        self.routing = RoutingWriter(conn, self.stamp)

    # -- operation records -------------------------------------------------------------------------
    def _op_where(self, row: OpRow, *, with_operation: bool) -> tuple[Any, Any]:
        if row.kind == "instance":
            tbl = t.instance
            cond = [
                _eq(tbl.c.REGION_ID, row.region_id),
                _eq(tbl.c.SERVICE_ID, row.target[0]),
                _eq(tbl.c.INSTANCE_ID, row.target[1]),
            ]
        elif row.kind == "server":
            tbl = t.server
            cond = [_eq(tbl.c.REGION_ID, row.region_id), tbl.c.SERVER_ID == row.target[0]]
        else:
            tbl = t.service_zone
            cond = [
                _eq(tbl.c.REGION_ID, row.region_id),
                tbl.c.ZONE_ID == row.target[0],
                _eq(tbl.c.SERVICE_ID, row.target[1]),
            ]
        if with_operation:
            cond.append(tbl.c.OPERATION == row.operation)
        return tbl, and_(*cond)

    def put_op(self, row: OpRow) -> None:
        tbl, where = self._op_where(row, with_operation=True)
        values: dict[str, Any] = {"DataChange_LastTime": self.stamp}
        if row.kind == "instance":
            values.update(OPERATOR_ID=row.operator_id, TOKEN=row.token, EFFECTIVE=1 if row.effective else 0)
        elif row.kind == "server":
            values.update(OPERATOR_ID=row.operator_id, TOKEN=row.token)
        else:
            values.update(OPERATOR_ID=row.operator_id)
        res = self.conn.execute(update(tbl).where(where).values(**values))
        if res.rowcount:
            return
        if row.kind == "instance":
            ident = {"REGION_ID": row.region_id, "SERVICE_ID": row.target[0], "INSTANCE_ID": row.target[1]}
        elif row.kind == "server":
            ident = {"REGION_ID": row.region_id, "SERVER_ID": row.target[0]}
        else:
            ident = {"REGION_ID": row.region_id, "ZONE_ID": row.target[0], "SERVICE_ID": row.target[1]}
        self.conn.execute(
            insert(tbl).values(**ident, OPERATION=row.operation, CREATE_TIME=self.stamp, **values)
        )

    def delete_ops(self, row: OpRow, *, operation: str | None) -> int:
        """Delete the records of one target: of one operation, or all when ``operation`` is None."""
        row.operation = operation or ""
        tbl, where = self._op_where(row, with_operation=operation is not None)
        return int(self.conn.execute(delete(tbl).where(where)).rowcount or 0)

    # -- canary -------------------------------------------------------------------------------------
    def put_canary(self, row: CanaryRow) -> None:
        c = t.canary_config.c
        values = {"ip_whitelist": json.dumps(row.ip_whitelist), "enabled": 1 if row.enabled else 0}
        res = self.conn.execute(
            update(t.canary_config)
            .where(_eq(c.service_id, row.service_id))
            .values(**values, updated_at=row.updated_at)
        )
        if not res.rowcount:
            self.conn.execute(
                insert(t.canary_config).values(
                    service_id=row.service_id, created_at=row.created_at, updated_at=row.updated_at, **values
                )
            )

    def delete_canary(self, service_id: str) -> int:
        res = self.conn.execute(delete(t.canary_config).where(_eq(t.canary_config.c.service_id, service_id)))
        return int(res.rowcount or 0)

    def touch(self) -> None:
        """Record when the management state last changed (peers compare it to pick the newest copy)."""
        meta = t.artemis_meta
        value = repr(self.now)
        res = self.conn.execute(update(meta).where(meta.c.meta_key == "last_change").values(meta_value=value))
        if not res.rowcount:
            self.conn.execute(insert(meta).values(meta_key="last_change", meta_value=value))

    # -- logs ---------------------------------------------------------------------------------------
    def j_log(self, table: str, values: dict[str, Any]) -> None:
        tbl = t.metadata.tables[table]
        vals = {k: v for k, v in values.items() if k in tbl.c}
        vals.setdefault("CREATE_TIME", self.stamp)
        vals.setdefault("DataChange_LastTime", self.stamp)
        self.conn.execute(insert(tbl).values(**vals))

    def audit(
        self, operation_type: str, target_id: str, operation: str, operator_id: str, details: Any
    ) -> int:
        now_s = int(self.now)
        text = (
            details
            if details is None or isinstance(details, str)
            else json.dumps(details, separators=(",", ":"))
        )
        res = self.conn.execute(
            insert(t.audit_log).values(
                log_id=None,
                operation_type=operation_type,
                target_id=target_id,
                operation=operation,
                operator_id=operator_id,
                operation_time=now_s,
                details=text,
                created_at=now_s,
            )
        )
        pk = res.inserted_primary_key
        row_id = int(pk[0]) if pk else 0
        # logId increases from 1 and stays unique across nodes sharing the database: it is the row id.
        self.conn.execute(update(t.audit_log).where(t.audit_log.c.id == row_id).values(log_id=row_id))
        return row_id


class SqlStore:
    def __init__(self, url: str, *, max_connections: int = 10, busy_timeout_ms: int = 5000) -> None:
        self.url = url
        self.engine: Engine = make_engine(
            url, max_connections=max_connections, busy_timeout_ms=busy_timeout_ms
        )
        self.database_id: str | None = None

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def open(self) -> str:
        self.database_id = self._guard(lambda: migrate(self.engine))
        return self.database_id

    def close(self) -> None:
        self.engine.dispose()

    def _guard(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except IntegrityError:
            raise
        except DataError as exc:
            # The value does not fit its column (a string longer than the J/R schema allows, ...): the
            # request's fault, not the database's. The wire layer bounds the ids; this catches the rest.
            msg = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise BadRequestError(f"value not accepted by the management database: {msg}") from None
        except (DBAPIError, SQLAlchemyError, OSError) as exc:
            msg = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StorageUnavailableError(f"management database unavailable: {msg}") from exc

    @contextmanager
    def _tx(self, now: float) -> Iterator[Tx]:
        with self.engine.begin() as conn:
            yield Tx(conn, now)

    def write(self, fn: Callable[[Tx], T], *, now: float | None = None) -> T:
        """Run ``fn`` in one transaction, retried once on a unique-key race with another node."""
        stamp = now if now is not None else time.time()

        def run() -> T:
            with self._tx(stamp) as tx:
                return fn(tx)

        try:
            return self._guard(run)
        except IntegrityError:
            return self._guard(run)

    # -- reads ---------------------------------------------------------------------------------------
    def load(self) -> Loaded:
        return self._guard(self._load)

    def _load(self) -> Loaded:
        out = Loaded()
        with self.engine.connect() as conn:
            for r in conn.execute(select(t.instance)).mappings():
                out.ops.append(
                    OpRow(
                        "instance",
                        r["REGION_ID"],
                        (r["SERVICE_ID"], r["INSTANCE_ID"]),
                        r["OPERATION"],
                        bool(r["EFFECTIVE"]),
                        r["OPERATOR_ID"] or "",
                        r["TOKEN"],
                        _ts(r["DataChange_LastTime"]),
                    )
                )
            for r in conn.execute(select(t.server)).mappings():
                out.ops.append(
                    OpRow(
                        "server",
                        r["REGION_ID"],
                        (r["SERVER_ID"],),
                        r["OPERATION"],
                        True,
                        r["OPERATOR_ID"] or "",
                        r["TOKEN"],
                        _ts(r["DataChange_LastTime"]),
                    )
                )
            for r in conn.execute(select(t.service_zone)).mappings():
                out.ops.append(
                    OpRow(
                        "zone",
                        r["REGION_ID"],
                        (r["ZONE_ID"], r["SERVICE_ID"] or ""),
                        r["OPERATION"],
                        True,
                        r["OPERATOR_ID"] or "",
                        None,
                        _ts(r["DataChange_LastTime"]),
                    )
                )
            for r in conn.execute(select(t.canary_config)).mappings():
                try:
                    ips = json.loads(r["ip_whitelist"] or "[]")
                except ValueError:
                    ips = []
                out.canary.append(
                    CanaryRow(
                        r["service_id"],
                        [str(i) for i in ips] if isinstance(ips, list) else [],
                        bool(r["enabled"]),
                        int(r["created_at"] or 0),
                        int(r["updated_at"] or 0),
                    )
                )
            out.groups, out.bindings, out.rules = load_routing(conn)
            out.group_ops, out.service_instances = load_extras(conn)
        return out

    # -- whole-state copy between peers with separate databases (S14.2 after a restart) --------------------
    def last_change(self) -> float:
        def run() -> float:
            meta = t.artemis_meta
            with self.engine.connect() as conn:
                row = conn.execute(select(meta.c.meta_value).where(meta.c.meta_key == "last_change")).first()
            return float(row[0]) if row else 0.0

        return self._guard(run)

    def export_state(self) -> dict[str, list[dict[str, Any]]]:
        def run() -> dict[str, list[dict[str, Any]]]:
            out: dict[str, list[dict[str, Any]]] = {}
            with self.engine.connect() as conn:
                for name in STATE_TABLES:
                    tbl = t.metadata.tables[name]
                    rows = conn.execute(select(tbl).order_by(tbl.c.id)).mappings().all()
                    out[name] = [
                        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()}
                        for r in rows
                    ]
            return out

        return self._guard(run)

    def import_state(self, tables_rows: dict[str, list[dict[str, Any]]], last_change: float) -> None:
        """Replace the management state with a peer's copy, ids included, in one transaction."""

        def run() -> None:
            with self.engine.begin() as conn:
                for name in STATE_TABLES:
                    tbl = t.metadata.tables[name]
                    conn.execute(delete(tbl))
                    rows = []
                    for raw in tables_rows.get(name) or []:
                        row = {}
                        for k, v in raw.items():
                            if k not in tbl.c:
                                continue
                            if isinstance(tbl.c[k].type, DateTime) and isinstance(v, str):
                                v = datetime.fromisoformat(v)
                            row[k] = v
                        rows.append(row)
                    if rows:
                        conn.execute(insert(tbl), rows)
                    if conn.dialect.name == "postgresql":
                        conn.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                                f'COALESCE((SELECT MAX(id) FROM "{name}"), 0) + 1, false)'
                            )
                        )
                tx = Tx(conn, last_change)
                tx.touch()

        self._guard(run)

    def prune_audit(self, older_than: int) -> int:
        """S18.4: drop audit entries whose operation time (epoch seconds) is before ``older_than``."""

        def run() -> int:
            with self.engine.begin() as conn:
                res = conn.execute(delete(t.audit_log).where(t.audit_log.c.operation_time < older_than))
                return int(res.rowcount or 0)

        return self._guard(run)

    def query_audit(self, q: AuditQuery) -> list[dict[str, Any]]:
        return self._guard(lambda: self._query_audit(q))

    def _query_audit(self, q: AuditQuery) -> list[dict[str, Any]]:
        c = t.audit_log.c
        cond: list[Any] = []
        if q.types:
            cond.append(c.operation_type.in_(q.types))
        if q.operator_id:
            cond.append(c.operator_id == q.operator_id)
        if q.operation:
            cond.append(c.operation == q.operation)
        if q.since is not None:
            cond.append(c.operation_time >= q.since)
        for part in q.target_contains or []:
            cond.append(c.target_id.contains(part, autoescape=True))
        for tok in q.tokens or []:
            cond.append(
                or_(
                    c.target_id.contains(tok + ",", autoescape=True),
                    c.target_id.endswith(tok, autoescape=True),
                )
            )
        alts: list[Any] = [c.target_id.startswith(p, autoescape=True) for p in q.target_prefix or []]
        alts += [c.target_id.contains(p, autoescape=True) for p in q.target_any or []]
        if alts:
            cond.append(or_(*alts))
        stmt = select(t.audit_log).where(*cond).order_by(c.id.desc()).limit(max(0, q.limit))
        with self.engine.connect() as conn:
            return [
                {
                    "logId": int(r["log_id"] or r["id"]),
                    "operationType": r["operation_type"],
                    "targetId": r["target_id"],
                    "operation": r["operation"],
                    "operatorId": r["operator_id"] or "",
                    "operationTime": int(r["operation_time"]),
                    "details": r["details"],
                }
                for r in conn.execute(stmt).mappings()
            ]

    def query_j_logs(self, table: str, filters: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        """Rows of a Java log table (``instance_log``, ``server_log``, ...) as J log objects, newest first."""
        return self._guard(lambda: self._query_j_logs(table, filters, limit))

    def _query_j_logs(self, table: str, filters: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        tbl = t.metadata.tables[table]
        cond = []
        for col, value in filters.items():
            if value is None or col not in tbl.c:
                continue
            column = tbl.c[col]
            if col == "COMPLETE":
                cond.append(column == (1 if value else 0))
            elif isinstance(value, str):
                cond.append(_eq(column, value))
            else:
                cond.append(column == value)
        stmt = select(tbl).where(*cond).order_by(tbl.c.id.desc()).limit(max(0, limit))
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [_j_log(dict(r)) for r in rows]


def _ts(value: Any) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return 0.0


_J_NAMES = {
    "INSTANCE_ID": "instanceId",
    "SERVICE_ID": "serviceId",
    "REGION_ID": "regionId",
    "SERVER_ID": "serverId",
    "ZONE_ID": "zoneId",
    "GROUP_ID": "groupId",
    "OPERATION": "operation",
    "OPERATOR_ID": "operatorId",
    "TOKEN": "token",
    "REASON": "reason",
}


def _j_log(r: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": r["id"]}
    for col, name in _J_NAMES.items():
        if col in r and r[col] is not None:
            out[name] = r[col]
    if "COMPLETE" in r:
        out["complete"] = bool(r["COMPLETE"])
    if "EXTENSIONS" in r:
        try:
            out["extensions"] = json.loads(r["EXTENSIONS"] or "{}")
        except ValueError:
            out["extensions"] = {}
    out["createTime"] = int(_ts(r.get("CREATE_TIME")) * 1000)
    out["updateTime"] = int(_ts(r.get("DataChange_LastTime")) * 1000)
    return out
