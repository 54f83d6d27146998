"""Routing commands of group bindings: instances bound to a managed group (S12.3)."""

from __future__ import annotations

import time

from artemis_client.errors import BadRequestError, NotFoundError
from artemis_server.management.commands import BindingAdd, BindingBatch, BindingRemove
from artemis_server.management.plan import Plan
from artemis_server.management.routing_base import RoutingBase
from artemis_server.registry.entities import EntityChange
from artemis_server.registry.routing import Binding, Group
from artemis_server.store.repository import REF_GROUP


class BindingCommands(RoutingBase):
    # -- bindings ----------------------------------------------------------------------------------------
    def _binding(
        self,
        g: Group,
        instance_id: str,
        service: str,
        region: str | None,
        zone: str | None,
        kind: str,
        op: str,
    ) -> Binding:
        return Binding(
            binding_id=0,
            group_id=g.group_id,
            instance_id=instance_id,
            service_id=service,
            region_id=region or g.region_id,
            zone_id=zone or g.zone_id,
            binding_type=kind,
            operator_id=op,
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

    def _binding_add(self, cmd: BindingAdd, operator: str) -> Plan:
        g = self._group(cmd.group_key)
        b = self._binding(
            g, cmd.instance_id, cmd.service_id, cmd.region_id, cmd.zone_id, cmd.binding_type, operator
        )
        return self._bind_plan([(g, b)], "group_instance")

    def _binding_remove(self, cmd: BindingRemove, operator: str) -> Plan:
        g = self._group(cmd.group_key)
        instance_id = cmd.instance_id
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

    def _binding_batch(self, cmd: BindingBatch, operator: str) -> Plan:
        pairs: list[tuple[Group, Binding]] = []
        for i, item in enumerate(cmd.instances):
            g = self.t.group_by_ref(item.group_ref)
            if g is None:
                raise BadRequestError(f"Group not found: {item.group_ref}", field=f"instances[{i}].groupId")
            b = self._binding(
                g,
                item.instance_id,
                item.service_id,
                item.region_id,
                item.zone_id,
                item.binding_type,
                operator,
            )
            pairs.append((g, b))
        plan = self._bind_plan(pairs, "service_instance")
        plan.result = len(pairs)
        return plan
