"""Canary releases by client IP (api.md 2.9, S11), family C."""

from __future__ import annotations

from typing import Any, Literal

from artemis_client.errors import BadRequestError, NotFoundError
from artemis_client.wire.management import (
    CanaryConfigRequest,
    CanaryEnableRequest,
    CanaryIpsRequest,
    UpdateCanaryIpsRequest,
)
from artemis_server import edge
from artemis_server.api.endpoints import Call, Routes
from artemis_server.api.management import operator_of
from artemis_server.management import checks
from artemis_server.management.commands import (
    BindingAdd,
    CanaryDelete,
    CanaryEnable,
    CanarySet,
    CanaryWhitelist,
    Command,
    GroupCreate,
    RuleCreate,
    RuleGroupAdd,
    RulePublish,
)
from artemis_server.views import canary_view

routes = Routes()


def _service(value: str | None) -> str:
    if value is None or not value.strip():
        raise BadRequestError("missing required field `serviceId`", field="serviceId")
    return value.strip()


async def _set(call: Call, req: CanaryConfigRequest) -> None:
    if req.ip_whitelist is None:
        raise BadRequestError("missing required field `ipWhitelist`", field="ipWhitelist")
    command = CanarySet(
        service_id=_service(req.service_id),
        ip_whitelist=checks.ip_list(req.ip_whitelist, "ipWhitelist"),
        enabled=True if req.enabled is None else req.enabled,
    )
    await call.node.management.execute(command, operator=operator_of(call, req.operator_id))


@routes.post(
    "/api/management/canary/config",
    "/api/v1/management/canary",
    family="C",
    body=CanaryConfigRequest,
    mutating=True,
)
async def canary_set(call: Call) -> Any:
    await _set(call, call.data)
    return edge.ok_c("Canary config set successfully")


@routes.get("/api/management/canary/config/{service_id:str}", family="C")
async def canary_get(call: Call) -> Any:
    service = call.path_params["service_id"]
    cfg = call.node.mgmt.canary.get(service.casefold())
    if cfg is None:
        raise NotFoundError(f"Canary config not found for service {service}")
    return edge.ok_c(canary_view(cfg))


@routes.add("DELETE", "/api/management/canary/config/{service_id:str}", family="C", mutating=True)
async def canary_delete(call: Call) -> Any:
    command = CanaryDelete(service_id=checks.need(call.path_params["service_id"], "serviceId"))
    # DELETE has no body: ?operatorId= like routing
    await call.node.management.execute(command, operator=operator_of(call, call.param("operatorId")))
    return edge.ok_c("Canary config removed")


@routes.get("/api/management/canary/configs", "/api/v1/management/canary", family="C")
async def canary_list(call: Call) -> Any:
    cfgs = sorted(call.node.mgmt.canary.values(), key=lambda c: c.service_id.casefold())
    return edge.ok_c([canary_view(c) for c in cfgs])


@routes.post("/api/management/canary/enable", family="C", body=CanaryEnableRequest, mutating=True)
async def canary_enable(call: Call) -> Any:
    req: CanaryEnableRequest = call.data
    service = _service(req.service_id)
    command = CanaryEnable(service_id=service, enabled=req.enabled)
    await call.node.management.execute(command, operator=operator_of(call, req.operator_id))
    return edge.ok_c(f"Canary {'enabled' if req.enabled else 'disabled'} for service {service}")


@routes.post("/api/management/canary/disable", family="C", body=CanaryEnableRequest, mutating=True)
async def canary_disable(call: Call) -> Any:
    req: CanaryEnableRequest = call.data
    command = CanaryEnable(service_id=_service(req.service_id), enabled=False)
    result = await call.node.management.execute(command, operator=operator_of(call, req.operator_id))
    return edge.ok_c(result)


async def _whitelist(call: Call, action: Literal["add", "remove"]) -> Any:
    req: CanaryIpsRequest = call.data
    ips = checks.ip_list(req.ips, "ips")
    command = CanaryWhitelist(
        service_id=checks.need(call.path_params["service_id"], "serviceId"), ips=ips, action=action
    )
    result = await call.node.management.execute(command, operator=operator_of(call, req.operator_id))
    return edge.ok_c(result)


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


CANARY_RULE = "canary-route-rule"


@routes.post(
    "/api/management/canary/update-canary-ips.json", family="A", body=UpdateCanaryIpsRequest, mutating=True
)
async def update_canary_ips(call: Call) -> Any:
    """J (S11.5): a canary group (zone `canary`, name = appId), an active `canary-route-rule` giving it
    weight 5, and the service's registered instances whose ip is listed bound to it."""
    from artemis_server.registry.routing import RoutingTable, group_key

    req: UpdateCanaryIpsRequest = call.data
    service = _service(req.service_id)
    app_id = (req.app_id or "").strip() or service
    ips = set(req.canary_ips or [])
    node = call.node
    table = node.router
    assert isinstance(table, RoutingTable)
    operator = operator_of(call, req.operator_id)
    region = node.settings.server.region

    async def run(command: Command) -> Any:
        return await node.management.execute(command, operator=operator)

    key = group_key(service, region, "canary", app_id)
    group = table.group_by_ref(key)
    if group is None:
        await run(
            GroupCreate(
                service_id=checks.need(service, "serviceId"),
                region_id=checks.need(region, "regionId"),
                zone_id="canary",
                name=checks.need(app_id, "name"),
                app_id=checks.text(app_id),
            )
        )
        group = table.group_by_ref(key)
    assert group is not None
    route_id = CANARY_RULE
    existing = table.rules.get(route_id)
    if existing is not None and existing.service_id.casefold() != service.casefold():
        route_id = (
            f"{service}:{CANARY_RULE}"  # routeId is unique across services here; J scopes it per service
        )
        existing = table.rules.get(route_id)
    if existing is None:
        await run(
            RuleCreate(
                route_id=route_id,
                service_id=service,
                name=CANARY_RULE,
                strategy="weighted-round-robin",
                status="active",
            )
        )
    elif existing.status != "active":
        await run(RulePublish(route_id=route_id))
    await run(RuleGroupAdd(route_id=route_id, group_id=str(group.group_id), weight=5))
    entry = node.registry.get_service(service)
    for inst in entry.instances.values() if entry is not None else []:
        if inst.ip in ips and (group.group_id, inst.instance_id) not in table.bindings:
            await run(
                BindingAdd(
                    group_key=key,
                    instance_id=inst.instance_id,
                    service_id=service,
                    region_id=inst.region_id or region,
                    zone_id=inst.zone_id or "canary",
                )
            )
    return edge.ok_a()
