"""Commands of instance, server and zone operations (S10): pull-out and pull-in, R and J styles."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from artemis_server.management.commands import InstanceOperate, ServerOperate, ZoneOperate
from artemis_server.management.plan import Plan, to_json
from artemis_server.registry import entities as ent
from artemis_server.registry.entities import EntityChange
from artemis_server.registry.visibility import OperationRecord

if TYPE_CHECKING:
    from artemis_server.management.service import ManagementService


class OperationCommands:
    def __init__(self, svc: ManagementService) -> None:
        self.svc = svc
        svc.handle(InstanceOperate, self._instance_operate)
        svc.handle(ServerOperate, self._server_operate)
        svc.handle(ZoneOperate, self._zone_operate)

    def _ops_change(
        self, kind: str, names: tuple[str, ...], put: OperationRecord | None, drop: str | None
    ) -> EntityChange:
        """The target's records after putting ``put`` and/or dropping ``drop`` (``"*"`` = every record)."""
        spelled, records = ent.current_ops(self.svc.node.mgmt, kind, names)
        if drop == "*":
            records.clear()
        elif drop is not None:
            records.pop(drop, None)
        if put is not None:
            records[put.operation] = put
        return ent.ops_change(kind, spelled, records)

    def _instance_operate(self, cmd: InstanceOperate, operator: str) -> Plan:
        region, service, instance = cmd.region_id, cmd.service_id, cmd.instance_id
        op, complete, token = cmd.operation, cmd.operation_complete, cmd.token
        java = cmd.style == "j"
        rec = OperationRecord(op, True, False, operator, token, time.time())
        names = (region, service, instance)
        plan = Plan()
        if java:
            # S10.6: complete=false inserts (identity, op) as effective; complete=true deletes that record.
            change = self._ops_change("instance", names, None if complete else rec, op if complete else None)
        elif op == "pullout":
            rec.effective = complete  # S10.2: an announced (incomplete) pull-out does not take it down
            change = self._ops_change("instance", names, rec, None)
        else:
            change = self._ops_change("instance", names, None, "*")
        plan.entities.append(change)
        details: dict[str, Any] = {"operationComplete": complete}
        if java:
            details["api"] = "java"
        if cmd.reason:
            details["reason"] = cmd.reason
        plan.audit("instance", f"{service}:{region}:{instance}", op, details)
        plan.j_log(
            "instance_log",
            {
                "INSTANCE_ID": instance,
                "SERVICE_ID": service,
                "REGION_ID": region,
                "OPERATION": op,
                "OPERATOR_ID": operator,
                "TOKEN": token,
                "COMPLETE": 1 if complete else 0,
                "EXTENSIONS": to_json(cmd.extensions or {}),
            },
        )
        return plan

    def _server_operate(self, cmd: ServerOperate, operator: str) -> Plan:
        region, server = cmd.region_id, cmd.server_id
        op, complete, token = cmd.operation, cmd.operation_complete, cmd.token
        java = cmd.style == "j"
        rec = OperationRecord(op, True, False, operator, token, time.time())
        names = (region, server)
        plan = Plan()
        if java:
            plan.entities.append(
                self._ops_change("server", names, None if complete else rec, op if complete else None)
            )
        elif complete and op == "pullout":
            plan.entities.append(self._ops_change("server", names, rec, None))
        elif complete:
            plan.entities.append(self._ops_change("server", names, None, "*"))
        # R with operationComplete=false: recorded in the logs only (S10.5).
        plan.audit("server", f"{server}:{region}", op, {"operationComplete": complete})
        plan.j_log(
            "server_log",
            {
                "SERVER_ID": server,
                "REGION_ID": region,
                "OPERATION": op,
                "OPERATOR_ID": operator,
                "TOKEN": token,
                "COMPLETE": 1 if complete else 0,
                "EXTENSIONS": "{}",
            },
        )
        return plan

    def _zone_operate(self, cmd: ZoneOperate, operator: str) -> Plan:
        region, zone, service = cmd.region_id, cmd.zone_id, cmd.service_id
        op, complete = cmd.operation, cmd.operation_complete
        java = cmd.style == "j"
        # zone status and operations report who and when (S10.8): the record carries both from the start
        rec = OperationRecord(op, True, False, operator, None, time.time())
        names = (region, zone, service)
        plan = Plan()
        if java:
            plan.entities.append(
                self._ops_change("zone", names, None if complete else rec, op if complete else None)
            )
        elif op == "pullout":
            plan.entities.append(self._ops_change("zone", names, rec, None))
        else:
            plan.entities.append(self._ops_change("zone", names, None, "*"))
        target = f"zone:{zone},region:{region}" + (f",service:{service}" if service else "")
        plan.audit("zone", target, op, {"operationComplete": complete} if java else None)
        plan.j_log(
            "service_zone_log",
            {
                "SERVICE_ID": service,
                "ZONE_ID": zone,
                "REGION_ID": region,
                "OPERATION": op,
                "OPERATOR_ID": operator,
                "TOKEN": cmd.token,
                "REASON": cmd.reason,
                "COMPLETE": 1 if complete else 0,
            },
        )
        return plan
