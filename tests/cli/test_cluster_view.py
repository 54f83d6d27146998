"""`artemis cluster nodes` on a real multi-node cluster: down peers and replication backlog (push/replication
branch); skipped on a tree without replication."""

from __future__ import annotations

import socket
from collections.abc import Callable

import msgspec

from artemis_cli.cluster_view import peer_metrics
from tests.cli.conftest import run_inproc
from tests.helpers import LiveServer, wait_for


def test_peer_metrics_parsing() -> None:
    text = (
        "# HELP artemis_peer_up 1 when up\n"
        'artemis_peer_up{peer="http://a:1"} 1.0\n'
        'artemis_replication_pending_items{peer="http://a:1"} 3.0\n'
        'artemis_replication_dropped_items{peer="http://a:1"} 0.0\n'
        'artemis_peer_up{peer="http://b:2/"} 0.0\n'
        "artemis_register_requests_total 5.0\n"
    )
    assert msgspec.to_builtins(peer_metrics(text)) == {
        "http://a:1": {"up": 1, "replicationPending": 3, "replicationDropped": 0},
        "http://b:2": {"up": 0},
    }


def test_cluster_nodes_shows_up_and_down_peers(make_server: Callable[..., LiveServer]) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()
    b = make_server()
    a = make_server(
        cluster={
            "enabled": True,
            "peers": [b.url, dead],
            "health_check_initial_delay_secs": 0,
            "health_check_interval_secs": 0.2,
        }
    )

    def view() -> dict[str, dict] | None:
        r = run_inproc("--server", a.url, "cluster", "nodes")
        assert r.code == 0, r.stderr
        rows = {n["node"]["url"]: n for n in r.json()}
        # a itself reports "starting" until its start-up sync gave up on the dead peer (cluster.sync_timeout_secs)
        ok = (
            rows.get(a.url, {}).get("status") == "up"
            and rows.get(b.url, {}).get("status") == "up"
            and rows.get(dead, {}).get("status") == "down"
        )
        return rows if ok else None

    rows = wait_for(view, timeout=30, interval=0.2, what="a and b up, the dead peer down")
    assert rows[b.url]["replicationPending"] >= 0
    assert next(iter(rows)) == a.url  # self first
