"""Reads of the audit log and the Java log tables (S18, api.md 2.11), and audit retention: a part of
:class:`~artemis_server.store.repository.SqlStore`, kept apart from the change writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, delete, or_, select

from artemis_client.wire.audit import AuditLog, JLog
from artemis_server.registry.entities import fold
from artemis_server.store import tables as t

T = TypeVar("T")


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


def seconds_of(value: Any) -> float:
    """A row's timestamp column as epoch seconds (naive values are UTC; NULL is 0)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return 0.0


class AuditReads:
    """Mixed into SqlStore: it provides ``engine`` and ``_guard`` (errors to StorageUnavailableError)."""

    engine: Engine

    def _guard(self, fn: Callable[[], T]) -> T:
        raise NotImplementedError

    def prune_audit(self, older_than: int) -> int:
        """S18.4: drop audit entries whose operation time (epoch seconds) is before ``older_than``."""

        def run() -> int:
            with self.engine.begin() as conn:
                res = conn.execute(delete(t.audit_log).where(t.audit_log.c.operation_time < older_than))
                return int(res.rowcount or 0)

        return self._guard(run)

    def query_audit(self, q: AuditQuery) -> list[AuditLog]:
        return self._guard(lambda: self._query_audit(q))

    def _query_audit(self, q: AuditQuery) -> list[AuditLog]:
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
                AuditLog(
                    log_id=int(r["log_id"] or r["id"]),
                    operation_type=r["operation_type"],
                    target_id=r["target_id"],
                    operation=r["operation"],
                    operator_id=r["operator_id"] or "",
                    operation_time=int(r["operation_time"]),
                    details=r["details"],
                )
                for r in conn.execute(stmt).mappings()
            ]

    def query_j_logs(self, table: str, filters: dict[str, Any], limit: int) -> list[JLog]:
        """Rows of a Java log table (``instance_log``, ``server_log``, ...) as J log objects, newest first."""
        return self._guard(lambda: self._query_j_logs(table, filters, limit))

    def _query_j_logs(self, table: str, filters: dict[str, Any], limit: int) -> list[JLog]:
        tbl = t.metadata.tables[table]
        cond = []
        folded: list[tuple[str, str]] = []  # ids compare Unicode-folded (S17.2): filtered here, not in SQL
        for col, value in filters.items():
            if value is None or col not in tbl.c:
                continue
            column = tbl.c[col]
            if col == "COMPLETE":
                cond.append(column == (1 if value else 0))
            elif isinstance(value, str):
                folded.append((col, fold(value)))
            else:
                cond.append(column == value)
        if limit <= 0:
            return []
        stmt = select(tbl).where(*cond).order_by(tbl.c.id.desc())
        if not folded:
            stmt = stmt.limit(limit)
        out: list[JLog] = []
        with self.engine.connect() as conn:
            for r in conn.execution_options(yield_per=500).execute(stmt).mappings():
                if all(fold(r[c] or "") == v for c, v in folded):
                    out.append(_j_log(dict(r)))
                    if len(out) >= limit:
                        break
        return out


# J log columns and the JLog fields they fill, in the order the J log paths have always written them.
_J_NAMES = {
    "INSTANCE_ID": "instance_id",
    "SERVICE_ID": "service_id",
    "REGION_ID": "region_id",
    "SERVER_ID": "server_id",
    "ZONE_ID": "zone_id",
    "GROUP_ID": "group_id",
    "OPERATION": "operation",
    "OPERATOR_ID": "operator_id",
    "TOKEN": "token",
    "REASON": "reason",
}


def _j_log(r: dict[str, Any]) -> JLog:
    fields: dict[str, Any] = {
        name: r[col] for col, name in _J_NAMES.items() if col in r and r[col] is not None
    }
    if "COMPLETE" in r:
        fields["complete"] = bool(r["COMPLETE"])
    if "EXTENSIONS" in r:
        try:
            fields["extensions"] = json.loads(r["EXTENSIONS"] or "{}")
        except ValueError:
            fields["extensions"] = {}
    return JLog(
        id=r["id"],
        create_time=int(seconds_of(r.get("CREATE_TIME")) * 1000),
        update_time=int(seconds_of(r.get("DataChange_LastTime")) * 1000),
        **fields,
    )
