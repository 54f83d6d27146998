"""AnswerCache: an encoded discovery answer is served only at the versions it was made from."""

from __future__ import annotations

from artemis_client.wire.registry import Instance, RawKey
from artemis_server.registry.answers import AnswerCache
from artemis_server.registry.ports import FakeClock
from artemis_server.registry.registry import Registry


def inst(sid: str, iid: str, status: str = "up") -> Instance:
    return Instance(service_id=sid, instance_id=iid, ip="10.0.0.1", port=80, status=status)


def test_every_change_of_the_service_or_of_management_retires_the_answer() -> None:
    """Registering, changing, removing an instance of the service and any management touch make the
    cached answer unusable; a heartbeat and a change to another service do not."""
    clock = FakeClock(1000.0)
    reg = Registry(clock=clock)
    cache = AnswerCache(reg, 1 << 20)
    reg.register([inst("svc", "a"), inst("other", "x")])

    def fresh() -> bool:
        entry = reg.get_service("SVC")
        assert entry is not None
        cache.put(entry, b"answer")
        return cache.get(entry) == b"answer"

    def served() -> bool:
        entry = reg.get_service("svc")
        return entry is not None and cache.get(entry) is not None

    assert fresh()
    reg.heartbeat([RawKey("svc", "a")])
    reg.register([inst("other", "y")])
    assert served()
    for change in (
        lambda: reg.register([inst("svc", "b")]),
        lambda: reg.register([inst("svc", "b", status="down")]),
        lambda: reg.unregister([RawKey("svc", "b")]),
        reg.touch,
    ):
        assert fresh()
        clock.advance(0.001)
        change()
        assert not served()
    reg.register([inst("svc", "a")])  # the same instance again: nothing changed
    assert fresh()
    reg.register([inst("svc", "a")])
    assert served()


def test_a_service_removed_and_registered_again_never_gets_the_old_answer() -> None:
    """When the last instance goes and the service comes back, its new entry has a new version."""
    reg = Registry(clock=FakeClock(1000.0))
    cache = AnswerCache(reg, 1 << 20)
    reg.register([inst("svc", "a")])
    entry = reg.get_service("svc")
    assert entry is not None
    cache.put(entry, b"old")
    reg.unregister([RawKey("svc", "a")])
    reg.register([inst("svc", "a")])
    again = reg.get_service("svc")
    assert again is not None
    assert again is not entry
    assert cache.get(again) is None


def test_the_budget_bounds_what_is_kept_oldest_out_first() -> None:
    """Answers past the byte budget push out the oldest; one larger than the budget is not kept; 0 is off."""
    reg = Registry(clock=FakeClock(1000.0))
    reg.register([inst(f"s{k}", "a") for k in range(4)])
    entries = [reg.get_service(f"s{k}") for k in range(4)]
    cache = AnswerCache(reg, 250)
    for e in entries:
        assert e is not None
        cache.put(e, b"x" * 100)
    assert cache.size == 200
    assert [cache.get(e) is not None for e in entries if e is not None] == [False, False, True, True]
    assert entries[0] is not None
    cache.put(entries[0], b"y" * 300)
    assert cache.get(entries[0]) is None
    off = AnswerCache(reg, 0)
    off.put(entries[0], b"z")
    assert off.get(entries[0]) is None
    assert off.size == 0
