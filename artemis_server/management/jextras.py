"""J routing admin extras: group operations (stored, ignored by discovery) and static service instances."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from artemis_client.errors import NotFoundError
from artemis_server.management.commands import GroupOperate, ServiceInstanceDelete, ServiceInstancePut
from artemis_server.management.plan import Plan
from artemis_server.management.routing_base import RoutingBase
from artemis_server.registry.entities import EntityChange, svcinst_key
from artemis_server.store.entity_rows import SERVICE_INSTANCE_FIELDS
from artemis_server.store.repository import REF_GROUP


class JCommands(RoutingBase):
    # -- J: group operations (stored and listed; discovery ignores them, as in J's server) ---------------
    def _group_operate(self, cmd: GroupOperate, operator: str) -> Plan:
        g = self._group(cmd.group_key)
        op, complete = cmd.operation, cmd.operation_complete
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
    def _service_instance_put(self, cmd: ServiceInstancePut, operator: str) -> Plan:
        sent: dict[str, Any] = msgspec.to_builtins(cmd.instance)
        service = str(cmd.instance.service_id).strip()
        instance = str(cmd.instance.instance_id).strip()
        values: dict[str, Any] = {}
        for col, name in SERVICE_INSTANCE_FIELDS.items():
            v = sent.get(name)
            if v is None:
                continue
            if col == "METADATA":
                v = json.dumps(v, separators=(",", ":"))
            elif col != "PORT":
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

    def _service_instance_delete(self, cmd: ServiceInstanceDelete, operator: str) -> Plan:
        service, instance = cmd.service_id, cmd.instance_id
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
