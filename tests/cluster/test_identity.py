"""A node's claim on its data directory: a stable node id, one node per directory (S14.2, issue 14)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import pytest

from artemis_server.store.datadir import DataDirInUseError
from tests.cluster.test_restart import FAST_ENV, see_each_other
from tests.helpers import LiveServer, ServerProcess, make_settings, wait_for


def _node_id(url: str) -> str:
    return str(httpx.get(url + "/api/status/node.json", timeout=5).json()["nodeStatus"]["node"]["nodeId"])


def _peer_ids(url: str) -> dict[str, str]:
    doc = httpx.get(url + "/api/status/cluster.json", timeout=5).json()
    return {n["node"]["url"]: n["node"]["nodeId"] for n in doc["nodesStatus"]}


def test_generated_node_id_survives_a_restart_in_the_peers_view(tmp_path: Path) -> None:
    """A node without server.node_id keeps its id across a SIGKILL and restart, and its peer lists it so."""
    a, b = (ServerProcess(tmp_path / name, env=FAST_ENV) for name in ("a", "b"))
    for n in (a, b):
        n.args = ["--peer", a.url, "--peer", b.url]
    try:
        a.start(wait=False)
        b.start()
        a.wait_healthy()
        see_each_other([a, b])
        first = _node_id(b.url)
        wait_for(lambda: _peer_ids(a.url).get(b.url) == first, timeout=10, what="a lists b under its id")
        mode = stat.S_IMODE(os.stat(tmp_path / "b" / "node-id").st_mode)
        assert mode == 0o600
        assert stat.S_IMODE(os.stat(tmp_path / "b").st_mode) == 0o700
        b.kill()
        b.start()
        assert _node_id(b.url) == first
        see_each_other([a, b])
        assert _peer_ids(a.url).get(b.url) == first
    finally:
        a.kill()
        b.kill()


def test_second_process_on_a_data_dir_in_use_refuses_with_one_line(tmp_path: Path) -> None:
    """`artemis server start` on a directory another node holds exits 1 with one line naming that node."""
    first = ServerProcess(tmp_path / "d", env={"ARTEMIS_SERVER__NODE_ID": "holder-1"}).start()
    try:
        second = ServerProcess(tmp_path / "d").start(wait=False)
        assert second.proc is not None
        assert second.proc.wait(timeout=30) == 1
        _, err = second.output()
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, err
        assert "in use" in lines[0]
        assert "holder-1" in lines[0]
        assert first.url in lines[0]
        assert first.proc is not None
        assert f"pid {first.proc.pid}" in lines[0]
        assert httpx.get(first.url + "/health", timeout=5).status_code == 200  # the holder is unaffected
        first.kill()
        third = ServerProcess(tmp_path / "d").start()  # a SIGKILLed holder leaves no stale lock
        third.kill()
    finally:
        first.kill()


def test_second_node_in_the_same_process_is_refused(tmp_path: Path) -> None:
    """Two in-process nodes on one data directory: the second one does not start."""
    one = LiveServer(make_settings(tmp_path / "same")).start()
    try:
        two = LiveServer(make_settings(tmp_path / "same"))
        try:
            with pytest.raises(DataDirInUseError, match="in use"):
                two.node.claim_data_dir()
        finally:
            two.sock.close()
    finally:
        one.stop()
    again = LiveServer(make_settings(tmp_path / "same")).start()  # released on a clean stop
    again.stop()


def test_peers_know_each_others_ids_before_the_first_health_check(tmp_path: Path) -> None:
    """With the production health-check timings (first check after 10 s), peers list each other under their
    node ids within seconds of starting together: the management pulls carry the ids."""
    env = {"ARTEMIS_LOGGING__LEVEL": "warning"}
    a, b = (ServerProcess(tmp_path / name, env=env) for name in ("a", "b"))
    for n in (a, b):
        n.args = ["--peer", a.url, "--peer", b.url]
    try:
        a.start(wait=False)
        b.start(wait=False)
        a.wait_healthy()
        b.wait_healthy()
        ids = {n.url: _node_id(n.url) for n in (a, b)}
        for n, other in ((a, b), (b, a)):
            wait_for(
                lambda n=n, other=other: _peer_ids(n.url).get(other.url) == ids[other.url],
                timeout=5,
                what=f"{n.url} lists {other.url} under its id",
            )
    finally:
        a.kill()
        b.kill()
