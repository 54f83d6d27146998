"""Routing commands of group bindings: instances bound to a managed group (S12.3)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from artemis_client.errors import BadRequestError, NotFoundError
from artemis_server.management.plan import Plan, optional, required
from artemis_server.management.routing_base import (
    RoutingBase,
)
from artemis_server.registry.entities import EntityChange, fold
from artemis_server.registry.routing import (
    Binding,
    Group,
)
from artemis_server.store.repository import REF_GROUP

if TYPE_CHECKING:
    pass


class BindingCommands(RoutingBase):
    # -- bindings ----------------------------------------------------------------------------------------
    def _binding(self, g: Group, item: dict[str, Any], operator: str, prefix: str = "") -> Binding:
        def need(name: str) -> str:
            try:
                return required(item, name, numbers=True)
            except BadRequestError:
                raise BadRequestError(
                    f"missing required field `{prefix}{name}`", field=prefix + name
                ) from None

        return Binding(
            binding_id=0,
            group_id=g.group_id,
            instance_id=need("instanceId"),
            service_id=optional(item, "serviceId") or g.service_id,
            region_id=optional(item, "regionId") or g.region_id,
            zone_id=optional(item, "zoneId") or g.zone_id,
            binding_type=(optional(item, "bindingType") or "manual").lower(),
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
            required(args, name, numbers=True)
        return self._bind_plan([(g, self._binding(g, args, operator))], "group_instance")

    def _binding_remove(self, args: dict[str, Any], operator: str) -> Plan:
        g = self._group(args)
        instance_id = required(args, "instanceId", numbers=True)
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
        service = required(args, "serviceId", numbers=True)
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
