"""Zone pull-in / pull-out (api.md 2.8): R paths in family C, J paths in family A (S10.8)."""

from __future__ import annotations

from typing import Any

from artemis_client.errors import BadRequestError
from artemis_client.wire import codec
from artemis_client.wire.management import (
    OperateZonesRequest,
    RegionQuery,
    ZoneKey,
    ZoneKeyRequest,
    ZoneListRequest,
    ZoneRequest,
)
from artemis_server import edge, views
from artemis_server.api.endpoints import Call, Routes
from artemis_server.api.management import operator_of
from artemis_server.management import checks
from artemis_server.management.commands import Operation, ZoneOperate

routes = Routes()


async def _operate(call: Call, req: ZoneRequest, operation: Operation, operator: str) -> None:
    region = checks.need(req.region_id, "regionId")
    command = ZoneOperate(
        region_id=region, zone_id=checks.need(req.zone_id, "zoneId"), operation=operation, reason=req.reason
    )
    await call.node.management.execute(command, operator=operator)


@routes.post("/api/management/zone/pull-out", family="C", body=ZoneRequest, mutating=True)
async def zone_pull_out(call: Call) -> Any:
    await _operate(call, call.data, "pullout", operator_of(call, call.data.operator_id))
    return edge.ok_c("Zone pulled out successfully")


@routes.post("/api/management/zone/pull-in", family="C", body=ZoneRequest, mutating=True)
async def zone_pull_in(call: Call) -> Any:
    await _operate(call, call.data, "pullin", operator_of(call, call.data.operator_id))
    return edge.ok_c("Zone pulled in successfully")


@routes.add("DELETE", "/api/management/zone/{zone_id:str}/{region_id:str}", family="C", mutating=True)
async def zone_delete(call: Call) -> Any:
    req = ZoneRequest(zone_id=call.path_params["zone_id"], region_id=call.path_params["region_id"])
    await _operate(call, req, "pullin", operator_of(call, "system"))
    return edge.ok_c("Zone operation removed")


@routes.post("/api/v1/management/zones/pullout", family="C", mutating=True)
async def zone_pull_out_v1(call: Call) -> Any:
    """2.14 alias: parameters in the query string (``zone_id``, ``region_id``, ``operator_id``)."""
    q = codec.convert(codec.query_to_obj(call.query, ZoneRequest), ZoneRequest)
    body = call.json()
    if isinstance(body, dict) and body:
        b = codec.convert(body, ZoneRequest)
        q = ZoneRequest(
            zone_id=q.zone_id or b.zone_id,
            region_id=q.region_id or b.region_id,
            operator_id=q.operator_id or b.operator_id,
        )
    await _operate(call, q, "pullout", operator_of(call, q.operator_id))
    return edge.ok_c("Zone pulled out successfully")


@routes.get("/api/management/zone/status/{zone_id:str}/{region_id:str}", family="C")
async def zone_status(call: Call) -> Any:
    zone, region = call.path_params["zone_id"], call.path_params["region_id"]
    return edge.ok_c(views.zone_status(call.node.mgmt, region, zone))


@routes.get(
    "/api/management/zone/operations", "/api/v1/management/zones/operations", family="C", query=RegionQuery
)
async def zone_operations(call: Call) -> Any:
    return edge.ok_c(views.zone_records(call.node.mgmt, call.data.region_id))


# -- J paths (family A) ------------------------------------------------------------------------------------


def _zone_key(call: Call, key: ZoneKey | None, field: str = "zoneKey") -> tuple[str, str, str]:
    if key is None:
        raise BadRequestError(f"missing required field `{field}`", field=field)
    zone = checks.need(key.zone_id, f"{field}.zoneId")
    region = (key.region_id or "").strip() or call.node.settings.server.region
    return region, zone, (key.service_id or "").strip()


@routes.post(
    "/api/management/zone/operate-zone-operations.json", family="A", body=OperateZonesRequest, mutating=True
)
async def j_operate_zones(call: Call) -> Any:
    req: OperateZonesRequest = call.data
    items = req.zone_operations_list or []
    if not items:
        raise BadRequestError("missing required field `zoneOperationsList`", field="zoneOperationsList")
    keys = [
        _zone_key(call, item.zone_key, f"zoneOperationsList[{i}].zoneKey") for i, item in enumerate(items)
    ]
    operation = checks.operation(req.operation)
    commands = [
        ZoneOperate(
            region_id=region,
            zone_id=zone,
            service_id=service,
            operation=operation,
            operation_complete=req.operation_complete,
            token=req.token,
            reason=req.reason,
            style="j",
        )
        for region, zone, service in keys
    ]
    operator = operator_of(call, req.operator_id)
    for command in commands:
        await call.node.management.execute(command, operator=operator)
    return edge.ok_a()


@routes.post("/api/management/zone/get-all-zone-operations.json", family="A", body=RegionQuery)
async def j_all_zone_operations(call: Call) -> Any:
    return edge.ok_a(allZoneOperations=views.zone_operations(call.node.mgmt, call.data.region_id, None, None))


@routes.post("/api/management/zone/get-zone-operations.json", family="A", body=ZoneKeyRequest)
async def j_zone_operations(call: Call) -> Any:
    region, zone, service = _zone_key(call, call.data.zone_key)
    return edge.ok_a(operations=views.zone_key_operations(call.node.mgmt, region, zone, service))


@routes.post("/api/management/zone/get-zone-operations-list.json", family="A", body=ZoneListRequest)
async def j_zone_operations_list(call: Call) -> Any:
    req: ZoneListRequest = call.data
    ops = views.zone_operations(call.node.mgmt, req.region_id, req.service_id, req.zone_id)
    return edge.ok_a(zoneOperationsList=ops)


@routes.post("/api/management/zone/is-zone-down.json", family="A", body=ZoneKeyRequest)
async def j_is_zone_down(call: Call) -> Any:
    region, zone, service = _zone_key(call, call.data.zone_key)
    return edge.ok_a(down=call.node.mgmt.is_zone_down(region, zone, service))
