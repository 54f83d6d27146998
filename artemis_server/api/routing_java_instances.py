"""J-only group routing admin paths, part two (api.md 2.10, `/api/management/group/*.json`, family A, P2):
group operations, group instances (bindings) and static service instances. The id lookups and the command
runner are routing_java.py's.
"""

from __future__ import annotations

import json
from typing import Any

from artemis_client.errors import BadRequestError
from artemis_client.wire.routing import JGroupAdminRequest
from artemis_server import edge
from artemis_server.api.endpoints import Call, Routes
from artemis_server.api.routing_java import P, group_by_id, groups_of, in_region, need, run, table_of
from artemis_server.management import checks
from artemis_server.management.commands import (
    BindingAdd,
    BindingRemove,
    Command,
    GroupOperate,
    ServiceInstanceDelete,
    ServiceInstancePut,
)
from artemis_server.views import binding_j, group_ops_j, service_instance_j

routes = Routes()


# -- group operations ---------------------------------------------------------------------------------------


@routes.post(P + "operate-group-operations.json", family="A", body=JGroupAdminRequest, mutating=True)
async def operate_group_operations(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    items = [
        (group_by_id(call, need(go.group_id, f"groupOperationsList[{i}].groupId")), go.operations or [])
        for i, go in enumerate(need(req.group_operations_list, "groupOperationsList"))
    ]
    commands: list[Command] = [
        GroupOperate(
            group_key=g.key,
            operation=checks.need(op, "operation").lower(),
            operation_complete=req.operation_complete,
        )
        for g, ops in items
        for op in ops
    ]
    await run(call, req, commands)
    return edge.ok_a()


@routes.post(P + "operate-group-operation.json", family="A", body=JGroupAdminRequest, mutating=True)
async def operate_group_operation(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    g = group_by_id(call, need(req.group_id, "groupId"))
    command = GroupOperate(
        group_key=g.key,
        operation=checks.need(need(req.operation, "operation"), "operation").lower(),
        operation_complete=req.operation_complete,
    )
    await run(call, req, [command])
    return edge.ok_a()


@routes.post(P + "get-all-group-operations.json", family="A", body=JGroupAdminRequest)
async def get_all_group_operations(call: Call) -> Any:
    t = table_of(call)
    region = call.data.region_id
    out = [
        group_ops_j(t, g)
        for g in groups_of(call)
        if g.group_id in t.group_ops and in_region(region, g.region_id)
    ]
    return edge.ok_a(allGroupOperations=out)


@routes.post(P + "get-group-operations.json", family="A", body=JGroupAdminRequest)
async def get_group_operations(call: Call) -> Any:
    g = group_by_id(call, need(call.data.group_id, "groupId"))
    return edge.ok_a(groupOperations=group_ops_j(table_of(call), g))


# -- group instances (bindings) ----------------------------------------------------------------------------


@routes.post(P + "insert-group-instances.json", family="A", body=JGroupAdminRequest, mutating=True)
async def insert_group_instances(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    items = [
        (
            group_by_id(call, need(gi.group_id, f"groupInstances[{i}].groupId")),
            need(gi.instance_id, f"groupInstances[{i}].instanceId"),
        )
        for i, gi in enumerate(need(req.group_instances, "groupInstances"))
    ]
    commands: list[Command] = [
        BindingAdd(
            group_key=g.key,
            instance_id=checks.need(iid, "instanceId"),
            service_id=g.service_id,
            region_id=g.region_id,
            zone_id=g.zone_id,
        )
        for g, iid in items
    ]
    await run(call, req, commands)
    return edge.ok_a()


@routes.post(P + "delete-group-instances.json", family="A", body=JGroupAdminRequest, mutating=True)
async def delete_group_instances(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    t = table_of(call)
    by_id = {b.binding_id: b for b in t.bindings.values()}
    found = []
    for bid in need(req.group_instance_ids, "groupInstanceIds"):
        b = by_id.get(bid)
        if b is None:
            raise BadRequestError(f"Group instance not found: {bid}", field="groupInstanceIds")
        found.append(b)
    commands: list[Command] = [
        BindingRemove(group_key=t.groups[b.group_id].key, instance_id=b.instance_id) for b in found
    ]
    await run(call, req, commands)
    return edge.ok_a()


@routes.post(P + "get-group-instances.json", family="A", body=JGroupAdminRequest)
async def get_group_instances(call: Call) -> Any:
    q: JGroupAdminRequest = call.data
    out = [
        binding_j(b)
        for b in sorted(table_of(call).bindings.values(), key=lambda b: b.binding_id)
        if (q.group_id is None or str(b.group_id) == str(q.group_id))
        and (not q.instance_id or b.instance_id == q.instance_id)
    ]
    return edge.ok_a(groupInstances=out)


# -- service instances -------------------------------------------------------------------------------------


@routes.post(P + "insert-service-instances.json", family="A", body=JGroupAdminRequest, mutating=True)
async def insert_service_instances(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    commands: list[Command] = []
    for i, si in enumerate(need(req.service_instances, "serviceInstances")):
        need(si.service_id, f"serviceInstances[{i}].serviceId")
        need(si.instance_id, f"serviceInstances[{i}].instanceId")
        if si.port is not None and not 0 <= si.port <= 65535:
            raise BadRequestError("invalid field `port`: expected 0..65535", field="port")
        commands.append(ServiceInstancePut(instance=si))
    await run(call, req, commands)
    return edge.ok_a()


@routes.post(P + "delete-service-instances.json", family="A", body=JGroupAdminRequest, mutating=True)
async def delete_service_instances(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    by_id = {int(d["id"]): d for d in table_of(call).service_instances.values()}
    found = []
    for sid in need(req.service_instance_ids, "serviceInstanceIds"):
        if sid not in by_id:
            raise BadRequestError(f"Service instance not found: {sid}", field="serviceInstanceIds")
        found.append(by_id[sid])
    commands: list[Command] = [
        ServiceInstanceDelete(service_id=str(d["serviceId"]), instance_id=str(d["instanceId"])) for d in found
    ]
    await run(call, req, commands)
    return edge.ok_a()


@routes.post(P + "get-service-instances.json", family="A", body=JGroupAdminRequest)
async def get_service_instances(call: Call) -> Any:
    q: JGroupAdminRequest = call.data
    out = []
    for d in sorted(table_of(call).service_instances.values(), key=lambda d: int(d["id"])):
        if q.service_id and str(d["serviceId"]).casefold() != q.service_id.casefold():
            continue
        if q.instance_id and d["instanceId"] != q.instance_id:
            continue
        md = d.get("metadata")
        if isinstance(md, str):
            try:
                md = json.loads(md)
            except ValueError:
                md = None
        out.append(service_instance_j(d, md))
    return edge.ok_a(serviceInstances=out)
