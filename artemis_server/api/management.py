"""Management of instances and servers (api.md 2.7): R paths in family B, J paths in family A (S10)."""

from __future__ import annotations

from typing import Any

import msgspec

from artemis_client.errors import BadRequestError
from artemis_client.wire.management import (
    AdminServiceRequest,
    InstanceDownRequest,
    InstanceKeyRequest,
    KeyIn,
    OperateInstanceRequest,
    OperateServerRequest,
    RegionQuery,
    ServerKeyRequest,
)
from artemis_client.wire.registry import Instance, Service
from artemis_server import edge
from artemis_server.api.endpoints import Call, Routes
from artemis_server.management import checks
from artemis_server.management.commands import InstanceOperate, ServerOperate
from artemis_server.registry.model import identity, instance_identity
from artemis_server.registry.routing import RoutingTable
from artemis_server.views import (
    instance_operations,
    instance_records,
    server_operations,
    server_records,
    service_groups,
)

routes = Routes()


def operator_of(call: Call, given: str | None) -> str:
    """S18.1: with a valid token the operator is the token's user, whatever the body says."""
    if call.user is not None and call.user.username:
        return call.user.username
    return (given or "").strip()


def key_triple(call: Call, key: KeyIn | None, field: str = "instanceKey") -> tuple[str, str, str]:
    if key is None:
        raise BadRequestError(f"missing required field `{field}`", field=field)
    if not key.service_id or not key.service_id.strip():
        raise BadRequestError(f"missing required field `{field}.serviceId`", field=f"{field}.serviceId")
    if not key.instance_id or not key.instance_id.strip():
        raise BadRequestError(f"missing required field `{field}.instanceId`", field=f"{field}.instanceId")
    region = (key.region_id or "").strip() or call.node.settings.server.region
    return region, key.service_id.strip(), key.instance_id.strip()


def _instance_records(call: Call, region: str | None) -> dict[str, Any]:
    records, grouped = instance_records(call.node.mgmt, region)
    return {"instanceOperationRecords": records, "allInstanceOperations": grouped}


def _server_records(call: Call, region: str | None) -> dict[str, Any]:
    records, grouped = server_records(call.node.mgmt, region)
    return {"serverOperationRecords": records, "allServerOperations": grouped}


# -- R paths (family B) ------------------------------------------------------------------------------


async def _operate_instance(call: Call, style: str) -> None:
    req: OperateInstanceRequest = call.data
    region, service, instance = key_triple(call, req.instance_key)
    java = style == "j"  # S10.6: the Java meaning of operationComplete, plus the J operation context
    command = InstanceOperate(
        region_id=region,
        service_id=service,
        instance_id=instance,
        operation=checks.operation(req.operation),
        operation_complete=req.operation_complete,
        token=req.token,
        style="j" if java else "r",
        reason=req.reason if java else None,
        extensions=req.extensions if java else None,
    )
    await call.node.management.execute(command, operator=operator_of(call, req.operator_id))


@routes.post(
    "/api/management/instance/operate-instance.json", family="B", body=OperateInstanceRequest, mutating=True
)
async def operate_instance(call: Call) -> Any:
    await _operate_instance(call, "r")
    return edge.ok_b()


@routes.post("/api/management/instance/get-instance-operations.json", family="B", body=InstanceKeyRequest)
async def get_instance_operations(call: Call) -> Any:
    names = key_triple(call, call.data.instance_key)
    return edge.ok_b(operations=instance_operations(call.node.mgmt, names).operations)


@routes.post("/api/management/instance/is-instance-down.json", family="B", body=InstanceKeyRequest)
async def is_instance_down(call: Call) -> Any:
    region, service, instance = key_triple(call, call.data.instance_key)
    return edge.ok_b(isDown=call.node.mgmt.is_instance_down(identity(region, service, instance)))


def _server_args(call: Call, req: OperateServerRequest | ServerKeyRequest) -> tuple[str, str]:
    server_id = req.server_id or (req.server_key.server_id if req.server_key else None)
    region = req.region_id or (req.server_key.region_id if req.server_key else None)
    if not server_id or not server_id.strip():
        raise BadRequestError("missing required field `serverId`", field="serverId")
    return (region or "").strip() or call.node.settings.server.region, server_id.strip()


async def _operate_server(call: Call, style: str) -> None:
    req: OperateServerRequest = call.data
    region, server_id = _server_args(call, req)
    command = ServerOperate(
        region_id=region,
        server_id=server_id,
        operation=checks.operation(req.operation),
        operation_complete=req.operation_complete,
        token=req.token,
        style="j" if style == "j" else "r",
    )
    await call.node.management.execute(command, operator=operator_of(call, req.operator_id))


@routes.post(
    "/api/management/server/operate-server.json", family="B", body=OperateServerRequest, mutating=True
)
async def operate_server(call: Call) -> Any:
    await _operate_server(call, "r")
    return edge.ok_b()


@routes.post("/api/management/server/is-server-down.json", family="B", body=ServerKeyRequest)
async def is_server_down(call: Call) -> Any:
    region, server_id = _server_args(call, call.data)
    return edge.ok_b(isDown=call.node.mgmt.is_server_down(region, server_id))


@routes.post("/api/management/all-instance-operations.json", family="B", body=RegionQuery)
async def all_instance_operations_post(call: Call) -> Any:
    return edge.ok_b(**_instance_records(call, call.data.region_id))


@routes.get("/api/management/all-instance-operations.json", family="B", query=RegionQuery)
async def all_instance_operations_get(call: Call) -> Any:
    return edge.ok_b(**_instance_records(call, call.data.region_id))


@routes.post("/api/management/all-server-operations.json", family="B", body=RegionQuery)
async def all_server_operations_post(call: Call) -> Any:
    return edge.ok_b(**_server_records(call, call.data.region_id))


@routes.get("/api/management/all-server-operations.json", family="B", query=RegionQuery)
async def all_server_operations_get(call: Call) -> Any:
    return edge.ok_b(**_server_records(call, call.data.region_id))


# -- J paths (family A, S10.6) --------------------------------------------------------------------------


@routes.post("/api/management/operate-instance.json", family="A", body=OperateInstanceRequest, mutating=True)
async def j_operate_instance(call: Call) -> Any:
    await _operate_instance(call, "j")
    return edge.ok_a()


@routes.post("/api/management/operate-server.json", family="A", body=OperateServerRequest, mutating=True)
async def j_operate_server(call: Call) -> Any:
    await _operate_server(call, "j")
    return edge.ok_a()


@routes.post("/api/management/instance-operations.json", family="A", body=InstanceKeyRequest)
async def j_instance_operations(call: Call) -> Any:
    names = key_triple(call, call.data.instance_key)
    return edge.ok_a(operations=instance_operations(call.node.mgmt, names))


@routes.post("/api/management/server-operations.json", family="A", body=ServerKeyRequest)
async def j_server_operations(call: Call) -> Any:
    region, server_id = _server_args(call, call.data)
    return edge.ok_a(operations=server_operations(call.node.mgmt, region, server_id))


@routes.post("/api/management/instance-down.json", family="A", body=InstanceDownRequest)
async def j_instance_down(call: Call) -> Any:
    req: InstanceDownRequest = call.data
    if req.instance is not None:
        inst = req.instance
        if not inst.service_id or not inst.instance_id:
            raise BadRequestError("missing required field `instance.serviceId`", field="instance.serviceId")
        if not inst.region_id:
            inst = msgspec.structs.replace(inst, region_id=call.node.settings.server.region)
        stored = call.node.registry.get_instance(inst.region_id or "", inst.service_id, inst.instance_id)
        return edge.ok_a(down=call.node.mgmt.is_down(stored or inst))
    region, service, instance = key_triple(call, req.instance_key, "instance")
    return edge.ok_a(down=call.node.mgmt.is_instance_down(identity(region, service, instance)))


@routes.post("/api/management/server-down.json", family="A", body=ServerKeyRequest)
async def j_server_down(call: Call) -> Any:
    region, server_id = _server_args(call, call.data)
    return edge.ok_a(down=call.node.mgmt.is_server_down(region, server_id))


# -- J admin views (S10.7) ------------------------------------------------------------------------------


def _admin_instance(call: Call, inst: Instance) -> Instance:
    node = call.node
    down = node.mgmt.is_down(inst) or inst.status != "up"
    md = dict(inst.metadata or {})
    lease = node.registry.lease_of(instance_identity(inst))
    if lease is not None:
        md["creationTime"] = str(int(lease.creation * 1000))
        md["renewalTime"] = str(int(lease.last_renewal() * 1000))
        legacy = instance_identity(inst) in node.registry.legacy_pool.leases
        ttl = node.settings.lease.legacy_ttl_secs if legacy else node.settings.lease.ttl_secs
        md["ttl"] = str(int(ttl * 1000))
    return msgspec.structs.replace(inst, status="down" if down else "up", metadata=md)


def _admin_services(call: Call, region: str | None, zone: str | None) -> list[Service]:
    out: list[Service] = []
    for entry in call.node.registry.iter_services():
        insts = [
            _admin_instance(call, i)
            for i in entry.instances.values()
            if (not region or (i.region_id or "").casefold() == region.casefold())
            and (not zone or i.zone_id == zone)
        ]
        if insts:
            out.append(Service(service_id=entry.service_id, instances=insts))
    return out


@routes.post("/api/management/services.json", family="A", body=RegionQuery)
async def admin_services_post(call: Call) -> Any:
    req: RegionQuery = call.data
    return edge.ok_a(
        services=_admin_services(call, req.region_id, req.zone_id), version=call.node.registry.version
    )


@routes.get("/api/management/services.json", family="A", query=RegionQuery)
async def admin_services_get(call: Call) -> Any:
    req: RegionQuery = call.data
    return edge.ok_a(
        services=_admin_services(call, req.region_id, req.zone_id), version=call.node.registry.version
    )


@routes.post("/api/management/service.json", family="A", body=AdminServiceRequest)
async def admin_service(call: Call) -> Any:
    req: AdminServiceRequest = call.data
    if not req.service_id.strip():
        raise BadRequestError("missing required field `serviceId`", field="serviceId")
    node = call.node
    entry = node.registry.get_service(req.service_id.strip())
    insts: list[Instance] = []
    sid = req.service_id.strip()
    if entry is not None:
        sid = entry.service_id
        insts = [
            _admin_instance(call, i)
            for i in entry.instances.values()
            if (not req.region_id or (i.region_id or "").casefold() == req.region_id.casefold())
            and (not req.zone_id or i.zone_id == req.zone_id)
        ]
    groups = service_groups(node.router, sid) if isinstance(node.router, RoutingTable) else []
    return edge.ok_a(service=Service(service_id=sid, instances=insts), groups=groups)
