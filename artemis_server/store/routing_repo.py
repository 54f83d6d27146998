"""Loading the routing rows (S17.5): groups, tags, bindings, route rules and rule-groups, in the Java layout.

Groups and rules are soft-deleted (``DELETED=1``) so their ids are never reused (S12.1). Rows are written by
store/entity_rows.py; the order of tags, bindings, rule-groups and rules comes from their entity versions
(artemis_entity), so every node lists them the same way whatever order the changes reached it in. Rows no
entity describes (written by a Java or Rust node) come first, in row order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from artemis_server.registry.entities import entity_id, fold
from artemis_server.registry.hlc import Stamp
from artemis_server.registry.routing import Binding, Group, Rule, RuleGroup
from artemis_server.store import tables as t
from artemis_server.store.entity_rows import SERVICE_INSTANCE_FIELDS


def _secs(value: Any) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp())
    return 0


def _order(stamp: Stamp | None, row_id: int) -> tuple[Any, ...]:
    return (0, row_id, "", 0) if stamp is None else (1, stamp.ms, stamp.n, stamp.origin, 0)


def _created(value: dict[str, Any] | None, row_id: int) -> tuple[Any, ...]:
    """Where a rule (or rule-group) goes in a list: the stamp of the change that created it, then its index
    in that change; rows no entity describes first, by row id."""
    order = (value or {}).get("order")
    if isinstance(order, list) and len(order) == 4 and order[0] != "@":
        return (1, int(order[0]), int(order[1]), str(order[2]), int(order[3]))
    return (0, row_id, "", 0)


def ref_key(ref: str, service_id: str, groups: dict[int, Group], by_key: dict[str, int]) -> str:
    """The identity of a rule-group's reference (entities.py): the managed group's key, else the name."""
    ref = ref.strip()
    if ref.isdigit() and int(ref) in groups:
        return groups[int(ref)].key
    if ref in by_key:
        return ref
    sid = fold(service_id)
    for g in sorted(groups.values(), key=lambda g: g.group_id):
        if g.name == ref and fold(g.service_id) == sid:
            return g.key
    return fold(ref)


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


def load_routing(
    conn: Connection, versions: dict[str, Stamp], values: dict[str, dict[str, Any]]
) -> tuple[list[Group], list[Binding], list[Rule]]:
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
    tags = []
    for r in conn.execute(select(t.service_group_tag).order_by(tg.id)).mappings():
        grp = groups.get(int(r["GROUP_ID"]))
        if grp is not None:
            stamp = versions.get(entity_id("tag", (grp.key, r["TAG"])))
            tags.append((_order(stamp, int(r["id"])), grp, r["TAG"], r["VALUE"] or ""))
    for _, grp, tag, value in sorted(tags, key=lambda x: x[0]):
        grp.tags[tag] = value
    bindings: list[Binding] = []
    b = t.service_group_instance.c
    rows = []
    for r in conn.execute(select(t.service_group_instance).order_by(b.id)).mappings():
        grp = groups.get(int(r["GROUP_ID"]))
        if grp is not None:
            stamp = versions.get(entity_id("binding", (grp.key, r["INSTANCE_ID"])))
            rows.append((_order(stamp, int(r["id"])), r))
    for _, r in sorted(rows, key=lambda x: x[0]):
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
        value = values.get(entity_id("rule", (r["NAME"],)))
        rules[int(r["id"])] = Rule(
            order=_created(value, int(r["id"])),
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
    by_key = {g.key: gid for gid, g in groups.items()}
    rgs = []
    for r in conn.execute(select(t.service_route_rule_group).order_by(rg.id)).mappings():
        rule = rules.get(int(r["ROUTE_RULE_ID"]))
        if rule is None:
            continue
        ref = r["GROUP_KEY"] or (str(r["GROUP_ID"]) if r["GROUP_ID"] is not None else "")
        value = values.get(
            entity_id("rulegroup", (rule.route_id, ref_key(ref, rule.service_id, groups, by_key)))
        )
        rgs.append((_created(value, int(r["id"])), rule, r, ref))
    for order, rule, r, ref in sorted(rgs, key=lambda x: x[0]):
        rule.groups.append(
            RuleGroup(
                order=order,
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
