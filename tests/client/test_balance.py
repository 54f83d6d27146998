"""Picking from a pool: every strategy, zone affinity, calls in flight and outlier ejection."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from artemis_client.balance import Balancer, Pool, instance_weight, norm_pick_strategy
from artemis_client.wire.registry import Instance


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def inst(iid: str, *, zone: str = "z1", region: str = "r1", weight: str | None = None) -> Instance:
    meta = {"weight": weight} if weight is not None else None
    return Instance(service_id="svc", instance_id=iid, region_id=region, zone_id=zone, metadata=meta)


def ids(picks: list[Instance | None]) -> Counter[str]:
    return Counter(p.instance_id for p in picks if p is not None)


POOL = Pool([inst(f"i{n}") for n in range(4)])


def test_round_robin_visits_every_instance_in_turn() -> None:
    """Round-robin returns the instances in list order, over and over."""
    b = Balancer("round_robin")
    assert [b.pick(POOL).instance_id for _ in range(8)] == ["i0", "i1", "i2", "i3"] * 2  # type: ignore[union-attr]


def test_random_spreads_over_every_instance() -> None:
    """Random reaches every instance with roughly equal shares."""
    b = Balancer("random", rng=random.Random(7))
    seen = ids([b.pick(POOL) for _ in range(4000)])
    assert set(seen) == {"i0", "i1", "i2", "i3"}
    assert all(800 < c < 1200 for c in seen.values()), seen


def test_weighted_follows_metadata_weight() -> None:
    """Weighted picks in proportion to metadata weight; weight 0 is never picked, a bad weight counts 1."""
    pool = Pool(
        [inst("a", weight="3"), inst("b", weight="1"), inst("z", weight="0"), inst("x", weight="oops")]
    )
    assert instance_weight(pool.instances[3]) == 1.0
    b = Balancer("weighted", rng=random.Random(3))
    seen = ids([b.pick(pool) for _ in range(5000)])
    assert "z" not in seen
    assert 2700 < seen["a"] < 3300, seen
    assert 700 < seen["b"] < 1300, seen
    assert 700 < seen["x"] < 1300, seen


def test_least_loaded_avoids_the_busy_instance() -> None:
    """Power of two choices never picks an instance with more calls in flight than the other candidate."""
    pool = Pool([inst("busy"), inst("idle")])
    b = Balancer("p2c", rng=random.Random(1))
    with b.track(pool.instances[0]), b.track(pool.instances[0]):
        assert b.in_flight(pool.instances[0]) == 2
        seen = ids([b.pick(pool) for _ in range(400)])
        # Only a draw of "busy" twice can return it: about a quarter of the picks.
        assert 50 < seen["busy"] < 150, seen
    assert b.in_flight(pool.instances[0]) == 0


def test_hash_is_sticky_and_moves_few_keys_when_an_instance_leaves() -> None:
    """Consistent hashing maps a key to the same instance every time; removing one of ten instances moves
    only the keys that instance owned."""
    pool = Pool([inst(f"n{k}") for k in range(10)])
    b = Balancer("consistent-hash")
    before = {f"user-{u}": b.pick(pool, key=f"user-{u}").instance_id for u in range(2000)}  # type: ignore[union-attr]
    assert all(b.pick(pool, key=k).instance_id == v for k, v in list(before.items())[:50])  # type: ignore[union-attr]
    smaller = Pool([i for i in pool.instances if i.instance_id != "n3"])
    after = {k: b.pick(smaller, key=k).instance_id for k in before}  # type: ignore[union-attr]
    moved = {k for k in before if before[k] != after[k]}
    assert moved == {k for k, v in before.items() if v == "n3"}
    assert 80 < len(moved) < 400
    with pytest.raises(ValueError, match="needs a key"):
        b.pick(pool)


def test_zone_affinity_prefers_the_clients_zone_and_falls_back() -> None:
    """With a client zone, picks stay in that zone (and region) while it has instances, else use all."""
    pool = Pool([inst("far", zone="z2"), inst("near1"), inst("near2"), inst("other-region", region="r9")])
    b = Balancer("random", region="R1", zone="z1", rng=random.Random(5))
    assert set(ids([b.pick(pool) for _ in range(200)])) == {"near1", "near2"}
    assert set(ids([b.pick(Pool([inst("far", zone="z2")])) for _ in range(5)])) == {"far"}
    off = Balancer("round-robin", region="r1", zone="z1", zone_affinity=False)
    assert len(ids([off.pick(pool) for _ in range(4)])) == 4


def test_report_failure_ejects_for_a_while_within_the_cap() -> None:
    """A reported instance is left out until its ejection ends; at most half a pool is ejected, and a
    success ends an ejection early."""
    clock = Clock()
    b = Balancer("round-robin", eject_secs=10, clock=clock)
    i0, i1, i2, i3 = POOL.instances
    b.report_failure(i1)
    assert "i1" not in ids([b.pick(POOL) for _ in range(12)])
    b.report_failure(i2)
    b.report_failure(i3)  # a third of four would exceed the 50 % cap: the two freshest stay out
    assert len(ids([b.pick(POOL) for _ in range(12)])) == 2
    clock.now += 11
    assert len(ids([b.pick(POOL) for _ in range(12)])) == 4
    assert b.ejected() == frozenset()
    b.report_failure(i0)
    b.report_success(i0)
    assert len(ids([b.pick(POOL) for _ in range(4)])) == 4


def test_single_instance_pool_is_never_emptied_and_empty_pool_gives_none() -> None:
    """Ejection never removes the last instance of a pool; an empty pool has no pick."""
    b = Balancer()
    one = Pool([inst("only")])
    b.report_failure(one.instances[0])
    assert b.pick(one) is one.instances[0]
    assert b.pick(Pool([])) is None


def test_unknown_strategy_is_refused_naming_the_choices() -> None:
    """A strategy name that is not known raises ValueError listing the known ones."""
    with pytest.raises(ValueError, match="round-robin"):
        norm_pick_strategy("fastest")
