"""Group routing endpoints (api.md 2.10, R paths, family C; PATCH and /api/v1 aliases of 2.14)."""

from __future__ import annotations

from typing import Any

from artemis_client.errors import BadRequestError, NotFoundError
from artemis_client.wire.routing import (
    BatchBindingIn,
    GroupIn,
    GroupInstance,
    JGroup,
    ListQuery,
    OperatorIn,
    RuleGroupIn,
    RuleIn,
    TagsIn,
)
from artemis_server import edge
from artemis_server.api.endpoints import Call, Routes
from artemis_server.api.management import operator_of
from artemis_server.management import checks
from artemis_server.management.commands import (
    BatchItem,
    BindingAdd,
    BindingBatch,
    BindingRemove,
    Command,
    GroupCreate,
    GroupDelete,
    GroupTagsAdd,
    GroupTagsRemove,
    GroupUpdate,
    RuleCreate,
    RuleDelete,
    RuleGroupAdd,
    RuleGroupItem,
    RuleGroupRemove,
    RuleGroupUpdate,
    RulePublish,
    RuleUnpublish,
    RuleUpdate,
)
from artemis_server.registry.entities import fold
from artemis_server.registry.routing import RoutingTable
from artemis_server.views import binding_view, group_tags, group_view, rule_group_view, rule_view

routes = Routes()


def table(call: Call) -> RoutingTable:
    t = call.node.router
    assert isinstance(t, RoutingTable)
    return t


async def run(call: Call, command: Command, operator: str | None) -> Any:
    return await call.node.management.execute(command, operator=operator_of(call, operator))


def _key(call: Call) -> str:
    return str(call.path_params["group_key"])


def _group_key(call: Call) -> str:
    return checks.need(_key(call), "groupKey")


def _route_id(call: Call) -> str:
    return checks.need(call.path_params["rule_id"], "routeId")


def new_group(g: GroupIn | JGroup, group_type: str | None) -> GroupCreate:
    """A group to create, from R's GroupIn or J's Group."""
    return GroupCreate(
        service_id=checks.need(g.service_id, "serviceId"),
        region_id=checks.need(g.region_id, "regionId"),
        zone_id=checks.need(g.zone_id, "zoneId"),
        name=checks.need(g.name, "name"),
        group_type=checks.group_type(group_type),
        status=checks.status(g.status) or "active",
        description=checks.text(g.description),
        app_id=checks.text(g.app_id),
    )


def new_rule(
    route_id: str | None,
    service_id: str | None,
    name: str | None,
    strategy: str | None,
    status: str | None,
    description: str | None,
    groups: list[tuple[Any, Any, str | None, str | None]] | None = None,
    *,
    require_name: bool = True,
) -> RuleCreate:
    """A rule to create; ``groups``: (reference, weight, regionId, zoneId) of each of its groups."""
    rid = checks.need(route_id, "routeId")
    strat = checks.strategy(strategy)
    service = checks.need(service_id, "serviceId")
    stat = checks.status(status) or "inactive"
    if checks.text(name) is None and require_name:
        checks.need(name, "name")
    items = []
    for i, (ref, weight, region, zone) in enumerate(groups or []):
        if ref is None or isinstance(ref, bool) or str(ref).strip() == "":
            raise BadRequestError(
                f"missing required field `groups[{i}].groupId`", field=f"groups[{i}].groupId"
            )
        items.append(
            RuleGroupItem(
                group_id=str(ref).strip(),
                weight=checks.weight(weight, f"groups[{i}].weight"),
                region_id=checks.text(region),
                zone_id=checks.text(zone),
            )
        )
    return RuleCreate(
        route_id=rid,
        service_id=service,
        name=checks.text(name) or rid,
        strategy=strat or "weighted-round-robin",
        status=stat,
        description=checks.text(description),
        groups=items,
    )


def _group_or_404(call: Call) -> Any:
    key = _key(call)
    g = table(call).group_by_ref(key)
    if g is None:
        raise NotFoundError(f"Group not found: {key}")
    return g


# -- groups ------------------------------------------------------------------------------------------------


@routes.post(
    "/api/routing/groups", "/api/v1/management/groups", family="C", body=GroupIn, status=201, mutating=True
)
async def group_create(call: Call) -> Any:
    req: GroupIn = call.data
    return edge.ok_c(await run(call, new_group(req, req.group_type), req.operator_id))


@routes.get("/api/routing/groups", "/api/v1/management/groups", family="C", query=ListQuery)
async def group_list(call: Call) -> Any:
    q: ListQuery = call.data
    groups = sorted(table(call).groups.values(), key=lambda g: g.group_id)
    if q.service_id:
        groups = [g for g in groups if g.service_id.casefold() == q.service_id.casefold()]
    elif q.region_id:
        groups = [g for g in groups if g.region_id.casefold() == q.region_id.casefold()]
    return edge.ok_c([group_view(g) for g in groups])


@routes.get("/api/routing/groups/by-id/{group_id:int}", family="C")
async def group_by_id(call: Call) -> Any:
    gid = call.path_params["group_id"]
    g = table(call).groups.get(int(gid))
    if g is None:
        raise NotFoundError(f"Group not found: {gid}")
    return edge.ok_c(group_view(g))


@routes.add(("PUT", "PATCH"), "/api/routing/groups/{group_key:str}", family="C", body=GroupIn, mutating=True)
async def group_update(call: Call) -> Any:
    req: GroupIn = call.data
    command = GroupUpdate(
        group_key=_group_key(call), description=req.description, status=checks.status(req.status)
    )
    return edge.ok_c(await run(call, command, req.operator_id))


@routes.add("DELETE", "/api/routing/groups/{group_key:str}", family="C", mutating=True)
async def group_delete(call: Call) -> Any:
    await run(call, GroupDelete(group_key=_group_key(call)), call.param("operatorId"))
    return edge.ok_c(None)


@routes.post("/api/routing/groups/{group_key:str}/tags", family="C", body=TagsIn, mutating=True)
async def group_tags_add(call: Call) -> Any:
    req: TagsIn = call.data
    if not req.tags:
        raise BadRequestError("missing required field `tags`", field="tags")
    key = _group_key(call)
    tags = checks.tags(
        [(t.key, str(t.value).lower() if isinstance(t.value, bool) else t.value) for t in req.tags]
    )
    return edge.ok_c(await run(call, GroupTagsAdd(group_key=key, tags=tags), req.operator_id))


@routes.get("/api/routing/groups/{group_key:str}/tags", family="C")
async def group_tags_list(call: Call) -> Any:
    g = _group_or_404(call)
    return edge.ok_c(group_tags(g))


@routes.add("DELETE", "/api/routing/groups/{group_key:str}/tags/{tag_key:str}", family="C", mutating=True)
async def group_tags_remove(call: Call) -> Any:
    command = GroupTagsRemove(
        group_key=_group_key(call), tag_key=checks.need(call.path_params["tag_key"], "tagKey")
    )
    return edge.ok_c(await run(call, command, call.param("operatorId")))


@routes.get("/api/routing/groups/{group_key:str}/instances", family="C", query=ListQuery)
async def group_instances(call: Call) -> Any:
    """S12.8: registered instances of the group's service named by the group, plus bound ones."""
    g = _group_or_404(call)
    q: ListQuery = call.data
    entry = call.node.registry.get_service(g.service_id)
    bound = table(call).bound_instance_ids(g.group_id)
    out = []
    for inst in entry.instances.values() if entry is not None else []:
        if q.region_id and (inst.region_id or "").casefold() != q.region_id.casefold():
            continue
        if q.zone_id and inst.zone_id != q.zone_id:
            continue
        if (inst.group_id or "default") == g.name or inst.instance_id in bound:
            out.append(inst)
    return edge.ok_c(out)


@routes.post(
    "/api/routing/groups/{group_key:str}/instances", family="C", body=GroupInstance, status=201, mutating=True
)
async def group_bind(call: Call) -> Any:
    req: GroupInstance = call.data
    command = BindingAdd(
        group_key=_group_key(call),
        instance_id=checks.need(req.instance_id, "instanceId"),
        region_id=checks.need(req.region_id, "regionId"),
        zone_id=checks.need(req.zone_id, "zoneId"),
        service_id=checks.need(req.service_id, "serviceId"),
        binding_type=(checks.text(req.binding_type) or "manual").lower(),
    )
    await run(call, command, req.operator_id)
    return edge.ok_c(None)


@routes.add(
    "DELETE", "/api/routing/groups/{group_key:str}/instances/{instance_id:str}", family="C", mutating=True
)
async def group_unbind(call: Call) -> Any:
    for name in ("regionId", "zoneId"):
        if not call.param(name):
            raise BadRequestError(f"missing required query parameter `{name}`", field=name)
    _group_or_404(call)
    instance_id = checks.need(call.path_params["instance_id"], "instanceId")
    await run(
        call, BindingRemove(group_key=_group_key(call), instance_id=instance_id), call.param("operatorId")
    )
    return edge.ok_c(None)


@routes.get("/api/routing/groups/{group_key:str}/bindings", family="C")
async def group_bindings(call: Call) -> Any:
    """The binding records of a group (GroupInstance, 1.5): read side of the binding endpoints."""
    g = _group_or_404(call)
    bs = [b for (gid, _), b in table(call).bindings.items() if gid == g.group_id]
    return edge.ok_c([binding_view(b) for b in sorted(bs, key=lambda b: b.binding_id)])


@routes.post(
    "/api/routing/services/{service_id:str}/instances",
    family="C",
    body=BatchBindingIn,
    status=201,
    mutating=True,
)
async def service_bind(call: Call) -> Any:
    req: BatchBindingIn = call.data
    service = checks.need(call.path_params["service_id"], "serviceId")
    if not req.instances:
        raise BadRequestError("`instances` must be a non-empty list", field="instances")
    items = []
    for i, item in enumerate(req.instances):
        sid = item.service_id
        if sid is None or fold(sid.strip()) != fold(service):
            raise BadRequestError(
                f"instances[{i}].serviceId {sid!r} does not match the service in the path ({service})",
                field=f"instances[{i}].serviceId",
            )
        ref = item.group_key if item.group_key is not None else item.group_id
        if ref is None:
            raise BadRequestError(
                f"missing required field `instances[{i}].groupId`", field=f"instances[{i}].groupId"
            )
        items.append(
            BatchItem(
                group_ref=str(ref),
                instance_id=checks.need(item.instance_id, f"instances[{i}].instanceId"),
                service_id=sid.strip(),
                region_id=checks.text(item.region_id),
                zone_id=checks.text(item.zone_id),
                binding_type=(checks.text(item.binding_type) or "manual").lower(),
            )
        )
    return edge.ok_c(await run(call, BindingBatch(service_id=service, instances=items), req.operator_id))


# -- rules ------------------------------------------------------------------------------------------


def _new_rule(req: RuleIn, *, require_name: bool) -> RuleCreate:
    groups = [
        (g.group_id if g.group_id is not None else g.group_key, g.weight, g.region_id, g.zone_id)
        for g in req.groups or []
    ]
    return new_rule(
        req.route_id,
        req.service_id,
        req.name,
        req.strategy,
        req.status,
        req.description,
        groups,
        require_name=require_name,
    )


@routes.post("/api/routing/rules", family="C", body=RuleIn, status=201, mutating=True)
async def rule_create(call: Call) -> Any:
    req: RuleIn = call.data
    return edge.ok_c(await run(call, _new_rule(req, require_name=True), req.operator_id))


@routes.post("/api/v1/management/routes", family="C", body=RuleIn, status=201, mutating=True)
async def rule_create_v1(call: Call) -> Any:
    """2.14 alias: the body may also carry `status` and `groups`; `name` defaults to the route id."""
    req: RuleIn = call.data
    return edge.ok_c(await run(call, _new_rule(req, require_name=False), req.operator_id))


@routes.get("/api/routing/rules", "/api/v1/management/routes", family="C", query=ListQuery)
async def rule_list(call: Call) -> Any:
    q: ListQuery = call.data
    rules = sorted(table(call).rules.values(), key=lambda r: r.rule_id)
    if q.service_id:
        rules = [r for r in rules if r.service_id.casefold() == q.service_id.casefold()]
    return edge.ok_c([rule_view(r) for r in rules])


def _rule_or_404(call: Call) -> Any:
    rid = call.path_params["rule_id"]
    r = table(call).rules.get(rid)
    if r is None:
        raise NotFoundError(f"Route rule not found: {rid}")
    return r


@routes.get("/api/routing/rules/{rule_id:str}", family="C")
async def rule_get(call: Call) -> Any:
    return edge.ok_c(rule_view(_rule_or_404(call)))


@routes.add(("PUT", "PATCH"), "/api/routing/rules/{rule_id:str}", family="C", body=RuleIn, mutating=True)
async def rule_update(call: Call) -> Any:
    req: RuleIn = call.data
    command = RuleUpdate(
        route_id=_route_id(call),
        name=checks.text(req.name),
        description=req.description,
        strategy=checks.strategy(req.strategy, required=False),
    )
    return edge.ok_c(await run(call, command, req.operator_id))


@routes.add("DELETE", "/api/routing/rules/{rule_id:str}", family="C", mutating=True)
async def rule_delete(call: Call) -> Any:
    await run(call, RuleDelete(route_id=_route_id(call)), call.param("operatorId"))
    return edge.ok_c(None)


@routes.post("/api/routing/rules/{rule_id:str}/publish", family="C", body=OperatorIn, mutating=True)
async def rule_publish(call: Call) -> Any:
    await run(call, RulePublish(route_id=_route_id(call)), call.data.operator_id)
    return edge.ok_c(None)


@routes.post("/api/routing/rules/{rule_id:str}/unpublish", family="C", body=OperatorIn, mutating=True)
async def rule_unpublish(call: Call) -> Any:
    await run(call, RuleUnpublish(route_id=_route_id(call)), call.data.operator_id)
    return edge.ok_c(None)


@routes.post(
    "/api/routing/rules/{rule_id:str}/groups", family="C", body=RuleGroupIn, status=201, mutating=True
)
async def rule_group_add(call: Call) -> Any:
    req: RuleGroupIn = call.data
    ref = req.group_id if req.group_id is not None else req.group_key
    if ref is None or str(ref).strip() == "":
        raise BadRequestError("missing required field `groupId`", field="groupId")
    if req.weight is None:
        raise BadRequestError("missing required field `weight`", field="weight")
    command = RuleGroupAdd(
        route_id=_route_id(call),
        group_id=checks.need(str(ref), "groupId"),
        weight=checks.weight(req.weight),
        region_id=checks.text(req.region_id),
        zone_id=checks.text(req.zone_id),
    )
    await run(call, command, req.operator_id)
    return edge.ok_c(None)


@routes.get("/api/routing/rules/{rule_id:str}/groups", family="C")
async def rule_group_list(call: Call) -> Any:
    r = table(call).rules.get(call.path_params["rule_id"])
    return edge.ok_c([rule_group_view(rg) for rg in r.groups] if r is not None else [])


@routes.add(
    ("PUT", "PATCH"),
    "/api/routing/rules/{rule_id:str}/groups/{group_id:str}",
    family="C",
    body=RuleGroupIn,
    mutating=True,
)
async def rule_group_update(call: Call) -> Any:
    req: RuleGroupIn = call.data
    if req.weight is None:
        raise BadRequestError("missing required field `weight`", field="weight")
    command = RuleGroupUpdate(
        route_id=_route_id(call),
        group_id=checks.need(call.path_params["group_id"], "groupId"),
        weight=checks.weight(req.weight),
    )
    return edge.ok_c(await run(call, command, req.operator_id))


@routes.add("DELETE", "/api/routing/rules/{rule_id:str}/groups/{group_id:str}", family="C", mutating=True)
async def rule_group_remove(call: Call) -> Any:
    group_id = checks.need(call.path_params["group_id"], "groupId")
    await run(call, RuleGroupRemove(route_id=_route_id(call), group_id=group_id), call.param("operatorId"))
    return edge.ok_c(None)
