"""The registry core with a FakeClock: leases, eviction, self-preservation (S3), versions, events."""

from __future__ import annotations

import random

import pytest

from artemis_client.wire.registry import Instance, InstanceChange, RawKey
from artemis_server.registry.changes import ChangeBus
from artemis_server.registry.ports import FakeClock
from artemis_server.registry.ratelimit import RateLimiter
from artemis_server.registry.registry import LeaseSettings, Registry


def inst(n: int | str, service: str = "svc", **kw: object) -> Instance:
    return Instance(service_id=service, instance_id=str(n), url=f"http://h/{n}", **kw)  # type: ignore[arg-type]


def rkey(n: int | str, service: str = "svc") -> RawKey:
    return RawKey(service_id=service, instance_id=str(n))


class Recorder:
    def __init__(self, bus: ChangeBus) -> None:
        self.events: list[tuple[str, str]] = []
        bus.subscribe(self)

    def __call__(self, changes: list[InstanceChange]) -> None:
        self.events += [(c.change_type, c.instance.instance_id) for c in changes]


def make(clock: FakeClock, ttl: float = 20, legacy: float = 90, safe: bool = True) -> Registry:
    return Registry(clock=clock, leases=LeaseSettings(ttl, legacy, safe))


def ids(reg: Registry, service: str = "svc") -> list[str]:
    entry = reg.get_service(service)
    return [i.instance_id for i in entry.instances.values()] if entry else []


def test_lease_expires_strictly_after_ttl() -> None:
    """A lease is expired when now - renewal > ttl; the sweep removes it and emits delete (S3.1, S3.2)."""
    clock = FakeClock()
    reg = make(clock)
    rec = Recorder(reg.bus)
    reg.register([inst(1), inst(2)])
    clock.advance(10)
    reg.heartbeat([rkey(2)])
    clock.advance(10)
    assert reg.sweep() == []  # exactly ttl: not yet expired
    clock.advance(0.01)
    assert [i.instance_id for i in reg.sweep()] == ["1"]
    assert ids(reg) == ["2"]
    assert rec.events == [("new", "1"), ("new", "2"), ("delete", "1")]
    clock.advance(10)
    reg.sweep()
    assert reg.get_service("svc") is None
    assert reg.heartbeat([rkey(2)]) == ([], [rkey(2)])


def test_expired_but_unswept_lease_can_renew() -> None:
    """Between expiry and the next sweep an instance is still served and can be renewed (S3.4)."""
    clock = FakeClock()
    reg = make(clock, ttl=5)
    reg.register([inst(1)])
    clock.advance(6)
    renewed, failed = reg.heartbeat([rkey(1)])
    assert [i.instance_id for i in renewed] == ["1"]
    assert failed == []
    assert reg.sweep() == []
    assert ids(reg) == ["1"]


def test_legacy_pool_has_its_own_ttl() -> None:
    """Instances with metadata.java_registry live in the legacy pool with the legacy TTL (S2.6, S3.6)."""
    clock = FakeClock()
    reg = make(clock, ttl=20, legacy=90)
    reg.register(
        [
            inst("old", metadata={"java_registry": "x"}),
            inst("new"),
            inst("blank", metadata={"java_registry": " "}),
        ]
    )
    assert len(reg.legacy_pool) == 1
    assert len(reg.pool) == 2
    clock.advance(21)
    assert sorted(i.instance_id for i in reg.sweep()) == ["blank", "new"]
    clock.advance(70)
    assert [i.instance_id for i in reg.sweep()] == ["old"]


def _beat(reg: Registry, clock: FakeClock, keys: list[RawKey], seconds: int) -> None:
    for _ in range(seconds):
        clock.advance(1)
        if keys:
            reg.heartbeat(keys)
        reg.sweep()


def test_self_preservation_stops_eviction_when_renewals_collapse() -> None:
    """Renewals below 85% of the max window keep expired leases; unregister still works (S3.7)."""
    clock = FakeClock()
    reg = make(clock)
    reg.register([inst(n) for n in range(100)])
    everyone = [rkey(n) for n in range(100)]
    _beat(reg, clock, everyone, 12)
    assert reg.safe.max_count == 1000
    assert reg.safe.is_safe
    _beat(reg, clock, everyone[:10], 30)  # 90 instances stop beating (a partition)
    assert not reg.safe.is_safe
    assert reg.safe.window_count == 100
    assert len(ids(reg)) == 100  # their leases expired 10 s ago but nothing was evicted
    assert [i.instance_id for i in reg.unregister([rkey(50)])] == ["50"]
    assert len(ids(reg)) == 99
    # The max window is forgotten after 10 minutes: the low rate becomes the norm and eviction resumes.
    _beat(reg, clock, everyone[:10], 600)
    assert reg.safe.is_safe
    assert ids(reg) == [str(n) for n in range(10)]


def test_self_preservation_disabled_evicts() -> None:
    """With lease.safe_check_enabled=false the same collapse evicts at once."""
    clock = FakeClock()
    reg = make(clock, safe=False)
    reg.register([inst(n) for n in range(100)])
    everyone = [rkey(n) for n in range(100)]
    _beat(reg, clock, everyone, 12)
    _beat(reg, clock, everyone[:10], 30)
    assert reg.safe.is_safe
    assert ids(reg) == [str(n) for n in range(10)]


def test_small_registries_never_unsafe() -> None:
    """Below 50 renewals per window the checker stays safe, so small clusters evict normally (S3.7)."""
    clock = FakeClock()
    reg = make(clock)
    reg.register([inst(n) for n in range(4)])
    _beat(reg, clock, [rkey(n) for n in range(4)], 12)
    _beat(reg, clock, [], 25)
    assert reg.get_service("svc") is None


def test_version_strictly_increases_within_a_millisecond() -> None:
    """version is epoch ms of the last change and strictly increases (S6.1)."""
    clock = FakeClock(1_700_000_000.0)
    reg = make(clock)
    reg.register([inst(1)])
    v1 = reg.version
    assert v1 == 1_700_000_000_000
    reg.register([inst(2)])
    reg.unregister([rkey(1)])
    assert reg.version == v1 + 2
    reg.register([inst(2)])  # identical: no change, no new version
    assert reg.version == v1 + 2


def test_change_events_new_change_none() -> None:
    """Register emits new for a new identity, change for different data, nothing for identical data (S2.7)."""
    clock = FakeClock()
    reg = make(clock)
    rec = Recorder(reg.bus)
    reg.register([inst(1)])
    reg.register([inst(1)])
    reg.register([inst(1, port=9)])
    reg.unregister([rkey(1), rkey("unknown")])
    assert rec.events == [("new", "1"), ("change", "1"), ("delete", "1")]


@pytest.mark.parametrize("burst", [1, 3])
def test_token_bucket_refills_with_time(burst: int) -> None:
    """Each operation has a bucket of burst_size tokens refilled at requests_per_second (S15.1)."""
    clock = FakeClock()
    limiter = RateLimiter(enabled=True, rate=2, burst=burst, clock=clock)
    assert all(limiter.allow("register") for _ in range(burst))
    assert not limiter.allow("register")
    assert limiter.allow("heartbeat")
    clock.advance(0.5)
    assert limiter.allow("register")
    assert not limiter.allow("register")
    clock.advance(100)
    assert sum(limiter.allow("register") for _ in range(burst + 5)) == burst


@pytest.mark.parametrize("seed", range(5))
def test_timing_wheel_evicts_exactly_what_a_full_scan_would(seed: int) -> None:
    """Renewals do not move leases; the wheel must still evict at each sweep exactly the leases with
    now - renewal > ttl (S3.1), over random registration batches, renewals (one by one and through remembered
    heartbeats whose groups overlap), unregistrations, re-registrations and clock steps, in both pools."""
    import random

    from artemis_server.registry.leases import RenewalCache

    rnd = random.Random(seed)
    clock = FakeClock(start=1_700_000_000.25)
    reg = make(clock, ttl=7, legacy=13, safe=False)
    renewal: dict[str, float] = {}  # the model: instance id -> last renewal
    gen: dict[str, int] = {}  # registrations of each id: a remembered heartbeat holds the leases it saw
    legacy: set[str] = set()
    cache = RenewalCache(budget=10**6)
    remembered: list[tuple[bytes, list[tuple[str, int]]]] = []
    evicted = 0
    cached_renewals = 0
    for step in range(4000):
        op = rnd.random()
        n = str(rnd.randrange(60))
        if op < 0.2:
            # a batch of 1-4 registrations, in both pools, an id possibly twice (the last one holds)
            batch = [n] + [str(rnd.randrange(60)) for _ in range(rnd.randrange(4))]
            flags = [rnd.random() < 0.2 for _ in batch]
            reg.register(
                [
                    inst(i, metadata={"java_registry": "x"} if f else None)
                    for i, f in zip(batch, flags, strict=True)
                ]
            )
            for i, is_legacy in zip(batch, flags, strict=True):
                renewal[i] = clock.now()
                gen[i] = gen.get(i, 0) + 1
                (legacy.add if is_legacy else legacy.discard)(i)
        elif op < 0.4:
            renewed, failed = reg.heartbeat([rkey(n)])
            assert bool(renewed) == (n in renewal)
            assert bool(failed) == (n not in renewal)
            if n in renewal:
                renewal[n] = clock.now()
        elif op < 0.45:
            live = sorted(renewal)
            ids_ = rnd.sample(live, min(len(live), rnd.randrange(1, 6)))
            leases, failed = reg.renew_keys([rkey(i) for i in ids_])
            assert not failed  # every id sampled is live in the model
            for i in ids_:
                renewal[i] = clock.now()
            if ids_:
                body = b"body-%d" % step
                cache.put(body, leases, clock.now())
                remembered.append((body, [(i, gen[i]) for i in ids_]))
        elif op < 0.6 and remembered:
            body, seen = rnd.choice(remembered[-8:])
            entry = cache.get(body)
            assert entry is not None
            ok = all(i in renewal and gen[i] == g for i, g in seen)
            assert reg.renew_entry(entry) == ok
            if ok:
                cached_renewals += 1
                for i, _g in seen:
                    renewal[i] = clock.now()
        elif op < 0.65:
            reg.unregister([rkey(n)])
            renewal.pop(n, None)
        elif op < 0.9:
            clock.advance(rnd.choice([0.1, 0.3, 0.5, 1.0, 2.0, 4.5]))
        else:
            now = clock.now()
            want = {i for i, t in renewal.items() if now - t > (13 if i in legacy else 7)}
            got = {i.instance_id for i in reg.sweep()}
            assert got == want
            for i in want:
                del renewal[i]
            evicted += len(want)
        assert len(reg) == len(renewal)
    assert evicted > 50  # the sequence really expires leases
    assert cached_renewals > 50  # and really renews through remembered heartbeats


def test_wheel_keeps_expired_leases_while_unsafe_and_evicts_them_later() -> None:
    """Self-preservation hands expired leases back to the wheel; a renewal in between saves one."""
    clock = FakeClock()
    reg = make(clock, ttl=5)
    reg.register([inst(n) for n in range(100)])
    everyone = [rkey(n) for n in range(100)]
    _beat(reg, clock, everyone, 12)
    _beat(reg, clock, everyone[:10], 20)
    assert not reg.safe.is_safe
    assert len(reg) == 100
    reg.heartbeat([rkey(99)])  # one more comes back during the partition
    reg.safe.enabled = False
    clock.advance(1)
    assert sorted(int(i.instance_id) for i in reg.sweep()) == list(range(10, 99))
    assert sorted(int(i.instance_id) for i in reg.get_service("svc").instances.values()) == [*range(10), 99]


def test_renewal_cache_renews_until_a_lease_leaves_and_stays_in_budget() -> None:
    from artemis_server.registry.leases import RenewalCache

    clock = FakeClock()
    reg = make(clock, ttl=20)
    reg.register([inst(n) for n in range(4)])
    leases, failed = reg.renew_keys([rkey(0), rkey(1), rkey(9)])
    assert [lease.instance.instance_id for lease in leases] == ["0", "1"]
    assert failed == [rkey(9)]
    cache = RenewalCache(budget=2000)
    cache.put(b"body-1", leases, clock.now())
    clock.advance(15)
    hit = cache.get(b"body-1")
    assert hit is not None
    assert reg.renew_entry(hit)  # one stamp for the group
    assert [lease.last_renewal() for lease in hit.leases] == [clock.now(), clock.now()]
    assert reg.safe._buckets.count(2) == 1  # counted as two renewals
    # the group's stamp is what the sweep reads: 0 and 1 outlive 2 and 3
    clock.advance(10)
    assert sorted(i.instance_id for i in reg.sweep()) == ["2", "3"]
    # another remembered body takes lease 1 over: the first group is broken, renewals go lease by lease
    reg.register([inst(2)])
    other, _ = reg.renew_keys([rkey(1), rkey(2)])
    cache.put(b"body-2", other, clock.now())
    assert hit.group.broken
    clock.advance(5)
    assert reg.renew_entry(hit)
    assert not hit.group.broken  # regrouped
    assert [lease.last_renewal() for lease in hit.leases] == [clock.now(), clock.now()]
    entry2 = cache.get(b"body-2")
    assert entry2 is not None
    assert entry2.group.broken  # lease 1 went back to the first group
    before = entry2.leases[1].last_renewal()
    reg.register([inst(1)])  # replaced: its old lease left the pool
    clock.advance(1)
    assert not reg.renew_entry(hit)  # all or none
    assert hit.leases[0].last_renewal() == clock.now() - 1
    assert not reg.renew_entry(entry2)
    assert entry2.leases[1].last_renewal() == before
    # the budget: entries go oldest first, an entry larger than the whole budget is not kept
    for k in range(20):
        cache.put(b"x%03d" % k + b"." * 100, leases, clock.now())
    assert cache.size <= 2000
    assert len(cache) == 5
    assert cache.get(b"x019" + b"." * 100) is not None
    assert cache.get(b"body-1") is None
    cache.put(b"y" * 3000, leases, clock.now())
    assert cache.get(b"y" * 3000) is None
    assert cache.size <= 2000
    cache.discard(b"x019" + b"." * 100)
    assert len(cache) == 4
    assert cache.size == sum(len(b) + 16 + 240 for b in cache.entries)


def test_heartbeat_keys_match_registrations_in_any_case_and_region_spelling() -> None:
    """The identity a heartbeat key resolves to is the one registration stored (S1.1: case-insensitive)."""
    from artemis_server.registry.model import identity

    reg = make(FakeClock())
    reg.register([inst("Node-Ä1", service="Svc.Σigma", region_id="Region-X"), inst("b", service="svc")])
    keys = [
        RawKey(service_id="SVC.\u03c3IGMA", instance_id="node-ä1", region_id="REGION-x"),
        RawKey(service_id="Svc", instance_id="B"),  # no region: the node's
        RawKey(service_id="svc", instance_id="b", region_id="elsewhere"),
    ]
    leases, failed = reg.renew_keys(keys)
    assert [lease.instance.instance_id for lease in leases] == ["Node-Ä1", "b"]
    assert failed == keys[2:]
    assert reg.lease_of(identity("region-x", "svc.\u03c3igma", "NODE-Ä1")) is leases[0]


def test_a_key_sent_twice_keeps_its_group_intact() -> None:
    from artemis_server.registry.leases import RenewalCache

    clock = FakeClock()
    reg = make(clock)
    reg.register([inst(1), inst(2)])
    leases, failed = reg.renew_keys([rkey(1), rkey(2), rkey(1)])
    assert failed == []
    cache = RenewalCache(budget=10_000)
    cache.put(b"twice", leases, clock.now())
    entry = cache.get(b"twice")
    assert entry is not None
    assert not entry.group.broken
    clock.advance(3)
    assert reg.renew_entry(entry)
    assert not entry.group.broken
    assert {lease.last_renewal() for lease in entry.leases} == {clock.now()}


def test_one_batch_of_several_services_and_spellings_registers_like_one_call_each() -> None:
    """A batch that mixes services, spellings of one service id and a repeated instance leaves the same
    services, instances, echoed spelling (S1.3), leases and events as registering its items one by one."""
    batch = [
        inst(1, "Svc-A"),
        inst(2, "svc-b"),
        inst(3, "SVC-A"),
        inst(1, "svc-a", port=81),
        inst(4, "svc-b", metadata={"java_registry": "x"}),
        inst(5, "svc-a"),
    ]
    clock_a, clock_b = FakeClock(start=1000.0), FakeClock(start=1000.0)
    together, one_by_one = make(clock_a), make(clock_b)
    seen_a, seen_b = Recorder(together.bus), Recorder(one_by_one.bus)
    stored, failed = together.register(batch)
    assert (len(stored), failed) == (6, [])
    for item in batch:
        one_by_one.register([item])
    for svc in ("svc-a", "svc-b"):
        a, b = together.get_service(svc), one_by_one.get_service(svc)
        assert a is not None
        assert b is not None
        assert a.service_id == b.service_id
        assert list(a.instances.values()) == list(b.instances.values())
    assert together.get_service("svc-a").service_id == "svc-a"  # type: ignore[union-attr]
    assert together.get_instance("default", "SVC-A", "1").port == 81  # type: ignore[union-attr]
    assert len(together) == len(one_by_one) == 5
    assert len(together.legacy_pool) == 1
    assert sorted(seen_a.events) == sorted(seen_b.events)
    # one version bump per service per batch: every service of it has a version of the batch's time
    assert together.version >= 1_000_000
    assert all(together.get_service(s).version >= 1_000_000 for s in ("svc-a", "svc-b"))  # type: ignore[union-attr]
    # every lease of the batch expires after the TTL, none before
    clock_a.advance(20.0)
    assert together.sweep() == []
    clock_a.advance(0.5)
    assert sorted(i.instance_id for i in together.sweep()) == ["1", "2", "3", "5"]


def _spellings(rnd: random.Random, word: str) -> str:
    """``word`` in a random mix of cases (the ids are case-insensitive, S1.1)."""
    return "".join(c.upper() if rnd.random() < 0.3 else c for c in word)


@pytest.mark.parametrize("seed", range(6))
def test_renewal_by_spelling_agrees_with_the_identity_lookup(seed: int) -> None:
    """``Registry.renew_keys`` finds a key of the node's region spelled as registered in its service's
    ``spelled`` leases, and every other key by its folded identity. Over random registrations (any case,
    explicit and default regions, another region, both pools, the same instance registered again under
    another spelling), unregistrations and evictions in any spelling, it must return exactly the lease the
    folded identity holds, for keys in any spelling, and the index must hold exactly the live leases of
    the node's region under their registered spelling."""
    from artemis_server.registry.model import identity

    rnd = random.Random(seed)
    clock = FakeClock(start=1_700_000_000.0)
    reg = Registry(clock=clock, region="Sha", leases=LeaseSettings(5, 9, False))
    services = ["svc-a", "svc-b", "OrderService"]
    regions = [None, "sha", "SHA", "Sha", "fra"]

    def key_for(sid: str, iid: str, region: str | None) -> RawKey:
        return RawKey(service_id=sid, instance_id=iid, region_id=region, zone_id="z", group_id="g")

    def truth(k: RawKey) -> object:
        ident = identity(k.region_id or reg.region, k.service_id, k.instance_id)
        return reg.pool.leases.get(ident) or reg.legacy_pool.leases.get(ident)

    for step in range(3000):
        op = rnd.random()
        sid = _spellings(rnd, rnd.choice(services))
        iid = _spellings(rnd, f"Host-{rnd.randrange(25)}:80")
        region = rnd.choice(regions)
        if op < 0.35:
            legacy = rnd.random() < 0.2
            reg.register(
                [
                    Instance(
                        service_id=sid,
                        instance_id=iid,
                        region_id=region,
                        url="http://h/",
                        metadata={"java_registry": "x"} if legacy else None,
                    )
                ]
            )
        elif op < 0.45:
            reg.unregister([key_for(sid, iid, region)])
        elif op < 0.5:
            clock.advance(rnd.choice([0.5, 3.0, 6.0]))
            reg.sweep()
        else:
            # a heartbeat of keys in any spelling, some registered, some not, several services mixed
            keys = [
                key_for(
                    _spellings(rnd, rnd.choice(services)),
                    _spellings(rnd, f"Host-{rnd.randrange(25)}:80"),
                    rnd.choice(regions),
                )
                for _ in range(rnd.randrange(1, 8))
            ]
            # ... and the exact spellings registered, which the index answers
            for entry in list(reg.services.values())[:2]:
                for lease in list(entry.spelled.values())[:3]:
                    i = lease.instance
                    keys.append(key_for(i.service_id, i.instance_id, rnd.choice([None, i.region_id])))
            rnd.shuffle(keys)
            want = [truth(k) for k in keys]
            found, failed = reg.renew_keys(keys)
            assert found == [w for w in want if w is not None], f"seed {seed} step {step}"
            assert all(a is b for a, b in zip(found, [w for w in want if w is not None], strict=True))
            assert failed == [k for k, w in zip(keys, want, strict=True) if w is None]
        # the index: exactly the live leases of the node's region, under their registered spelling
        for entry in reg.services.values():
            for spelling, lease in entry.spelled.items():
                assert lease.alive, f"seed {seed} step {step}"
                assert spelling == lease.instance.instance_id, f"seed {seed} step {step}"
                assert truth(key_for(entry.service_id, spelling, None)) is lease
            live = [
                lease
                for ident in entry.instances
                for lease in [reg.pool.leases.get(ident) or reg.legacy_pool.leases.get(ident)]
                if lease is not None and ident.startswith("sha\x1f")
            ]
            assert sorted(map(id, live)) == sorted(map(id, entry.spelled.values())), (
                f"seed {seed} step {step}"
            )
