"""SqlStore: the durable copy of the management state (S17), synchronous SQLAlchemy Core.

The management service calls it from a worker thread. Every management change is one transaction
(:meth:`SqlStore.commit_local`) holding the rows of the entities it changed, its audit record and Java log
rows, and its change-log entry (store/changelog.py), committed before the HTTP answer. Changes made on peers
come in through :meth:`SqlStore.apply_remote`, which merges them entity by entity (last writer wins by hybrid
logical clock). Identities compare case-insensitively like the in-memory view (S1, S17.2: Unicode folding),
so ``SvcA``, ``svca`` and ``SVCA`` address the same rows, and so do ``Ärger`` and ``ärger``.
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

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError

from artemis_client.errors import BadRequestError, StorageUnavailableError
from artemis_server.registry.entities import EntityChange
from artemis_server.registry.hlc import HybridClock, Stamp, wins
from artemis_server.registry.routing import Binding, Group, Rule
from artemis_server.registry.visibility import CanaryConfig, OperationRecord
from artemis_server.store import changelog
from artemis_server.store import tables as t
from artemis_server.store.audit_reads import AuditReads, seconds_of
from artemis_server.store.changelog import Entry
from artemis_server.store.engine import WRITE_OPTION, make_engine, migrate
from artemis_server.store.entity_rows import RowWriter
from artemis_server.store.routing_repo import load_extras, load_routing

log = logging.getLogger(__name__)

T = TypeVar("T")


class StaleStateError(Exception):
    """A node sharing the database changed an entity since this node's view was built: refresh, retry."""


@dataclass(slots=True)
class OpRow:
    """Where an operation record applies (instance, server or zone) and the record itself, as stored."""

    kind: str  # instance | server | zone
    region_id: str
    target: tuple[str, ...]  # (serviceId, instanceId) | (serverId,) | (zoneId, serviceId)
    record: OperationRecord


@dataclass(slots=True)
class Loaded:
    ops: list[OpRow] = field(default_factory=list)
    canary: list[CanaryConfig] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    group_ops: dict[int, set[str]] = field(default_factory=dict)
    service_instances: list[dict[str, Any]] = field(default_factory=list)
    # read before the state rows, so nothing committed in between is skipped (re-applying is harmless)
    positions: dict[str, int] = field(default_factory=dict)
    versions: dict[str, Stamp] = field(default_factory=dict)


def _audit_text(details: Any) -> str | None:
    if details is None or isinstance(details, str):
        return details
    return json.dumps(details, separators=(",", ":"))


class Tx:
    """The write side of one transaction: audit records and Java log rows."""

    def __init__(self, conn: Connection, now: float) -> None:
        self.conn = conn
        self.now = now
        self.stamp = datetime.fromtimestamp(now, UTC).replace(tzinfo=None)

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
        res = self.conn.execute(
            insert(t.audit_log).values(
                log_id=None,
                operation_type=operation_type,
                target_id=target_id,
                operation=operation,
                operator_id=operator_id,
                operation_time=now_s,
                details=_audit_text(details),
                created_at=now_s,
            )
        )
        pk = res.inserted_primary_key
        row_id = int(pk[0]) if pk else 0
        # logId increases from 1 and stays unique across nodes sharing the database: it is the row id.
        self.conn.execute(update(t.audit_log).where(t.audit_log.c.id == row_id).values(log_id=row_id))
        return row_id

    def records(self, entry: Entry, writer: RowWriter) -> None:
        """Write an entry's audit records and Java log rows, with this node's ids for groups and rules.

        Targets and values name a group id as ``REF_GROUP`` and a rule id as ``REF_RULE`` (row ids differ
        between databases); ``refs`` says which group key / routeId they stand for.
        """
        for a in entry.audits:
            ids = writer.resolve(a.get("refs") or {})
            target = _fill(str(a.get("target") or ""), ids)
            details = a.get("details")
            if isinstance(details, dict):
                details = {k: _fill_value(v, ids) for k, v in details.items()}
            self.now = float(a.get("time") or self.now)
            self.audit(
                str(a.get("type") or ""),
                target,
                str(a.get("operation") or ""),
                str(a.get("operator") or ""),
                details,
            )
        for item in entry.j_logs:
            table, values = str(item[0]), dict(item[1])
            ids = writer.resolve(item[2] if len(item) > 2 and isinstance(item[2], dict) else {})
            self.j_log(table, {k: _fill_value(v, ids) for k, v in values.items()})


REF_GROUP = "\x00group-id\x00"
REF_RULE = "\x00rule-id\x00"


def _fill_value(value: Any, ids: dict[str, int | None]) -> Any:
    if value == REF_GROUP:
        return ids.get("g")
    if value == REF_RULE:
        return ids.get("r")
    return value


def stamp_orders(entry: Entry) -> None:
    """Entities created by this change keep its stamp as their place in a list (``order``, see
    routing_commands.new_order): the same place on every node, whatever order changes arrive in."""
    s = entry.stamp
    for change in entry.entities:
        v = change.value
        order = v.get("order") if v is not None else None
        if isinstance(order, list) and order[:1] == ["@"] and v is not None:
            v["order"] = [s.ms, s.n, s.origin, int(order[1]) if len(order) > 1 else 0]


def _fill(target: str, ids: dict[str, int | None]) -> str:
    if REF_GROUP in target:
        target = target.replace(REF_GROUP, str(ids.get("g") if ids.get("g") is not None else "?"))
    if REF_RULE in target:
        target = target.replace(REF_RULE, str(ids.get("r") if ids.get("r") is not None else "?"))
    return target


class SqlStore(AuditReads):
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
    def _write_conn(self) -> Iterator[Connection]:
        """One write transaction, serialised with every other management writer on this database."""
        with self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                changelog.lock_writes(conn)
                yield conn

    def _retrying(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` (one transaction), once more on a unique-key race with a writer of another kind."""
        try:
            return self._guard(fn)
        except IntegrityError:
            return self._guard(fn)

    # -- writes ------------------------------------------------------------------------------------------
    def commit_local(
        self, entry: Entry, clock: HybridClock, expected: dict[str, Stamp | None], now: float
    ) -> Entry:
        """Write one change made on this node: state rows, entity versions, audit, log entry; one transaction.

        ``expected`` holds the version of each entity the change was planned against; when the database holds
        another one (a node sharing it wrote meanwhile), :class:`StaleStateError` is raised and nothing is
        written. The stamp is taken inside the transaction, past every version it replaces.
        """

        def run() -> Entry:
            with self._write_conn() as conn:
                have = changelog.versions(conn, [e.id for e in entry.entities])
                stale = [e.id for e in entry.entities if have.get(e.id) != expected.get(e.id)]
                if stale:
                    raise StaleStateError(f"{len(stale)} entit(ies) changed by another node")
                for stamp in have.values():
                    clock.observe_stamp(stamp)
                entry.stamp = clock.now()
                entry.created_at = int(now * 1000)
                stamp_orders(entry)
                writer = RowWriter(conn)
                for change in entry.entities:
                    writer.install(change)
                    changelog.set_version(conn, change, entry.stamp)
                Tx(conn, now).records(entry, writer)
                changelog.append_local(conn, entry)
                changelog.notify(conn, entry.origin)
            return entry

        return self._retrying(run)

    def apply_remote(
        self, entries: list[Entry], clock: HybridClock
    ) -> list[tuple[Entry, list[EntityChange]]]:
        """Merge changes made elsewhere; returns each entry this database did not hold yet with the entities
        whose value it installed (those whose stamp beat the stored version), in stamp order."""

        def run() -> list[tuple[Entry, list[EntityChange]]]:
            out: list[tuple[Entry, list[EntityChange]]] = []
            with self._write_conn() as conn:
                writer = RowWriter(conn)
                for entry in sorted(entries, key=lambda e: e.stamp):
                    clock.observe_stamp(entry.stamp)
                    if not changelog.store_remote(conn, entry):
                        continue
                    have = changelog.versions(conn, [e.id for e in entry.entities])
                    applied = []
                    for change in entry.entities:
                        if wins(entry.stamp, have.get(change.id)):
                            writer.install(change)
                            changelog.set_version(conn, change, entry.stamp)
                            applied.append(change)
                    Tx(conn, (entry.created_at or 0) / 1000 or time.time()).records(entry, writer)
                    out.append((entry, applied))
                if out:
                    changelog.notify(conn, out[-1][0].origin)
            return out

        return self._retrying(run)

    # -- the change log, read side ---------------------------------------------------------------------------
    def newest_stamp(self) -> Stamp | None:
        def run() -> Stamp | None:
            with self.engine.connect() as conn:
                return changelog.max_stamp(conn)

        return self._guard(run)

    def origins(self) -> dict[str, int]:
        def run() -> dict[str, int]:
            with self.engine.connect() as conn:
                return changelog.origins(conn)

        return self._guard(run)

    def changes_after(
        self, since: dict[str, int], limit: int, exclude: tuple[str, ...] = ()
    ) -> tuple[list[Entry], bool]:
        def run() -> tuple[list[Entry], bool]:
            with self.engine.connect() as conn:
                return changelog.entries_after(conn, since, limit, exclude=exclude)

        return self._guard(run)

    # -- reads ---------------------------------------------------------------------------------------
    def load_routing_view(self) -> Loaded:
        """Only the routing part (groups, tags, bindings, rules, rule-groups, J extras), after it changed."""

        def run() -> Loaded:
            out = Loaded()
            with self.engine.connect() as conn:
                out.versions, values = changelog.load_versions(conn)
                out.groups, out.bindings, out.rules = load_routing(conn, out.versions, values)
                out.group_ops, out.service_instances = load_extras(conn)
            return out

        return self._guard(run)

    def load(self) -> Loaded:
        return self._guard(self._load)

    def _load(self) -> Loaded:
        out = Loaded()
        with self.engine.connect() as conn:
            out.positions = changelog.origins(conn)
            out.versions, values = changelog.load_versions(conn)
            for r in conn.execute(select(t.instance)).mappings():
                out.ops.append(
                    OpRow(
                        "instance",
                        r["REGION_ID"],
                        (r["SERVICE_ID"], r["INSTANCE_ID"]),
                        OperationRecord(
                            r["OPERATION"],
                            bool(r["EFFECTIVE"]),
                            False,
                            r["OPERATOR_ID"] or "",
                            r["TOKEN"],
                            seconds_of(r["DataChange_LastTime"]),
                        ),
                    )
                )
            for r in conn.execute(select(t.server)).mappings():
                out.ops.append(
                    OpRow(
                        "server",
                        r["REGION_ID"],
                        (r["SERVER_ID"],),
                        OperationRecord(
                            r["OPERATION"],
                            True,
                            False,
                            r["OPERATOR_ID"] or "",
                            r["TOKEN"],
                            seconds_of(r["DataChange_LastTime"]),
                        ),
                    )
                )
            for r in conn.execute(select(t.service_zone)).mappings():
                out.ops.append(
                    OpRow(
                        "zone",
                        r["REGION_ID"],
                        (r["ZONE_ID"], r["SERVICE_ID"] or ""),
                        OperationRecord(
                            r["OPERATION"],
                            True,
                            False,
                            r["OPERATOR_ID"] or "",
                            None,
                            seconds_of(r["DataChange_LastTime"]),
                        ),
                    )
                )
            for r in conn.execute(select(t.canary_config)).mappings():
                try:
                    ips = json.loads(r["ip_whitelist"] or "[]")
                except ValueError:
                    ips = []
                out.canary.append(
                    CanaryConfig(
                        r["service_id"],
                        [str(i) for i in ips] if isinstance(ips, list) else [],
                        bool(r["enabled"]),
                        int(r["created_at"] or 0),
                        int(r["updated_at"] or 0),
                    )
                )
            out.groups, out.bindings, out.rules = load_routing(conn, out.versions, values)
            out.group_ops, out.service_instances = load_extras(conn)
        return out
