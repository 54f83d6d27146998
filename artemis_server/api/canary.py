"""Canary releases by client IP (api.md 2.9, S11), family C."""

from __future__ import annotations

from typing import Any

from artemis_server import wire
from artemis_server.api.endpoints import Call, Routes
from artemis_server.api.management import operator_of
from artemis_server.errors import BadRequestError, NotFoundError
from artemis_server.management import canary_view
from artemis_server.wire.management import CanaryConfigRequest, CanaryEnableRequest, CanaryIpsRequest

routes = Routes()


def _service(value: str | None) -> str:
    if value is None or not value.strip():
        raise BadRequestError("missing required field `serviceId`", field="serviceId")
    return value.strip()


async def _set(call: Call, req: CanaryConfigRequest) -> None:
    if req.ip_whitelist is None:
        raise BadRequestError("missing required field `ipWhitelist`", field="ipWhitelist")
    await call.node.management.execute(
        "canary.set",
        {"serviceId": _service(req.service_id), "ipWhitelist": req.ip_whitelist, "enabled": req.enabled},
        operator=operator_of(call, req.operator_id),
    )


@routes.post(
    "/api/management/canary/config",
    "/api/v1/management/canary",
    family="C",
    body=CanaryConfigRequest,
    mutating=True,
)
async def canary_set(call: Call) -> Any:
    await _set(call, call.data)
    return wire.ok_c("Canary config set successfully")


@routes.get("/api/management/canary/config/{service_id:str}", family="C")
async def canary_get(call: Call) -> Any:
    service = call.path_params["service_id"]
    cfg = call.node.mgmt.canary.get(service.lower())
    if cfg is None:
        raise NotFoundError(f"Canary config not found for service {service}")
    return wire.ok_c(canary_view(cfg))


@routes.add("DELETE", "/api/management/canary/config/{service_id:str}", family="C", mutating=True)
async def canary_delete(call: Call) -> Any:
    await call.node.management.execute(
        "canary.delete", {"serviceId": call.path_params["service_id"]}, operator=operator_of(call, None)
    )
    return wire.ok_c("Canary config removed")


@routes.get("/api/management/canary/configs", "/api/v1/management/canary", family="C")
async def canary_list(call: Call) -> Any:
    cfgs = sorted(call.node.mgmt.canary.values(), key=lambda c: c.service_id.lower())
    return wire.ok_c([canary_view(c) for c in cfgs])


@routes.post("/api/management/canary/enable", family="C", body=CanaryEnableRequest, mutating=True)
async def canary_enable(call: Call) -> Any:
    req: CanaryEnableRequest = call.data
    service = _service(req.service_id)
    await call.node.management.execute(
        "canary.enable",
        {"serviceId": service, "enabled": req.enabled},
        operator=operator_of(call, req.operator_id),
    )
    return wire.ok_c(f"Canary {'enabled' if req.enabled else 'disabled'} for service {service}")


@routes.post("/api/management/canary/disable", family="C", body=CanaryEnableRequest, mutating=True)
async def canary_disable(call: Call) -> Any:
    req: CanaryEnableRequest = call.data
    result = await call.node.management.execute(
        "canary.enable",
        {"serviceId": _service(req.service_id), "enabled": False},
        operator=operator_of(call, req.operator_id),
    )
    return wire.ok_c(result)


async def _whitelist(call: Call, action: str) -> Any:
    req: CanaryIpsRequest = call.data
    if req.ips is None:
        raise BadRequestError("missing required field `ips`", field="ips")
    result = await call.node.management.execute(
        "canary.whitelist",
        {"serviceId": call.path_params["service_id"], "ips": req.ips, "action": action},
        operator=operator_of(call, req.operator_id),
    )
    return wire.ok_c(result)


@routes.post(
    "/api/management/canary/{service_id:str}/whitelist/add", family="C", body=CanaryIpsRequest, mutating=True
)
async def canary_whitelist_add(call: Call) -> Any:
    return await _whitelist(call, "add")


@routes.post(
    "/api/management/canary/{service_id:str}/whitelist/remove",
    family="C",
    body=CanaryIpsRequest,
    mutating=True,
)
async def canary_whitelist_remove(call: Call) -> Any:
    return await _whitelist(call, "remove")
