"""Group routing endpoints (api.md 2.10, R paths, family C; PATCH and /api/v1 aliases of 2.14)."""

from __future__ import annotations

from typing import Any

import msgspec

from artemis_client.errors import BadRequestError, NotFoundError
from artemis_client.wire.routing import (
    BatchBindingIn,
    GroupIn,
    GroupInstance,
    ListQuery,
    OperatorIn,
    RuleGroupIn,
    RuleIn,
    TagsIn,
)
from artemis_server import edge
from artemis_server.api.endpoints import Call, Routes
from artemis_server.api.management import operator_of
from artemis_server.registry.routing import RoutingTable
from artemis_server.views import binding_view, group_tags, group_view, rule_group_view, rule_view

routes = Routes()


def table(call: Call) -> RoutingTable:
    t = call.node.router
    assert isinstance(t, RoutingTable)
    return t


def _args(obj: msgspec.Struct) -> dict[str, Any]:
    """A request Struct as camelCase command args (None fields dropped)."""
    out: dict[str, Any] = msgspec.to_builtins(obj)
    return out


async def run(call: Call, command: str, args: dict[str, Any], operator: str | None) -> Any:
    return await call.node.management.execute(
        f"routing.{command}", args, operator=operator_of(call, operator)
    )


def _key(call: Call) -> str:
    return str(call.path_params["group_key"])


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
    return edge.ok_c(await run(call, "group.create", _args(req), req.operator_id))


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
    args = {"groupKey": _key(call), "description": req.description, "status": req.status}
    return edge.ok_c(await run(call, "group.update", args, req.operator_id))


@routes.add("DELETE", "/api/routing/groups/{group_key:str}", family="C", mutating=True)
async def group_delete(call: Call) -> Any:
    await run(call, "group.delete", {"groupKey": _key(call)}, call.param("operatorId"))
    return edge.ok_c(None)


@routes.post("/api/routing/groups/{group_key:str}/tags", family="C", body=TagsIn, mutating=True)
async def group_tags_add(call: Call) -> Any:
    req: TagsIn = call.data
    if not req.tags:
        raise BadRequestError("missing required field `tags`", field="tags")
    tags = [
        {
            "key": t.key,
            "value": t.value
            if isinstance(t.value, str) or t.value is None
            else (str(t.value).lower() if isinstance(t.value, bool) else str(t.value)),
        }
        for t in req.tags
    ]
    return edge.ok_c(
        await run(call, "group.tags.add", {"groupKey": _key(call), "tags": tags}, req.operator_id)
    )


@routes.get("/api/routing/groups/{group_key:str}/tags", family="C")
async def group_tags_list(call: Call) -> Any:
    g = _group_or_404(call)
    return edge.ok_c(group_tags(g))


@routes.add("DELETE", "/api/routing/groups/{group_key:str}/tags/{tag_key:str}", family="C", mutating=True)
async def group_tags_remove(call: Call) -> Any:
    args = {"groupKey": _key(call), "tagKey": call.path_params["tag_key"]}
    return edge.ok_c(await run(call, "group.tags.remove", args, call.param("operatorId")))


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
    args = _args(req)
    args["groupKey"] = _key(call)
    await run(call, "binding.add", args, req.operator_id)
    return edge.ok_c(None)


@routes.add(
    "DELETE", "/api/routing/groups/{group_key:str}/instances/{instance_id:str}", family="C", mutating=True
)
async def group_unbind(call: Call) -> Any:
    for name in ("regionId", "zoneId"):
        if not call.param(name):
            raise BadRequestError(f"missing required query parameter `{name}`", field=name)
    _group_or_404(call)
    args = {"groupKey": _key(call), "instanceId": call.path_params["instance_id"]}
    await run(call, "binding.remove", args, call.param("operatorId"))
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
    items = [_args(i) for i in req.instances or []]
    args = {"serviceId": call.path_params["service_id"], "instances": items}
    return edge.ok_c(await run(call, "binding.batch", args, req.operator_id))


# -- rules ------------------------------------------------------------------------------------------


def _rule_args(req: RuleIn) -> dict[str, Any]:
    args = _args(req)
    if req.groups is not None:
        args["groups"] = [
            {**_args(g), "groupId": g.group_id if g.group_id is not None else g.group_key} for g in req.groups
        ]
    return args


@routes.post("/api/routing/rules", family="C", body=RuleIn, status=201, mutating=True)
async def rule_create(call: Call) -> Any:
    req: RuleIn = call.data
    return edge.ok_c(await run(call, "rule.create", _rule_args(req), req.operator_id))


@routes.post("/api/v1/management/routes", family="C", body=RuleIn, status=201, mutating=True)
async def rule_create_v1(call: Call) -> Any:
    """2.14 alias: the body may also carry `status` and `groups`; `name` defaults to the route id."""
    req: RuleIn = call.data
    args = _rule_args(req)
    args["_requireName"] = False
    return edge.ok_c(await run(call, "rule.create", args, req.operator_id))


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
    args = {
        "routeId": call.path_params["rule_id"],
        "name": req.name,
        "description": req.description,
        "strategy": req.strategy,
    }
    return edge.ok_c(await run(call, "rule.update", args, req.operator_id))


@routes.add("DELETE", "/api/routing/rules/{rule_id:str}", family="C", mutating=True)
async def rule_delete(call: Call) -> Any:
    await run(call, "rule.delete", {"routeId": call.path_params["rule_id"]}, call.param("operatorId"))
    return edge.ok_c(None)


@routes.post("/api/routing/rules/{rule_id:str}/publish", family="C", body=OperatorIn, mutating=True)
async def rule_publish(call: Call) -> Any:
    await run(call, "rule.publish", {"routeId": call.path_params["rule_id"]}, call.data.operator_id)
    return edge.ok_c(None)


@routes.post("/api/routing/rules/{rule_id:str}/unpublish", family="C", body=OperatorIn, mutating=True)
async def rule_unpublish(call: Call) -> Any:
    await run(call, "rule.unpublish", {"routeId": call.path_params["rule_id"]}, call.data.operator_id)
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
    args = {
        "routeId": call.path_params["rule_id"],
        "groupId": str(ref),
        "weight": req.weight,
        "regionId": req.region_id,
        "zoneId": req.zone_id,
    }
    await run(call, "rulegroup.add", args, req.operator_id)
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
    args = {
        "routeId": call.path_params["rule_id"],
        "groupId": call.path_params["group_id"],
        "weight": req.weight,
    }
    return edge.ok_c(await run(call, "rulegroup.update", args, req.operator_id))


@routes.add("DELETE", "/api/routing/rules/{rule_id:str}/groups/{group_id:str}", family="C", mutating=True)
async def rule_group_remove(call: Call) -> Any:
    args = {"routeId": call.path_params["rule_id"], "groupId": call.path_params["group_id"]}
    await run(call, "rulegroup.remove", args, call.param("operatorId"))
    return edge.ok_c(None)
