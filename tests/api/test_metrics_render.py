"""The plain-number request metrics (metrics.Tally, metrics.Latency) render what prometheus_client renders."""

from __future__ import annotations

import random

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from artemis_server.metrics import LATENCY_BUCKETS, Metrics


def test_latency_histogram_renders_like_prometheus_client() -> None:
    """Random latencies (bounds included) observed per route render byte for byte as a prometheus_client
    Histogram with the same name, help and buckets renders them."""
    rng = random.Random(17)
    values = [rng.choice(LATENCY_BUCKETS) for _ in range(50)] + [rng.expovariate(50) for _ in range(500)]
    values += [0.0, 10.0]
    ours = Metrics(dict)
    reference = CollectorRegistry()
    theirs = Histogram(
        "artemis_http_request_duration_seconds",
        "HTTP request latency by route",
        ["route"],
        buckets=LATENCY_BUCKETS,
        registry=reference,
    )
    for i, v in enumerate(values):
        route = ("/api/registry/heartbeat.json", "/api/discovery/service.json")[i % 2]
        ours.request_done(route, 200, v)
        theirs.labels(route).observe(v)
    want = generate_latest(reference).decode()
    got = ours.render().decode()
    start = got.index("# HELP artemis_http_request_duration_seconds")
    assert got[start : start + len(want)] == want


def test_hot_path_counts_reach_the_scrape() -> None:
    """Registry write counts kept as plain ints appear in the scrape, and a second scrape does not count
    them twice."""
    m = Metrics(dict)
    m.count_register()
    m.count_heartbeat()
    m.count_renewed(3)
    m.count_renewed_again(2)
    m.count_unregister()
    m.request_done("/api/registry/heartbeat.json", 200, 0.001)
    for _ in range(2):
        text = m.render().decode()
        assert "artemis_register_requests_total 1.0" in text
        assert "artemis_heartbeat_requests_total 2.0" in text
        assert "artemis_heartbeat_keys_total 5.0" in text
        assert "artemis_unregister_requests_total 1.0" in text
        assert 'artemis_http_requests_total{route="/api/registry/heartbeat.json",status="200"} 1.0' in text
