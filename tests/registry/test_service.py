"""The registry service on a fake clock: the rules every registry write obeys, whoever sends it."""

from __future__ import annotations

import pytest

from artemis_client.errors import PayloadTooLargeError, RateLimitedError
from artemis_client.wire.registry import Instance, KeysRequest, RawKey, RegisterRequest
from artemis_server.metrics import Metrics
from artemis_server.registry.leases import RenewalCache
from artemis_server.registry.ports import FakeClock
from artemis_server.registry.ratelimit import RateLimiter
from artemis_server.registry.registry import LeaseSettings, Registry
from artemis_server.registry.service import RegistryService, WriteRules


class Peers:
    """The replication port as the peers see it: what was sent on, in order (a true boundary)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[str]]] = []

    def register(self, instances: list[Instance]) -> None:
        self.sent.append(("register", [i.instance_id for i in instances]))

    def heartbeat(self, instances: list[Instance]) -> None:
        self.sent.append(("heartbeat", [i.instance_id for i in instances]))

    def unregister(self, instances: list[Instance]) -> None:
        self.sent.append(("unregister", [i.instance_id for i in instances]))


def make(rules: WriteRules | None = None, *, rate: float = 1000.0, burst: int = 1000) -> RegistryService:
    clock = FakeClock()
    registry = Registry(clock=clock, region="r1", zone="z1", leases=LeaseSettings(ttl_secs=20.0))
    svc = RegistryService(
        registry,
        rules=rules or WriteRules(region="r1", zone="z1"),
        limiter=RateLimiter(enabled=True, rate=rate, burst=burst, clock=clock),
        renewals=RenewalCache(1 << 20),
        metrics=Metrics(dict),
        clock=clock,
    )
    svc.replication = Peers()
    return svc


def sent(svc: RegistryService) -> list[tuple[str, list[str]]]:
    assert isinstance(svc.replication, Peers)
    return svc.replication.sent


def counter(svc: RegistryService, name: str, **labels: str) -> float:
    assert isinstance(svc.metrics, Metrics)
    svc.metrics.fold()
    return svc.metrics.registry.get_sample_value(name, labels) or 0.0


def inst(iid: str, **kw: object) -> Instance:
    return Instance("svc", iid, ip="10.0.0.1", port=80, **kw)  # type: ignore[arg-type]


def keys(*iids: str) -> KeysRequest:
    return KeysRequest(instance_keys=[RawKey("svc", i, "r1") for i in iids])


def test_client_writes_are_replicated_once_and_peer_writes_never() -> None:
    """A client's register, heartbeat and unregister go on to the peers; the same writes from a peer do not."""
    svc = make()
    assert svc.register(RegisterRequest([inst("a")]), from_peer=False) is None
    assert svc.heartbeat(keys("a"), from_peer=False) is None
    assert svc.unregister(keys("a"), from_peer=False) is None
    assert sent(svc) == [("register", ["a"]), ("heartbeat", ["a"]), ("unregister", ["a"])]
    assert svc.register(RegisterRequest([inst("b")]), from_peer=True) is None
    assert svc.heartbeat(keys("b"), from_peer=True) is None
    assert svc.unregister(keys("b"), from_peer=True) is None
    assert len(sent(svc)) == 3


def test_nothing_is_replicated_when_nothing_changed() -> None:
    """A heartbeat or unregister of unknown instances reports them and sends nothing to the peers."""
    svc = make()
    answer = svc.heartbeat(keys("ghost"), from_peer=False)
    assert answer is not None
    assert answer.response_status.status == "partial_fail"
    assert [k.instance_id for k in answer.failed_instance_keys or []] == ["ghost"]
    assert svc.unregister(keys("ghost"), from_peer=False) is None
    assert sent(svc) == []
    assert counter(svc, "artemis_heartbeat_failed_keys_total") == 1


def test_heartbeat_renews_the_lease_on_the_clock() -> None:
    """A heartbeat moves the lease's renewal to the clock's now, so the sweep keeps the instance."""
    svc = make()
    svc.register(RegisterRequest([inst("a")]), from_peer=False)
    clock = svc.clock
    assert isinstance(clock, FakeClock)
    clock.advance(15)
    svc.heartbeat(keys("a"), from_peer=False)
    clock.advance(15)
    svc.registry.safe.enabled = False
    assert svc.registry.sweep() == []
    clock.advance(30)
    assert [i.instance_id for i in svc.registry.sweep()] == ["a"]


def test_rate_limit_applies_to_clients_only() -> None:
    """Past the burst a client write is refused (and counted); a peer write at the same time is not."""
    svc = make(rate=1.0, burst=2)
    svc.register(RegisterRequest([inst("a")]), from_peer=False)
    svc.register(RegisterRequest([inst("b")]), from_peer=False)
    with pytest.raises(RateLimitedError):
        svc.register(RegisterRequest([inst("c")]), from_peer=False)
    assert svc.register(RegisterRequest([inst("d")]), from_peer=True) is None
    assert counter(svc, "artemis_rate_limited_requests_total", operation="register") == 1
    assert svc.registry.get_instance("r1", "svc", "c") is None
    assert svc.registry.get_instance("r1", "svc", "d") is not None


def test_batch_and_metadata_limits_name_the_field_and_store_nothing() -> None:
    """Too many instances or too much metadata is a 413 naming the field; nothing of the batch is stored."""
    svc = make(WriteRules(max_batch_instances=2, max_metadata_entries=1, max_metadata_bytes=10, region="r1"))
    with pytest.raises(PayloadTooLargeError) as big:
        svc.register(RegisterRequest([inst("a"), inst("b"), inst("c")]), from_peer=False)
    assert big.value.field == "instances"
    with pytest.raises(PayloadTooLargeError) as md:
        svc.register(RegisterRequest([inst("a"), inst("b", metadata={"k": "v", "x": "y"})]), from_peer=True)
    assert md.value.field == "instances[1].metadata"
    with pytest.raises(PayloadTooLargeError):
        svc.heartbeat(keys("a", "b", "c"), from_peer=True)
    assert len(svc.registry) == 0


def test_zone_checks_refuse_foreign_items_and_keep_the_rest() -> None:
    """With same-region and same-zone enforced, foreign items fail with no-permission, the others register."""
    rules = WriteRules(enforce_same_region=True, allow_from_other_zone=False, region="r1", zone="z1")
    svc = make(rules)
    answer = svc.register(
        RegisterRequest([inst("ok"), inst("far", region_id="r2"), inst("next", zone_id="z2")]),
        from_peer=False,
    )
    assert answer is not None
    assert answer.response_status.status == "partial_fail"
    assert [(f.instance.instance_id, f.error_code) for f in answer.failed_instances or []] == [
        ("far", "no-permission"),
        ("next", "no-permission"),
    ]
    assert sent(svc) == [("register", ["ok"])]


def test_client_heartbeat_without_keys_is_a_failure_a_peer_one_is_not() -> None:
    """An empty client heartbeat or unregister is answered with a failure (S4.1); a peer's is a no-op."""
    svc = make()
    for call in (svc.heartbeat, svc.unregister):
        answer = call(KeysRequest(), from_peer=False)
        assert answer is not None
        assert answer.response_status.status == "fail"
        assert call(KeysRequest(), from_peer=True) is None


def test_remembered_heartbeat_renews_again_and_forgets_a_gone_lease() -> None:
    """A client body that renewed all its keys renews them again from the cache, replicated like any
    heartbeat; once a lease left, the cache answers False and drops the body."""
    svc = make()
    svc.register(RegisterRequest([inst("a"), inst("b")]), from_peer=False)
    body = b'{"instanceKeys":[...]}'
    assert svc.heartbeat_again(body) is False  # never seen
    assert svc.heartbeat(keys("a", "b"), from_peer=False, body=body) is None
    clock = svc.clock
    assert isinstance(clock, FakeClock)
    clock.advance(5)
    assert svc.heartbeat_again(body) is True
    lease = svc.registry.lease_of("r1\x1fsvc\x1fa")
    assert lease is not None
    assert lease.last_renewal() == clock.now()
    assert sent(svc)[-1] == ("heartbeat", ["a", "b"])
    assert counter(svc, "artemis_heartbeat_requests_total") == 2
    assert counter(svc, "artemis_heartbeat_keys_total") == 4
    svc.unregister(keys("b"), from_peer=False)
    assert svc.heartbeat_again(body) is False
    assert len(svc.renewals) == 0


def test_peer_heartbeats_are_not_remembered() -> None:
    """Only client heartbeat bodies enter the renewal cache (a peer's batch never repeats)."""
    svc = make()
    svc.register(RegisterRequest([inst("a")]), from_peer=True)
    svc.heartbeat(keys("a"), from_peer=True, body=b"peer-body")
    assert len(svc.renewals) == 0


def test_batch_unregister_reports_unknown_keys() -> None:
    """A peer's batch-unregister answers success listing the keys nobody had registered."""
    svc = make()
    svc.register(RegisterRequest([inst("a")]), from_peer=True)
    answer = svc.unregister(keys("a", "zz"), from_peer=True, report_unknown=True)
    assert answer is not None
    assert answer.response_status.status == "success"
    assert [k.instance_id for k in answer.failed_instance_keys or []] == ["zz"]
