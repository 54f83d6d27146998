"""The discovery filter chain of S7.1 (F1 status, F2-F4 pull-outs, F5 canary, F6 routing), in memory."""

from __future__ import annotations

from artemis_client.wire.registry import Instance
from artemis_server.registry.discovery import ClientContext, NoRouting, filter_service
from artemis_server.registry.routing import Binding, Group, RoutingTable, Rule, RuleGroup
from artemis_server.registry.visibility import CanaryConfig, ManagementState, OperationRecord


def inst(iid: str, **kw: object) -> Instance:
    base: dict[str, object] = {"region_id": "r1", "zone_id": "z1", "ip": f"10.0.0.{len(iid)}", "status": "up"}
    base.update(kw)
    return Instance("svc", iid, **base)  # type: ignore[arg-type]


def ids(insts: list[Instance]) -> list[str]:
    return [i.instance_id for i in insts]


def run(
    insts: list[Instance],
    mgmt: ManagementState | None = None,
    ctx: ClientContext | None = None,
    router: object | None = None,
    **kw: bool,
) -> list[str]:
    return ids(
        filter_service(
            "svc",
            insts,
            mgmt or ManagementState(),
            router or NoRouting(),
            ctx or ClientContext(),
            **kw,  # type: ignore[arg-type]
        )
    )


def pulled_out() -> OperationRecord:
    return OperationRecord("pullout", effective=True)


def test_f1_only_up_instances_unless_told_otherwise() -> None:
    """F1 drops instances whose status is not up; with only_up off they stay."""
    insts = [inst("a"), inst("b", status="down"), inst("c", status="starting")]
    assert run(insts) == ["a"]
    assert run(insts, only_up=False) == ["a", "b", "c"]


def test_f2_to_f4_pulled_out_instance_server_and_zone() -> None:
    """F2-F4 drop an instance, every instance on a server (ip) and every instance of a zone that is pulled out."""
    insts = [inst("a", ip="10.1.1.1"), inst("b", ip="10.1.1.2"), inst("c", ip="10.1.1.3", zone_id="z2")]
    mgmt = ManagementState()
    mgmt.put_instance_op("r1", "svc", "a", pulled_out())
    mgmt.rebuild()
    assert run(insts, mgmt) == ["b", "c"]
    mgmt.put_server_op("r1", "10.1.1.2", pulled_out())
    mgmt.rebuild()
    assert run(insts, mgmt) == ["c"]
    mgmt.put_zone_op("r1", "z2", "svc", pulled_out())
    mgmt.rebuild()
    assert run(insts, mgmt) == []
    mgmt.delete_instance_ops("r1", "svc", "a", None)
    mgmt.delete_server_ops("r1", "10.1.1.2", None)
    mgmt.delete_zone_ops("r1", "z2", "svc", None)
    mgmt.rebuild()
    assert run(insts, mgmt) == ["a", "b", "c"]


def test_f5_canary_instances_only_for_whitelisted_clients() -> None:
    """F5: a whitelisted client sees only canary instances, others never see them; no canary: all."""
    insts = [inst("plain"), inst("can", metadata={"canary": "TRUE"}), inst("grp", group_id="canary")]
    mgmt = ManagementState()
    mgmt.canary["svc"] = CanaryConfig("svc", ip_whitelist=["192.168.0.0/24"])
    assert run(insts, mgmt, ClientContext(ip="192.168.0.7")) == ["can", "grp"]
    assert run(insts, mgmt, ClientContext(ip="172.16.0.1")) == ["plain"]
    assert run(insts[:1], mgmt, ClientContext(ip="192.168.0.7")) == ["plain"]  # nothing canary: fall back
    mgmt.canary["svc"].enabled = False
    assert run(insts, mgmt, ClientContext(ip="192.168.0.7")) == ["plain", "can", "grp"]


def test_f6_routing_by_weight_and_fallback() -> None:
    """F6: an active rule alternates its groups by weight; a group with no member falls back to all."""
    insts = [inst("a", group_id="blue"), inst("b", group_id="green")]
    table = RoutingTable()
    table.rules["r"] = Rule(
        1,
        "r",
        "svc",
        "rule",
        status="active",
        groups=[RuleGroup(1, "r", "blue", 1), RuleGroup(2, "r", "green", 2)],
    )
    table.rebuild()
    seen = [run(insts, router=table) for _ in range(3)]
    assert seen == [["a"], ["b"], ["b"]]
    assert run(insts, router=table, route=False) == ["a", "b"]
    table.rules["r"].groups = [RuleGroup(3, "r", "nobody", 1)]
    table.rebuild()
    assert run(insts, router=table) == ["a", "b"]


def test_f6_managed_group_members_by_binding() -> None:
    """F6 with a managed group: its members are instances of that group name or bound to it."""
    insts = [inst("a"), inst("b"), inst("c", group_id="gold")]
    table = RoutingTable()
    table.put_group(Group(7, "svc", "r1", "z1", "gold"))
    table.bindings[(7, "a")] = Binding(1, 7, "a")
    table.rules["r"] = Rule(1, "r", "svc", "rule", status="active", groups=[RuleGroup(1, "r", "7", 1)])
    table.rebuild()
    assert run(insts, router=table) == ["a", "c"]


def test_chain_order_status_before_pullout_before_canary_before_routing() -> None:
    """The filters compose in S7.1's order: a pulled-out canary is gone before F5 and F6 see the list."""
    insts = [inst("can", metadata={"canary": "true"}, group_id="blue"), inst("plain", group_id="blue")]
    mgmt = ManagementState()
    mgmt.canary["svc"] = CanaryConfig("svc", ip_whitelist=["10.9.9.9"])
    mgmt.put_instance_op("r1", "svc", "can", pulled_out())
    mgmt.rebuild()
    table = RoutingTable()
    table.rules["r"] = Rule(1, "r", "svc", "rule", status="active", groups=[RuleGroup(1, "r", "blue", 1)])
    table.rebuild()
    # the whitelisted client would see only "can"; it is pulled out, so F5 falls back to what is left
    assert run(insts, mgmt, ClientContext(ip="10.9.9.9"), router=table) == ["plain"]
