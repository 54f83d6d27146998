"""J-only group routing admin paths (api.md 2.10, `/api/management/group/*.json`, family A, P2).

Java addresses rows by integer id; each handler resolves ids to group keys / route ids first (all items of a
call are checked before any is written), then runs the same management commands as the R paths, one per item.
"""

from __future__ import annotations

from typing import Any

from artemis_client.errors import BadRequestError, NotFoundError
from artemis_client.wire.routing import JGroupAdminRequest, JRule, JRuleGroup
from artemis_server import edge
from artemis_server.api.endpoints import Call, Routes
from artemis_server.api.management import operator_of
from artemis_server.api.routing import new_group, new_rule
from artemis_server.management import checks
from artemis_server.management.commands import (
    Command,
    GroupDelete,
    GroupTagsAdd,
    GroupTagsRemove,
    GroupUpdate,
    RuleCreate,
    RuleDelete,
    RuleGroupRelease,
    RuleGroupRemove,
    RuleGroupStage,
    RuleUpdate,
)
from artemis_server.registry.routing import Group, RoutingTable, Rule, RuleGroup
from artemis_server.views import (
    group_j,
    group_tags_j,
    rule_group_j,
    rule_j,
)

routes = Routes()
P = "/api/management/group/"


def table_of(call: Call) -> RoutingTable:
    t = call.node.router
    assert isinstance(t, RoutingTable)
    return t


def need(value: Any, name: str) -> Any:
    if value is None or (isinstance(value, list | str) and not value):
        raise BadRequestError(f"missing required field `{name}`", field=name)
    return value


def group_by_id(call: Call, gid: Any, name: str = "groupId") -> Group:
    g = (
        table_of(call).groups.get(int(gid))
        if isinstance(gid, int) or (isinstance(gid, str) and gid.isdigit())
        else None
    )
    if g is None:
        raise BadRequestError(f"Group not found: {gid}", field=name)
    return g


def _rule_by_id(call: Call, rid: Any, name: str = "routeRuleId") -> Rule:
    for r in table_of(call).rules.values():
        if r.rule_id == rid:
            return r
    raise BadRequestError(f"Route rule not found: {rid}", field=name)


def _rg_by_id(call: Call, row_id: int) -> tuple[Rule, RuleGroup]:
    for r in table_of(call).rules.values():
        for rg in r.groups:
            if rg.row_id == row_id:
                return r, rg
    raise BadRequestError(f"Route rule group not found: {row_id}", field="routeRuleGroupIds")


async def run(call: Call, req: JGroupAdminRequest, commands: list[Command]) -> None:
    """Run the commands of one call in order (each built, and so checked, before any runs)."""
    operator = operator_of(call, req.operator_id)
    for command in commands:
        await call.node.management.execute(command, operator=operator)


def in_region(region: str | None, value: str) -> bool:
    return not region or value.casefold() == region.casefold()


# -- route rules -------------------------------------------------------------------------------------------


def _new_rule(
    r: JRule, i: int, groups: list[tuple[Any, Any, str | None, str | None]] | None = None
) -> RuleCreate:
    route_id = need(r.name, f"routeRules[{i}].name")
    service_id = need(r.service_id, f"routeRules[{i}].serviceId")
    strategy = r.strategy or "weighted-round-robin"
    return new_rule(route_id, service_id, r.name, strategy, r.status, r.description, groups)


@routes.post(P + "insert-route-rules.json", family="A", body=JGroupAdminRequest, mutating=True)
async def insert_route_rules(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    await run(call, req, [_new_rule(r, i) for i, r in enumerate(need(req.route_rules, "routeRules"))])
    return edge.ok_a()


@routes.post(P + "update-route-rules.json", family="A", body=JGroupAdminRequest, mutating=True)
async def update_route_rules(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    pairs = [
        (_rule_by_id(call, need(r.route_rule_id, f"routeRules[{i}].routeRuleId")), r)
        for i, r in enumerate(need(req.route_rules, "routeRules"))
    ]
    commands: list[Command] = [
        RuleUpdate(
            route_id=rule.route_id,
            description=r.description,
            strategy=checks.strategy(r.strategy, required=False),
            status=checks.status(r.status),
        )
        for rule, r in pairs
    ]
    await run(call, req, commands)
    return edge.ok_a()


@routes.post(P + "delete-route-rules.json", family="A", body=JGroupAdminRequest, mutating=True)
async def delete_route_rules(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    rules = [_rule_by_id(call, rid, "routeRuleIds") for rid in need(req.route_rule_ids, "routeRuleIds")]
    await run(call, req, [RuleDelete(route_id=rule.route_id) for rule in rules])
    return edge.ok_a()


def _rules(call: Call) -> list[Rule]:
    return sorted(table_of(call).rules.values(), key=lambda r: r.rule_id)


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
    rule = need(req.route_rule, "routeRule")
    groups: list[tuple[Any, Any, str | None, str | None]] = []
    for i, gw in enumerate(req.groups or []):
        if gw.group_id is not None:
            g = group_by_id(call, gw.group_id, f"groups[{i}].groupId")
            ref = str(g.group_id)
        else:
            ref = need(gw.name, f"groups[{i}].name")
        groups.append((ref, gw.weight if gw.weight is not None else 5, None, None))
    await run(call, req, [_new_rule(rule, 0, groups)])
    return edge.ok_a()


# -- route rule groups -------------------------------------------------------------------------------------


def _staged(call: Call, req: JGroupAdminRequest) -> list[tuple[Rule, str, JRuleGroup]]:
    out = []
    for i, rg in enumerate(need(req.route_rule_groups, "routeRuleGroups")):
        if rg.route_rule_group_id is not None:
            rule, existing = _rg_by_id(call, rg.route_rule_group_id)
            out.append((rule, existing.group_ref, rg))
            continue
        rule = _rule_by_id(call, need(rg.route_rule_id, f"routeRuleGroups[{i}].routeRuleId"))
        g = group_by_id(
            call, need(rg.group_id, f"routeRuleGroups[{i}].groupId"), f"routeRuleGroups[{i}].groupId"
        )
        out.append((rule, str(g.group_id), rg))
    return out


async def _stage(call: Call, *, release: bool = False) -> Any:
    req: JGroupAdminRequest = call.data
    commands: list[Command] = []
    for rule, ref, rg in _staged(call, req):
        group_id = checks.need(ref, "groupId")
        if release:
            commands.append(RuleGroupRelease(route_id=rule.route_id, group_id=group_id))
            continue
        raw = rg.unreleased_weight if rg.unreleased_weight is not None else rg.weight
        weight = checks.weight(5 if raw is None else raw, "unreleasedWeight")  # 5: J's default weight
        commands.append(RuleGroupStage(route_id=rule.route_id, group_id=group_id, weight=weight))
    await run(call, req, commands)
    return edge.ok_a()


@routes.post(P + "insert-route-rule-groups.json", family="A", body=JGroupAdminRequest, mutating=True)
async def insert_route_rule_groups(call: Call) -> Any:
    return await _stage(call)


@routes.post(P + "update-route-rule-groups.json", family="A", body=JGroupAdminRequest, mutating=True)
async def update_route_rule_groups(call: Call) -> Any:
    return await _stage(call)


@routes.post(P + "release-route-rule-groups.json", family="A", body=JGroupAdminRequest, mutating=True)
async def release_route_rule_groups(call: Call) -> Any:
    return await _stage(call, release=True)


@routes.post(P + "delete-route-rule-groups.json", family="A", body=JGroupAdminRequest, mutating=True)
async def delete_route_rule_groups(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    found = [_rg_by_id(call, row_id) for row_id in need(req.route_rule_group_ids, "routeRuleGroupIds")]
    commands: list[Command] = [
        RuleGroupRemove(route_id=rule.route_id, group_id=checks.need(rg.group_ref, "groupId"))
        for rule, rg in found
    ]
    await run(call, req, commands)
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


def groups_of(call: Call) -> list[Group]:
    return sorted(table_of(call).groups.values(), key=lambda g: g.group_id)


@routes.post(P + "insert-groups.json", family="A", body=JGroupAdminRequest, mutating=True)
async def insert_groups(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    commands: list[Command] = []
    for i, g in enumerate(need(req.groups, "groups")):
        for value, name in ((g.service_id, "serviceId"), (g.region_id, "regionId"), (g.zone_id, "zoneId")):
            need(value, f"groups[{i}].{name}")
        need(g.name, f"groups[{i}].name")
        commands.append(new_group(g, g.group_type or g.type or "physical"))
    await run(call, req, commands)
    return edge.ok_a()


@routes.post(P + "update-groups.json", family="A", body=JGroupAdminRequest, mutating=True)
async def update_groups(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    pairs = [
        (group_by_id(call, need(g.group_id, f"groups[{i}].groupId")), g)
        for i, g in enumerate(need(req.groups, "groups"))
    ]
    commands: list[Command] = [
        GroupUpdate(group_key=grp.key, description=g.description, status=checks.status(g.status))
        for grp, g in pairs
    ]
    await run(call, req, commands)
    return edge.ok_a()


@routes.post(P + "delete-groups.json", family="A", body=JGroupAdminRequest, mutating=True)
async def delete_groups(call: Call) -> Any:
    req: JGroupAdminRequest = call.data
    groups = [group_by_id(call, gid, "groupIds") for gid in need(req.group_ids, "groupIds")]
    await run(call, req, [GroupDelete(group_key=g.key) for g in groups])
    return edge.ok_a()


@routes.post(P + "get-all-groups.json", family="A", body=JGroupAdminRequest)
async def get_all_groups(call: Call) -> Any:
    region = call.data.region_id
    return edge.ok_a(groups=[group_j(g) for g in groups_of(call) if in_region(region, g.region_id)])


@routes.post(P + "get-groups.json", family="A", body=JGroupAdminRequest)
async def get_groups(call: Call) -> Any:
    q: JGroupAdminRequest = call.data
    out = [
        group_j(g)
        for g in groups_of(call)
        if (q.group_id is None or str(g.group_id) == str(q.group_id))
        and (not q.service_id or g.service_id.casefold() == q.service_id.casefold())
        and in_region(q.region_id, g.region_id)
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
        (group_by_id(call, need(gt.group_id, f"groupTagsList[{i}].groupId")), gt)
        for i, gt in enumerate(need(req.group_tags_list, "groupTagsList"))
    ]
    commands: list[Command] = [
        GroupTagsAdd(group_key=g.key, tags=checks.tags(list(gt.tags.items()))) for g, gt in pairs if gt.tags
    ]
    await run(call, req, commands)
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
    g = group_by_id(call, need(req.group_id, "groupId"))
    tag = need(req.tag or req.tag_key, "tag")
    if tag not in g.tags:
        raise NotFoundError(f"Group {g.group_id} has no tag {tag}")
    await run(call, req, [GroupTagsRemove(group_key=g.key, tag_key=checks.need(tag, "tagKey"))])
    return edge.ok_a()


@routes.post(P + "get-all-group-tags.json", family="A", body=JGroupAdminRequest)
async def get_all_group_tags(call: Call) -> Any:
    region = call.data.region_id
    out = [group_tags_j(g) for g in groups_of(call) if g.tags and in_region(region, g.region_id)]
    return edge.ok_a(allGroupTags=out)


@routes.post(P + "get-group-tags.json", family="A", body=JGroupAdminRequest)
async def get_group_tags(call: Call) -> Any:
    q: JGroupAdminRequest = call.data
    out = []
    for g in groups_of(call):
        if q.group_id is not None and str(g.group_id) != str(q.group_id):
            continue
        tags = {k: v for k, v in g.tags.items() if not q.tag_key or k == q.tag_key}
        if tags:
            out.append(group_tags_j(g, tags))
    return edge.ok_a(groupTags=out)
