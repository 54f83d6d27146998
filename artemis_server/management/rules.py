"""Routing commands of route rules and their rule-groups, J staged weights included (S12.4, S12.5)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from artemis_client.errors import BadRequestError, ConflictError, NotFoundError
from artemis_server.management.commands import (
    RuleCreate,
    RuleDelete,
    RuleGroupAdd,
    RuleGroupItem,
    RuleGroupRelease,
    RuleGroupRemove,
    RuleGroupStage,
    RuleGroupUpdate,
    RulePublish,
    RuleUnpublish,
    RuleUpdate,
)
from artemis_server.management.plan import Plan
from artemis_server.management.routing_base import (
    RoutingBase,
    new_order,
    order_of,
    rule_value,
)
from artemis_server.registry.entities import EntityChange, fold
from artemis_server.registry.routing import Rule, RuleGroup
from artemis_server.store.repository import REF_GROUP, REF_RULE
from artemis_server.views import rule_group_view, rule_view


class RuleCommands(RoutingBase):
    # -- rules ---------------------------------------------------------------------------------------------
    def _rule_log(self, plan: Plan, r: Rule, operation: str) -> None:
        plan.audit("route_rule", f"rule:{r.route_id}", operation, None)
        plan.j_log(
            "service_route_rule_log",
            {"SERVICE_ID": r.service_id, "NAME": r.route_id, "STATUS": r.status, "OPERATION": operation},
        )

    def _rule_create(self, cmd: RuleCreate, operator: str) -> Plan:
        route_id = cmd.route_id
        if route_id in self.t.rules:
            raise ConflictError(f"Route rule already exists: {route_id}", field="routeId")
        now = int(time.time())
        r = Rule(
            rule_id=0,
            route_id=route_id,
            service_id=cmd.service_id,
            name=cmd.name,
            strategy=cmd.strategy,
            status=cmd.status,
            description=cmd.description,
            created_at=now,
            updated_at=now,
        )
        groups = self._rule_groups_from(r, cmd.groups)
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

    def _rule_groups_from(self, r: Rule, groups: list[RuleGroupItem]) -> list[tuple[str, dict[str, Any]]]:
        out: dict[str, dict[str, Any]] = {}
        for item in groups:
            ref_key, value = self._rg_value(
                r.route_id, item.group_id, r.service_id, item.weight, item.region_id, item.zone_id
            )
            out.pop(ref_key, None)  # a group named twice: the last one counts, at the end
            out[ref_key] = value
        return list(out.items())

    def _rule_update(self, cmd: RuleUpdate, operator: str) -> Plan:
        old = self._rule(cmd.route_id)
        r = dataclasses.replace(old, updated_at=int(time.time()))
        if cmd.name:
            r.name = cmd.name
        if cmd.description is not None:
            r.description = cmd.description
        if cmd.strategy:
            r.strategy = cmd.strategy
        if cmd.status:
            r.status = cmd.status
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

    def _rule_publish(self, cmd: RulePublish, operator: str) -> Plan:
        old = self._rule(cmd.route_id)
        return self._rule_replace(
            dataclasses.replace(old, status="active", updated_at=int(time.time())), "publish"
        )

    def _rule_unpublish(self, cmd: RuleUnpublish, operator: str) -> Plan:
        old = self._rule(cmd.route_id)
        new = dataclasses.replace(old, status="inactive", updated_at=int(time.time()))
        return self._rule_replace(new, "unpublish")

    def _rule_delete(self, cmd: RuleDelete, operator: str) -> Plan:
        r = self._rule(cmd.route_id)
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

    def _rulegroup_add(self, cmd: RuleGroupAdd, operator: str) -> Plan:
        r = self._rule(cmd.route_id, missing=BadRequestError)
        return self._rg_add(r, cmd.group_id, cmd.weight, cmd.region_id, cmd.zone_id)

    def _rg_add(self, r: Rule, ref: str, weight: int, region: str | None, zone: str | None) -> Plan:
        ref_key, value = self._rg_value(r.route_id, ref, r.service_id, weight, region, zone)
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

    def _rulegroup_update(self, cmd: RuleGroupUpdate, operator: str) -> Plan:
        r = self._rule(cmd.route_id)
        ref = cmd.group_id
        rg = self._find_rg(r, ref)
        if rg is None:
            raise NotFoundError(f"Group {ref} is not in route rule {r.route_id}")
        weight = cmd.weight
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

    def _rulegroup_remove(self, cmd: RuleGroupRemove, operator: str) -> Plan:
        r = self._rule(cmd.route_id)
        ref = cmd.group_id
        rg = self._find_rg(r, ref)
        if rg is None:
            raise NotFoundError(f"Group {ref} is not in route rule {r.route_id}")
        plan = self._plan()
        plan.reload_services = [r.service_id]
        plan.entities.append(self._rg_change(r, self._rg_current(r, rg)[0], None))
        self._rg_log(plan, r, ref, "remove", None)
        return plan

    # -- J: staged weights (insert/update-route-rule-groups, release-route-rule-groups) -------------------
    def _rulegroup_stage(self, cmd: RuleGroupStage, operator: str) -> Plan:
        """Set ``unreleasedWeight``; a rule-group that does not exist yet is added with it as live weight."""
        r = self._rule(cmd.route_id)
        ref, staged = cmd.group_id, cmd.weight
        rg = self._find_rg(r, ref)
        if rg is None:
            return self._rg_add(r, ref, staged, None, None)
        plan = self._plan()
        plan.reload_services = [r.service_id]
        ref_key, value = self._rg_current(r, rg)
        value["unreleasedWeight"] = staged
        plan.entities.append(self._rg_change(r, ref_key, value))
        self._rg_log(plan, r, ref, "update", staged)
        return plan

    def _rulegroup_release(self, cmd: RuleGroupRelease, operator: str) -> Plan:
        r = self._rule(cmd.route_id)
        ref = cmd.group_id
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
