"""`artemis route ...`: service groups, tags, instance bindings and route rules (api.md 2.10).

A GROUP is named the same way everywhere (group commands, bindings, a rule's groups): its integer `groupId`,
its key `SERVICE:REGION:ZONE:NAME`, or its bare NAME with `-s SERVICE` (for a rule's groups the service
defaults to the rule's). A bare name is narrowed by the context's region and zone when the context has them.
A group that does not exist is exit 3. RULE is the rule's `routeId`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from artemis_cli import inventory
from artemis_cli import validate as v
from artemis_cli.cmdline import group_app
from artemis_cli.columns import GROUP_COLS, RULE_COLS
from artemis_cli.common import state
from artemis_cli.destructive import Plan, carry_out
from artemis_cli.groups import group_key, in_rule, resolve_group, rule_group
from artemis_cli.options import (
    Description,
    DryRun,
    GroupArg,
    InstancesArg,
    Operator,
    RuleArg,
    Yes,
    id_argument,
    id_option,
    region_opt,
    service_opt,
    zone_opt,
)
from artemis_cli.output import Col
from artemis_client.errors import InvalidArgumentError, NotFoundError

if TYPE_CHECKING:
    from artemis_client.wire.registry import Instance
    from artemis_client.wire.routing import ServiceGroup

app = group_app("Group routing: service groups, tags, bindings, route rules.")
group_app_ = group_app("Service groups (and their tags and instance bindings).")
tag_app = group_app("Tags of a group.")
rule_app = group_app("Route rules and their weighted groups.")
app.add_typer(group_app_, name="group")
group_app_.add_typer(tag_app, name="tag")
app.add_typer(rule_app, name="rule")

GroupService = Annotated[str | None, service_opt("Service of a GROUP given by its bare name.")]
RuleGroupService = Annotated[
    str | None, service_opt("Service of a GROUP given by its bare name (default: the rule's service).")
]
BindRegion = Annotated[
    str | None, region_opt("Region of the binding (default: the instance's, else the group's).")
]
BindZone = Annotated[str | None, zone_opt("Zone of the binding (default: the instance's, else the group's).")]


class GroupType(StrEnum):
    physical = "physical"
    logical = "logical"


class Status(StrEnum):
    active = "active"
    inactive = "inactive"


class Strategy(StrEnum):
    weighted_round_robin = "weighted-round-robin"
    close_by_visit = "close-by-visit"


# -- groups --------------------------------------------------------------------------------------------


def _group_name(value: Any) -> Any:
    if value is None:
        return None
    name = v.ident("--name", value, what="a group name")
    if ":" in name:
        raise v.bad("--name", "a group name cannot contain ':' (it separates the parts of a group key)")
    return name


@group_app_.command("create")
def group_create(
    ctx: typer.Context,
    service: Annotated[str, service_opt()],
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="Group name.", parser=_group_name)],
    region: Annotated[str | None, region_opt("Region (default: the context's, else the node's).")] = None,
    zone: Annotated[str | None, zone_opt("Zone (default: the context's, else the node's).")] = None,
    group_type: Annotated[
        GroupType, typer.Option("--type", help="Group type.", parser=v.choice_parser("--type", GroupType))
    ] = GroupType.physical,
    description: Description = None,
    operator: Operator = None,
) -> None:
    """Create a group (region/zone default to the context's, else to the node's)."""
    st = state(ctx)
    r, z = st.region(region), st.zone(zone)
    if not r or not z:
        status = st.client.node_status()
        if status is not None:
            r, z = r or status.node.region_id, z or status.node.zone_id
    if not r:
        raise InvalidArgumentError("missing option '--region'")
    if not z:
        raise InvalidArgumentError("missing option '--zone'")
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
        st.out.line(f"group {group_key(g) if g else ''} created (id {g.group_id if g else None})")


@group_app_.command("list")
def group_list(
    ctx: typer.Context,
    service: Annotated[str | None, service_opt("Only this service's groups.")] = None,
    region: Annotated[str | None, region_opt("Only this region's groups.")] = None,
) -> None:
    """Groups of a service, or of a region (default: the context's region, else every group)."""
    st = state(ctx)
    rows = st.client.group_list(service_id=service, region=st.region(region) if not service else None)
    st.out.table(rows, GROUP_COLS, empty="no groups")


@group_app_.command("show")
def group_show(ctx: typer.Context, group: GroupArg, service: GroupService = None) -> None:
    """One group; exits 3 when it does not exist."""
    st = state(ctx)
    g = resolve_group(st, group, service)
    st.out.record(g, [Col(c.header.lower(), c.get) for c in GROUP_COLS] + [Col("key", group_key)])


@group_app_.command("update")
def group_update(
    ctx: typer.Context,
    group: GroupArg,
    service: GroupService = None,
    description: Description = None,
    status: Annotated[
        Status | None,
        typer.Option("--status", help="Group status.", parser=v.choice_parser("--status", Status)),
    ] = None,
    operator: Operator = None,
) -> None:
    """Change a group's description and/or status."""
    st = state(ctx)
    if description is None and status is None:
        raise InvalidArgumentError("nothing to update: give --description and/or --status")
    key = group_key(resolve_group(st, group, service))
    g = st.client.group_update(
        key, description=description, status=status.value if status else None, operator=st.operator(operator)
    )
    st.out.done(g, f"group {key} updated")


@group_app_.command("delete")
def group_delete(
    ctx: typer.Context,
    group: GroupArg,
    service: GroupService = None,
    operator: Operator = None,
    yes: Yes = False,
    dry_run: DryRun = False,
) -> None:
    """Delete a group with its tags and bindings."""
    st = state(ctx)
    g = resolve_group(st, group, service)
    key = group_key(g)
    try:
        insts = st.client.group_instances(key)
    except NotFoundError:
        insts = []
    doc = {"operation": "delete", "group": g, "groupKey": key, "instancesAffected": len(insts)}
    line = f"delete group {key} (id {g.group_id}): {len(insts)} instance(s) lose this group"
    carry_out(
        st,
        Plan(f"delete group {key}", doc, [line]),
        yes=yes,
        dry_run=dry_run,
        run=lambda: st.client.group_delete(key, operator=st.operator(operator)),
        done=f"group {key} deleted",
    )


@group_app_.command("instances")
def group_instances(
    ctx: typer.Context,
    group: GroupArg,
    service: GroupService = None,
    region: Annotated[str | None, region_opt("Only instances in this region.")] = None,
    zone: Annotated[str | None, zone_opt("Only instances in this zone.")] = None,
) -> None:
    """Instances in a group (by the instance's groupId, or bound)."""
    st = state(ctx)
    rows = st.client.group_instances(group_key(resolve_group(st, group, service)), region, zone)
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


def _binding_targets(st: Any, g: ServiceGroup, instance_ids: list[str], force: bool) -> list[Instance]:
    """The instances named, as registered in the group's service; exit 3 for ids not registered now unless
    --force (then the group's region and zone)."""
    from artemis_client.wire.registry import Instance

    svc = inventory.service(st.client, g.service_id, warn=st.warn)
    insts = svc.instances if svc is not None else []
    out: list[Instance] = []
    unknown: list[str] = []
    for iid in dict.fromkeys(instance_ids):
        found = next((i for i in insts if inventory.ieq(i.instance_id, iid)), None)
        if found is None:
            unknown.append(iid)
            out.append(Instance(g.service_id, iid, g.region_id, g.zone_id))
        else:
            out.append(found)
    if unknown and not force:
        raise NotFoundError(
            f"not registered now in service {g.service_id}: {', '.join(unknown)}; nothing was bound "
            "(check the ids, or pass --force to bind them ahead of registration)"
        )
    return out


@group_app_.command("bind")
def group_bind(
    ctx: typer.Context,
    group: GroupArg,
    instance_ids: InstancesArg,
    service: GroupService = None,
    region: BindRegion = None,
    zone: BindZone = None,
    operator: Operator = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Bind ids that are not registered now too (ahead of registration)."),
    ] = False,
) -> None:
    """Bind instances to a group: a rule routing to the group sends traffic to them. Ids not registered now
    are refused (exit 3, nothing bound) unless --force."""
    st = state(ctx)
    g = resolve_group(st, group, service)
    key = group_key(g)
    targets = _binding_targets(st, g, instance_ids, force)
    op = st.operator(operator)
    for t in targets:
        st.client.group_bind(
            key,
            instance_id=t.instance_id,
            service_id=g.service_id,
            region=region or t.region_id or g.region_id,
            zone=zone or t.zone_id or g.zone_id,
            operator=op,
        )
    ids = [t.instance_id for t in targets]
    st.out.done({"groupKey": key, "bound": ids}, f"bound {len(ids)} instance(s) to {key}")


@group_app_.command("unbind")
def group_unbind(
    ctx: typer.Context,
    group: GroupArg,
    instance_ids: InstancesArg,
    service: GroupService = None,
    region: BindRegion = None,
    zone: BindZone = None,
    operator: Operator = None,
) -> None:
    """Unbind instances from a group (exits 3 when one is not bound)."""
    st = state(ctx)
    g = resolve_group(st, group, service)
    key = group_key(g)
    bound = {i.instance_id.lower(): i for i in st.client.group_instances(key)}
    op = st.operator(operator)
    for iid in dict.fromkeys(instance_ids):
        inst = bound.get(iid.lower())
        st.client.group_unbind(
            key,
            inst.instance_id if inst else iid,
            region=region or (inst.region_id if inst else None) or g.region_id,
            zone=zone or (inst.zone_id if inst else None) or g.zone_id,
            operator=op,
        )
    st.out.done(
        {"groupKey": key, "unbound": list(dict.fromkeys(instance_ids))},
        f"unbound {len(dict.fromkeys(instance_ids))} instance(s) from {key}",
    )


TagsArg = Annotated[
    list[str],
    typer.Argument(metavar="KEY=VALUE", help="Tags to set.", parser=v.key_value_parser("KEY=VALUE")),
]


@tag_app.command("add")
def tag_add(
    ctx: typer.Context,
    group: GroupArg,
    tags: TagsArg,
    service: GroupService = None,
    operator: Operator = None,
) -> None:
    """Add (or replace) tags of a group."""
    st = state(ctx)
    kv = v.pairs("KEY=VALUE", tags)
    key = group_key(resolve_group(st, group, service))
    g = st.client.group_tags_add(key, kv, operator=st.operator(operator))
    st.out.done(g, f"{len(kv)} tag(s) set on {key}")


@tag_app.command("list")
def tag_list(ctx: typer.Context, group: GroupArg, service: GroupService = None) -> None:
    """Tags of a group."""
    st = state(ctx)
    rows = st.client.group_tags(group_key(resolve_group(st, group, service)))
    st.out.table(rows, [Col("KEY", "key"), Col("VALUE", "value")], empty="no tags")


@tag_app.command("remove")
def tag_remove(
    ctx: typer.Context,
    group: GroupArg,
    key: Annotated[str, id_argument("KEY", "Tag key.", "a tag key")],
    service: GroupService = None,
    operator: Operator = None,
) -> None:
    """Remove every tag with KEY from a group."""
    st = state(ctx)
    gkey = group_key(resolve_group(st, group, service))
    g = st.client.group_tag_remove(gkey, key, operator=st.operator(operator))
    st.out.done(g, f"tag {key} removed from {gkey}")


# -- rules ---------------------------------------------------------------------------------------------

RuleName = Annotated[str | None, id_option("--name", metavar="NAME", help="Rule name.", what="a rule name")]


@rule_app.command("create")
def rule_create(
    ctx: typer.Context,
    route_id: Annotated[
        str, id_option("--route-id", metavar="ID", help="Unique rule id (routeId).", what="a route id")
    ],
    service: Annotated[str, service_opt()],
    name: Annotated[str, id_option("--name", metavar="NAME", help="Rule name.", what="a rule name")],
    strategy: Annotated[
        Strategy,
        typer.Option(
            "--strategy", help="How traffic is split.", parser=v.choice_parser("--strategy", Strategy)
        ),
    ] = Strategy.weighted_round_robin,
    description: Description = None,
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
    ctx: typer.Context, service: Annotated[str | None, service_opt("Only this service's rules.")] = None
) -> None:
    """Route rules (of one service)."""
    st = state(ctx)
    st.out.table(st.client.rule_list(service), RULE_COLS, empty="no rules")


@rule_app.command("show")
def rule_show(ctx: typer.Context, rule: RuleArg) -> None:
    """One rule with its groups; exits 3 when it does not exist."""
    st = state(ctx)
    from artemis_cli.views import RuleView

    got = st.client.rule_get(rule)
    r = RuleView(**{f: getattr(got, f) for f in got.__struct_fields__})
    try:
        r.rule_groups = st.client.rule_groups(rule)
    except NotFoundError:
        pass
    st.out.record(r, [Col(c.header.lower(), c.get) for c in RULE_COLS])


@rule_app.command("update")
def rule_update(
    ctx: typer.Context,
    rule: RuleArg,
    name: RuleName = None,
    description: Description = None,
    strategy: Annotated[
        Strategy | None,
        typer.Option(
            "--strategy", help="How traffic is split.", parser=v.choice_parser("--strategy", Strategy)
        ),
    ] = None,
    operator: Operator = None,
) -> None:
    """Change a rule's name, description or strategy."""
    st = state(ctx)
    if name is None and description is None and strategy is None:
        raise InvalidArgumentError("nothing to update: give --name, --description and/or --strategy")
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
    doc = {"operation": "delete", "rule": r, "groupsAffected": len(r.groups)}
    line = f"delete rule {rule} of {r.service_id} ({r.status}, {len(r.groups)} weighted group(s))" + (
        "  <- active: its traffic split stops" if r.status == "active" else ""
    )
    carry_out(
        st,
        Plan(f"delete rule {rule}", doc, [line]),
        yes=yes,
        dry_run=dry_run,
        run=lambda: st.client.rule_delete(rule, operator=st.operator(operator)),
        done=f"rule {rule} deleted",
    )


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


Weight = Annotated[
    int, typer.Option("--weight", "-w", metavar="1..100", help="Weight.", parser=v.weight_parser("--weight"))
]


@rule_app.command("add-group")
def rule_add_group(
    ctx: typer.Context,
    rule: RuleArg,
    group: GroupArg,
    weight: Weight,
    service: RuleGroupService = None,
    region: Annotated[str | None, region_opt("Region of this rule group (default: the group's).")] = None,
    zone: Annotated[str | None, zone_opt("Zone of this rule group (default: the group's).")] = None,
    operator: Operator = None,
) -> None:
    """Add a weighted group to a rule (replaces the weight when it is there already); exits 3 when the rule
    or the group does not exist."""
    st = state(ctx)
    r = st.client.rule_get(
        rule
    )  # an unknown rule is "not found" (exit 3), although the wire answers 400 here
    key = group_key(rule_group(st, r, group, service))
    st.client.rule_group_add(rule, key, weight, region=region, zone=zone, operator=st.operator(operator))
    st.out.done(
        {"routeId": rule, "groupId": key, "weight": weight},
        f"group {key} added to rule {rule} with weight {weight}",
    )


@rule_app.command("update-group")
def rule_update_group(
    ctx: typer.Context,
    rule: RuleArg,
    group: GroupArg,
    weight: Weight,
    service: RuleGroupService = None,
    operator: Operator = None,
) -> None:
    """Change the weight of a rule's group; exits 3 when the group is not in the rule."""
    st = state(ctx)
    gid = in_rule(st, st.client.rule_get(rule), group, service)
    rg = st.client.rule_group_update(rule, gid, weight, operator=st.operator(operator))
    st.out.done(
        rg or {"routeId": rule, "groupId": gid, "weight": weight},
        f"group {gid} of rule {rule} now has weight {weight}",
    )


@rule_app.command("remove-group")
def rule_remove_group(
    ctx: typer.Context,
    rule: RuleArg,
    group: GroupArg,
    service: RuleGroupService = None,
    operator: Operator = None,
) -> None:
    """Remove a group from a rule; exits 3 when the group is not in the rule."""
    st = state(ctx)
    gid = in_rule(st, st.client.rule_get(rule), group, service)
    st.client.rule_group_remove(rule, gid, operator=st.operator(operator))
    st.out.done({"routeId": rule, "groupId": gid, "removed": True}, f"group {gid} removed from {rule}")
