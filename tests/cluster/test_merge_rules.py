"""The I/O-free core of management convergence: the hybrid logical clock and the per-entity merge rule."""

from __future__ import annotations

import itertools
import random

from artemis_server.registry import entities as ent
from artemis_server.registry.entities import EntityChange
from artemis_server.registry.hlc import HybridClock, Stamp, wins
from artemis_server.registry.visibility import ManagementState, OperationRecord


class FakeWall:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_stamps_increase_even_when_the_wall_clock_steps_back() -> None:
    """Every stamp a clock hands out is newer than the one before, whatever the wall clock does."""
    wall = FakeWall(1000.0)
    clock = HybridClock("a", wall)
    seen = [clock.now()]
    for step in (0.0, -5.0, 0.0, 0.001, -0.5, 10.0, -100.0):
        wall.t += step
        seen.append(clock.now())
    assert seen == sorted(seen)
    assert len(set(seen)) == len(seen)


def test_a_change_made_after_seeing_another_sorts_after_it() -> None:
    """A node whose wall clock is behind still stamps its next change after every stamp it has observed."""
    fast = HybridClock("fast", FakeWall(2000.0))
    slow = HybridClock("slow", FakeWall(1000.0))  # 1000 s behind
    remote = fast.now()
    slow.observe_stamp(remote)
    assert slow.now() > remote


def test_ties_in_time_are_broken_by_origin_and_never_equal() -> None:
    """Two nodes stamping in the same millisecond produce different stamps, ordered by origin."""
    a = HybridClock("node-a/db1", FakeWall(5.0)).now()
    b = HybridClock("node-b/db2", FakeWall(5.0)).now()
    assert a != b
    assert (a < b) == ("node-a/db1" < "node-b/db2")


def test_stamp_text_round_trips() -> None:
    """A stamp's text form parses back to the same stamp."""
    s = Stamp(1_700_000_000_123, 7, "n1/abc")
    assert Stamp.parse(s.text()) == s


def test_last_writer_wins_whatever_the_arrival_order() -> None:
    """Applying the same set of changes to one entity in every order ends with the newest value."""
    changes = [
        (Stamp(10, 0, "a"), {"v": 1}),
        (Stamp(10, 1, "a"), {"v": 2}),
        (Stamp(10, 1, "b"), None),
        (Stamp(11, 0, "c"), {"v": 4}),
    ]
    for order in itertools.permutations(changes):
        current: Stamp | None = None
        value = "unset"
        for stamp, v in order:
            if wins(stamp, current):
                current, value = stamp, v  # type: ignore[assignment]
        assert current == Stamp(11, 0, "c")
        assert value == {"v": 4}


def test_different_entities_never_overwrite_each_other() -> None:
    """Instance, server, zone and canary changes land in their own places of the view."""
    mgmt = ManagementState()
    rec = OperationRecord("pullout", True, False, "ops", None, 1.0)
    changes = [
        ent.ops_change("instance", ("R1", "Svc", "i1"), {"pullout": rec}),
        ent.ops_change("server", ("R1", "10.0.0.1"), {"pullout": rec}),
        ent.ops_change("zone", ("R1", "z1", ""), {"pullout": rec}),
        EntityChange("canary", ent.canary_key("Svc"), {"serviceId": "Svc", "ipWhitelist": ["10.0.0.9"]}),
    ]
    ids = {c.id for c in changes}
    assert len(ids) == len(changes)
    random.Random(7).shuffle(changes)
    for c in changes:
        ent.install_memory(mgmt, c)
    mgmt.rebuild()
    assert mgmt.is_instance_down("r1\x1fsvc\x1fi1")
    assert mgmt.is_server_down("r1", "10.0.0.1")
    assert mgmt.is_zone_down("r1", "z1")
    assert mgmt.canary["svc"].ip_whitelist == ["10.0.0.9"]
    ent.install_memory(mgmt, ent.ops_change("server", ("r1", "10.0.0.1"), {}))  # a tombstone of one
    mgmt.rebuild()
    assert not mgmt.is_server_down("r1", "10.0.0.1")
    assert mgmt.is_instance_down("r1\x1fsvc\x1fi1")
    assert mgmt.is_zone_down("r1", "z1")


def test_entity_keys_fold_unicode_case() -> None:
    """Ids differing only by Unicode case are one entity: Ärger/ärger/ÄRGER, straße/STRASSE."""
    same = {ent.canary_key(s) for s in ("Ärger", "ärger", "ÄRGER")}
    assert len(same) == 1
    assert ent.canary_key("straße") == ent.canary_key("STRASSE")
    assert ent.instance_key("R", "ärger", "I") == ent.instance_key("r", "ÄRGER", "i")
    # zone and server ids compare exactly (S1.4), regions and services fold
    assert ent.zone_key("R", "Z", "S") != ent.zone_key("r", "z", "s")
    assert ent.server_key("R", "10.0.0.1") == ent.server_key("r", "10.0.0.1")


def test_entity_changes_survive_the_wire() -> None:
    """An entity change encodes to JSON and back unchanged; junk is refused."""
    c = EntityChange("tag", ("svc:r:z:g", "k"), {"group": "svc:r:z:g", "key": "k", "value": "v"})
    back = EntityChange.from_json(c.to_json())
    assert (back.kind, back.key, back.value) == (c.kind, c.key, c.value)
    assert back.parent == ent.entity_id("group", ("svc:r:z:g",))
    for junk in (["nope", ["k"], None], ["canary", "k", None], ["canary", ["k"], 3]):
        try:
            EntityChange.from_json(junk)
        except ValueError:
            continue
        raise AssertionError(f"accepted {junk!r}")
