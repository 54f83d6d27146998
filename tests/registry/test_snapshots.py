"""J delta snapshots (S6.3) share unchanged services between snapshots and still report every change."""

from __future__ import annotations

import random

import pytest

from artemis_client.wire.registry import Instance, RawKey
from artemis_server.registry.ports import FakeClock
from artemis_server.registry.registry import Registry
from artemis_server.registry.snapshots import SnapshotRing
from artemis_server.registry.visibility import ManagementState, OperationRecord


def inst(svc: int, n: int) -> Instance:
    return Instance(service_id=f"Svc-{svc}", instance_id=str(n), url=f"http://h/{n}", ip="10.0.0.1")


def visible(reg: Registry, mgmt: ManagementState) -> dict[str, set[str]]:
    return {
        e.service_id.lower(): {i.instance_id for i in e.instances.values() if not mgmt.is_down(i)}
        for e in reg.iter_services()
    }


@pytest.mark.parametrize("seed", range(4))
def test_delta_between_any_two_snapshots_is_the_difference_of_the_views(seed: int) -> None:
    rnd = random.Random(seed)
    clock = FakeClock()
    reg = Registry(clock=clock)
    mgmt = ManagementState()
    ring = SnapshotRing(3)
    views: dict[int, dict[str, set[str]]] = {}
    for _round in range(40):
        for _ in range(rnd.randrange(0, 6)):
            svc, n = rnd.randrange(8), rnd.randrange(6)
            if rnd.random() < 0.6:
                reg.register([inst(svc, n)])
            else:
                reg.unregister([RawKey(service_id=f"svc-{svc}", instance_id=str(n))])
        if rnd.random() < 0.2:  # pull an instance out or back in (management state changes)
            svc, n = rnd.randrange(8), rnd.randrange(6)
            if rnd.random() < 0.6:
                mgmt.put_instance_op(
                    "default", f"Svc-{svc}", str(n), OperationRecord("pullout", effective=True)
                )
            else:
                mgmt.delete_instance_ops("default", f"Svc-{svc}", str(n), None)
            mgmt.rebuild()
            reg.touch()
        clock.advance(1)
        ring.take(reg.version, reg.iter_services(), mgmt)
        views[reg.version] = visible(reg, mgmt)
        newest = ring.ring[-1]
        for snap in ring.ring:
            got = ring.delta(snap.version, 0)
            assert got is not None
            changes, to = got
            assert to == newest.version
            old, new = views[snap.version], views[to]
            want = {}
            for key in old.keys() | new.keys():
                gone = old.get(key, set()) - new.get(key, set())
                came = new.get(key, set()) - old.get(key, set())
                if gone or came:
                    want[key] = (gone, came)
            have = {
                sid.lower(): (
                    {c.instance.instance_id for c in cs if c.change_type == "delete"},
                    {c.instance.instance_id for c in cs if c.change_type == "new"},
                )
                for sid, cs in changes.items()
            }
            assert have == want


def test_unchanged_services_are_shared_not_copied() -> None:
    clock = FakeClock()
    reg = Registry(clock=clock)
    mgmt = ManagementState()
    ring = SnapshotRing(3)
    reg.register([inst(s, n) for s in range(3) for n in range(4)])
    ring.take(reg.version, reg.iter_services(), mgmt)
    clock.advance(1)
    reg.register([inst(1, 9)])
    ring.take(reg.version, reg.iter_services(), mgmt)
    a, b = ring.ring[0].services, ring.ring[1].services
    assert a["svc-0"] is b["svc-0"]
    assert a["svc-2"] is b["svc-2"]
    assert a["svc-1"] is not b["svc-1"]
    # a management change re-filters every service
    mgmt.put_instance_op("default", "Svc-0", "0", OperationRecord("pullout", effective=True))
    mgmt.rebuild()
    reg.touch()
    ring.take(reg.version, reg.iter_services(), mgmt)
    c = ring.ring[2].services
    assert c["svc-2"] is not b["svc-2"]
    assert set(c["svc-0"][2]) == {k for k in b["svc-0"][2] if not k.endswith("\x1f0")}
