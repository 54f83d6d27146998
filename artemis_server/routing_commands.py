"""Management commands of group routing (S12): groups, tags, bindings, route rules, rule-groups.

Every command addresses groups by group key and rules by ``routeId`` (never by row id), so the same command
replayed on a peer with its own database means the same thing there. Each command is one transaction with its
audit record and Java log row, and raises ``reload`` for the service it touches (S9.10).
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

from artemis_server.errors import BadRequestError, ConflictError, NotFoundError
from artemis_server.registry.routing import (
    Binding,
    Group,
    RoutingTable,
    Rule,
    RuleGroup,
    binding_view,
    clamp_weight,
    group_key,
    group_view,
    norm_strategy,
    rule_group_view,
    rule_view,
)

if TYPE_CHECKING:
    from artemis_server.management import ManagementService, Plan
    from artemis_server.store.repository import Tx

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

    def _group_log(self, plan: Plan, g: Group, operation: str) -> None:
        plan.audits.append(("group", f"group:{g.group_id},key:{g.key}", operation, None))
        plan.j_logs.append(
            (
                "service_group_log",
                {
                    "GROUP_ID": g.group_id,
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
            )
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

        def write(tx: Tx) -> int:
            g.group_id = tx.routing.insert_group(g)
            # the audit target names the new id, known only now (assignment: safe if the write is retried)
            plan.audit = ("group", f"group:{g.group_id},key:{g.key}", "create", None)
            tx.j_log(
                "service_group_log",
                {
                    "GROUP_ID": g.group_id,
                    "NAME": g.name,
                    "STATUS": g.status,
                    "TYPE": g.group_type,
                    "OPERATION": "create",
                    "SERVICE_ID": g.service_id,
                    "REGION_ID": g.region_id,
                    "ZONE_ID": g.zone_id,
                    "DESCRIPTION": g.description,
                    "APP_ID": g.app_id or g.service_id,
                },
            )
            return g.group_id

        def apply(_: Any) -> Any:
            self.t.put_group(g)
            self.t.rebuild()
            return group_view(g)

        plan.write, plan.apply = write, apply
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
        self._group_log(plan, g, "update")
        plan.write = lambda tx: tx.routing.update_group(g)

        def apply(_: Any) -> Any:
            self.t.put_group(g)
            return group_view(g)

        plan.apply = apply
        return plan

    def _group_delete(self, args: dict[str, Any], operator: str) -> Plan:
        g = self._group(args)
        plan = self._plan()
        plan.reload_services = [g.service_id]
        self._group_log(plan, g, "delete")
        plan.write = lambda tx: tx.routing.delete_group(g.group_id)

        def apply(_: Any) -> Any:
            self.t.drop_group(g.group_id)
            self.t.rebuild()
            return None

        plan.apply = apply
        return plan

    def _group_tags_add(self, args: dict[str, Any], operator: str) -> Plan:
        g = self._group(args)
        tags = args.get("tags")
        if not isinstance(tags, list) or not tags:
            raise BadRequestError("missing required field `tags`", field="tags")
        pairs: list[tuple[str, str]] = []
        for i, tag in enumerate(tags):
            if not isinstance(tag, dict) or not isinstance(tag.get("key"), str) or not tag["key"].strip():
                raise BadRequestError(f"missing required field `tags[{i}].key`", field=f"tags[{i}].key")
            value = tag.get("value")
            pairs.append((tag["key"].strip(), "" if value is None else str(value)))
        plan = self._plan()
        plan.reload_services = [g.service_id]
        for k, v in pairs:
            plan.audits.append(
                ("group", f"group:{g.group_id},key:{g.key}", "add-tag", {"key": k, "value": v})
            )
            plan.j_logs.append(
                ("service_group_tag_log", {"GROUP_ID": g.group_id, "TAG": k, "VALUE": v, "OPERATION": "add"})
            )

        def write(tx: Tx) -> None:
            for k, v in pairs:
                tx.routing.put_tag(g.group_id, k, v)

        def apply(_: Any) -> Any:
            for k, v in pairs:
                g.tags.pop(k, None)
                g.tags[k] = v
            return group_view(g)

        plan.write, plan.apply = write, apply
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
        plan.audits.append(("group", f"group:{g.group_id},key:{g.key}", "remove-tag", {"key": key}))
        plan.j_logs.append(
            ("service_group_tag_log", {"GROUP_ID": g.group_id, "TAG": key, "OPERATION": "remove"})
        )
        plan.write = lambda tx: tx.routing.delete_tag(g.group_id, key)

        def apply(_: Any) -> Any:
            g.tags.pop(key, None)
            return group_view(g)

        plan.apply = apply
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
        for g, b in items:
            target = (
                f"group:{g.group_id},instance:{b.instance_id}"
                if audit_type == "group_instance"
                else f"service:{b.service_id},instance:{b.instance_id}"
            )
            plan.audits.append((audit_type, target, "add", {"groupId": g.group_id}))
            plan.j_logs.append(
                (
                    "service_group_instance_log",
                    {"GROUP_ID": g.group_id, "INSTANCE_ID": b.instance_id, "OPERATION": "add"},
                )
            )

        def write(tx: Tx) -> None:
            for _, b in items:
                b.binding_id = tx.routing.insert_binding(b)

        def apply(_: Any) -> Any:
            for _, b in items:
                self.t.bindings.setdefault((b.group_id, b.instance_id), b)
            return None

        plan.write, plan.apply = write, apply
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
        plan.audits.append(("group_instance", f"group:{g.group_id},instance:{instance_id}", "remove", None))
        plan.j_logs.append(
            (
                "service_group_instance_log",
                {"GROUP_ID": g.group_id, "INSTANCE_ID": instance_id, "OPERATION": "remove"},
            )
        )
        plan.write = lambda tx: tx.routing.delete_binding(g.group_id, instance_id)

        def apply(_: Any) -> Any:
            self.t.bindings.pop((g.group_id, instance_id), None)
            return None

        plan.apply = apply
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
            if not isinstance(sid, str) or sid.strip().lower() != service.lower():
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
        apply = plan.apply
        assert apply is not None

        def apply_count(w: Any) -> Any:
            apply(w)
            return len(pairs)

        plan.apply = apply_count
        return plan

    # -- rules ---------------------------------------------------------------------------------------------
    def _rule_log(self, plan: Plan, r: Rule, operation: str) -> None:
        plan.audits.append(("route_rule", f"rule:{r.route_id}", operation, None))
        plan.j_logs.append(
            (
                "service_route_rule_log",
                {"SERVICE_ID": r.service_id, "NAME": r.route_id, "STATUS": r.status, "OPERATION": operation},
            )
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
        self._rule_log(plan, r, "create")

        def write(tx: Tx) -> None:
            r.rule_id = tx.routing.insert_rule(r)
            for rg in groups:
                rg.row_id = tx.routing.put_rule_group(r.rule_id, rg, [])

        def apply(_: Any) -> Any:
            r.groups = groups
            self.t.rules[r.route_id] = r
            self.t.rebuild()
            return rule_view(r)

        plan.write, plan.apply = write, apply
        return plan

    def _rule_groups_from(self, r: Rule, groups: Any) -> list[RuleGroup]:
        if groups is None:
            return []
        if not isinstance(groups, list):
            raise BadRequestError("invalid field `groups`: expected a list", field="groups")
        out: list[RuleGroup] = []
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
            ref_s = str(ref).strip()
            out = [rg for rg in out if rg.group_ref.lower() != ref_s.lower()]
            out.append(
                RuleGroup(
                    0,
                    r.route_id,
                    ref_s,
                    weight,
                    _opt(item, "regionId"),
                    _opt(item, "zoneId"),
                    self.t.resolve_group(ref_s, r.service_id),
                )
            )
        return out

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
        self._rule_log(plan, r, operation)
        plan.write = lambda tx: tx.routing.update_rule(r)

        def apply(_: Any) -> Any:
            self.t.rules[r.route_id] = r
            self.t.rebuild()
            return rule_view(r) if operation == "update" else None

        plan.apply = apply
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
        self._rule_log(plan, r, "delete")
        plan.write = lambda tx: tx.routing.delete_rule(r.rule_id)

        def apply(_: Any) -> Any:
            self.t.rules.pop(r.route_id, None)
            self.t.counters.pop(r.route_id, None)
            self.t.rebuild()
            return None

        plan.apply = apply
        return plan

    # -- rule-groups ---------------------------------------------------------------------------------------
    def _find_rg(self, r: Rule, ref: str) -> RuleGroup | None:
        managed = self.t.resolve_group(ref, r.service_id)
        for rg in r.groups:
            if rg.group_ref.lower() == ref.lower() or (managed is not None and rg.managed_id == managed):
                return rg
        return None

    def _rg_log(self, plan: Plan, r: Rule, ref: str, operation: str, weight: int | None) -> None:
        plan.audits.append(
            (
                "route_rule_group",
                f"rule:{r.route_id},group:{ref}",
                operation,
                {"weight": weight} if weight is not None else None,
            )
        )
        plan.j_logs.append(
            (
                "service_route_rule_group_log",
                {
                    "ROUTE_RULE_ID": r.rule_id,
                    "GROUP_ID": self.t.resolve_group(ref, r.service_id),
                    "WEIGHT": weight,
                    "OPERATION": operation,
                },
            )
        )

    def _rulegroup_add(self, args: dict[str, Any], operator: str) -> Plan:
        r = self._rule(args, missing=BadRequestError)
        ref = _req(args, "groupId")
        rg = RuleGroup(
            0,
            r.route_id,
            ref,
            _weight(args),
            _opt(args, "regionId"),
            _opt(args, "zoneId"),
            self.t.resolve_group(ref, r.service_id),
        )
        old = [
            g
            for g in r.groups
            if g.group_ref.lower() == ref.lower()
            or (rg.managed_id is not None and g.managed_id == rg.managed_id)
        ]
        plan = self._plan()
        plan.reload_services = [r.service_id]
        self._rg_log(plan, r, ref, "add", rg.weight)

        def write(tx: Tx) -> None:
            rg.row_id = tx.routing.put_rule_group(r.rule_id, rg, [g.row_id for g in old])

        def apply(_: Any) -> Any:
            kept = [g for g in r.groups if g not in old]
            if old:  # replacing keeps the group's place in the order
                idx = r.groups.index(old[0])
                kept.insert(min(idx, len(kept)), rg)
            else:
                kept.append(rg)
            r.groups = kept
            self.t.rebuild()
            return None

        plan.write, plan.apply = write, apply
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
        self._rg_log(plan, r, ref, "update", weight)
        new = dataclasses.replace(rg, weight=weight)
        plan.write = lambda tx: tx.routing.update_rule_group(new)

        def apply(_: Any) -> Any:
            rg.weight = weight
            return rule_group_view(rg)

        plan.apply = apply
        return plan

    def _rulegroup_remove(self, args: dict[str, Any], operator: str) -> Plan:
        r = self._rule(args)
        ref = _req(args, "groupId")
        rg = self._find_rg(r, ref)
        if rg is None:
            raise NotFoundError(f"Group {ref} is not in route rule {r.route_id}")
        plan = self._plan()
        plan.reload_services = [r.service_id]
        self._rg_log(plan, r, ref, "remove", None)
        plan.write = lambda tx: tx.routing.delete_rule_group(rg.row_id)

        def apply(_: Any) -> Any:
            r.groups = [g for g in r.groups if g is not rg]
            self.t.rebuild()
            return None

        plan.apply = apply
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
            plan = self._rulegroup_add({**args, "weight": staged}, operator)
            return plan
        plan = self._plan()
        plan.reload_services = [r.service_id]
        self._rg_log(plan, r, ref, "update", staged)
        new = dataclasses.replace(rg, unreleased_weight=staged)
        plan.write = lambda tx: tx.routing.update_rule_group(new)

        def apply(_: Any) -> Any:
            rg.unreleased_weight = staged
            return None

        plan.apply = apply
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
        self._rg_log(plan, r, ref, "update", weight)
        new = dataclasses.replace(rg, weight=weight, unreleased_weight=None)
        plan.write = lambda tx: tx.routing.update_rule_group(new)

        def apply(_: Any) -> Any:
            rg.weight, rg.unreleased_weight = weight, None
            return None

        plan.apply = apply
        return plan

    # -- J: group operations (stored and listed; discovery ignores them, as in J's server) ---------------
    def _group_operate(self, args: dict[str, Any], operator: str) -> Plan:
        g = self._group(args)
        op = _req(args, "operation").lower()
        complete = bool(args.get("operationComplete", False))
        plan = self._plan()
        plan.audits.append(("group", f"group:{g.group_id},key:{g.key}", op, {"operationComplete": complete}))
        plan.j_logs.append(
            (
                "service_group_operation_log",
                {
                    "GROUP_ID": g.group_id,
                    "OPERATION": op,
                    "COMPLETE": 1 if complete else 0,
                    "EXTENSIONS": "{}",
                },
            )
        )
        if complete:
            plan.write = lambda tx: tx.routing.delete_group_operation(g.group_id, op)
        else:
            plan.write = lambda tx: tx.routing.put_group_operation(g.group_id, op)

        def apply(_: Any) -> Any:
            ops = self.t.group_ops.setdefault(g.group_id, set())
            if complete:
                ops.discard(op)
            else:
                ops.add(op)
            if not ops:
                self.t.group_ops.pop(g.group_id, None)
            return None

        plan.apply = apply
        return plan

    # -- J: static service instances (service_instance table) ----------------------------------------------
    def _service_instance_put(self, args: dict[str, Any], operator: str) -> Plan:
        from artemis_server.store.routing_repo import SERVICE_INSTANCE_FIELDS

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
                import json

                v = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
            else:
                v = str(v)
            values[col] = v
        values["SERVICE_ID"], values["INSTANCE_ID"] = service, instance
        plan = self._plan()
        plan.audits.append(("service_instance", f"service:{service},instance:{instance}", "add", None))
        log_values = {k: v for k, v in values.items() if k != "DESCRIPTION"}
        plan.j_logs.append(("service_instance_log", {**log_values, "OPERATION": "add"}))

        def write(tx: Tx) -> int:
            return tx.routing.put_service_instance(values)

        def apply(row_id: Any) -> Any:
            doc = {"id": int(row_id), **{SERVICE_INSTANCE_FIELDS[k]: v for k, v in values.items()}}
            self.t.service_instances[(service.lower(), instance)] = doc
            return doc

        plan.write, plan.apply = write, apply
        return plan

    def _service_instance_delete(self, args: dict[str, Any], operator: str) -> Plan:
        service = _req(args, "serviceId")
        instance = _req(args, "instanceId")
        doc = self.t.service_instances.get((service.lower(), instance))
        if doc is None:
            raise NotFoundError(f"Service instance not found: {service}/{instance}")
        plan = self._plan()
        plan.audits.append(("service_instance", f"service:{service},instance:{instance}", "remove", None))
        plan.j_logs.append(
            ("service_instance_log", {"SERVICE_ID": service, "INSTANCE_ID": instance, "OPERATION": "remove"})
        )
        plan.write = lambda tx: tx.routing.delete_service_instance(int(doc["id"]))

        def apply(_: Any) -> Any:
            self.t.service_instances.pop((service.lower(), instance), None)
            return None

        plan.apply = apply
        return plan


__all__ = ["RoutingCommands", "binding_view", "group_key"]
