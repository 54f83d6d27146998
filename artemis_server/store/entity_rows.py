"""Install an entity's value into the S17 tables: the rows are a projection of the entity map.

Every node (the writer and each peer with its own database) runs the same code for the same value, so the
rows mean the same everywhere; only row ids differ, and nothing here depends on a peer's ids: groups are found
by group key, rules by routeId, rule-groups by the group their reference resolves to on this node.

Children (tags, bindings, group operations of a group; rule-groups of a rule) have rows only while their
parent is alive. A parent that (re)appears gets the rows of its living children from ``artemis_entity``; a
parent that goes drops its children's rows (their entity values stay, so the projection never depends on the
order changes arrive in).
Rows other implementations wrote (``FOLD_KEY`` NULL) are matched by folding their ids in Python.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, literal, select, update

from artemis_server.registry.entities import SEP, EntityChange, fold
from artemis_server.store import changelog
from artemis_server.store import tables as t

# J static service instance columns <-> value names
SERVICE_INSTANCE_FIELDS = {
    "SERVICE_ID": "serviceId",
    "INSTANCE_ID": "instanceId",
    "IP": "ip",
    "MACHINE_NAME": "machineName",
    "METADATA": "metadata",
    "PORT": "port",
    "PROTOCOL": "protocol",
    "REGION_ID": "regionId",
    "ZONE_ID": "zoneId",
    "GROUP_ID": "groupId",
    "HEALTHY_CHECK_URL": "healthCheckUrl",
    "URL": "url",
    "DESCRIPTION": "description",
}

# operation tables: kind -> (table, [(id column, folded?)], value names)
_OPS: dict[str, tuple[Table, list[tuple[str, bool]], tuple[str, ...]]] = {
    "instance": (
        t.instance,
        [("REGION_ID", True), ("SERVICE_ID", True), ("INSTANCE_ID", True)],
        ("regionId", "serviceId", "instanceId"),
    ),
    "server": (t.server, [("REGION_ID", True), ("SERVER_ID", False)], ("regionId", "serverId")),
    "zone": (
        t.service_zone,
        [("REGION_ID", True), ("ZONE_ID", False), ("SERVICE_ID", True)],
        ("regionId", "zoneId", "serviceId"),
    ),
}


_GROUP_CHILDREN = (t.service_group_tag, t.service_group_instance, t.service_group_operation)


def dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def fold_of(row: Any, parts: list[tuple[str, bool]]) -> str:
    return SEP.join(fold(row[c] or "") if folded else (row[c] or "") for c, folded in parts)


def group_key_expr() -> Any:
    g = t.service_group.c
    sep = literal(":")
    return (
        func.coalesce(g.SERVICE_ID, "")
        + sep
        + func.coalesce(g.REGION_ID, "")
        + sep
        + func.coalesce(g.ZONE_ID, "")
        + sep
        + g.NAME
    )


class RowWriter:
    """The projection of entity values into rows, inside one transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.now = datetime.now(UTC).replace(tzinfo=None)

    def install(self, change: EntityChange) -> None:
        kind = change.kind
        if kind in _OPS:
            self._ops(change)
        else:
            getattr(self, "_" + kind)(change)

    # -- rows matched by a folded key ---------------------------------------------------------------------
    def _matching(self, tbl: Table, column: str, parts: list[tuple[str, bool]], key: str) -> list[int]:
        fk = tbl.c[column]
        cols = [tbl.c.id, fk, *(tbl.c[c] for c, _ in parts)]
        rows = self.conn.execute(select(*cols).where((fk == key) | fk.is_(None))).mappings()
        return [r["id"] for r in rows if r[column] == key or (r[column] is None and fold_of(r, parts) == key)]

    # -- instance / server / zone operation records ----------------------------------------------------------
    def _ops(self, change: EntityChange) -> None:
        tbl, parts, names = _OPS[change.kind]
        ids = self._matching(tbl, "FOLD_KEY", parts, change.fold_key)
        if ids:
            self.conn.execute(delete(tbl).where(tbl.c.id.in_(ids)))
        value = change.value
        if value is None:
            return
        ident = {col: str(value.get(name) or "") for (col, _), name in zip(parts, names, strict=True)}
        for rec in value.get("ops") or []:
            stamp = dt(float(rec.get("time") or 0) or self.now.replace(tzinfo=UTC).timestamp())
            row: dict[str, Any] = {
                **ident,
                "OPERATION": rec["operation"],
                "OPERATOR_ID": rec.get("operatorId") or "",
                "CREATE_TIME": stamp,
                "DataChange_LastTime": stamp,
                "FOLD_KEY": change.fold_key,
            }
            if change.kind != "zone":
                row["TOKEN"] = rec.get("token")
            if change.kind == "instance":
                row["EFFECTIVE"] = 1 if rec.get("effective", True) else 0
            self.conn.execute(insert(tbl).values(**row))

    # -- canary ----------------------------------------------------------------------------------------------
    def _canary(self, change: EntityChange) -> None:
        tbl = t.canary_config
        ids = self._matching(tbl, "fold_key", [("service_id", True)], change.fold_key)
        if ids:
            self.conn.execute(delete(tbl).where(tbl.c.id.in_(ids)))
        v = change.value
        if v is None:
            return
        self.conn.execute(
            insert(tbl).values(
                service_id=v["serviceId"],
                ip_whitelist=json.dumps(list(v.get("ipWhitelist") or [])),
                enabled=1 if v.get("enabled", True) else 0,
                created_at=int(v.get("createdAt") or 0),
                updated_at=int(v.get("updatedAt") or 0),
                fold_key=change.fold_key,
            )
        )

    # -- J static service instances --------------------------------------------------------------------------
    def _svcinst(self, change: EntityChange) -> None:
        tbl = t.service_instance
        ids = self._matching(tbl, "FOLD_KEY", [("SERVICE_ID", True), ("INSTANCE_ID", False)], change.fold_key)
        v = change.value
        if v is None:
            if ids:
                self.conn.execute(delete(tbl).where(tbl.c.id.in_(ids)))
            return
        cols: dict[str, Any] = {col: v.get(name) for col, name in SERVICE_INSTANCE_FIELDS.items()}
        cols["FOLD_KEY"] = change.fold_key
        cols["DataChange_LastTime"] = self.now
        if ids:
            self.conn.execute(update(tbl).where(tbl.c.id == ids[0]).values(**cols))
            if len(ids) > 1:
                self.conn.execute(delete(tbl).where(tbl.c.id.in_(ids[1:])))
        else:
            self.conn.execute(insert(tbl).values(**cols, CREATE_TIME=self.now))

    def _retire(self, tbl: Table, row_id: int, fk: str, children: tuple[Table, ...]) -> None:
        """Soft-delete a group or rule row (ids are never reused, S12.1) and drop its children's rows."""
        self.conn.execute(
            update(tbl).where(tbl.c.id == row_id).values(DELETED=1, DataChange_LastTime=self.now)
        )
        for child in children:
            self.conn.execute(delete(child).where(child.c[fk] == row_id))

    # -- groups and their children ---------------------------------------------------------------------------
    def group_row(self, key: str, *, alive: bool = True) -> int | None:
        g = t.service_group.c
        stmt = select(g.id).where(group_key_expr() == key)
        if alive:
            stmt = stmt.where(g.DELETED == 0)
        row = self.conn.execute(stmt.order_by(g.id.desc()).limit(1)).first()
        return int(row[0]) if row else None

    def _group(self, change: EntityChange) -> None:
        key = change.key[0]
        gid = self.group_row(key)
        v = change.value
        if v is None:
            if gid is not None:
                self._retire(t.service_group, gid, "GROUP_ID", _GROUP_CHILDREN)
            return
        fields = {
            "APP_ID": v.get("appId") or v["serviceId"],
            "DESCRIPTION": v.get("description"),
            "STATUS": v.get("status") or "active",
            "type": v.get("groupType") or "physical",
            "DataChange_LastTime": dt(float(v.get("updatedAt") or 0)),
        }
        if gid is not None:
            self.conn.execute(update(t.service_group).where(t.service_group.c.id == gid).values(**fields))
            return
        res = self.conn.execute(
            insert(t.service_group).values(
                SERVICE_ID=v["serviceId"],
                REGION_ID=v.get("regionId") or "",
                ZONE_ID=v.get("zoneId") or "",
                NAME=v["name"],
                DELETED=0,
                CREATE_TIME=dt(float(v.get("createdAt") or 0)),
                **fields,
            )
        )
        gid = int(res.inserted_primary_key[0])  # type: ignore[index]
        rg = t.service_route_rule_group
        self.conn.execute(update(rg).where(rg.c.GROUP_KEY == key).values(GROUP_ID=gid))
        for child in changelog.children(self.conn, change.id):
            self.install(child)

    def _tag(self, change: EntityChange) -> None:
        gid = self.group_row(change.key[0])
        if gid is None:
            return
        c = t.service_group_tag.c
        where = (c.GROUP_ID == gid) & (c.TAG == change.key[1])
        if change.value is None:
            self.conn.execute(delete(t.service_group_tag).where(where))
            return
        value = str(change.value.get("value") or "")
        res = self.conn.execute(
            update(t.service_group_tag).where(where).values(VALUE=value, DataChange_LastTime=self.now)
        )
        if not res.rowcount:
            self.conn.execute(
                insert(t.service_group_tag).values(
                    GROUP_ID=gid,
                    TAG=change.key[1],
                    VALUE=value,
                    CREATE_TIME=self.now,
                    DataChange_LastTime=self.now,
                )
            )

    def _binding(self, change: EntityChange) -> None:
        gid = self.group_row(change.key[0])
        if gid is None:
            return
        c = t.service_group_instance.c
        where = (c.GROUP_ID == gid) & (c.INSTANCE_ID == change.key[1])
        v = change.value
        if v is None:
            self.conn.execute(delete(t.service_group_instance).where(where))
            return
        fields = {
            "SERVICE_ID": v.get("serviceId"),
            "REGION_ID": v.get("regionId"),
            "ZONE_ID": v.get("zoneId"),
            "BINDING_TYPE": v.get("bindingType") or "manual",
            "OPERATOR_ID": v.get("operatorId") or "",
        }
        if self.conn.execute(select(c.id).where(where)).first() is not None:
            self.conn.execute(update(t.service_group_instance).where(where).values(**fields))
            return
        created = dt(float(v.get("createdAt") or 0))
        self.conn.execute(
            insert(t.service_group_instance).values(
                GROUP_ID=gid,
                INSTANCE_ID=change.key[1],
                CREATE_TIME=created,
                DataChange_LastTime=created,
                **fields,
            )
        )

    def _groupop(self, change: EntityChange) -> None:
        gid = self.group_row(change.key[0])
        if gid is None:
            return
        c = t.service_group_operation.c
        where = (c.GROUP_ID == gid) & (c.OPERATION == change.key[1])
        if change.value is None:
            self.conn.execute(delete(t.service_group_operation).where(where))
        elif self.conn.execute(select(c.id).where(where)).first() is None:
            self.conn.execute(
                insert(t.service_group_operation).values(
                    GROUP_ID=gid, OPERATION=change.key[1], CREATE_TIME=self.now, DataChange_LastTime=self.now
                )
            )

    # -- rules and rule-groups -------------------------------------------------------------------------------
    def rule_row(self, route_id: str, *, alive: bool = True) -> tuple[int, str] | None:
        r = t.service_route_rule.c
        stmt = select(r.id, r.SERVICE_ID).where(r.NAME == route_id)
        if alive:
            stmt = stmt.where(r.DELETED == 0)
        row = self.conn.execute(stmt.order_by(r.id.desc()).limit(1)).first()
        return (int(row[0]), str(row[1])) if row else None

    def _rule(self, change: EntityChange) -> None:
        route_id = change.key[0]
        found = self.rule_row(route_id)
        v = change.value
        if v is None:
            if found is not None:
                self._retire(t.service_route_rule, found[0], "ROUTE_RULE_ID", (t.service_route_rule_group,))
            return
        fields = {
            "DISPLAY_NAME": v.get("name") or route_id,
            "DESCRIPTION": v.get("description"),
            "STATUS": v.get("status") or "inactive",
            "strategy": v.get("strategy") or "weighted-round-robin",
            "DataChange_LastTime": dt(float(v.get("updatedAt") or 0)),
        }
        if found is not None:
            self.conn.execute(
                update(t.service_route_rule).where(t.service_route_rule.c.id == found[0]).values(**fields)
            )
            return
        self.conn.execute(
            insert(t.service_route_rule).values(
                SERVICE_ID=v["serviceId"],
                NAME=route_id,
                DELETED=0,
                CREATE_TIME=dt(float(v.get("createdAt") or 0)),
                **fields,
            )
        )
        for child in changelog.children(self.conn, change.id):
            self.install(child)

    def ref_key(self, ref: str, service_id: str) -> tuple[str, int | None]:
        """What a rule-group reference means on this node: (group key or folded name, managed group id).

        The same resolution as :meth:`RoutingTable.resolve_group` in memory: an integer id, a group key, or
        the name of a group of the rule's service; anything else is a free group name.
        """
        g = t.service_group.c
        ref = ref.strip()
        alive = g.DELETED == 0
        if ref.isdigit():
            row = self.conn.execute(select(g.id, group_key_expr()).where(alive, g.id == int(ref))).first()
            if row is not None:
                return str(row[1]), int(row[0])
        gid = self.group_row(ref)
        if gid is not None:
            return ref, gid
        for row in self.conn.execute(
            select(g.id, g.SERVICE_ID, group_key_expr()).where(alive, g.NAME == ref).order_by(g.id)
        ):
            if fold(row[1] or "") == fold(service_id):
                return str(row[2]), int(row[0])
        return fold(ref), None

    def _rulegroup(self, change: EntityChange) -> None:
        found = self.rule_row(change.key[0])
        if found is None:
            return
        rule_id, service_id = found
        c = t.service_route_rule_group.c
        mine = []
        for row_id, ref, managed_id in self.conn.execute(
            select(c.id, c.GROUP_KEY, c.GROUP_ID).where(c.ROUTE_RULE_ID == rule_id)
        ):
            ref = ref or (str(managed_id) if managed_id is not None else "")
            # a reference whose group is not here (yet) still names the same thing by its folded text
            if self.ref_key(ref, service_id)[0] == change.key[1] or fold(ref) == fold(change.key[1]):
                mine.append(int(row_id))
        v = change.value
        if v is None or len(mine) > 1:
            if mine:
                self.conn.execute(delete(t.service_route_rule_group).where(c.id.in_(mine)))
            mine = []
        if v is None:
            return
        ref = str(v.get("groupRef") or "")
        managed: int | None = None
        if v.get("groupKey"):
            managed = self.group_row(str(v["groupKey"]))
            if v.get("refIsId"):  # a row id means nothing here: name this node's group (or its key)
                ref = str(managed) if managed is not None else str(v["groupKey"])
        else:
            managed = self.ref_key(ref, service_id)[1]
        fields = {
            "GROUP_ID": managed,
            "GROUP_KEY": ref,
            "WEIGHT": int(v.get("weight") or 1),
            "UNRELEASED_WEIGHT": v.get("unreleasedWeight"),
            "REGION_ID": v.get("regionId"),
            "ZONE_ID": v.get("zoneId"),
            "DataChange_LastTime": self.now,
        }
        if mine:  # J clients address rule-groups by row id: an update keeps it
            self.conn.execute(update(t.service_route_rule_group).where(c.id == mine[0]).values(**fields))
            return
        self.conn.execute(
            insert(t.service_route_rule_group).values(ROUTE_RULE_ID=rule_id, CREATE_TIME=self.now, **fields)
        )

    # -- ids for audit targets and Java log rows -------------------------------------------------------------
    def resolve(self, refs: dict[str, Any]) -> dict[str, int | None]:
        """``{"g": group key, "r": routeId}`` -> this node's row ids (the newest row, deleted or not)."""
        out: dict[str, int | None] = {}
        if refs.get("g"):
            out["g"] = self.group_row(str(refs["g"]), alive=False)
        if refs.get("r"):
            found = self.rule_row(str(refs["r"]), alive=False)
            out["r"] = found[0] if found else None
        return out
