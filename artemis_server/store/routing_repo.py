"""Routing rows (S17.5): groups, tags, bindings, route rules and rule-groups, in the Java column layout.

Groups and rules are soft-deleted (``DELETED=1``) so their ids are never reused (S12.1).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from artemis_server.registry.routing import Binding, Group, Rule, RuleGroup
from artemis_server.store import tables as t


def _secs(value: Any) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp())
    return 0


def _pk(res: Any) -> int:
    pk = res.inserted_primary_key
    return int(pk[0]) if pk else 0


class RoutingWriter:
    def __init__(self, conn: Connection, stamp: datetime) -> None:
        self.conn = conn
        self.stamp = stamp

    # groups -------------------------------------------------------------------------------------------
    def insert_group(self, g: Group) -> int:
        res = self.conn.execute(
            insert(t.service_group).values(
                SERVICE_ID=g.service_id,
                REGION_ID=g.region_id,
                ZONE_ID=g.zone_id,
                NAME=g.name,
                APP_ID=g.app_id or g.service_id,
                DESCRIPTION=g.description,
                STATUS=g.status,
                type=g.group_type,
                DELETED=0,
                CREATE_TIME=self.stamp,
                DataChange_LastTime=self.stamp,
            )
        )
        return _pk(res)

    def update_group(self, g: Group) -> None:
        self.conn.execute(
            update(t.service_group)
            .where(t.service_group.c.id == g.group_id)
            .values(DESCRIPTION=g.description, STATUS=g.status, DataChange_LastTime=self.stamp)
        )

    def delete_group(self, group_id: int) -> None:
        self.conn.execute(
            update(t.service_group)
            .where(t.service_group.c.id == group_id)
            .values(DELETED=1, DataChange_LastTime=self.stamp)
        )
        self.conn.execute(delete(t.service_group_tag).where(t.service_group_tag.c.GROUP_ID == group_id))
        self.conn.execute(
            delete(t.service_group_instance).where(t.service_group_instance.c.GROUP_ID == group_id)
        )

    def put_tag(self, group_id: int, key: str, value: str) -> None:
        c = t.service_group_tag.c
        res = self.conn.execute(
            update(t.service_group_tag)
            .where(c.GROUP_ID == group_id, c.TAG == key)
            .values(VALUE=value, DataChange_LastTime=self.stamp)
        )
        if not res.rowcount:
            self.conn.execute(
                insert(t.service_group_tag).values(
                    GROUP_ID=group_id,
                    TAG=key,
                    VALUE=value,
                    CREATE_TIME=self.stamp,
                    DataChange_LastTime=self.stamp,
                )
            )

    def delete_tag(self, group_id: int, key: str) -> None:
        c = t.service_group_tag.c
        self.conn.execute(delete(t.service_group_tag).where(c.GROUP_ID == group_id, c.TAG == key))

    # bindings ---------------------------------------------------------------------------------------------
    def insert_binding(self, b: Binding) -> int:
        c = t.service_group_instance.c
        row = self.conn.execute(
            select(c.id).where(c.GROUP_ID == b.group_id, c.INSTANCE_ID == b.instance_id)
        ).first()
        if row is not None:
            return int(row[0])
        res = self.conn.execute(
            insert(t.service_group_instance).values(
                GROUP_ID=b.group_id,
                INSTANCE_ID=b.instance_id,
                SERVICE_ID=b.service_id,
                REGION_ID=b.region_id,
                ZONE_ID=b.zone_id,
                BINDING_TYPE=b.binding_type,
                OPERATOR_ID=b.operator_id,
                CREATE_TIME=self.stamp,
                DataChange_LastTime=self.stamp,
            )
        )
        return _pk(res)

    def delete_binding(self, group_id: int, instance_id: str) -> int:
        c = t.service_group_instance.c
        res = self.conn.execute(
            delete(t.service_group_instance).where(c.GROUP_ID == group_id, c.INSTANCE_ID == instance_id)
        )
        return int(res.rowcount or 0)

    # rules -----------------------------------------------------------------------------------------------
    def insert_rule(self, r: Rule) -> int:
        res = self.conn.execute(
            insert(t.service_route_rule).values(
                SERVICE_ID=r.service_id,
                NAME=r.route_id,
                DISPLAY_NAME=r.name,
                DESCRIPTION=r.description,
                STATUS=r.status,
                strategy=r.strategy,
                DELETED=0,
                CREATE_TIME=self.stamp,
                DataChange_LastTime=self.stamp,
            )
        )
        return _pk(res)

    def update_rule(self, r: Rule) -> None:
        self.conn.execute(
            update(t.service_route_rule)
            .where(t.service_route_rule.c.id == r.rule_id)
            .values(
                DISPLAY_NAME=r.name,
                DESCRIPTION=r.description,
                STATUS=r.status,
                strategy=r.strategy,
                DataChange_LastTime=self.stamp,
            )
        )

    def delete_rule(self, rule_id: int) -> None:
        self.conn.execute(
            update(t.service_route_rule)
            .where(t.service_route_rule.c.id == rule_id)
            .values(DELETED=1, DataChange_LastTime=self.stamp)
        )
        self.conn.execute(
            delete(t.service_route_rule_group).where(t.service_route_rule_group.c.ROUTE_RULE_ID == rule_id)
        )

    def put_rule_group(self, rule_id: int, rg: RuleGroup, replaces: list[int]) -> int:
        c = t.service_route_rule_group.c
        if replaces:
            self.conn.execute(delete(t.service_route_rule_group).where(c.id.in_(replaces)))
        res = self.conn.execute(
            insert(t.service_route_rule_group).values(
                ROUTE_RULE_ID=rule_id,
                GROUP_ID=rg.managed_id,
                GROUP_KEY=rg.group_ref,
                WEIGHT=rg.weight,
                UNRELEASED_WEIGHT=rg.unreleased_weight,
                REGION_ID=rg.region_id,
                ZONE_ID=rg.zone_id,
                CREATE_TIME=self.stamp,
                DataChange_LastTime=self.stamp,
            )
        )
        return _pk(res)

    def update_rule_group(self, rg: RuleGroup) -> None:
        self.conn.execute(
            update(t.service_route_rule_group)
            .where(t.service_route_rule_group.c.id == rg.row_id)
            .values(WEIGHT=rg.weight, UNRELEASED_WEIGHT=rg.unreleased_weight, DataChange_LastTime=self.stamp)
        )

    def put_group_operation(self, group_id: int, operation: str) -> None:
        c = t.service_group_operation.c
        exists = self.conn.execute(
            select(c.id).where(c.GROUP_ID == group_id, c.OPERATION == operation)
        ).first()
        if exists is None:
            self.conn.execute(
                insert(t.service_group_operation).values(
                    GROUP_ID=group_id,
                    OPERATION=operation,
                    CREATE_TIME=self.stamp,
                    DataChange_LastTime=self.stamp,
                )
            )

    def delete_group_operation(self, group_id: int, operation: str) -> None:
        c = t.service_group_operation.c
        self.conn.execute(
            delete(t.service_group_operation).where(c.GROUP_ID == group_id, c.OPERATION == operation)
        )

    def put_service_instance(self, values: dict[str, Any]) -> int:
        c = t.service_instance.c
        row = self.conn.execute(
            select(c.id).where(c.SERVICE_ID == values["SERVICE_ID"], c.INSTANCE_ID == values["INSTANCE_ID"])
        ).first()
        if row is not None:
            self.conn.execute(
                update(t.service_instance)
                .where(c.id == row[0])
                .values(**values, DataChange_LastTime=self.stamp)
            )
            return int(row[0])
        res = self.conn.execute(
            insert(t.service_instance).values(
                **values, CREATE_TIME=self.stamp, DataChange_LastTime=self.stamp
            )
        )
        return _pk(res)

    def delete_service_instance(self, row_id: int) -> None:
        self.conn.execute(delete(t.service_instance).where(t.service_instance.c.id == row_id))

    def delete_rule_group(self, row_id: int) -> None:
        self.conn.execute(delete(t.service_route_rule_group).where(t.service_route_rule_group.c.id == row_id))


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


def load_extras(conn: Connection) -> tuple[dict[int, set[str]], list[dict[str, Any]]]:
    """Group operations and static service instances (J admin surface)."""
    ops: dict[int, set[str]] = {}
    for r in conn.execute(select(t.service_group_operation)).mappings():
        ops.setdefault(int(r["GROUP_ID"]), set()).add(r["OPERATION"])
    instances: list[dict[str, Any]] = []
    for r in conn.execute(select(t.service_instance).order_by(t.service_instance.c.id)).mappings():
        doc: dict[str, Any] = {"id": int(r["id"])}
        for col, name in SERVICE_INSTANCE_FIELDS.items():
            if r[col] is not None:
                doc[name] = r[col]
        instances.append(doc)
    return ops, instances


def load_routing(conn: Connection) -> tuple[list[Group], list[Binding], list[Rule]]:
    groups: dict[int, Group] = {}
    g = t.service_group.c
    for r in conn.execute(select(t.service_group).where(g.DELETED == 0).order_by(g.id)).mappings():
        groups[int(r["id"])] = Group(
            group_id=int(r["id"]),
            service_id=r["SERVICE_ID"],
            region_id=r["REGION_ID"] or "",
            zone_id=r["ZONE_ID"] or "",
            name=r["NAME"],
            group_type=r["type"] or "physical",
            status=r["STATUS"] or "active",
            description=r["DESCRIPTION"],
            app_id=r["APP_ID"],
            created_at=_secs(r["CREATE_TIME"]),
            updated_at=_secs(r["DataChange_LastTime"]),
        )
    tg = t.service_group_tag.c
    for r in conn.execute(select(t.service_group_tag).order_by(tg.id)).mappings():
        grp = groups.get(int(r["GROUP_ID"]))
        if grp is not None:
            grp.tags[r["TAG"]] = r["VALUE"] or ""
    bindings: list[Binding] = []
    b = t.service_group_instance.c
    for r in conn.execute(select(t.service_group_instance).order_by(b.id)).mappings():
        if int(r["GROUP_ID"]) not in groups:
            continue
        bindings.append(
            Binding(
                binding_id=int(r["id"]),
                group_id=int(r["GROUP_ID"]),
                instance_id=r["INSTANCE_ID"],
                service_id=r["SERVICE_ID"] or groups[int(r["GROUP_ID"])].service_id,
                region_id=r["REGION_ID"] or "",
                zone_id=r["ZONE_ID"] or "",
                binding_type=r["BINDING_TYPE"] or "manual",
                operator_id=r["OPERATOR_ID"] or "",
                created_at=_secs(r["CREATE_TIME"]),
            )
        )
    rules: dict[int, Rule] = {}
    rc = t.service_route_rule.c
    for r in conn.execute(select(t.service_route_rule).where(rc.DELETED == 0).order_by(rc.id)).mappings():
        rules[int(r["id"])] = Rule(
            rule_id=int(r["id"]),
            route_id=r["NAME"],
            service_id=r["SERVICE_ID"],
            name=r["DISPLAY_NAME"] or r["NAME"],
            strategy=r["strategy"] or "weighted-round-robin",
            status=r["STATUS"] or "inactive",
            description=r["DESCRIPTION"],
            created_at=_secs(r["CREATE_TIME"]),
            updated_at=_secs(r["DataChange_LastTime"]),
        )
    rg = t.service_route_rule_group.c
    for r in conn.execute(select(t.service_route_rule_group).order_by(rg.id)).mappings():
        rule = rules.get(int(r["ROUTE_RULE_ID"]))
        if rule is None:
            continue
        ref = r["GROUP_KEY"] or (str(r["GROUP_ID"]) if r["GROUP_ID"] is not None else "")
        rule.groups.append(
            RuleGroup(
                row_id=int(r["id"]),
                route_id=rule.route_id,
                group_ref=ref,
                weight=int(r["WEIGHT"] or 1),
                region_id=r["REGION_ID"],
                zone_id=r["ZONE_ID"],
                managed_id=int(r["GROUP_ID"]) if r["GROUP_ID"] is not None else None,
                unreleased_weight=r["UNRELEASED_WEIGHT"],
            )
        )
    return list(groups.values()), bindings, list(rules.values())
