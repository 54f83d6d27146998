"""Routing commands of route rules and their rule-groups, J staged weights included (S12.4, S12.5)."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

from artemis_client.errors import BadRequestError, ConflictError, NotFoundError
from artemis_server.management.plan import Plan, optional, required
from artemis_server.management.routing_base import (
    STATUSES,
    RoutingBase,
    enum_value,
    new_order,
    order_of,
    rule_value,
    weight_of,
)
from artemis_server.registry.entities import EntityChange, fold
from artemis_server.registry.routing import (
    Rule,
    RuleGroup,
    clamp_weight,
    norm_strategy,
)
from artemis_server.store.repository import REF_GROUP, REF_RULE
from artemis_server.views import rule_group_view, rule_view

if TYPE_CHECKING:
    pass


class RuleCommands(RoutingBase):
    # -- rules ---------------------------------------------------------------------------------------------
    def _rule_log(self, plan: Plan, r: Rule, operation: str) -> None:
        plan.audit("route_rule", f"rule:{r.route_id}", operation, None)
        plan.j_log(
            "service_route_rule_log",
            {"SERVICE_ID": r.service_id, "NAME": r.route_id, "STATUS": r.status, "OPERATION": operation},
        )

    def _rule_create(self, args: dict[str, Any], operator: str) -> Plan:
        route_id = required(args, "routeId", numbers=True)
        if route_id in self.t.rules:
            raise ConflictError(f"Route rule already exists: {route_id}", field="routeId")
        strategy = norm_strategy(required(args, "strategy", numbers=True))
        if strategy is None:
            raise BadRequestError(
                "invalid field `strategy`: expected weighted-round-robin or close-by-visit", field="strategy"
            )
        now = int(time.time())
        r = Rule(
            rule_id=0,
            route_id=route_id,
            service_id=required(args, "serviceId", numbers=True),
            name=optional(args, "name") or route_id,
            strategy=strategy,
            status=enum_value(optional(args, "status"), STATUSES, "status") or "inactive",
            description=optional(args, "description"),
            created_at=now,
            updated_at=now,
        )
        if optional(args, "name") is None and args.get("_requireName", True):
            required(args, "name", numbers=True)
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
        order = order_of(rg.order)
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
                weight = weight_of(item)
            except BadRequestError:
                raise BadRequestError(
                    f"invalid field `groups[{i}].weight`: expected a number", field=f"groups[{i}].weight"
                ) from None
            ref_key, value = self._rg_value(
                r.route_id,
                str(ref).strip(),
                r.service_id,
                weight,
                optional(item, "regionId"),
                optional(item, "zoneId"),
            )
            out.pop(ref_key, None)  # a group named twice: the last one counts, at the end
            out[ref_key] = value
        return list(out.items())

    def _rule_update(self, args: dict[str, Any], operator: str) -> Plan:
        old = self._rule(args)
        r = dataclasses.replace(old, updated_at=int(time.time()))
        if optional(args, "name"):
            r.name = str(optional(args, "name"))
        if args.get("description") is not None:
            r.description = str(args["description"])
        if optional(args, "strategy"):
            strategy = norm_strategy(str(optional(args, "strategy")))
            if strategy is None:
                raise BadRequestError(
                    "invalid field `strategy`: expected weighted-round-robin or close-by-visit",
                    field="strategy",
                )
            r.strategy = strategy
        status = enum_value(optional(args, "status"), STATUSES, "status")
        if status:
            r.status = status
        return self._rule_replace(r, "update")

    def _rule_replace(self, r: Rule, operation: str) -> Plan:
        plan = self._plan()
        plan.reload_services = [r.service_id]
        plan.entities.append(EntityChange("rule", (r.route_id,), rule_value(r, order_of(r.order))))
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
        ref = required(args, "groupId", numbers=True)
        ref_key, value = self._rg_value(
            r.route_id,
            ref,
            r.service_id,
            weight_of(args),
            optional(args, "regionId"),
            optional(args, "zoneId"),
        )
        old = self._find_rg(r, ref)
        plan = self._plan()
        if old is not None:
            old_key = self._rg_current(r, old)[0]
            order = order_of(old.order)  # replacing keeps the group's place in the order
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
        ref = required(args, "groupId", numbers=True)
        rg = self._find_rg(r, ref)
        if rg is None:
            raise NotFoundError(f"Group {ref} is not in route rule {r.route_id}")
        weight = weight_of(args)
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
        ref = required(args, "groupId", numbers=True)
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
        ref = required(args, "groupId", numbers=True)
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
        ref = required(args, "groupId", numbers=True)
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
