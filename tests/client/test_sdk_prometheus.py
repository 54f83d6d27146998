"""The SDK's optional Prometheus adapter, scraped after real traffic against a live node."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from artemis_client.prometheus import ClientMetrics, instrument
from artemis_client.sync import ArtemisClient
from artemis_client.wire.registry import Instance
from tests.helpers import LiveServer, wait_for


def scrape(registry: CollectorRegistry) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the registry's text output, keyed by name and labels."""
    text = generate_latest(registry).decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def test_scraped_figures_follow_real_traffic(server: LiveServer, unique: Callable[[str], str]) -> None:
    """Two clients on one registry (told apart by a label, a second collector refused): heartbeats over the
    socket, registrations, fetches, the push connection, picks, cache size and age show up in the scrape
    and move with traffic."""
    svc = unique("prom")
    registry = CollectorRegistry()
    with (
        ArtemisClient(server.url, heartbeat_interval=0.2, heartbeat_transport="websocket") as owner,
        ArtemisClient(server.url) as user,
    ):
        instrument(owner, registry=registry, labels={"client": "owner"})
        metrics = instrument(user, registry=registry, labels={"client": "user"})
        with pytest.raises(ValueError, match="labels"):
            instrument(ArtemisClient(server.url), registry=registry, labels={"client": "user"})
        with pytest.raises(ValueError, match="Duplicated"):  # one collector per registry, its names fixed
            ClientMetrics(registry)
        owner.register(Instance(service_id=svc, instance_id="a", url="http://127.0.0.1:9/a"))
        handle = user.discover(svc)
        wait_for(lambda: user.stream_server is not None, what="the change stream")
        for _ in range(25):
            handle.pick()
        first = scrape(registry)
        o, u = {"client": "owner"}, {"client": "user"}
        assert value(first, "artemis_client_registrations_total", kind="register", result="ok", **o) == 1
        assert value(first, "artemis_client_registered_instances", **o) == 1
        assert value(first, "artemis_client_picks_total", service=svc, **u) == 25
        assert value(first, "artemis_client_cache_instances", service=svc, **u) == 1
        assert value(first, "artemis_client_cache_stale", service=svc, **u) == 0
        assert value(first, "artemis_client_fetches_total", result="ok", **u) >= 1
        assert value(first, "artemis_client_connected", channel="push", **u) == 1
        assert value(first, "artemis_client_heartbeats_total", result="failed", **o) == 0
        age = value(first, "artemis_client_cache_age_seconds", service=svc, **u)

        owner.register(Instance(service_id=svc, instance_id="b", url="http://127.0.0.1:9/b"))
        wait_for(lambda: len(handle.instances) == 2, what="the push of b")
        wait_for(
            lambda: value(scrape(registry), "artemis_client_heartbeat_socket_beats_total", **o) >= 3,
            what="heartbeats over the socket",
        )
        for _ in range(10):
            handle.pick()
        then = scrape(registry)
        assert value(then, "artemis_client_picks_total", service=svc, **u) == 35
        assert value(then, "artemis_client_cache_instances", service=svc, **u) == 2
        assert value(then, "artemis_client_push_changes_total", **u) >= 1
        assert value(then, "artemis_client_registrations_total", kind="register", result="ok", **o) == 2
        assert value(then, "artemis_client_heartbeats_total", result="ok", **o) >= 3
        assert value(then, "artemis_client_connected", channel="heartbeat_socket", **o) == 1
        assert value(then, "artemis_client_heartbeat_http_fallbacks_total", **o) == 0
        assert value(then, "artemis_client_events_total", event="registered", **o) == 2
        assert value(then, "artemis_client_cache_age_seconds", service=svc, **u) >= 0
        assert 0 <= age < 60
        metrics.remove(user)
        assert ("artemis_client_picks_total", frozenset({"service": svc, **u}.items())) not in scrape(
            registry
        )
