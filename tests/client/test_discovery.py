"""Following services: fetch scheduling around pushes, reconnects and outages, and the live handle."""

from __future__ import annotations

import random

import pytest

from artemis_client.balance import Balancer
from artemis_client.cache import ServiceCache
from artemis_client.discovery import Discovery, ServiceHandle
from artemis_client.errors import NotFoundError
from artemis_client.wire.registry import Instance, InstanceChange, Service


def inst(iid: str, **kw: object) -> Instance:
    return Instance(service_id="svc", instance_id=iid, region_id="r1", url=f"http://{iid}", **kw)  # type: ignore[arg-type]


def svc(*ids: str) -> Service:
    return Service(service_id="svc", instances=[inst(i) for i in ids])


def test_followed_services_are_fetched_at_once_then_polled() -> None:
    """A new service is due at once, in one batch with the others; after the answer it is polled again
    after the safety interval while the stream is up (and sooner while it is down)."""
    d = Discovery(ServiceCache(), poll_interval=60, degraded_poll=5, client_ip="10.1.2.3", region="r1")
    assert d.follow("svc", 0)
    assert not d.follow("SVC", 0)
    d.follow("other", 0)
    assert d.due(0) == ["svc", "other"]
    cfg = d.configs(["svc"])[0]
    assert cfg.discovery_data == {"clientIp": "10.1.2.3"}
    assert cfg.region_id == "r1"
    d.stream_up(0)
    d.fetched([svc("a")], ["svc", "other"], 1)
    assert d.due(60) == []
    assert d.due(61) == ["svc", "other"]
    d.stream_down(2)
    assert d.due(7) == ["svc", "other"]


def test_reconnect_refetches_everything_and_reload_refetches_one() -> None:
    """After the stream reconnects every followed service is due (push has no replay); a reload push makes
    its service due; a plain push is applied without a fetch."""
    d = Discovery(ServiceCache())
    d.follow("svc", 0)
    d.stream_up(0)
    d.fetched([svc("a")], ["svc"], 0)
    snap = d.pushed("svc", [InstanceChange(instance=inst("b"), change_type="new", change_time=0)], 1)
    assert snap is not None
    assert [i.instance_id for i in snap.instances] == ["a", "b"]
    assert d.due(1) == []
    d.pushed("svc", [InstanceChange(instance=inst("reload"), change_type="reload", change_time=0)], 2)
    assert d.due(2) == ["svc"]
    d.fetched([svc("a", "b")], ["svc"], 2)
    d.stream_down(3)
    d.stream_up(4)
    assert d.due(4) == ["svc"]


def test_failed_fetch_flags_stale_once_and_keeps_serving() -> None:
    """A failed lookup marks the snapshots stale (one event), schedules a retry, and picks keep working;
    the next answer clears the flag."""
    cache = ServiceCache()
    d = Discovery(cache, rng=random.Random(3))
    d.follow("svc", 0)
    d.fetched([svc("a")], ["svc"], 0)
    events = d.fetch_failed(["svc"], OSError("refused"), 10)
    assert [e.kind for e in events] == ["stale"]
    assert d.fetch_failed(["svc"], OSError("refused"), 11) == []
    handle = ServiceHandle("svc", cache, Balancer())
    assert handle.stale
    assert handle.pick().instance_id == "a"
    assert 11 < d.wakeup(11) + 11 <= 16
    assert [e.kind for e in d.fetched([svc("a")], ["svc"], 20)] == ["fresh"]
    assert not handle.stale


def test_handle_pick_raises_when_there_is_nothing_to_pick() -> None:
    """pick() says whether the service is not loaded yet or has no instance; try_pick returns None."""
    cache = ServiceCache()
    handle = ServiceHandle("svc", cache, Balancer())
    with pytest.raises(NotFoundError, match="not loaded yet"):
        handle.pick()
    cache.put_service(svc())
    assert handle.try_pick() is None
    with pytest.raises(NotFoundError, match="has no instance"):
        handle.pick()


def test_unfollow_forgets_the_service() -> None:
    """An unfollowed service is neither fetched nor cached any more."""
    d = Discovery(ServiceCache())
    d.follow("svc", 0)
    d.fetched([svc("a")], ["svc"], 0)
    d.unfollow("SVC")
    assert d.followed == []
    assert d.cache.get("svc") is None
    assert d.due(1000) == []


def test_a_fetch_answered_after_a_push_does_not_undo_it() -> None:
    """A push that arrives while a lookup is in flight is replayed on the lookup's answer, which may have
    been read before the change happened."""
    d = Discovery(ServiceCache())
    d.follow("svc", 0)
    d.fetched([svc("a")], ["svc"], 0)
    d.fetching(["svc"])
    d.pushed("svc", [InstanceChange(instance=inst("b"), change_type="new", change_time=0)], 1)
    d.fetched([svc("a")], ["svc"], 2)  # the answer was read before "b" registered
    snap = d.cache.get("svc")
    assert snap is not None
    assert [i.instance_id for i in snap.instances] == ["a", "b"]
    d.fetched([svc("a")], ["svc"], 3)  # a later fetch with no push in flight is the truth
    assert [i.instance_id for i in d.cache.get("svc").instances] == ["a"]  # type: ignore[union-attr]
