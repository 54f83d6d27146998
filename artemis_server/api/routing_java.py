"""J-only group routing admin paths (api.md 2.10, `/api/management/group/*.json`, family A, P2).

Java addresses rows by integer id; each handler resolves ids to group keys / route ids first (all items of a
call are checked before any is written), then runs the same management commands as the R paths, one per item.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from artemis_client.errors import BadRequestError, NotFoundError
from artemis_client.wire.routing import JGroupAdminRequest, JRule, JRuleGroup
from artemis_server import edge
from artemis_server.api.endpoints import Call, Routes
from artemis_server.api.management import operator_of
from artemis_server.registry.routing import Group, RoutingTable, Rule, RuleGroup
from artemis_server.views import (
    binding_j,
    group_j,
    group_ops_j,
    group_tags_j,
    rule_group_j,
    rule_j,
    service_instance_j,
)

routes = Routes()
P = "/api/management/group/"


def _t(call: Call) -> RoutingTable:
    t = call.node.router
    assert isinstance(t, RoutingTable)
    return t


def _need(value: Any, name: str) -> Any:
    if value is None or (isinstance(value, list | str) and not value):
        raise BadRequestError(f"missing required field `{name}`", field=name)
    return value


def _group(call: Call, gid: Any, name: str = "groupId") -> Group:
    g = (
        _t(call).groups.get(int(gid))
        if isinstance(gid, int) or (isinstance(gid, str) and gid.isdigit())
        else None
    )
    if g is None:
        raise BadRequestError(f"Group not found: {gid}", field=name)
    return g


def _rule_by_id(call: Call, rid: Any, name: str = "routeRuleId") -> Rule:
    for r in _t(call).rules.values():
        if r.rule_id == rid:
            return r
    raise BadRequestError(f"Route rule not found: {rid}", field=name)


def _rg_by_id(call: Call, row_id: int) -> tuple[Rule, RuleGroup]:
    for r in _t(call).rules.values():
        for rg in r.groups:
            if rg.row_id == row_id:
                return r, rg
    raise BadRequestError(f"Route rule group not found: {row_id}", field="routeRuleGroupIds")


async def _run(call: Call, req: JGroupAdminRequest, command: str, args: dict[str, Any]) -> Any:
    return await call.node.management.execute(
        f"routing.{command}", args, operator=operator_of(call, req.operator_id)
    )


def _in_region(region: str | None, value: str) -> bool:
    return not region or value.casefold() == region.casefold()


# -- route rules -------------------------------------------------------------------------------------------


def _rule_args(r: JRule, i: int) -> dict[str, Any]:
    return {
        "routeId": _need(r.name, f"routeRules[{i}].name"),
        "serviceId": _need(r.service_id, f"routeRules[{i}].serviceId"),
        "name": r.name,
        "strategy": r.strategy or "weighted-round-robin",
        "status": r.status,
        "description": r.description,
    }


@routes.post(P + "insert-route-rules.json", family="A", body=JGroupAdminRequest, mutating=True)
async def insert_route_rules(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    items = [_rule_args(r, i) for i, r in enumerate(_need(req.route_rules, "routeRules"))]
    for args in items:
        await _run(call, req, "rule.create", args)
    return edge.ok_a()


@routes.post(P + "update-route-rules.json", family="A", body=JGroupAdminRequest, mutating=True)
async def update_route_rules(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    pairs = [
        (_rule_by_id(call, _need(r.route_rule_id, f"routeRules[{i}].routeRuleId")), r)
        for i, r in enumerate(_need(req.route_rules, "routeRules"))
    ]
    for rule, r in pairs:
        args = {
            "routeId": rule.route_id,
            "description": r.description,
            "strategy": r.strategy,
            "status": r.status,
        }
        await _run(call, req, "rule.update", args)
    return edge.ok_a()


@routes.post(P + "delete-route-rules.json", family="A", body=JGroupAdminRequest, mutating=True)
async def delete_route_rules(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    rules = [_rule_by_id(call, rid, "routeRuleIds") for rid in _need(req.route_rule_ids, "routeRuleIds")]
    for rule in rules:
        await _run(call, req, "rule.delete", {"routeId": rule.route_id})
    return edge.ok_a()


def _rules(call: Call) -> list[Rule]:
    return sorted(_t(call).rules.values(), key=lambda r: r.rule_id)


@routes.post(P + "get-all-route-rules.json", family="A", body=JGroupAdminRequest)
async def get_all_route_rules(call: Call) -> Any:
    return edge.ok_a(routeRules=[rule_j(r) for r in _rules(call)])


@routes.post(P + "get-route-rules.json", family="A", body=JGroupAdminRequest)
async def get_route_rules(call: Call) -> Any:
    q: JGroupAdminRequest = call.data
    out = [
        rule_j(r)
        for r in _rules(call)
        if (q.route_rule_id is None or r.rule_id == q.route_rule_id)
        and (not q.service_id or r.service_id.casefold() == q.service_id.casefold())
        and (not q.name or r.route_id == q.name)
        and (not q.status or r.status == q.status.lower())
    ]
    return edge.ok_a(routeRules=out)


@routes.post(P + "create-route-rule.json", family="A", body=JGroupAdminRequest, mutating=True)
async def create_route_rule(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    rule = _need(req.route_rule, "routeRule")
    args = _rule_args(rule, 0)
    groups = []
    for i, gw in enumerate(req.groups or []):
        if gw.group_id is not None:
            g = _group(call, gw.group_id, f"groups[{i}].groupId")
            ref = str(g.group_id)
        else:
            ref = _need(gw.name, f"groups[{i}].name")
        groups.append({"groupId": ref, "weight": gw.weight if gw.weight is not None else 5})
    args["groups"] = groups
    await _run(call, req, "rule.create", args)
    return edge.ok_a()


# -- route rule groups -------------------------------------------------------------------------------------


def _staged(call: Call, req: JGroupAdminRequest) -> list[tuple[Rule, str, JRuleGroup]]:
    out = []
    for i, rg in enumerate(_need(req.route_rule_groups, "routeRuleGroups")):
        if rg.route_rule_group_id is not None:
            rule, existing = _rg_by_id(call, rg.route_rule_group_id)
            out.append((rule, existing.group_ref, rg))
            continue
        rule = _rule_by_id(call, _need(rg.route_rule_id, f"routeRuleGroups[{i}].routeRuleId"))
        g = _group(call, _need(rg.group_id, f"routeRuleGroups[{i}].groupId"), f"routeRuleGroups[{i}].groupId")
        out.append((rule, str(g.group_id), rg))
    return out


async def _stage(call: Call, command: str) -> Any:
    req: JGroupAdminRequest = call.data
    for rule, ref, rg in _staged(call, req):
        args: dict[str, Any] = {"routeId": rule.route_id, "groupId": ref}
        if rg.weight is not None:
            args["weight"] = rg.weight
        if rg.unreleased_weight is not None:
            args["unreleasedWeight"] = rg.unreleased_weight
        await _run(call, req, command, args)
    return edge.ok_a()


@routes.post(P + "insert-route-rule-groups.json", family="A", body=JGroupAdminRequest, mutating=True)
async def insert_route_rule_groups(call: Call) -> Any:
    return await _stage(call, "rulegroup.stage")


@routes.post(P + "update-route-rule-groups.json", family="A", body=JGroupAdminRequest, mutating=True)
async def update_route_rule_groups(call: Call) -> Any:
    return await _stage(call, "rulegroup.stage")


@routes.post(P + "release-route-rule-groups.json", family="A", body=JGroupAdminRequest, mutating=True)
async def release_route_rule_groups(call: Call) -> Any:
    return await _stage(call, "rulegroup.release")


@routes.post(P + "delete-route-rule-groups.json", family="A", body=JGroupAdminRequest, mutating=True)
async def delete_route_rule_groups(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    found = [_rg_by_id(call, row_id) for row_id in _need(req.route_rule_group_ids, "routeRuleGroupIds")]
    for rule, rg in found:
        await _run(call, req, "rulegroup.remove", {"routeId": rule.route_id, "groupId": rg.group_ref})
    return edge.ok_a()


def _all_rgs(call: Call) -> list[tuple[Rule, RuleGroup]]:
    return [(r, rg) for r in _rules(call) for rg in r.groups]


@routes.post(P + "get-all-route-rule-groups.json", family="A", body=JGroupAdminRequest)
async def get_all_route_rule_groups(call: Call) -> Any:
    return edge.ok_a(routeRuleGroups=[rule_group_j(r, rg) for r, rg in _all_rgs(call)])


@routes.post(P + "get-route-rule-groups.json", family="A", body=JGroupAdminRequest)
async def get_route_rule_groups(call: Call) -> Any:
    q: JGroupAdminRequest = call.data
    out = [
        rule_group_j(r, rg)
        for r, rg in _all_rgs(call)
        if (q.route_rule_group_id is None or rg.row_id == q.route_rule_group_id)
        and (q.route_rule_id is None or r.rule_id == q.route_rule_id)
        and (q.group_id is None or str(q.group_id) in (str(rg.managed_id), rg.group_ref))
    ]
    return edge.ok_a(routeRuleGroups=out)


# -- groups ------------------------------------------------------------------------------------------------


def _groups(call: Call) -> list[Group]:
    return sorted(_t(call).groups.values(), key=lambda g: g.group_id)


@routes.post(P + "insert-groups.json", family="A", body=JGroupAdminRequest, mutating=True)
async def insert_groups(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    items = []
    for i, g in enumerate(_need(req.groups, "groups")):
        items.append(
            {
                "serviceId": _need(g.service_id, f"groups[{i}].serviceId"),
                "regionId": _need(g.region_id, f"groups[{i}].regionId"),
                "zoneId": _need(g.zone_id, f"groups[{i}].zoneId"),
                "name": _need(g.name, f"groups[{i}].name"),
                "groupType": g.group_type or g.type or "physical",
                "description": g.description,
                "status": g.status,
                "appId": g.app_id,
            }
        )
    for args in items:
        await _run(call, req, "group.create", args)
    return edge.ok_a()


@routes.post(P + "update-groups.json", family="A", body=JGroupAdminRequest, mutating=True)
async def update_groups(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    pairs = [
        (_group(call, _need(g.group_id, f"groups[{i}].groupId")), g)
        for i, g in enumerate(_need(req.groups, "groups"))
    ]
    for grp, g in pairs:
        await _run(
            call, req, "group.update", {"groupKey": grp.key, "description": g.description, "status": g.status}
        )
    return edge.ok_a()


@routes.post(P + "delete-groups.json", family="A", body=JGroupAdminRequest, mutating=True)
async def delete_groups(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    groups = [_group(call, gid, "groupIds") for gid in _need(req.group_ids, "groupIds")]
    for g in groups:
        await _run(call, req, "group.delete", {"groupKey": g.key})
    return edge.ok_a()


@routes.post(P + "get-all-groups.json", family="A", body=JGroupAdminRequest)
async def get_all_groups(call: Call) -> Any:
    region = call.data.region_id
    return edge.ok_a(groups=[group_j(g) for g in _groups(call) if _in_region(region, g.region_id)])


@routes.post(P + "get-groups.json", family="A", body=JGroupAdminRequest)
async def get_groups(call: Call) -> Any:
    q: JGroupAdminRequest = call.data
    out = [
        group_j(g)
        for g in _groups(call)
        if (q.group_id is None or str(g.group_id) == str(q.group_id))
        and (not q.service_id or g.service_id.casefold() == q.service_id.casefold())
        and _in_region(q.region_id, g.region_id)
        and (not q.zone_id or g.zone_id == q.zone_id)
        and (not q.name or g.name == q.name)
        and (not q.app_id or (g.app_id or g.service_id) == q.app_id)
        and (not q.status or g.status == q.status.lower())
    ]
    return edge.ok_a(groups=out)


# -- group tags ----------------------------------------------------------------------------------------------


async def _put_tags(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    pairs = [
        (_group(call, _need(gt.group_id, f"groupTagsList[{i}].groupId")), gt)
        for i, gt in enumerate(_need(req.group_tags_list, "groupTagsList"))
    ]
    for g, gt in pairs:
        tags = [{"key": k, "value": v} for k, v in (gt.tags or {}).items()]
        if tags:
            await _run(call, req, "group.tags.add", {"groupKey": g.key, "tags": tags})
    return edge.ok_a()


@routes.post(P + "insert-group-tags.json", family="A", body=JGroupAdminRequest, mutating=True)
async def insert_group_tags(call: Call) -> Any:
    return await _put_tags(call)


@routes.post(P + "update-group-tags.json", family="A", body=JGroupAdminRequest, mutating=True)
async def update_group_tags(call: Call) -> Any:
    return await _put_tags(call)


@routes.post(P + "delete-group-tags.json", family="A", body=JGroupAdminRequest, mutating=True)
async def delete_group_tags(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    g = _group(call, _need(req.group_id, "groupId"))
    tag = _need(req.tag or req.tag_key, "tag")
    if tag not in g.tags:
        raise NotFoundError(f"Group {g.group_id} has no tag {tag}")
    await _run(call, req, "group.tags.remove", {"groupKey": g.key, "tagKey": tag})
    return edge.ok_a()


@routes.post(P + "get-all-group-tags.json", family="A", body=JGroupAdminRequest)
async def get_all_group_tags(call: Call) -> Any:
    region = call.data.region_id
    out = [group_tags_j(g) for g in _groups(call) if g.tags and _in_region(region, g.region_id)]
    return edge.ok_a(allGroupTags=out)


@routes.post(P + "get-group-tags.json", family="A", body=JGroupAdminRequest)
async def get_group_tags(call: Call) -> Any:
    q: JGroupAdminRequest = call.data
    out = []
    for g in _groups(call):
        if q.group_id is not None and str(g.group_id) != str(q.group_id):
            continue
        tags = {k: v for k, v in g.tags.items() if not q.tag_key or k == q.tag_key}
        if tags:
            out.append(group_tags_j(g, tags))
    return edge.ok_a(groupTags=out)


# -- group operations ---------------------------------------------------------------------------------------


@routes.post(P + "operate-group-operations.json", family="A", body=JGroupAdminRequest, mutating=True)
async def operate_group_operations(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    items = [
        (_group(call, _need(go.group_id, f"groupOperationsList[{i}].groupId")), go.operations or [])
        for i, go in enumerate(_need(req.group_operations_list, "groupOperationsList"))
    ]
    for g, ops in items:
        for op in ops:
            args = {"groupKey": g.key, "operation": op, "operationComplete": req.operation_complete}
            await _run(call, req, "group.operate", args)
    return edge.ok_a()


@routes.post(P + "operate-group-operation.json", family="A", body=JGroupAdminRequest, mutating=True)
async def operate_group_operation(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    g = _group(call, _need(req.group_id, "groupId"))
    args = {
        "groupKey": g.key,
        "operation": _need(req.operation, "operation"),
        "operationComplete": req.operation_complete,
    }
    await _run(call, req, "group.operate", args)
    return edge.ok_a()


@routes.post(P + "get-all-group-operations.json", family="A", body=JGroupAdminRequest)
async def get_all_group_operations(call: Call) -> Any:
    t = _t(call)
    region = call.data.region_id
    out = [
        group_ops_j(t, g)
        for g in _groups(call)
        if g.group_id in t.group_ops and _in_region(region, g.region_id)
    ]
    return edge.ok_a(allGroupOperations=out)


@routes.post(P + "get-group-operations.json", family="A", body=JGroupAdminRequest)
async def get_group_operations(call: Call) -> Any:
    g = _group(call, _need(call.data.group_id, "groupId"))
    return edge.ok_a(groupOperations=group_ops_j(_t(call), g))


# -- group instances (bindings) ----------------------------------------------------------------------------


@routes.post(P + "insert-group-instances.json", family="A", body=JGroupAdminRequest, mutating=True)
async def insert_group_instances(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    items = [
        (
            _group(call, _need(gi.group_id, f"groupInstances[{i}].groupId")),
            _need(gi.instance_id, f"groupInstances[{i}].instanceId"),
        )
        for i, gi in enumerate(_need(req.group_instances, "groupInstances"))
    ]
    for g, iid in items:
        args = {
            "groupKey": g.key,
            "instanceId": iid,
            "serviceId": g.service_id,
            "regionId": g.region_id,
            "zoneId": g.zone_id,
        }
        await _run(call, req, "binding.add", args)
    return edge.ok_a()


@routes.post(P + "delete-group-instances.json", family="A", body=JGroupAdminRequest, mutating=True)
async def delete_group_instances(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    t = _t(call)
    by_id = {b.binding_id: b for b in t.bindings.values()}
    found = []
    for bid in _need(req.group_instance_ids, "groupInstanceIds"):
        b = by_id.get(bid)
        if b is None:
            raise BadRequestError(f"Group instance not found: {bid}", field="groupInstanceIds")
        found.append(b)
    for b in found:
        await _run(
            call, req, "binding.remove", {"groupKey": t.groups[b.group_id].key, "instanceId": b.instance_id}
        )
    return edge.ok_a()


@routes.post(P + "get-group-instances.json", family="A", body=JGroupAdminRequest)
async def get_group_instances(call: Call) -> Any:
    q: JGroupAdminRequest = call.data
    out = [
        binding_j(b)
        for b in sorted(_t(call).bindings.values(), key=lambda b: b.binding_id)
        if (q.group_id is None or str(b.group_id) == str(q.group_id))
        and (not q.instance_id or b.instance_id == q.instance_id)
    ]
    return edge.ok_a(groupInstances=out)


# -- service instances -------------------------------------------------------------------------------------


@routes.post(P + "insert-service-instances.json", family="A", body=JGroupAdminRequest, mutating=True)
async def insert_service_instances(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    items = []
    for i, si in enumerate(_need(req.service_instances, "serviceInstances")):
        _need(si.service_id, f"serviceInstances[{i}].serviceId")
        _need(si.instance_id, f"serviceInstances[{i}].instanceId")
        args: dict[str, Any] = msgspec.to_builtins(si)
        for k in ("operatorId", "token", "reason", "id"):
            args.pop(k, None)
        if si.metadata is not None:
            args["metadata"] = json.dumps(si.metadata, separators=(",", ":"))
        items.append(args)
    for args in items:
        await _run(call, req, "service_instance.put", args)
    return edge.ok_a()


@routes.post(P + "delete-service-instances.json", family="A", body=JGroupAdminRequest, mutating=True)
async def delete_service_instances(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    by_id = {int(d["id"]): d for d in _t(call).service_instances.values()}
    found = []
    for sid in _need(req.service_instance_ids, "serviceInstanceIds"):
        if sid not in by_id:
            raise BadRequestError(f"Service instance not found: {sid}", field="serviceInstanceIds")
        found.append(by_id[sid])
    for d in found:
        await _run(
            call, req, "service_instance.delete", {"serviceId": d["serviceId"], "instanceId": d["instanceId"]}
        )
    return edge.ok_a()


@routes.post(P + "get-service-instances.json", family="A", body=JGroupAdminRequest)
async def get_service_instances(call: Call) -> Any:
    q: JGroupAdminRequest = call.data
    out = []
    for d in sorted(_t(call).service_instances.values(), key=lambda d: int(d["id"])):
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
