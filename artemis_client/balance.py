"""Picking one instance from a cached list: the SDK's load balancers and its outlier ejection.

The read path takes no lock and does no I/O. A :class:`Pool` is an immutable list of instances with what the
strategies need computed once per list (cumulative weights, a hash ring, the client's zone subset); the
discovery cache swaps in a new pool when the list changes (copy-on-write), so a pick only reads. A
:class:`Balancer` holds the mutable part (round-robin counter, in-flight counts, ejections); its counters are
``itertools.count`` objects (``next()`` is atomic in CPython) and every other write replaces a whole dict,
so concurrent picks from many threads never see a half-built state.

Strategies (``Balancer(strategy=...)``):

=================  =====================================================================================
``random``         uniform choice (the default, as S8 for the server's single-instance lookup)
``round-robin``    one counter per balancer, index = counter mod n
``weighted``       random, proportional to ``metadata["weight"]`` (a number >= 0; missing or invalid: 1)
``least-loaded``   power of two choices: two random instances, the one with fewer calls in flight
                   (calls are counted by :meth:`Balancer.track` and the SDK's ``request()`` helper)
``hash``           consistent hashing of the ``key`` given to ``pick`` (64 points per instance on a ring;
                   a change of the list moves only the keys of the instances that came or went)
=================  =====================================================================================

Zone affinity (``zone_affinity=True`` with a client zone) narrows every strategy to the instances of the
client's region and zone when there are any, before the strategy runs. ``report_failure(instance)`` ejects
an instance for ``eject_secs`` (default 30 s); at most ``max_eject_fraction`` of a pool is ejected at once
and a pool whose every instance is ejected is used whole (as Envoy's panic threshold).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
import time
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from artemis_client.wire.registry import Instance

__all__ = ["STRATEGIES", "Balancer", "Pool", "instance_weight"]

STRATEGIES = ("random", "round-robin", "weighted", "least-loaded", "hash")
_ALIASES = {
    "roundrobin": "round-robin",
    "rr": "round-robin",
    "p2c": "least-loaded",
    "leastloaded": "least-loaded",
    "powerof2": "least-loaded",
    "consistenthash": "hash",
    "consistent-hash": "hash",
}
RING_POINTS = 64


def norm_pick_strategy(name: str) -> str:
    """The canonical name of a pick strategy (any case, ``_`` or ``-``); ValueError naming the choices."""
    s = name.strip().lower().replace("_", "-")
    s = _ALIASES.get(s, _ALIASES.get(s.replace("-", ""), s))
    if s not in STRATEGIES:
        raise ValueError(f"unknown pick strategy {name!r} (choose one of {', '.join(STRATEGIES)})")
    return s


def instance_weight(inst: Instance) -> float:
    """``metadata["weight"]`` as a number >= 0; 1 when missing or not a finite number."""
    raw = (inst.metadata or {}).get("weight")
    if raw is None:
        return 1.0
    try:
        w = float(raw)
    except ValueError:
        return 1.0
    return w if math.isfinite(w) and w >= 0 else 1.0


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class Pool:
    """An immutable list of instances plus lazily computed helpers for the strategies.

    Helpers are built on first use and stored on the pool; two threads building one at the same time
    compute the same value, so the race is harmless and no lock is needed.
    """

    __slots__ = ("_cum", "_ids", "_local", "_ring", "instances")

    def __init__(self, instances: Sequence[Instance]) -> None:
        self.instances: tuple[Instance, ...] = tuple(instances)
        self._cum: tuple[list[float], float] | None = None
        self._ring: tuple[array[int], array[int]] | None = None
        self._local: dict[tuple[str, str], Pool] = {}
        self._ids: frozenset[str] | None = None

    def __len__(self) -> int:
        return len(self.instances)

    def __bool__(self) -> bool:
        return bool(self.instances)

    @property
    def ids(self) -> frozenset[str]:
        ids = self._ids
        if ids is None:
            ids = self._ids = frozenset(i.instance_id for i in self.instances)
        return ids

    def cumulative_weights(self) -> tuple[list[float], float]:
        cum = self._cum
        if cum is None:
            acc = list(itertools.accumulate(instance_weight(i) for i in self.instances))
            cum = self._cum = (acc, acc[-1] if acc else 0.0)
        return cum

    def ring(self) -> tuple[array[int], array[int]]:
        """Sorted ring points and the instance index of each (packed arrays: 12 bytes a point)."""
        ring = self._ring
        if ring is None:
            points = sorted(
                (_hash64(f"{inst.instance_id}#{k}"), idx)
                for idx, inst in enumerate(self.instances)
                for k in range(RING_POINTS)
            )
            ring = self._ring = (array("Q", [p for p, _ in points]), array("I", [i for _, i in points]))
        return ring

    def local(self, region: str | None, zone: str) -> Pool:
        """The instances in the client's zone (and region, when given); self when none is."""
        key = ((region or "").casefold(), zone)
        sub = self._local.get(key)
        if sub is None:
            want = key[0]
            same = [
                i
                for i in self.instances
                if i.zone_id == zone and (not want or (i.region_id or "").casefold() == want)
            ]
            sub = Pool(same) if same and len(same) < len(self.instances) else self
            self._local[key] = sub
        return sub

    def without(self, ejected: frozenset[str]) -> Pool:
        return Pool([i for i in self.instances if i.instance_id not in ejected])


class Balancer:
    """Picks from pools with one strategy; remembers ejections and calls in flight."""

    def __init__(
        self,
        strategy: str = "random",
        *,
        region: str | None = None,
        zone: str | None = None,
        zone_affinity: bool = True,
        eject_secs: float = 30.0,
        max_eject_fraction: float = 0.5,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.strategy = norm_pick_strategy(strategy)
        self.region = region
        self.zone = zone if zone_affinity else None
        self.eject_secs = eject_secs
        self.max_eject_fraction = max_eject_fraction
        self._rng = rng or random.Random()
        self._random = self._rng.random
        self._clock = clock
        self._rr = itertools.count()
        self._in_flight: dict[str, int] = {}
        self._ejected: dict[str, float] = {}  # instance id -> monotonic time the ejection ends
        self._gen = 0
        self._effective: dict[int, tuple[Pool, int, Pool, float]] = {}

    # -- the read path ------------------------------------------------------------------------------------
    def pick(self, pool: Pool, key: str | None = None) -> Instance | None:
        """One instance of ``pool`` (None when it is empty). ``key`` is what the ``hash`` strategy hashes."""
        if self._ejected:
            pool = self._without_ejected(pool)
        n = len(pool.instances)
        if n == 0:
            return None
        if self.zone is not None:
            pool = pool.local(self.region, self.zone)
            n = len(pool.instances)
        s = self.strategy
        if n == 1:
            return pool.instances[0]
        if s == "random":
            return pool.instances[int(self._random() * n)]
        if s == "round-robin":
            return pool.instances[next(self._rr) % n]
        if s == "weighted":
            cum, total = pool.cumulative_weights()
            if total <= 0:
                return pool.instances[int(self._random() * n)]
            return pool.instances[min(bisect_right(cum, self._random() * total), n - 1)]
        if s == "least-loaded":
            a = pool.instances[int(self._random() * n)]
            b = pool.instances[int(self._random() * n)]
            flights = self._in_flight
            return b if flights.get(b.instance_id, 0) < flights.get(a.instance_id, 0) else a
        # hash
        if key is None:
            raise ValueError("the hash strategy needs a key: pick(key=...)")
        points, owners = pool.ring()
        i = bisect_right(points, _hash64(key))
        return pool.instances[owners[i if i < len(points) else 0]]

    # -- calls in flight (least-loaded) -------------------------------------------------------------------
    @contextmanager
    def track(self, inst: Instance) -> Iterator[Instance]:
        """Count a call to ``inst`` as in flight for its duration (read by the ``least-loaded`` strategy).

        The counts are hints: two threads updating one count at the same moment may lose an increment,
        which at worst makes one choice of two slightly less informed.
        """
        iid = inst.instance_id
        flights = self._in_flight
        flights[iid] = flights.get(iid, 0) + 1
        try:
            yield inst
        finally:
            left = flights.get(iid, 1) - 1
            if left > 0:
                flights[iid] = left
            else:
                flights.pop(iid, None)

    def in_flight(self, inst: Instance) -> int:
        """Calls to ``inst`` in flight now."""
        return self._in_flight.get(inst.instance_id, 0)

    # -- outlier ejection ---------------------------------------------------------------------------------
    def report_failure(self, inst: Instance, secs: float | None = None) -> None:
        """Leave ``inst`` out of picks for ``secs`` (default ``eject_secs``)."""
        until = self._clock() + (self.eject_secs if secs is None else secs)
        ejected = dict(self._ejected)
        ejected[inst.instance_id] = max(until, ejected.get(inst.instance_id, 0.0))
        self._ejected = ejected
        self._gen += 1
        self._effective = {}

    def report_success(self, inst: Instance) -> None:
        """End an ejection of ``inst`` early (a call to it went through)."""
        if inst.instance_id in self._ejected:
            ejected = dict(self._ejected)
            del ejected[inst.instance_id]
            self._ejected = ejected
            self._gen += 1
            self._effective = {}

    def ejected(self) -> frozenset[str]:
        """Ids of the instances ejected now."""
        now = self._clock()
        return frozenset(i for i, until in self._ejected.items() if until > now)

    def _without_ejected(self, pool: Pool) -> Pool:
        cached = self._effective.get(id(pool))
        gen = self._gen
        if cached is not None and cached[0] is pool and cached[1] == gen and self._clock() < cached[3]:
            return cached[2]
        now = self._clock()
        live = {i: until for i, until in self._ejected.items() if until > now}
        if len(live) != len(self._ejected):
            self._ejected = live
            self._gen += 1
            gen = self._gen
        if not live:
            self._effective = {}
            return pool
        out = [i for i in pool.instances if i.instance_id in live]
        allowed = int(len(pool.instances) * self.max_eject_fraction)
        if out and len(out) <= allowed:
            drop = frozenset(i.instance_id for i in out)
        else:
            # Too many would go: leave out the freshest failures (ejections that end last), up to the cap.
            freshest = sorted(out, key=lambda i: live[i.instance_id], reverse=True)
            drop = frozenset(i.instance_id for i in freshest[: max(allowed, 0)])
        eff = pool.without(drop) if drop else pool
        effective = dict(self._effective) if len(self._effective) < 32 else {}
        effective[id(pool)] = (pool, gen, eff, min(live.values()))
        self._effective = effective
        return eff
