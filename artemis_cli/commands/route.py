"""`artemis route ...`: service groups, tags, instance bindings and route rules (api.md 2.10).

GROUP is either the integer `groupId` or the group key `SERVICE:REGION:ZONE:NAME`. RULE is the rule's
`routeId`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from artemis_cli.commands._opts import DryRun, Operator, Yes
from artemis_cli.common import complete_instance, complete_service, confirm, parse_kv, state
from artemis_cli.errors import BadInput, NotFound
from artemis_cli.output import Col

app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Group routing: service groups, tags, bindings, route rules.",
)
group_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Service groups (and their tags and instance bindings)."
)
tag_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Tags of a group.")
rule_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Route rules and their weighted groups."
)
app.add_typer(group_app, name="group")
group_app.add_typer(tag_app, name="tag")
app.add_typer(rule_app, name="rule")

GroupArg = Annotated[str, typer.Argument(metavar="GROUP", help="groupId or SERVICE:REGION:ZONE:NAME")]
RuleArg = Annotated[str, typer.Argument(metavar="RULE", help="The rule's routeId.")]
InstanceIdsArg = Annotated[
    list[str], typer.Argument(metavar="INSTANCE_ID...", autocompletion=complete_instance)
]
GroupRegion = Annotated[str | None, typer.Option("--region", metavar="R", help="Default: the group's.")]
GroupZone = Annotated[str | None, typer.Option("--zone", metavar="Z", help="Default: the group's.")]


class GroupType(StrEnum):
    physical = "physical"
    logical = "logical"


class Status(StrEnum):
    active = "active"
    inactive = "inactive"


class Strategy(StrEnum):
    weighted_round_robin = "weighted-round-robin"
    close_by_visit = "close-by-visit"


GROUP_COLS = [
    Col("ID", "groupId"),
    Col("SERVICE", "serviceId"),
    Col("REGION", "regionId"),
    Col("ZONE", "zoneId"),
    Col("NAME", "name"),
    Col("TYPE", "groupType"),
    Col("STATUS", "status"),
    Col("TAGS", lambda g: {t.get("key"): t.get("value") for t in g.get("tags") or []}, wide=True),
    Col("DESCRIPTION", "description", wide=True),
]
RULE_COLS = [
    Col("ROUTE ID", "routeId"),
    Col("ID", "routeRuleId"),
    Col("SERVICE", "serviceId"),
    Col("NAME", "name"),
    Col("STRATEGY", "strategy"),
    Col("STATUS", "status"),
    Col("GROUPS", lambda r: [f"{g.get('groupKey')}={g.get('weight')}" for g in r.get("groups") or []]),
    Col("DESCRIPTION", "description", wide=True),
]


def group_key(g: dict[str, Any]) -> str:
    return f"{g.get('serviceId')}:{g.get('regionId')}:{g.get('zoneId')}:{g.get('name')}"


def parse_group_ref(ref: str) -> tuple[int | None, str | None]:
    """GROUP -> (id, None) or (None, key). Keys have exactly four non-empty parts."""
    ref = ref.strip()
    if ref.isdigit():
        return int(ref), None
    parts = ref.split(":")
    if len(parts) != 4 or not all(p.strip() for p in parts):
        raise BadInput(
            f"invalid value for 'GROUP': {ref!r} is neither a groupId nor SERVICE:REGION:ZONE:NAME"
        )
    return None, ref


def resolve_group(st: Any, ref: str) -> dict[str, Any]:
    gid, key = parse_group_ref(ref)
    if gid is not None:
        return dict(st.client.group_by_id(gid))
    assert key is not None
    service = key.split(":", 1)[0]
    for g in st.client.group_list(service_id=service):
        if group_key(g).lower() == key.lower():
            return dict(g)
    raise NotFound(f"group {key} not found")


def key_of_ref(st: Any, ref: str) -> str:
    """The group key for URL paths; an id is resolved through the server."""
    _, key = parse_group_ref(ref)
    if key is not None:
        return key
    return group_key(resolve_group(st, ref))


# -- groups --------------------------------------------------------------------------------------------


@group_app.command("create")
def group_create(
    ctx: typer.Context,
    service: Annotated[str, typer.Option("--service", "-s", metavar="S", autocompletion=complete_service)],
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="Group name.")],
    region: Annotated[str | None, typer.Option("--region", metavar="R")] = None,
    zone: Annotated[str | None, typer.Option("--zone", metavar="Z")] = None,
    group_type: Annotated[GroupType, typer.Option("--type", help="Group type.")] = GroupType.physical,
    description: Annotated[str | None, typer.Option("--description", metavar="TEXT")] = None,
    operator: Operator = None,
) -> None:
    """Create a group (region/zone default to the context's, else to the node's)."""
    st = state(ctx)
    r, z = st.region(region), st.zone(zone)
    if not r or not z:
        node = (st.client.node_status() or {}).get("node") or {}
        r, z = r or node.get("regionId"), z or node.get("zoneId")
    if not r:
        raise BadInput("missing option '--region'")
    if not z:
        raise BadInput("missing option '--zone'")
    g = st.client.group_create(
        service_id=service,
        region=r,
        zone=z,
        name=name,
        group_type=group_type.value,
        description=description,
        operator=st.operator(operator),
    )
    if st.out.structured:
        st.out.document(g)
    else:
        st.out.line(f"group {group_key(g or {})} created (id {(g or {}).get('groupId')})")


@group_app.command("list")
def group_list(
    ctx: typer.Context,
    service: Annotated[
        str | None, typer.Option("--service", "-s", metavar="S", autocompletion=complete_service)
    ] = None,
    region: Annotated[str | None, typer.Option("--region", metavar="R")] = None,
) -> None:
    """Groups of a service, or of a region."""
    st = state(ctx)
    rows = st.client.group_list(service_id=service, region=st.region(region) if not service else None)
    st.out.table(rows, GROUP_COLS, empty="no groups")


@group_app.command("show")
def group_show(ctx: typer.Context, group: GroupArg) -> None:
    """One group; exits 3 when it does not exist."""
    st = state(ctx)
    g = resolve_group(st, group)
    st.out.record(g, [Col(c.header.lower(), c.get) for c in GROUP_COLS] + [Col("key", group_key)])


@group_app.command("update")
def group_update(
    ctx: typer.Context,
    group: GroupArg,
    description: Annotated[str | None, typer.Option("--description", metavar="TEXT")] = None,
    status: Annotated[Status | None, typer.Option("--status")] = None,
    operator: Operator = None,
) -> None:
    """Change a group's description and/or status."""
    st = state(ctx)
    if description is None and status is None:
        raise BadInput("nothing to update: give --description and/or --status")
    g = st.client.group_update(
        key_of_ref(st, group),
        description=description,
        status=status.value if status else None,
        operator=st.operator(operator),
    )
    st.out.done(g, f"group {group} updated")


@group_app.command("delete")
def group_delete(
    ctx: typer.Context, group: GroupArg, operator: Operator = None, yes: Yes = False, dry_run: DryRun = False
) -> None:
    """Delete a group with its tags and bindings."""
    st = state(ctx)
    g = resolve_group(st, group)
    key = group_key(g)
    try:
        insts = st.client.group_instances(key)
    except NotFound:
        insts = []
    plan = {"operation": "delete", "group": g, "groupKey": key, "instancesAffected": len(insts)}
    lines = [f"delete group {key} (id {g.get('groupId')}): {len(insts)} instance(s) lose this group"]
    if not confirm(st, action=f"delete group {key}", lines=lines, plan=plan, yes=yes, dry_run=dry_run):
        return
    st.client.group_delete(key, operator=st.operator(operator))
    st.out.done({**plan, "dryRun": False}, f"group {key} deleted")


@group_app.command("instances")
def group_instances(
    ctx: typer.Context,
    group: GroupArg,
    region: Annotated[str | None, typer.Option("--region", metavar="R")] = None,
    zone: Annotated[str | None, typer.Option("--zone", metavar="Z")] = None,
) -> None:
    """Instances in a group (by groupId of the instance, or bound)."""
    st = state(ctx)
    rows = st.client.group_instances(key_of_ref(st, group), region, zone)
    st.out.table(
        rows,
        [
            Col("SERVICE", "serviceId"),
            Col("INSTANCE", "instanceId"),
            Col("URL", "url"),
            Col("REGION", "regionId"),
            Col("ZONE", "zoneId"),
        ],
        empty="no instances",
    )


@group_app.command("bind")
def group_bind(
    ctx: typer.Context,
    group: GroupArg,
    instance_ids: InstanceIdsArg,
    region: GroupRegion = None,
    zone: GroupZone = None,
    operator: Operator = None,
) -> None:
    """Bind instances to a group."""
    st = state(ctx)
    key = key_of_ref(st, group)
    service, g_region, g_zone, _ = key.split(":")
    op = st.operator(operator)
    for iid in instance_ids:
        st.client.group_bind(
            key,
            instance_id=iid,
            service_id=service,
            region=region or g_region,
            zone=zone or g_zone,
            operator=op,
        )
    st.out.done(
        {"groupKey": key, "bound": list(instance_ids)}, f"bound {len(instance_ids)} instance(s) to {key}"
    )


@group_app.command("unbind")
def group_unbind(
    ctx: typer.Context,
    group: GroupArg,
    instance_ids: InstanceIdsArg,
    region: GroupRegion = None,
    zone: GroupZone = None,
    operator: Operator = None,
) -> None:
    """Unbind instances from a group (exits 3 when one is not bound)."""
    st = state(ctx)
    key = key_of_ref(st, group)
    _, g_region, g_zone, _ = key.split(":")
    op = st.operator(operator)
    for iid in instance_ids:
        st.client.group_unbind(key, iid, region=region or g_region, zone=zone or g_zone, operator=op)
    st.out.done(
        {"groupKey": key, "unbound": list(instance_ids)},
        f"unbound {len(instance_ids)} instance(s) from {key}",
    )


@tag_app.command("add")
def tag_add(
    ctx: typer.Context,
    group: GroupArg,
    tags: Annotated[list[str], typer.Argument(metavar="KEY=VALUE...")],
    operator: Operator = None,
) -> None:
    """Add (or replace) tags of a group."""
    st = state(ctx)
    kv = parse_kv(tags, "KEY=VALUE")
    g = st.client.group_tags_add(key_of_ref(st, group), kv, operator=st.operator(operator))
    st.out.done(g, f"{len(kv)} tag(s) set on {group}")


@tag_app.command("list")
def tag_list(ctx: typer.Context, group: GroupArg) -> None:
    """Tags of a group."""
    st = state(ctx)
    rows = st.client.group_tags(key_of_ref(st, group))
    st.out.table(rows, [Col("KEY", "key"), Col("VALUE", "value")], empty="no tags")


@tag_app.command("remove")
def tag_remove(
    ctx: typer.Context,
    group: GroupArg,
    key: Annotated[str, typer.Argument(metavar="KEY")],
    operator: Operator = None,
) -> None:
    """Remove every tag with KEY from a group."""
    st = state(ctx)
    g = st.client.group_tag_remove(key_of_ref(st, group), key, operator=st.operator(operator))
    st.out.done(g, f"tag {key} removed from {group}")


# -- rules ---------------------------------------------------------------------------------------------


@rule_app.command("create")
def rule_create(
    ctx: typer.Context,
    route_id: Annotated[str, typer.Option("--route-id", metavar="ID", help="Unique rule id (routeId).")],
    service: Annotated[str, typer.Option("--service", "-s", metavar="S", autocompletion=complete_service)],
    name: Annotated[str, typer.Option("--name", metavar="NAME")],
    strategy: Annotated[Strategy, typer.Option("--strategy")] = Strategy.weighted_round_robin,
    description: Annotated[str | None, typer.Option("--description", metavar="TEXT")] = None,
    operator: Operator = None,
) -> None:
    """Create a route rule (inactive until published)."""
    st = state(ctx)
    r = st.client.rule_create(
        route_id=route_id,
        service_id=service,
        name=name,
        strategy=strategy.value,
        description=description,
        operator=st.operator(operator),
    )
    st.out.done(r, f"rule {route_id} created (inactive; publish it with 'artemis route rule publish')")


@rule_app.command("list")
def rule_list(
    ctx: typer.Context,
    service: Annotated[
        str | None, typer.Option("--service", "-s", metavar="S", autocompletion=complete_service)
    ] = None,
) -> None:
    """Route rules (of one service)."""
    st = state(ctx)
    st.out.table(st.client.rule_list(service), RULE_COLS, empty="no rules")


@rule_app.command("show")
def rule_show(ctx: typer.Context, rule: RuleArg) -> None:
    """One rule with its groups; exits 3 when it does not exist."""
    st = state(ctx)
    r = dict(st.client.rule_get(rule))
    try:
        r["ruleGroups"] = st.client.rule_groups(rule)
    except NotFound:
        pass
    st.out.record(r, [Col(c.header.lower(), c.get) for c in RULE_COLS])


@rule_app.command("update")
def rule_update(
    ctx: typer.Context,
    rule: RuleArg,
    name: Annotated[str | None, typer.Option("--name", metavar="NAME")] = None,
    description: Annotated[str | None, typer.Option("--description", metavar="TEXT")] = None,
    strategy: Annotated[Strategy | None, typer.Option("--strategy")] = None,
    operator: Operator = None,
) -> None:
    """Change a rule's name, description or strategy."""
    st = state(ctx)
    if name is None and description is None and strategy is None:
        raise BadInput("nothing to update: give --name, --description and/or --strategy")
    r = st.client.rule_update(
        rule,
        name=name,
        description=description,
        strategy=strategy.value if strategy else None,
        operator=st.operator(operator),
    )
    st.out.done(r, f"rule {rule} updated")


@rule_app.command("delete")
def rule_delete(
    ctx: typer.Context, rule: RuleArg, operator: Operator = None, yes: Yes = False, dry_run: DryRun = False
) -> None:
    """Delete a rule with its groups."""
    st = state(ctx)
    r = st.client.rule_get(rule)
    groups = r.get("groups") or []
    plan = {"operation": "delete", "rule": r, "groupsAffected": len(groups)}
    lines = [
        f"delete rule {rule} of {r.get('serviceId')} ({r.get('status')}, {len(groups)} weighted group(s))"
        + ("  <- active: its traffic split stops" if r.get("status") == "active" else "")
    ]
    if not confirm(st, action=f"delete rule {rule}", lines=lines, plan=plan, yes=yes, dry_run=dry_run):
        return
    st.client.rule_delete(rule, operator=st.operator(operator))
    st.out.done({**plan, "dryRun": False}, f"rule {rule} deleted")


@rule_app.command("publish")
def rule_publish(ctx: typer.Context, rule: RuleArg, operator: Operator = None) -> None:
    """Activate a rule."""
    st = state(ctx)
    st.client.rule_publish(rule, publish=True, operator=st.operator(operator))
    st.out.done({"routeId": rule, "status": "active"}, f"rule {rule} published")


@rule_app.command("unpublish")
def rule_unpublish(ctx: typer.Context, rule: RuleArg, operator: Operator = None) -> None:
    """Deactivate a rule."""
    st = state(ctx)
    st.client.rule_publish(rule, publish=False, operator=st.operator(operator))
    st.out.done({"routeId": rule, "status": "inactive"}, f"rule {rule} unpublished")


Weight = Annotated[int, typer.Option("--weight", "-w", min=1, max=100, help="Weight 1..100.")]
GroupIdArg = Annotated[str, typer.Argument(metavar="GROUP_ID", help="The group id used by the rule.")]


@rule_app.command("add-group")
def rule_add_group(
    ctx: typer.Context,
    rule: RuleArg,
    group_id: GroupIdArg,
    weight: Weight,
    region: Annotated[str | None, typer.Option("--region", metavar="R")] = None,
    zone: Annotated[str | None, typer.Option("--zone", metavar="Z")] = None,
    operator: Operator = None,
) -> None:
    """Add a weighted group to a rule (replaces an existing one)."""
    st = state(ctx)
    st.client.rule_get(rule)  # an unknown rule is "not found" (exit 3), although the wire answers 400 here
    st.client.rule_group_add(rule, group_id, weight, region=region, zone=zone, operator=st.operator(operator))
    st.out.done(
        {"routeId": rule, "groupId": group_id, "weight": weight},
        f"group {group_id} added to rule {rule} with weight {weight}",
    )


@rule_app.command("update-group")
def rule_update_group(
    ctx: typer.Context, rule: RuleArg, group_id: GroupIdArg, weight: Weight, operator: Operator = None
) -> None:
    """Change the weight of a rule's group."""
    st = state(ctx)
    rg = st.client.rule_group_update(rule, group_id, weight, operator=st.operator(operator))
    st.out.done(
        rg or {"routeId": rule, "groupId": group_id, "weight": weight},
        f"group {group_id} of rule {rule} now has weight {weight}",
    )


@rule_app.command("remove-group")
def rule_remove_group(
    ctx: typer.Context, rule: RuleArg, group_id: GroupIdArg, operator: Operator = None
) -> None:
    """Remove a group from a rule."""
    st = state(ctx)
    st.client.rule_group_remove(rule, group_id, operator=st.operator(operator))
    st.out.done(
        {"routeId": rule, "groupId": group_id, "removed": True}, f"group {group_id} removed from {rule}"
    )
