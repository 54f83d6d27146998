"""The discovery cache: fetched snapshots, pushed changes, re-fetch signals, staleness and routing."""

from __future__ import annotations

from collections import Counter

from artemis_client.cache import ServiceCache
from artemis_client.wire.registry import Instance, InstanceChange, RouteGroup, RouteRuleView, Service


class Clock:
    def __init__(self) -> None:
        self.now = 10.0

    def __call__(self) -> float:
        return self.now


def inst(iid: str, **kw: object) -> Instance:
    return Instance(service_id="Svc", instance_id=iid, region_id="r1", url=f"http://{iid}", **kw)  # type: ignore[arg-type]


def change(kind: str, i: Instance) -> InstanceChange:
    return InstanceChange(instance=i, change_type=kind, change_time=0)


def test_fetch_then_pushes_keep_the_list_in_node_order() -> None:
    """A fetched list is cached; new appends, change replaces in place, delete removes, each bumps the
    revision and the lookup ignores the case of the id."""
    clock = Clock()
    cache = ServiceCache(clock=clock)
    snap = cache.put_service(Service(service_id="Svc", instances=[inst("a"), inst("b")]))
    assert snap.revision == 1
    assert [i.instance_id for i in snap.instances] == ["a", "b"]
    clock.now = 12.0
    res = cache.apply_changes("svc", [change("new", inst("c")), change("change", inst("A", ip="10.0.0.9"))])
    assert res.changed
    assert not res.refetch
    got = cache.get("SVC")
    assert got is not None
    assert got.revision == 2
    assert got.confirmed_at == 12.0
    assert [(i.instance_id, i.ip) for i in got.instances] == [("A", "10.0.0.9"), ("b", None), ("c", None)]
    cache.apply_changes("svc", [change("delete", inst("b"))])
    assert [i.instance_id for i in cache.get("svc").instances] == ["A", "c"]  # type: ignore[union-attr]


def test_an_instance_that_is_not_up_leaves_the_list() -> None:
    """A change to status down removes the instance, as the node's F1 step would."""
    cache = ServiceCache()
    cache.put_service(Service(service_id="Svc", instances=[inst("a"), inst("b", status="starting")]))
    assert [i.instance_id for i in cache.get("svc").instances] == ["a"]  # type: ignore[union-attr]
    cache.apply_changes("svc", [change("change", inst("a", status="down"))])
    assert cache.get("svc").instances == ()  # type: ignore[union-attr]


def test_reload_canary_and_unknown_services_ask_for_a_fetch() -> None:
    """reload, a canary instance and a push for a service never fetched signal a re-fetch."""
    cache = ServiceCache()
    cache.put_service(Service(service_id="Svc", instances=[inst("a")]))
    reload = Instance(service_id="Svc", instance_id="reload")
    assert cache.apply_changes("svc", [change("reload", reload)]).refetch
    assert cache.apply_changes("svc", [change("new", inst("c1", group_id="canary"))]).refetch
    assert cache.apply_changes("svc", [change("new", inst("c2", metadata={"canary": "TRUE"}))]).refetch
    assert not cache.apply_changes("svc", [change("new", inst("d"))]).refetch
    assert cache.apply_changes("other", [change("new", inst("x"))]).refetch


def test_stale_snapshot_keeps_serving_until_the_next_fetch() -> None:
    """An outage flags every snapshot stale without emptying it; a fetch clears the flag; age grows."""
    clock = Clock()
    cache = ServiceCache(clock=clock)
    cache.put_service(Service(service_id="Svc", instances=[inst("a")]))
    clock.now = 40.0
    assert cache.mark_stale() == ["Svc"]
    assert cache.mark_stale() == []
    snap = cache.get("svc")
    assert snap is not None
    assert snap.stale
    assert len(snap.instances) == 1
    assert snap.age(40.0) == 30.0
    assert snap.route().instances == snap.instances
    cache.confirm()
    assert cache.get("svc").stale  # type: ignore[union-attr]
    cache.put_service(Service(service_id="Svc", instances=[inst("a")]))
    assert not cache.get("svc").stale  # type: ignore[union-attr]


def test_route_rule_split_holds_over_picks_and_survives_pushes() -> None:
    """A 70/30 rule sent with the instances routes 700/300 over 1,000 picks from the cache, and a push
    that adds an instance keeps the rule's counter going."""
    rule = RouteRuleView(
        route_id="split",
        strategy="weighted-round-robin",
        groups=[RouteGroup(group_key="a", weight=70), RouteGroup(group_key="b", weight=30)],
    )
    cache = ServiceCache()
    svc = Service(
        service_id="Svc", instances=[inst("a1", group_id="a"), inst("b1", group_id="b")], route_rules=[rule]
    )
    cache.put_service(svc)
    seen: Counter[str] = Counter()
    for n in range(1000):
        if n == 500:
            cache.apply_changes("svc", [change("new", inst("a2", group_id="a"))])
            cache.put_service(msgspec_replace(svc))  # a re-fetch with the same rule
        pool = cache.get("svc").route()  # type: ignore[union-attr]
        seen[pool.instances[0].group_id or ""] += 1
    assert seen == {"a": 700, "b": 300}


def msgspec_replace(svc: Service) -> Service:
    return Service(service_id=svc.service_id, instances=list(svc.instances), route_rules=svc.route_rules)
