"""Prometheus metrics of SDK clients, read from :meth:`AsyncArtemisClient.stats` when scraped.

The only ``artemis_client`` module that imports ``prometheus_client`` (an import contract keeps the rest
light); import it only when you export metrics. Nothing is added to the client's hot paths: the collector
reads the counters the client keeps anyway, at scrape time::

    from prometheus_client import start_http_server
    from artemis_client import ArtemisClient
    from artemis_client.prometheus import instrument

    client = ArtemisClient("http://registry:8080")
    instrument(client)  # on prometheus_client's global registry
    start_http_server(9100)

Several clients may share a registry: give each one its own labels (``instrument(client, labels={"client":
"orders"})``). A client that was garbage-collected leaves the output; :meth:`ClientMetrics.remove` takes one
out explicitly. Every metric is named ``artemis_client_*``:

========================================= ======= ===============================================
metric                                    type    meaning
========================================= ======= ===============================================
``heartbeats_total{result}``              counter batched heartbeats, ``ok`` / ``failed``
``heartbeat_socket_beats_total``          counter heartbeats answered over the heartbeat socket
``heartbeat_http_fallbacks_total``        counter beats the socket could not carry, sent over HTTP
``registrations_total{kind,result}``      counter ``register`` / ``unregister`` calls, ``ok`` / ``failed``
``events_total{event}``                   counter state changes: ``watchdog``, ``recovered``,
                                                  ``re-register``, ``heartbeat-failed``, ``stale``...
``fetches_total{result}``                 counter batched discovery lookups
``push_changes_total``                    counter changes received by push
``reconnects_total{channel}``             counter connections opened after the first (``push``,
                                                  ``heartbeat_socket``)
``disconnects_total{channel}``            counter connections lost
``picks_total{service}``                  counter instances picked from the cache
``connected{channel}``                    gauge   1 while the channel is open
``registered_instances``                  gauge   instances this client keeps registered
``cache_instances{service}``              gauge   instances in the cached snapshot
``cache_age_seconds{service}``            gauge   seconds since a node last confirmed the snapshot
``cache_stale{service}``                  gauge   1 while no node can be reached for it
``ejected_instances{service}``            gauge   instances left out after ``report_failure()``
========================================= ======= ===============================================
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector, CollectorRegistry

__all__ = ["ClientMetrics", "instrument"]

PREFIX = "artemis_client_"


class Instrumented(Protocol):
    """What the collector reads: ``AsyncArtemisClient`` and ``ArtemisClient`` both have it."""

    @property
    def config(self) -> Any: ...

    def stats(self) -> dict[str, Any]: ...


class ClientMetrics(Collector):
    """A collector of the figures of one or more SDK clients (sync or async), registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry | None = REGISTRY) -> None:
        self._clients: list[tuple[weakref.ref[Instrumented], dict[str, str]]] = []
        self._lock = threading.Lock()
        if registry is not None:
            registry.register(self)

    def add(self, client: Instrumented, labels: Mapping[str, str] | None = None) -> None:
        """Export ``client``'s figures with these constant labels (distinct per client on one registry)."""
        labels = dict(labels or {})
        with self._lock:
            for ref, known in self._clients:
                if ref() is client:
                    raise ValueError("this client is exported already")
                if known == labels:
                    raise ValueError(
                        f"another client is exported with the labels {labels}; give each its own"
                    )
                if known.keys() != labels.keys():
                    raise ValueError(
                        f"every client on one registry needs the same label names ({list(known)})"
                    )
            self._clients.append((weakref.ref(client), labels))

    def remove(self, client: Instrumented) -> None:
        """Stop exporting ``client``."""
        with self._lock:
            self._clients = [(r, lb) for r, lb in self._clients if r() is not client and r() is not None]

    def describe(self) -> list[Metric]:
        """The fixed names, without reading any client (the registry refuses a second collector of them)."""
        return [
            (CounterMetricFamily if mtype == "counter" else GaugeMetricFamily)(PREFIX + name, doc)
            for name, (mtype, doc) in _METRICS.items()
        ]

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            clients = [(c, lb) for r, lb in self._clients if (c := r()) is not None]
        families = _Families()
        for client, labels in clients:
            _add_client(families, client.stats(), labels, client.config.heartbeat_transport == "websocket")
        yield from families.all()


def instrument(
    client: Instrumented,
    *,
    registry: CollectorRegistry | None = None,
    labels: Mapping[str, str] | None = None,
) -> ClientMetrics:
    """Export ``client``'s figures on ``registry`` (default: prometheus_client's global one). Returns the
    registry's :class:`ClientMetrics` (one per registry, shared by every client instrumented on it)."""
    reg = REGISTRY if registry is None else registry
    with _instrument_lock:
        metrics = _by_registry.get(reg)
        if metrics is None:
            metrics = _by_registry[reg] = ClientMetrics(reg)
    metrics.add(client, labels)
    return metrics


_by_registry: weakref.WeakKeyDictionary[CollectorRegistry, ClientMetrics] = weakref.WeakKeyDictionary()
_instrument_lock = threading.Lock()


# name (after the prefix) -> type and help text
_METRICS: dict[str, tuple[str, str]] = {
    "heartbeats": ("counter", "Batched heartbeats sent"),
    "heartbeat_socket_beats": ("counter", "Heartbeats answered over the heartbeat socket"),
    "heartbeat_http_fallbacks": ("counter", "Heartbeats the socket could not carry, sent over HTTP"),
    "registrations": ("counter", "Register and unregister calls"),
    "events": ("counter", "Registration state changes (watchdog, recovered, re-register, ...)"),
    "fetches": ("counter", "Batched discovery lookups"),
    "push_changes": ("counter", "Instance changes received by push"),
    "reconnects": ("counter", "Connections opened after the first"),
    "disconnects": ("counter", "Connections lost"),
    "picks": ("counter", "Instances picked from the cache"),
    "connected": ("gauge", "1 while the channel is open"),
    "registered_instances": ("gauge", "Instances this client keeps registered"),
    "cache_instances": ("gauge", "Instances in the cached snapshot"),
    "cache_age_seconds": ("gauge", "Seconds since a node last confirmed the cached snapshot"),
    "cache_stale": ("gauge", "1 while no node can confirm the cached snapshot"),
    "ejected_instances": ("gauge", "Instances left out of picks after report_failure()"),
}


class _Families:
    """The metric families of one scrape, created on first use, samples added per client."""

    def __init__(self) -> None:
        self._families: dict[str, Metric] = {}

    def add(self, name: str, value: float, labels: dict[str, str], **own: str) -> None:
        family = self._families.get(name)
        if family is None:
            mtype, doc = _METRICS[name]
            cls = CounterMetricFamily if mtype == "counter" else GaugeMetricFamily
            family = self._families[name] = cls(PREFIX + name, doc, labels=[*labels, *own])
        family.add_metric([*labels.values(), *own.values()], value)  # type: ignore[attr-defined]

    def all(self) -> Iterator[Metric]:
        return iter(self._families.values())


def _add_client(f: _Families, stats: dict[str, Any], lb: dict[str, str], socket: bool) -> None:
    c: dict[str, int] = stats["counters"]
    for result in ("ok", "failed"):
        f.add("heartbeats", c.get(f"heartbeat_{result}", 0), lb, result=result)
        f.add("fetches", c.get(f"fetch_{result}", 0), lb, result=result)
        for kind in ("register", "unregister"):
            f.add("registrations", c.get(f"{kind}_{result}", 0), lb, kind=kind, result=result)
    if socket:
        f.add("heartbeat_socket_beats", c.get("heartbeat_ws", 0), lb)
        f.add("heartbeat_http_fallbacks", c.get("heartbeat_http_fallback", 0), lb)
    for key, value in sorted(c.items()):
        if key.startswith("event_"):
            f.add("events", value, lb, event=key[len("event_") :])
    f.add("push_changes", c.get("push_changes", 0), lb)
    channels = {"push": ("push_connected", "push_disconnected", stats["push_server"])}
    if socket:
        channels["heartbeat_socket"] = (
            "heartbeat_ws_connects",
            "heartbeat_ws_drops",
            stats["heartbeat_socket"],
        )
    for channel, (opened, lost, server) in channels.items():
        f.add("reconnects", max(0, c.get(opened, 0) - 1), lb, channel=channel)
        f.add("disconnects", c.get(lost, 0), lb, channel=channel)
        f.add("connected", float(server is not None), lb, channel=channel)
    f.add("registered_instances", stats["registered"], lb)
    for sid, svc in sorted(stats["services"].items()):
        if svc is None:  # followed, not fetched yet
            continue
        f.add("picks", svc["picks"], lb, service=sid)
        f.add("cache_instances", svc["instances"], lb, service=sid)
        f.add("cache_age_seconds", svc["age"], lb, service=sid)
        f.add("cache_stale", float(svc["stale"]), lb, service=sid)
        f.add("ejected_instances", svc["ejected"], lb, service=sid)
