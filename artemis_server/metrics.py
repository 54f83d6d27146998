"""Prometheus metrics of one node (api.md 2.1), on a registry of its own so several nodes can share a process.

The counts of the hot paths (registry writes, requests by route and status, request latency by route) are
plain ints and floats on the node's event loop (:class:`Tally`, :class:`Latency`), rendered as the same
Prometheus series when /metrics is scraped: prometheus_client takes a lock and makes several calls per
``inc()`` / ``observe()``. Instance and lease gauges are computed when /metrics is scraped.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

# The `<name>_created` series (creation timestamps, one per counter and histogram) double the scrape size
# and carry nothing a dashboard uses; prometheus_client only offers a process-wide switch.
disable_created_metrics()

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


GAUGE_HELP = {
    "artemis_active_instances": "Registered instances (normal and legacy leases)",
    "artemis_services": "Services with at least one registered instance",
    "artemis_leases": "Leases in the normal pool",
    "artemis_legacy_leases": "Leases in the legacy pool (metadata java_registry)",
    "artemis_lease_renewals_last_window": "Lease renewals in the last complete 10 s window",
    "artemis_lease_renewals_max_window": "Largest 10 s renewal window seen in the last 10 minutes",
    "artemis_lease_safe": "1 when evicting expired leases is allowed, 0 while self-preservation holds them",
    "artemis_ws_sessions": "Open WebSocket push sessions",
    "artemis_uptime_seconds": "Seconds since this node started",
}


class _Gauges(Collector):
    def __init__(self, read: Callable[[], dict[str, float]]) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        values = self._read()
        for name, value in values.items():
            yield GaugeMetricFamily(name, GAUGE_HELP.get(name, name.replace("_", " ")), value=value)


class Tally:
    """A count kept as a plain int on the hottest path and added to its counter when /metrics is scraped.

    prometheus_client takes a lock on every ``inc()``; the node's event loop is one thread, so the
    heartbeats renewed from the renewal cache count here and :meth:`Metrics.render` folds them in.
    """

    __slots__ = ("counter", "n")

    def __init__(self, counter: Any) -> None:
        self.counter = counter
        self.n = 0

    def fold(self) -> None:
        n, self.n = self.n, 0
        if n:
            self.counter.inc(n)


class Latency:
    """One route's request latencies as bucket counts (``le`` the bucket's upper bound, the last one
    ``+Inf``) and a sum, kept as plain numbers: prometheus_client's ``Histogram.observe`` takes a lock and
    makes five calls (0.9 us, about a seventh of a cached heartbeat's time in the node, benchmarks/inproc.py).
    :class:`Latencies` renders them as the same histogram series (byte for byte) at scrape time."""

    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.sum += seconds


class Latencies(Collector):
    """``artemis_http_request_duration_seconds``: the histogram of request latency by route."""

    NAME = "artemis_http_request_duration_seconds"
    _LE = [floatToGoString(b) for b in LATENCY_BUCKETS] + ["+Inf"]

    def __init__(self) -> None:
        self.routes: dict[str, Latency] = {}

    def labels(self, route: str) -> Latency:
        child = self.routes.get(route)
        if child is None:
            child = self.routes[route] = Latency()
        return child

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(self.NAME, "HTTP request latency by route", labels=["route"])
        for route, child in list(self.routes.items()):
            total = 0
            buckets: list[tuple[str, float]] = []
            for le, n in zip(self._LE, child.counts, strict=True):
                total += n
                buckets.append((le, float(total)))
            family.add_metric([route], buckets, child.sum)
        yield family


class Metrics:
    def __init__(self, gauges: Callable[[], dict[str, float]]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.tallies: list[Tally] = []
        self._done: dict[tuple[str, int], tuple[Tally, Latency]] = {}
        r = self.registry
        self.register_requests = Counter(
            "artemis_register_requests", "Register requests received", registry=r
        )
        self.heartbeat_requests = Counter(
            "artemis_heartbeat_requests", "Heartbeat requests received", registry=r
        )
        self.unregister_requests = Counter(
            "artemis_unregister_requests", "Unregister requests received", registry=r
        )
        self.discovery_requests = Counter(
            "artemis_discovery_requests", "Discovery calls (service, services, lookup, delta)", registry=r
        )
        self.heartbeat_keys = Counter("artemis_heartbeat_keys", "Instance keys renewed", registry=r)
        self.heartbeat_failed_keys = Counter(
            "artemis_heartbeat_failed_keys", "Heartbeat keys of unknown instances", registry=r
        )
        self.evictions = Counter("artemis_evictions", "Instances evicted by lease expiry", registry=r)
        self.rate_limited = Counter(
            "artemis_rate_limited_requests", "Requests refused by the rate limiter", ["operation"], registry=r
        )
        self.http_requests = Counter(
            "artemis_http_requests", "HTTP requests by route and status", ["route", "status"], registry=r
        )
        self.http_latency = Latencies()
        r.register(self.http_latency)
        self.replication_sent = Counter(
            "artemis_replication_items_sent", "Items replicated to peers", ["kind"], registry=r
        )
        self.replication_failed = Counter(
            "artemis_replication_failures", "Replication requests that failed", ["peer"], registry=r
        )
        self.ws_messages = Counter("artemis_ws_messages_sent", "Push messages sent", registry=r)
        self.management_ops = Counter(
            "artemis_management_operations", "Management commands applied", ["command"], registry=r
        )
        r.register(_Gauges(gauges))
        # The registry writes' counts: plain ints on the hot paths, folded in at scrape time (Tally).
        self._registers = self.tally(self.register_requests)
        self._heartbeats = self.tally(self.heartbeat_requests)
        self._unregisters = self.tally(self.unregister_requests)
        self._renewed = self.tally(self.heartbeat_keys)
        self._discoveries = self.tally(self.discovery_requests)

    # -- the registry service's counts (registry.ports.RegistryMetrics) ------------------------------
    def count_register(self) -> None:
        self._registers.n += 1

    def count_heartbeat(self) -> None:
        self._heartbeats.n += 1

    def count_unregister(self) -> None:
        self._unregisters.n += 1

    def count_renewed(self, keys: int) -> None:
        self._renewed.n += keys

    def count_renewed_again(self, keys: int) -> None:
        # a heartbeat answered from the renewal cache: one request, its keys renewed
        self._heartbeats.n += 1
        self._renewed.n += keys

    def count_discovery(self) -> None:
        self._discoveries.n += 1

    def count_unknown(self, keys: int) -> None:
        self.heartbeat_failed_keys.inc(keys)

    def count_rate_limited(self, operation: str) -> None:
        self.rate_limited.labels(operation).inc()

    def request_done(self, route: str, status: int, seconds: float) -> None:
        """Count one answered request and observe its latency (children are bound once per label set:
        ``labels()`` builds a key and takes a lock on every call; the count is a :class:`Tally`)."""
        key = (route, status)
        child = self._done.get(key)
        if child is None:
            child = self._done[key] = (
                self.tally(self.http_requests.labels(route, str(status))),
                self.http_latency.labels(route),
            )
        child[0].n += 1
        child[1].observe(seconds)

    def tally(self, counter: Any) -> Tally:
        t = Tally(counter)
        self.tallies.append(t)
        return t

    def fold(self) -> None:
        for t in self.tallies:
            t.fold()

    def render(self) -> bytes:
        self.fold()
        return generate_latest(self.registry)
