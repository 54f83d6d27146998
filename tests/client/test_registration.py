"""The registration state machine and the server pool, driven with numbers instead of sleeps."""

from __future__ import annotations

import random

import pytest

from artemis_client.registration import Registrar, Send
from artemis_client.servers import ServerPool, full_jitter
from artemis_client.wire.envelope import ResponseStatus
from artemis_client.wire.registry import FailedInstance, HeartbeatResponse, Instance, RegisterResponse

OK = ResponseStatus(status="success", error_code="success", message="")
PARTIAL = ResponseStatus(status="partial_fail", error_code="bad-request", message="Some heartbeats failed")


def inst(iid: str, **kw: object) -> Instance:
    return Instance(service_id="svc", instance_id=iid, region_id="r1", url=f"http://{iid}", **kw)  # type: ignore[arg-type]


def lost(i: Instance, code: str = "data-not-found") -> FailedInstance:
    return FailedInstance(
        instance=i, error_code=code, error_message="Instance is not existing! Need re-register."
    )


def ack(reg: Registrar, send: Send | None, now: float, answer: object = None) -> list[str]:
    assert send is not None
    if answer is None and send.kind != "unregister":
        answer = RegisterResponse(response_status=OK)
    return [e.kind for e in reg.answered(send, answer, now)]  # type: ignore[arg-type]


def test_register_is_sent_at_once_then_one_heartbeat_per_interval_for_all() -> None:
    """register() sends a real register immediately; after it, one heartbeat per interval carries every
    local instance and nothing is sent in between."""
    reg = Registrar(interval=5, ttl=20)
    reg.add([inst("a"), inst("b")], now=0)
    send = reg.next_send(0)
    assert send is not None
    assert send.kind == "register"
    assert [i.instance_id for i in send.instances] == ["a", "b"]
    assert ack(reg, send, 0.1) == ["registered"]
    assert reg.next_send(1) is None
    assert reg.wakeup(1) == pytest.approx(4)
    beat = reg.next_send(5)
    assert beat is not None
    assert beat.kind == "heartbeat"
    assert len(beat.instances) == 2
    assert ack(reg, beat, 5.0, HeartbeatResponse(response_status=OK)) == []
    assert reg.next_send(9.9) is None
    assert reg.next_send(10) is not None


def test_data_not_found_in_a_heartbeat_answer_re_registers_at_once() -> None:
    """An item the node does not know (restart, eviction) is registered again right after the answer,
    with the local data, not the echo."""
    reg = Registrar(interval=5, ttl=20)
    a = inst("a", metadata={"v": "1"})
    reg.add([a, inst("b")], now=0)
    ack(reg, reg.next_send(0), 0)
    beat = reg.next_send(5)
    answer = HeartbeatResponse(failed_instances=[lost(inst("A"))], response_status=PARTIAL)
    assert ack(reg, beat, 5, answer) == ["re-register"]
    again = reg.next_send(5)
    assert again is not None
    assert again.kind == "register"
    assert again.instances == (a,)


def test_watchdog_fires_once_at_two_thirds_of_the_ttl_and_recovers() -> None:
    """Failing heartbeats raise one heartbeat-failed event, one watchdog event after 2/3 of the TTL, and
    one recovered event on the next success; retries come sooner than the interval."""
    reg = Registrar(interval=5, ttl=21, rng=random.Random(1))
    reg.add([inst("a")], now=0)
    ack(reg, reg.next_send(0), 0)
    events: list[str] = []
    now = 5.0
    while now < 20:
        send = reg.next_send(now)
        if send is not None:
            events += [e.kind for e in reg.failed(send, OSError("refused"), now)]
        events += [e.kind for e in reg.check(now)]
        now += 0.25
    assert events == ["heartbeat-failed", "watchdog"]
    send = reg.next_send(now + 10)
    assert send is not None
    assert ack(reg, send, now + 10, HeartbeatResponse(response_status=OK)) == ["recovered"]


def test_drain_marks_down_then_unregisters() -> None:
    """mark_down re-registers every instance with status down; remove_all then unregisters them and the
    client stops heartbeating."""
    reg = Registrar(interval=5, ttl=20)
    reg.add([inst("a")], now=0)
    ack(reg, reg.next_send(0), 0)
    reg.mark_down(1)
    down = reg.next_send(1)
    assert down is not None
    assert down.kind == "register"
    assert down.instances[0].status == "down"
    ack(reg, down, 1)
    reg.remove_all()
    bye = reg.next_send(1)
    assert bye is not None
    assert bye.kind == "unregister"
    assert ack(reg, bye, 1) == ["unregistered"]
    assert reg.next_send(100) is None
    assert reg.instances == []


def test_filters_shape_every_request_and_a_broken_one_is_skipped() -> None:
    """Registry filters run before each register and heartbeat; one that raises is reported and skipped."""

    def only_a(items: list[Instance]) -> list[Instance]:
        return [i for i in items if i.instance_id == "a"]

    def broken(items: list[Instance]) -> list[Instance]:
        raise RuntimeError("boom")

    reg = Registrar(interval=5, ttl=20, filters=[broken, only_a])
    reg.add([inst("a"), inst("b")], now=0)
    send = reg.next_send(0)
    assert send is not None
    assert [i.instance_id for i in send.instances] == ["a"]
    assert [e.kind for e in reg.check(0)] == ["filter-failed"]


def test_refused_items_leave_the_local_set() -> None:
    """An item the node refuses for good (bad-request) is reported once and not sent again."""
    reg = Registrar(interval=5, ttl=20)
    reg.add([inst("a"), inst("bad")], now=0)
    send = reg.next_send(0)
    answer = RegisterResponse(failed_instances=[lost(inst("bad"), "bad-request")], response_status=PARTIAL)
    assert ack(reg, send, 0, answer) == ["registered", "rejected"]
    assert [i.instance_id for i in reg.instances] == ["a"]


def test_server_pool_is_sticky_ejects_with_backoff_and_probes_half_open() -> None:
    """The pool sticks to one server, ejects a failing one (still tried last), probes it first once its
    backoff is over, and re-admits it when the probe succeeds."""
    now = [0.0]
    pool = ServerPool(["http://a", "http://b", "http://c"], rng=random.Random(4), clock=lambda: now[0])
    first = pool.current
    assert pool.order()[0] == first
    delay = pool.failed(first)
    assert 0 < delay <= 0.5
    assert pool.current != first
    assert pool.order()[-1] == first
    assert pool.is_ejected(first)
    now[0] = 1.0
    assert pool.order(probe=False)[-1] == first  # ranking alone starts no probe
    assert pool.order()[0] == first  # half-open probe
    assert pool.order()[0] != first  # only one probe at a time
    assert pool.succeeded(first) is True
    assert not pool.is_ejected(first)


def test_server_pool_refresh_adopts_up_nodes_and_keeps_the_seeds() -> None:
    """A node list replaces the servers (seeds kept); an empty list changes nothing."""
    pool = ServerPool(["http://seed"], rng=random.Random(1))
    assert pool.refresh(["http://n1/", "http://n2"]) is True
    assert pool.servers == ["http://n1", "http://n2", "http://seed"]
    assert pool.refresh([]) is False
    assert pool.refresh(["http://n2", "http://n1"]) is False


def test_full_jitter_stays_under_its_cap() -> None:
    """Backoff delays are uniform below min(cap, base * 2**n)."""
    rng = random.Random(2)
    delays = [full_jitter(n, 0.5, 4.0, rng) for n in range(12) for _ in range(20)]
    assert all(0 <= d < 4.0 for d in delays)
    assert max(delays) > 2.0


def test_a_failed_unregister_is_given_up_and_settles() -> None:
    """When no server takes an unregister it is dropped with one event (the lease ends by itself) instead
    of holding the loop; settled() tells a waiting caller it is over."""
    reg = Registrar(interval=5, ttl=20)
    a = inst("a")
    reg.add([a], now=0)
    assert not reg.settled([a], "register")
    ack(reg, reg.next_send(0), 0)
    assert reg.settled([a], "register")
    reg.remove([a])
    assert not reg.settled([a], "unregister")
    send = reg.next_send(1)
    assert send is not None
    assert [e.kind for e in reg.failed(send, OSError("down"), 1)] == ["unregister-failed"]
    assert reg.settled([a], "unregister")
    assert reg.next_send(100) is None


def test_a_request_abandoned_by_a_cancelled_runner_does_not_block_the_shutdown_unregister() -> None:
    """close() cancels the loop in the middle of a heartbeat: that heartbeat is never answered, and the
    unregister of the shutdown must still be handed out (CI caught instances left behind by close())."""
    reg = Registrar(interval=5, ttl=20)
    reg.add([inst("a"), inst("b")], now=0)
    assert ack(reg, reg.next_send(0), 0.1) == ["registered"]
    beat = reg.next_send(5)
    assert beat is not None
    assert beat.kind == "heartbeat"
    reg.remove_all()
    assert reg.next_send(5.1) is None  # still waiting for the heartbeat's answer
    reg.abandon()
    bye = reg.next_send(5.2)
    assert bye is not None
    assert bye.kind == "unregister"
    assert sorted(i.instance_id for i in bye.instances) == ["a", "b"]
