"""The shared group-routing evaluation (S9): the client's rule picks exactly as the server's F6 step."""

from __future__ import annotations

from collections import Counter

from artemis_client.routing import (
    CLOSE_BY,
    WEIGHTED,
    RouteGroup,
    RouteRule,
    clamp_weight,
    close_by_index,
    norm_strategy,
    rule_from_view,
    weighted_index,
)
from artemis_client.wire.registry import Instance, RouteRuleView
from artemis_client.wire.registry import RouteGroup as WireGroup
from artemis_server.registry.discovery import ClientContext
from artemis_server.registry.routing import Binding, Group, RoutingTable, Rule, RuleGroup


def inst(iid: str, group: str | None = None) -> Instance:
    return Instance(service_id="svc", instance_id=iid, region_id="r1", group_id=group, url=f"http://{iid}")


def test_weighted_index_is_exact_over_every_window_of_total_evaluations() -> None:
    """Weights 70/30 choose the first group for counters 0..69 and the second for 70..99, then repeat."""
    picks = [weighted_index([70, 30], n) for n in range(300)]
    assert picks[:70] == [0] * 70
    assert picks[70:100] == [1] * 30
    for start in range(0, 200, 13):
        assert Counter(picks[start : start + 100]) == {0: 70, 1: 30}


def test_close_by_prefers_region_then_zone_then_first() -> None:
    """Close-by takes the client's region (any case), else its zone (exact case), else the first group."""
    places = [("r1", "z1"), ("R2", "z2"), (None, "z3")]
    assert close_by_index(places, "r2", "z3") == 1
    assert close_by_index(places, "nowhere", "z3") == 2
    assert close_by_index(places, "nowhere", "Z3") == 0
    assert close_by_index(places, None, None) == 0


def test_strategy_and_weight_normalisation() -> None:
    """Strategies are matched in any spelling and weights clamped to 1..100."""
    assert norm_strategy("WEIGHTED_ROUND_ROBIN") == WEIGHTED
    assert norm_strategy("closebyvisit") == CLOSE_BY
    assert norm_strategy("fastest") is None
    assert [clamp_weight(w) for w in (0, -5, 50, 1000)] == [1, 1, 50, 100]


def test_client_rule_routes_members_and_falls_back_to_everyone() -> None:
    """The chosen group's members are returned; a group with no member leaves the list unchanged."""
    insts = [inst("a1", "group-a"), inst("b1", "GROUP-B"), inst("d1")]
    rule = RouteRule("r", WEIGHTED, (RouteGroup("group-b", 1), RouteGroup("empty", 1)))
    assert [i.instance_id for i in rule.route(insts)] == ["b1"]
    assert [i.instance_id for i in rule.route(insts)] == ["a1", "b1", "d1"]
    default = RouteRule("d", WEIGHTED, (RouteGroup("default", 1),))
    assert [i.instance_id for i in default.route(insts)] == ["d1"]


def test_rule_from_view_reads_location_name_and_bindings_from_group_metadata() -> None:
    """A routeRules entry becomes a client rule: weights clamped, metadata gives region, zone and the managed
    group's name, instanceIds the bound instances; groups without a key are skipped."""
    view = RouteRuleView(
        route_id="r",
        strategy="close_by_visit",
        groups=[
            WireGroup(group_key="", weight=5),
            WireGroup(
                group_key="7",
                weight=500,
                instance_ids=["x9"],
                metadata={"regionId": "r2", "zoneId": "z2", "groupName": "blue"},
            ),
        ],
    )
    rule = rule_from_view(view)
    assert rule is not None
    assert rule.strategy == CLOSE_BY
    (g,) = rule.groups
    assert (g.ref, g.weight, g.region_id, g.zone_id, g.managed_name, g.bound) == (
        "7",
        100,
        "r2",
        "z2",
        "blue",
        frozenset({"x9"}),
    )
    members = g.members([inst("a", "blue"), inst("x9", "other"), inst("c", "green")])
    assert [i.instance_id for i in members] == ["a", "x9"]
    assert rule_from_view(RouteRuleView(route_id="r", strategy="x", groups=[])) is None


def test_client_rule_and_server_router_choose_the_same_groups() -> None:
    """Evaluated the same number of times, the server's F6 step and the client's rule return the same
    instances, for a weighted rule over free and managed groups and for a close-by rule."""
    table = RoutingTable()
    table.put_group(Group(1, "svc", "r1", "z1", "blue"))
    table.put_group(Group(2, "svc", "r2", "z2", "green"))
    table.bindings[(2, "x1")] = Binding(1, 2, "x1")
    rule = Rule(
        1,
        "split",
        "svc",
        "split",
        status="active",
        groups=[
            RuleGroup(1, "split", "1", 60),
            RuleGroup(2, "split", "svc:r2:z2:green", 25),
            RuleGroup(3, "split", "free", 15),
        ],
    )
    table.rules["split"] = rule
    table.rebuild()
    insts = [inst("b1", "blue"), inst("g1", "green"), inst("x1", "other"), inst("f1", "free"), inst("o1")]
    client = RouteRule(
        "split",
        WEIGHTED,
        (
            RouteGroup("1", 60, "r1", "z1", "blue", frozenset()),
            RouteGroup("svc:r2:z2:green", 25, "r2", "z2", "green", frozenset({"x1"})),
            RouteGroup("free", 15),
        ),
    )
    ctx = ClientContext()
    for _ in range(250):
        assert client.route(insts) == table.route("svc", insts, ctx)

    rule.strategy = CLOSE_BY
    close = RouteRule(CLOSE_BY, CLOSE_BY, client.groups)
    for region, zone in (("R2", None), (None, "z1"), ("elsewhere", "none"), (None, None)):
        server = table.route("svc", insts, ClientContext(region_id=region, zone_id=zone))
        assert close.route(insts, region, zone) == server
