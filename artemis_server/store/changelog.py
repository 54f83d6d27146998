"""The durable change log (S14.2, issue 14): what makes an acknowledged management change impossible to lose.

Every management change is one row of ``artemis_change``, written in the same transaction as the state rows
it changes and its audit records, before the caller gets an answer:

* ``origin`` names the writer's stream: ``<node id>/<database id>``. A node whose database was wiped gets a
  new database id and so a new origin; it never reuses sequence numbers that peers already hold.
* ``seq`` counts 1, 2, 3 ... per origin, without gaps (unique with the origin).
* ``hlc_ms``/``hlc_n`` + origin: the hybrid-logical-clock stamp that orders it
  (artemis_server/registry/hlc.py).
* ``body``: JSON ``{"c": command, "e": [[kind, key, value]...], "a": [audit...], "j": [J log row...]}``: the
  resulting value of each entity it touched (artemis_server/registry/entities.py) and the audit / Java log
  rows to write on every node with its own database.

``artemis_origin`` holds, per origin, the highest ``seq`` this database has (peers compare it with theirs and
ask for what they lack); ``artemis_entity`` the stamp and value of the change behind each entity's current
state, which is what the last-writer-wins rule compares. A node re-serves the entries it received from others,
so a change reaches every node through any path that is up.

All writers hold one lock per database for the length of a management transaction (``BEGIN IMMEDIATE`` on
SQLite, a transaction-level advisory lock on PostgreSQL): management writes are rare, and serialising them
makes "read the entity's version, decide, write" exact between nodes sharing one database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, text, update

from artemis_client.wire.replication import ChangeEntry
from artemis_server.registry.entities import EntityChange
from artemis_server.registry.hlc import Stamp
from artemis_server.store import tables as t

NOTIFY_CHANNEL = "artemis_change"
WRITE_LOCK_KEY = 4242424243  # pg_advisory_xact_lock key of management writes (migrations use ...242)


@dataclass(slots=True)
class Entry:
    """One change as stored and as sent to peers."""

    origin: str
    seq: int
    stamp: Stamp
    command: str
    entities: list[EntityChange]
    audits: list[dict[str, Any]] = field(default_factory=list)
    j_logs: list[list[Any]] = field(default_factory=list)
    created_at: int = 0

    def body(self) -> str:
        return json.dumps(
            {
                "c": self.command,
                "e": [e.to_json() for e in self.entities],
                "a": self.audits,
                "j": self.j_logs,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )

    def to_wire(self) -> ChangeEntry:
        return ChangeEntry(self.origin, self.seq, [self.stamp.ms, self.stamp.n], self.created_at, self.body())

    @classmethod
    def from_parts(cls, origin: str, seq: int, ms: int, n: int, body: str, created_at: int = 0) -> Entry:
        doc = json.loads(body)
        if not isinstance(doc, dict):
            raise ValueError("change body is not an object")
        return cls(
            origin=origin,
            seq=int(seq),
            stamp=Stamp(int(ms), int(n), origin),
            command=str(doc.get("c") or ""),
            entities=[EntityChange.from_json(e) for e in doc.get("e") or []],
            audits=[a for a in doc.get("a") or [] if isinstance(a, dict)],
            j_logs=[j for j in doc.get("j") or [] if isinstance(j, list) and len(j) >= 2],
            created_at=int(created_at or 0),
        )

    @classmethod
    def from_wire(cls, doc: Any) -> Entry:
        """An entry as a peer sent it; raises ValueError (or KeyError/TypeError) when it is not one."""
        hlc = doc["hlc"]
        return cls.from_parts(
            str(doc["origin"]), int(doc["seq"]), int(hlc[0]), int(hlc[1]), str(doc["body"]),
            int(doc.get("createdAt") or 0),
        )  # fmt: skip


def lock_writes(conn: Connection) -> None:
    """Serialise management writers on PostgreSQL (SQLite: the transaction began IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK_KEY})


def notify(conn: Connection, origin: str) -> None:
    """PostgreSQL: wake every node listening on this database once this transaction commits."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_notify(:ch, :payload)"), {"ch": NOTIFY_CHANNEL, "payload": origin[:7000]}
        )


# -- versions ------------------------------------------------------------------------------------------------
def versions(conn: Connection, ids: Iterable[str]) -> dict[str, Stamp]:
    wanted = list(dict.fromkeys(ids))
    out: dict[str, Stamp] = {}
    c = t.artemis_entity.c
    for i in range(0, len(wanted), 500):
        rows = conn.execute(
            select(c.entity_id, c.hlc_ms, c.hlc_n, c.origin).where(c.entity_id.in_(wanted[i : i + 500]))
        )
        for eid, ms, n, origin in rows:
            out[eid] = Stamp(int(ms), int(n), origin)
    return out


def set_version(conn: Connection, change: EntityChange, stamp: Stamp) -> None:
    c = t.artemis_entity.c
    value = None if change.value is None else json.dumps(change.value, separators=(",", ":"))
    values = {"hlc_ms": stamp.ms, "hlc_n": stamp.n, "origin": stamp.origin, "value": value}
    res = conn.execute(update(t.artemis_entity).where(c.entity_id == change.id).values(**values))
    if not res.rowcount:
        conn.execute(
            insert(t.artemis_entity).values(
                entity_id=change.id, kind=change.kind, parent=change.parent, **values
            )
        )


def children(conn: Connection, parent_id: str) -> list[EntityChange]:
    """The living children (tags, bindings, group operations / rule-groups) recorded under a parent entity."""
    c = t.artemis_entity.c
    out = []
    for kind, value in conn.execute(
        select(c.kind, c.value).where(c.parent == parent_id, c.value.is_not(None)).order_by(c.hlc_ms, c.hlc_n)
    ):
        doc = json.loads(value)
        out.append(EntityChange(kind, child_key(kind, doc), doc))
    return out


def child_key(kind: str, doc: dict[str, Any]) -> tuple[str, ...]:
    if kind == "tag":
        return (str(doc["group"]), str(doc["key"]))
    if kind == "binding":
        return (str(doc["group"]), str(doc["instanceId"]))
    if kind == "groupop":
        return (str(doc["group"]), str(doc["operation"]))
    if kind == "rulegroup":
        return (str(doc["routeId"]), str(doc["refKey"]))
    raise ValueError(f"{kind} has no parent")


def load_versions(conn: Connection) -> tuple[dict[str, Stamp], dict[str, dict[str, Any]]]:
    """Every entity's stamp, plus the values of the routing children (the loader orders rows by them)."""
    c = t.artemis_entity.c
    stamps: dict[str, Stamp] = {}
    values: dict[str, dict[str, Any]] = {}
    for eid, kind, ms, n, origin, value in conn.execute(
        select(c.entity_id, c.kind, c.hlc_ms, c.hlc_n, c.origin, c.value)
    ):
        stamps[eid] = Stamp(int(ms), int(n), origin)
        if value is not None and kind in ("rule", "rulegroup"):
            values[eid] = json.loads(value)
    return stamps, values


# -- the log -------------------------------------------------------------------------------------------------
def origins(conn: Connection) -> dict[str, int]:
    """Per origin, the highest sequence number this database holds."""
    c = t.artemis_origin.c
    return {o: int(s) for o, s in conn.execute(select(c.origin, c.max_seq))}


def max_stamp(conn: Connection) -> Stamp | None:
    c = t.artemis_change.c
    row = conn.execute(
        select(c.hlc_ms, c.hlc_n, c.origin).order_by(c.hlc_ms.desc(), c.hlc_n.desc()).limit(1)
    ).first()
    return Stamp(int(row[0]), int(row[1]), row[2]) if row else None


def _advance(conn: Connection, origin: str, seq: int) -> None:
    c = t.artemis_origin.c
    res = conn.execute(
        update(t.artemis_origin).where(c.origin == origin, c.max_seq < seq).values(max_seq=seq)
    )
    if not res.rowcount:
        exists = conn.execute(select(c.max_seq).where(c.origin == origin)).first()
        if exists is None:
            conn.execute(insert(t.artemis_origin).values(origin=origin, max_seq=seq))


def append_local(conn: Connection, entry: Entry) -> int:
    """Give ``entry`` the next sequence number of its origin and store it; returns the number."""
    c = t.artemis_origin.c
    row = conn.execute(select(c.max_seq).where(c.origin == entry.origin)).first()
    entry.seq = (int(row[0]) if row else 0) + 1
    _store(conn, entry)
    _advance(conn, entry.origin, entry.seq)
    return entry.seq


def _store(conn: Connection, entry: Entry) -> None:
    conn.execute(
        insert(t.artemis_change).values(
            origin=entry.origin,
            seq=entry.seq,
            hlc_ms=entry.stamp.ms,
            hlc_n=entry.stamp.n,
            body=entry.body(),
            created_at=entry.created_at,
        )
    )


def store_remote(conn: Connection, entry: Entry) -> bool:
    """Store an entry received from a peer; False when this database already holds it (nothing to do)."""
    c = t.artemis_change.c
    if conn.execute(select(c.id).where(c.origin == entry.origin, c.seq == entry.seq)).first() is not None:
        return False
    _store(conn, entry)
    _advance(conn, entry.origin, entry.seq)
    return True


def entries_after(
    conn: Connection, since: dict[str, int], limit: int, *, exclude: Iterable[str] = ()
) -> tuple[list[Entry], bool]:
    """Entries this database holds beyond ``since`` (origin -> seq held), oldest stamp first, cut at
    ``limit``.

    Per origin the sequence order is the stamp order, so the answer is a prefix of the stamp order of
    everything the caller lacks: a cut answer never holds a change without the changes it could depend on.
    Returns (entries, more).
    """
    skip = set(exclude)
    behind = {o: s for o, s in origins(conn).items() if s > since.get(o, 0) and o not in skip}
    if not behind:
        return [], False
    c = t.artemis_change.c
    per_origin = [and_(c.origin == o, c.seq > since.get(o, 0)) for o in behind]
    rows = conn.execute(
        select(c.origin, c.seq, c.hlc_ms, c.hlc_n, c.body, c.created_at)
        .where(or_(*per_origin))
        .order_by(c.hlc_ms, c.hlc_n, c.origin, c.seq)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    out = [Entry.from_parts(*r) for r in rows[:limit]]
    return out, more
