"""Management commands of group routing (S12): groups, tags, bindings, route rules, rule-groups.

Each command validates against the in-memory view and plans the resulting value of every entity it touches
(artemis_server/entities.py): a group, a tag, a binding, a rule, a rule-group, a J group operation or static
service instance. Entities are keyed by group key and ``routeId`` (never by row id), so the value means the
same thing on a peer whose database numbered the rows differently. Audit targets and Java log rows that name
a group or rule id carry a placeholder that every node fills with its own id. Each command raises ``reload``
for the service it touches (S9.10); its answer is read from the view once the change is in.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from artemis_client.errors import BadRequestError, ConflictError, NotFoundError
from artemis_server.entities import EntityChange, fold, svcinst_key
from artemis_server.registry.routing import (
    Binding,
    Group,
    RoutingTable,
    Rule,
    RuleGroup,
    clamp_weight,
    group_key,
    norm_strategy,
)
from artemis_server.store.entity_rows import SERVICE_INSTANCE_FIELDS
from artemis_server.store.repository import REF_GROUP, REF_RULE
from artemis_server.views import group_view, rule_group_view, rule_view

if TYPE_CHECKING:
    from artemis_server.management import ManagementService, Plan

GROUP_TYPES = ("physical", "logical")
STATUSES = ("active", "inactive")


def _req(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise BadRequestError(f"missing required field `{name}`", field=name)
    return value.strip()


def _opt(args: dict[str, Any], name: str) -> str | None:
    value = args.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _enum(value: str | None, allowed: tuple[str, ...], name: str) -> str | None:
    if value is None:
        return None
    v = value.strip().lower().replace("_", "-")
    if v not in allowed:
        raise BadRequestError(
            f"invalid field `{name}`: expected one of {', '.join(allowed)}, got {value!r}", field=name
        )
    return v


def _weight(args: dict[str, Any]) -> int:
    w = args.get("weight")
    if isinstance(w, bool) or not isinstance(w, int | float):
        raise BadRequestError("invalid field `weight`: expected a number", field="weight")
    return clamp_weight(int(w))


# -- entity values ----------------------------------------------------------------------------------------
def group_value(g: Group) -> dict[str, Any]:
    return {
        "serviceId": g.service_id,
        "regionId": g.region_id,
        "zoneId": g.zone_id,
        "name": g.name,
        "groupType": g.group_type,
        "status": g.status,
        "description": g.description,
        "appId": g.app_id,
        "createdAt": g.created_at,
        "updatedAt": g.updated_at,
    }


def _order(order: tuple[Any, ...]) -> list[Any] | None:
    """A view's order tuple back to the value's ``order`` (None: the row has no entity, keep row order)."""
    return list(order[1:]) if order and order[0] == 1 else None


def rule_value(r: Rule, order: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "routeId": r.route_id,
        "serviceId": r.service_id,
        "name": r.name,
        "strategy": r.strategy,
        "status": r.status,
        "description": r.description,
        "createdAt": r.created_at,
        "updatedAt": r.updated_at,
    }
    if order is not None:
        doc["order"] = order
    return doc


def new_order(index: int = 0) -> list[Any]:
    """``order`` of an entity created by this change: filled with the change's stamp when it commits."""
    return ["@", index]


class RoutingCommands:
    def __init__(self, svc: ManagementService, table: RoutingTable) -> None:
        self.svc = svc
        self.t = table
        for name in (
            "group.create",
            "group.update",
            "group.delete",
            "group.tags.add",
            "group.tags.remove",
            "binding.add",
            "binding.remove",
            "binding.batch",
            "rule.create",
            "rule.update",
            "rule.delete",
            "rule.publish",
            "rule.unpublish",
            "rulegroup.add",
            "rulegroup.update",
            "rulegroup.remove",
            "rulegroup.stage",
            "rulegroup.release",
            "group.operate",
            "service_instance.put",
            "service_instance.delete",
        ):
            svc.register_command(f"routing.{name}", getattr(self, "_" + name.replace(".", "_")))

    def _plan(self) -> Plan:
        from artemis_server.management import Plan

        return Plan()

    def _group(self, args: dict[str, Any]) -> Group:
        key = _req(args, "groupKey")
        g = self.t.group_by_ref(key)
        if g is None:
            raise NotFoundError(f"Group not found: {key}")
        return g

    def _rule(self, args: dict[str, Any], *, missing: type[Exception] = NotFoundError) -> Rule:
        route_id = _req(args, "routeId")
        rule = self.t.rules.get(route_id)
        if rule is None:
            raise missing(f"Route rule not found: {route_id}")
        return rule

    def _group_answer(self, key: str) -> Callable[[], Any]:
        """The answer of a group command: the group as the view holds it once the change is in."""

        def after() -> Any:
            gid = self.t.group_by_key.get(key)
            current = self.t.groups.get(gid) if gid is not None else None
            return group_view(current) if current is not None else None

        return after

    def _group_log(self, plan: Plan, g: Group, operation: str) -> None:
        refs = {"g": g.key}
        plan.audit("group", f"group:{REF_GROUP},key:{g.key}", operation, None, refs)
        plan.j_log(
            "service_group_log",
            {
                "GROUP_ID": REF_GROUP,
                "NAME": g.name,
                "STATUS": g.status,
                "TYPE": g.group_type,
                "OPERATION": operation,
                "DESCRIPTION": g.description,
                "SERVICE_ID": g.service_id,
                "REGION_ID": g.region_id,
                "ZONE_ID": g.zone_id,
                "APP_ID": g.app_id or g.service_id,
            },
            refs,
        )

    # -- groups ----------------------------------------------------------------------------------------
    def _group_create(self, args: dict[str, Any], operator: str) -> Plan:
        now = int(time.time())
        g = Group(
            group_id=0,
            service_id=_req(args, "serviceId"),
            region_id=_req(args, "regionId"),
            zone_id=_req(args, "zoneId"),
            name=_req(args, "name"),
            group_type=_enum(_req(args, "groupType"), GROUP_TYPES, "groupType") or "physical",
            status=_enum(_opt(args, "status"), STATUSES, "status") or "active",
            description=_opt(args, "description"),
            app_id=_opt(args, "appId"),
            created_at=now,
            updated_at=now,
        )
        if g.key in self.t.group_by_key:
            raise ConflictError(f"Group already exists: {g.key}", field="name")
        plan = self._plan()
        plan.reload_services = [g.service_id]
        plan.entities.append(EntityChange("group", (g.key,), group_value(g)))
        self._group_log(plan, g, "create")
        plan.after = self._group_answer(g.key)
        return plan

    def _group_update(self, args: dict[str, Any], operator: str) -> Plan:
        old = self._group(args)
        g = dataclasses.replace(old, tags=dict(old.tags))
        if "description" in args and args["description"] is not None:
            g.description = str(args["description"])
        status = _enum(_opt(args, "status"), STATUSES, "status")
        if status:
            g.status = status
        g.updated_at = int(time.time())
        plan = self._plan()
        plan.reload_services = [g.service_id]
        plan.entities.append(EntityChange("group", (g.key,), group_value(g)))
        self._group_log(plan, g, "update")
        plan.after = self._group_answer(g.key)
        return plan

    def _group_delete(self, args: dict[str, Any], operator: str) -> Plan:
        g = self._group(args)
        plan = self._plan()
        plan.reload_services = [g.service_id]
        # the group and everything that hangs on it here: tags, bindings, J operations (S12.4)
        plan.entities.append(EntityChange("group", (g.key,), None))
        plan.entities += [EntityChange("tag", (g.key, k), None) for k in g.tags]
        plan.entities += [
            EntityChange("binding", (g.key, iid), None) for (gid, iid) in self.t.bindings if gid == g.group_id
        ]
        plan.entities += [
            EntityChange("groupop", (g.key, op), None) for op in sorted(self.t.group_ops.get(g.group_id, ()))
        ]
        self._group_log(plan, g, "delete")
        return plan

    def _group_tags_add(self, args: dict[str, Any], operator: str) -> Plan:
        g = self._group(args)
        tags = args.get("tags")
        if not isinstance(tags, list) or not tags:
            raise BadRequestError("missing required field `tags`", field="tags")
        pairs: dict[str, str] = {}
        for i, tag in enumerate(tags):
            if not isinstance(tag, dict) or not isinstance(tag.get("key"), str) or not tag["key"].strip():
                raise BadRequestError(f"missing required field `tags[{i}].key`", field=f"tags[{i}].key")
            value = tag.get("value")
            key = tag["key"].strip()
            pairs.pop(key, None)
            pairs[key] = "" if value is None else str(value)
        plan = self._plan()
        plan.reload_services = [g.service_id]
        refs = {"g": g.key}
        for k, v in pairs.items():
            plan.entities.append(EntityChange("tag", (g.key, k), {"group": g.key, "key": k, "value": v}))
            plan.audit("group", f"group:{REF_GROUP},key:{g.key}", "add-tag", {"key": k, "value": v}, refs)
            plan.j_log(
                "service_group_tag_log",
                {"GROUP_ID": REF_GROUP, "TAG": k, "VALUE": v, "OPERATION": "add"},
                refs,
            )
        plan.after = self._group_answer(g.key)
        return plan

    def _group_tags_remove(self, args: dict[str, Any], operator: str) -> Plan:
        g = self._group(args)
        key = _req(args, "tagKey")
        if not g.tags:
            raise NotFoundError(f"Group {g.key} has no tags")
        if key not in g.tags:
            raise NotFoundError(f"Group {g.key} has no tag {key}")
        plan = self._plan()
        plan.reload_services = [g.service_id]
        plan.entities.append(EntityChange("tag", (g.key, key), None))
        refs = {"g": g.key}
        plan.audit("group", f"group:{REF_GROUP},key:{g.key}", "remove-tag", {"key": key}, refs)
        plan.j_log("service_group_tag_log", {"GROUP_ID": REF_GROUP, "TAG": key, "OPERATION": "remove"}, refs)
        plan.after = self._group_answer(g.key)
        return plan

    # -- bindings ----------------------------------------------------------------------------------------
    def _binding(self, g: Group, item: dict[str, Any], operator: str, prefix: str = "") -> Binding:
        def need(name: str) -> str:
            try:
                return _req(item, name)
            except BadRequestError:
                raise BadRequestError(
                    f"missing required field `{prefix}{name}`", field=prefix + name
                ) from None

        return Binding(
            binding_id=0,
            group_id=g.group_id,
            instance_id=need("instanceId"),
            service_id=_opt(item, "serviceId") or g.service_id,
            region_id=_opt(item, "regionId") or g.region_id,
            zone_id=_opt(item, "zoneId") or g.zone_id,
            binding_type=(_opt(item, "bindingType") or "manual").lower(),
            operator_id=operator,
            created_at=int(time.time()),
        )

    def _bind_plan(self, items: list[tuple[Group, Binding]], audit_type: str) -> Plan:
        plan = self._plan()
        plan.reload_services = sorted({g.service_id for g, _ in items})
        seen: set[tuple[int, str]] = set()
        for g, b in items:
            refs = {"g": g.key}
            target = (
                f"group:{REF_GROUP},instance:{b.instance_id}"
                if audit_type == "group_instance"
                else f"service:{b.service_id},instance:{b.instance_id}"
            )
            plan.audit(audit_type, target, "add", {"groupId": REF_GROUP}, refs)
            plan.j_log(
                "service_group_instance_log",
                {"GROUP_ID": REF_GROUP, "INSTANCE_ID": b.instance_id, "OPERATION": "add"},
                refs,
            )
            pair = (g.group_id, b.instance_id)
            if pair in self.t.bindings or pair in seen:
                continue  # binding twice succeeds and keeps the first binding (S12.9)
            seen.add(pair)
            value = {
                "group": g.key,
                "instanceId": b.instance_id,
                "serviceId": b.service_id,
                "regionId": b.region_id,
                "zoneId": b.zone_id,
                "bindingType": b.binding_type,
                "operatorId": b.operator_id,
                "createdAt": b.created_at,
            }
            plan.entities.append(EntityChange("binding", (g.key, b.instance_id), value))
        return plan

    def _binding_add(self, args: dict[str, Any], operator: str) -> Plan:
        g = self._group(args)
        for name in ("instanceId", "regionId", "zoneId", "serviceId"):
            _req(args, name)
        return self._bind_plan([(g, self._binding(g, args, operator))], "group_instance")

    def _binding_remove(self, args: dict[str, Any], operator: str) -> Plan:
        g = self._group(args)
        instance_id = _req(args, "instanceId")
        if (g.group_id, instance_id) not in self.t.bindings:
            raise NotFoundError(f"Instance {instance_id} is not bound to group {g.key}")
        plan = self._plan()
        plan.reload_services = [g.service_id]
        plan.entities.append(EntityChange("binding", (g.key, instance_id), None))
        refs = {"g": g.key}
        plan.audit("group_instance", f"group:{REF_GROUP},instance:{instance_id}", "remove", None, refs)
        plan.j_log(
            "service_group_instance_log",
            {"GROUP_ID": REF_GROUP, "INSTANCE_ID": instance_id, "OPERATION": "remove"},
            refs,
        )
        return plan

    def _binding_batch(self, args: dict[str, Any], operator: str) -> Plan:
        service = _req(args, "serviceId")
        items = args.get("instances")
        if not isinstance(items, list) or not items:
            raise BadRequestError("`instances` must be a non-empty list", field="instances")
        pairs: list[tuple[Group, Binding]] = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise BadRequestError(
                    f"invalid field `instances[{i}]`: expected an object", field=f"instances[{i}]"
                )
            sid = item.get("serviceId")
            if not isinstance(sid, str) or fold(sid.strip()) != fold(service):
                raise BadRequestError(
                    f"instances[{i}].serviceId {sid!r} does not match the service in the path ({service})",
                    field=f"instances[{i}].serviceId",
                )
            ref = item.get("groupKey") if item.get("groupKey") is not None else item.get("groupId")
            if ref is None or isinstance(ref, bool):
                raise BadRequestError(
                    f"missing required field `instances[{i}].groupId`", field=f"instances[{i}].groupId"
                )
            g = self.t.group_by_ref(str(ref))
            if g is None:
                raise BadRequestError(f"Group not found: {ref}", field=f"instances[{i}].groupId")
            pairs.append((g, self._binding(g, item, operator, prefix=f"instances[{i}].")))
        plan = self._bind_plan(pairs, "service_instance")
        plan.result = len(pairs)
        return plan

    # -- rules ---------------------------------------------------------------------------------------------
    def _rule_log(self, plan: Plan, r: Rule, operation: str) -> None:
        plan.audit("route_rule", f"rule:{r.route_id}", operation, None)
        plan.j_log(
            "service_route_rule_log",
            {"SERVICE_ID": r.service_id, "NAME": r.route_id, "STATUS": r.status, "OPERATION": operation},
        )

    def _rule_create(self, args: dict[str, Any], operator: str) -> Plan:
        route_id = _req(args, "routeId")
        if route_id in self.t.rules:
            raise ConflictError(f"Route rule already exists: {route_id}", field="routeId")
        strategy = norm_strategy(_req(args, "strategy"))
        if strategy is None:
            raise BadRequestError(
                "invalid field `strategy`: expected weighted-round-robin or close-by-visit", field="strategy"
            )
        now = int(time.time())
        r = Rule(
            rule_id=0,
            route_id=route_id,
            service_id=_req(args, "serviceId"),
            name=_opt(args, "name") or route_id,
            strategy=strategy,
            status=_enum(_opt(args, "status"), STATUSES, "status") or "inactive",
            description=_opt(args, "description"),
            created_at=now,
            updated_at=now,
        )
        if _opt(args, "name") is None and args.get("_requireName", True):
            _req(args, "name")
        groups = self._rule_groups_from(r, args.get("groups"))
        plan = self._plan()
        plan.reload_services = [r.service_id]
        plan.entities.append(EntityChange("rule", (route_id,), rule_value(r, new_order())))
        for i, (ref_key, value) in enumerate(groups):
            value["order"] = new_order(i + 1)
            plan.entities.append(EntityChange("rulegroup", (route_id, ref_key), value))
        self._rule_log(plan, r, "create")

        def after() -> Any:
            current = self.t.rules.get(route_id)
            return rule_view(current) if current is not None else None

        plan.after = after
        return plan

    def ref_key(self, ref: str, service_id: str) -> str:
        """What a rule-group reference means (the same rule as store/entity_rows.py ``ref_key``)."""
        gid = self.t.resolve_group(ref, service_id)
        return self.t.groups[gid].key if gid is not None else fold(ref.strip())

    def _rg_value(
        self, route_id: str, ref: str, service_id: str, weight: int, region: str | None, zone: str | None
    ) -> tuple[str, dict[str, Any]]:
        gid = self.t.resolve_group(ref, service_id)
        key = self.t.groups[gid].key if gid is not None else None
        ref_key = key if key is not None else fold(ref.strip())
        value: dict[str, Any] = {
            "routeId": route_id,
            "refKey": ref_key,
            "groupRef": ref,
            "groupKey": key,
            "refIsId": ref.strip().isdigit() and key is not None,
            "weight": weight,
            "unreleasedWeight": None,
            "regionId": region,
            "zoneId": zone,
        }
        return ref_key, value

    def _rg_current(self, r: Rule, rg: RuleGroup) -> tuple[str, dict[str, Any]]:
        ref_key, value = self._rg_value(
            r.route_id, rg.group_ref, r.service_id, rg.weight, rg.region_id, rg.zone_id
        )
        value["unreleasedWeight"] = rg.unreleased_weight
        order = _order(rg.order)
        if order is not None:
            value["order"] = order
        return ref_key, value

    def _rule_groups_from(self, r: Rule, groups: Any) -> list[tuple[str, dict[str, Any]]]:
        if groups is None:
            return []
        if not isinstance(groups, list):
            raise BadRequestError("invalid field `groups`: expected a list", field="groups")
        out: dict[str, dict[str, Any]] = {}
        for i, item in enumerate(groups):
            if not isinstance(item, dict):
                raise BadRequestError(f"invalid field `groups[{i}]`", field=f"groups[{i}]")
            ref = item.get("groupId", item.get("groupKey"))
            if ref is None or isinstance(ref, bool) or str(ref).strip() == "":
                raise BadRequestError(
                    f"missing required field `groups[{i}].groupId`", field=f"groups[{i}].groupId"
                )
            try:
                weight = _weight(item)
            except BadRequestError:
                raise BadRequestError(
                    f"invalid field `groups[{i}].weight`: expected a number", field=f"groups[{i}].weight"
                ) from None
            ref_key, value = self._rg_value(
                r.route_id,
                str(ref).strip(),
                r.service_id,
                weight,
                _opt(item, "regionId"),
                _opt(item, "zoneId"),
            )
            out.pop(ref_key, None)  # a group named twice: the last one counts, at the end
            out[ref_key] = value
        return list(out.items())

    def _rule_update(self, args: dict[str, Any], operator: str) -> Plan:
        old = self._rule(args)
        r = dataclasses.replace(old, updated_at=int(time.time()))
        if _opt(args, "name"):
            r.name = str(_opt(args, "name"))
        if args.get("description") is not None:
            r.description = str(args["description"])
        if _opt(args, "strategy"):
            strategy = norm_strategy(str(_opt(args, "strategy")))
            if strategy is None:
                raise BadRequestError(
                    "invalid field `strategy`: expected weighted-round-robin or close-by-visit",
                    field="strategy",
                )
            r.strategy = strategy
        status = _enum(_opt(args, "status"), STATUSES, "status")
        if status:
            r.status = status
        return self._rule_replace(r, "update")

    def _rule_replace(self, r: Rule, operation: str) -> Plan:
        plan = self._plan()
        plan.reload_services = [r.service_id]
        plan.entities.append(EntityChange("rule", (r.route_id,), rule_value(r, _order(r.order))))
        self._rule_log(plan, r, operation)
        route_id = r.route_id

        def after() -> Any:
            current = self.t.rules.get(route_id)
            return rule_view(current) if current is not None and operation == "update" else None

        plan.after = after
        return plan

    def _rule_publish(self, args: dict[str, Any], operator: str) -> Plan:
        old = self._rule(args)
        return self._rule_replace(
            dataclasses.replace(old, status="active", updated_at=int(time.time())), "publish"
        )

    def _rule_unpublish(self, args: dict[str, Any], operator: str) -> Plan:
        old = self._rule(args)
        new = dataclasses.replace(old, status="inactive", updated_at=int(time.time()))
        return self._rule_replace(new, "unpublish")

    def _rule_delete(self, args: dict[str, Any], operator: str) -> Plan:
        r = self._rule(args)
        plan = self._plan()
        plan.reload_services = [r.service_id]
        plan.entities.append(EntityChange("rule", (r.route_id,), None))
        for rg in r.groups:  # its rule-groups go with it (S12.7)
            plan.entities.append(EntityChange("rulegroup", (r.route_id, self._rg_current(r, rg)[0]), None))
        self._rule_log(plan, r, "delete")
        return plan

    # -- rule-groups ---------------------------------------------------------------------------------------
    def _find_rg(self, r: Rule, ref: str) -> RuleGroup | None:
        managed = self.t.resolve_group(ref, r.service_id)
        for rg in r.groups:
            if fold(rg.group_ref) == fold(ref) or (managed is not None and rg.managed_id == managed):
                return rg
        return None

    def _rg_log(self, plan: Plan, r: Rule, ref: str, operation: str, weight: int | None) -> None:
        gid = self.t.resolve_group(ref, r.service_id)
        refs = {"r": r.route_id}
        if gid is not None:
            refs["g"] = self.t.groups[gid].key
        plan.audit(
            "route_rule_group",
            f"rule:{r.route_id},group:{ref}",
            operation,
            {"weight": weight} if weight is not None else None,
        )
        plan.j_log(
            "service_route_rule_group_log",
            {
                "ROUTE_RULE_ID": REF_RULE,
                "GROUP_ID": REF_GROUP if gid is not None else None,
                "WEIGHT": weight,
                "OPERATION": operation,
            },
            refs,
        )

    def _rg_change(self, r: Rule, ref_key: str, value: dict[str, Any] | None) -> EntityChange:
        return EntityChange("rulegroup", (r.route_id, ref_key), value)

    def _rulegroup_add(self, args: dict[str, Any], operator: str) -> Plan:
        r = self._rule(args, missing=BadRequestError)
        ref = _req(args, "groupId")
        ref_key, value = self._rg_value(
            r.route_id, ref, r.service_id, _weight(args), _opt(args, "regionId"), _opt(args, "zoneId")
        )
        old = self._find_rg(r, ref)
        plan = self._plan()
        if old is not None:
            old_key = self._rg_current(r, old)[0]
            order = _order(old.order)  # replacing keeps the group's place in the order
            value["order"] = order if order is not None else new_order()
            if old_key != ref_key:
                plan.entities.append(self._rg_change(r, old_key, None))
        else:
            value["order"] = new_order()
        plan.entities.append(self._rg_change(r, ref_key, value))
        plan.reload_services = [r.service_id]
        self._rg_log(plan, r, ref, "add", value["weight"])
        return plan

    def _rulegroup_update(self, args: dict[str, Any], operator: str) -> Plan:
        r = self._rule(args)
        ref = _req(args, "groupId")
        rg = self._find_rg(r, ref)
        if rg is None:
            raise NotFoundError(f"Group {ref} is not in route rule {r.route_id}")
        weight = _weight(args)
        plan = self._plan()
        plan.reload_services = [r.service_id]
        ref_key, value = self._rg_current(r, rg)
        value["weight"] = weight
        plan.entities.append(self._rg_change(r, ref_key, value))
        self._rg_log(plan, r, ref, "update", weight)
        route_id, group_ref = r.route_id, rg.group_ref

        def after() -> Any:
            rule = self.t.rules.get(route_id)
            current = self._find_rg(rule, group_ref) if rule is not None else None
            return rule_group_view(current) if current is not None else None

        plan.after = after
        return plan

    def _rulegroup_remove(self, args: dict[str, Any], operator: str) -> Plan:
        r = self._rule(args)
        ref = _req(args, "groupId")
        rg = self._find_rg(r, ref)
        if rg is None:
            raise NotFoundError(f"Group {ref} is not in route rule {r.route_id}")
        plan = self._plan()
        plan.reload_services = [r.service_id]
        plan.entities.append(self._rg_change(r, self._rg_current(r, rg)[0], None))
        self._rg_log(plan, r, ref, "remove", None)
        return plan

    # -- J: staged weights (insert/update-route-rule-groups, release-route-rule-groups) -------------------
    def _rulegroup_stage(self, args: dict[str, Any], operator: str) -> Plan:
        """Set ``unreleasedWeight``; a rule-group that does not exist yet is added with it as live weight."""
        r = self._rule(args)
        ref = _req(args, "groupId")
        raw = args.get("unreleasedWeight")
        if raw is None:
            raw = args.get("weight")
        if raw is None:
            raw = 5  # J default weight
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise BadRequestError(
                "invalid field `unreleasedWeight`: expected a number", field="unreleasedWeight"
            )
        staged = clamp_weight(int(raw))
        rg = self._find_rg(r, ref)
        if rg is None:
            return self._rulegroup_add({**args, "weight": staged}, operator)
        plan = self._plan()
        plan.reload_services = [r.service_id]
        ref_key, value = self._rg_current(r, rg)
        value["unreleasedWeight"] = staged
        plan.entities.append(self._rg_change(r, ref_key, value))
        self._rg_log(plan, r, ref, "update", staged)
        return plan

    def _rulegroup_release(self, args: dict[str, Any], operator: str) -> Plan:
        r = self._rule(args)
        ref = _req(args, "groupId")
        rg = self._find_rg(r, ref)
        if rg is None:
            raise NotFoundError(f"Group {ref} is not in route rule {r.route_id}")
        weight = rg.unreleased_weight if rg.unreleased_weight is not None else rg.weight
        plan = self._plan()
        plan.reload_services = [r.service_id]
        ref_key, value = self._rg_current(r, rg)
        value["weight"], value["unreleasedWeight"] = weight, None
        plan.entities.append(self._rg_change(r, ref_key, value))
        self._rg_log(plan, r, ref, "update", weight)
        return plan

    # -- J: group operations (stored and listed; discovery ignores them, as in J's server) ---------------
    def _group_operate(self, args: dict[str, Any], operator: str) -> Plan:
        g = self._group(args)
        op = _req(args, "operation").lower()
        complete = bool(args.get("operationComplete", False))
        plan = self._plan()
        refs = {"g": g.key}
        plan.audit("group", f"group:{REF_GROUP},key:{g.key}", op, {"operationComplete": complete}, refs)
        plan.j_log(
            "service_group_operation_log",
            {"GROUP_ID": REF_GROUP, "OPERATION": op, "COMPLETE": 1 if complete else 0, "EXTENSIONS": "{}"},
            refs,
        )
        value = None if complete else {"group": g.key, "operation": op}
        plan.entities.append(EntityChange("groupop", (g.key, op), value))
        return plan

    # -- J: static service instances (service_instance table) ----------------------------------------------
    def _service_instance_put(self, args: dict[str, Any], operator: str) -> Plan:
        service = _req(args, "serviceId")
        instance = _req(args, "instanceId")
        values: dict[str, Any] = {}
        for col, name in SERVICE_INSTANCE_FIELDS.items():
            v = args.get(name)
            if v is None:
                continue
            if col == "PORT":
                if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 65535:
                    raise BadRequestError("invalid field `port`: expected 0..65535", field="port")
            elif col == "METADATA":
                v = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
            else:
                v = str(v)
            values[col] = v
        values["SERVICE_ID"], values["INSTANCE_ID"] = service, instance
        key = svcinst_key(service, instance)
        existing = self.t.service_instances.get(key) or {}
        doc = {k: v for k, v in existing.items() if k != "id"}  # an update keeps the fields not given
        doc.update({SERVICE_INSTANCE_FIELDS[k]: v for k, v in values.items()})
        plan = self._plan()
        plan.entities.append(EntityChange("svcinst", key, doc))
        plan.audit("service_instance", f"service:{service},instance:{instance}", "add", None)
        log_values = {k: v for k, v in values.items() if k != "DESCRIPTION"}
        plan.j_log("service_instance_log", {**log_values, "OPERATION": "add"})
        plan.after = lambda: self.t.service_instances.get(key)
        return plan

    def _service_instance_delete(self, args: dict[str, Any], operator: str) -> Plan:
        service = _req(args, "serviceId")
        instance = _req(args, "instanceId")
        key = svcinst_key(service, instance)
        if self.t.service_instances.get(key) is None:
            raise NotFoundError(f"Service instance not found: {service}/{instance}")
        plan = self._plan()
        plan.entities.append(EntityChange("svcinst", key, None))
        plan.audit("service_instance", f"service:{service},instance:{instance}", "remove", None)
        plan.j_log(
            "service_instance_log", {"SERVICE_ID": service, "INSTANCE_ID": instance, "OPERATION": "remove"}
        )
        return plan


__all__ = ["RoutingCommands", "group_key"]
