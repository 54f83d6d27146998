"""`artemis instance watch` over the WebSocket push of api.md 2.13 (built on the push branch).

Skipped on a tree without the push module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from queue import Empty, Queue

import httpx

from tests.cli.conftest import register, run_inproc
from tests.helpers import ROOT, LiveServer, wait_for


class Watch:
    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "artemis_cli", *args],
            env=env,
            cwd=str(ROOT),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: Queue[str] = Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        assert self.proc.stderr is not None
        first = self.proc.stderr.readline()
        assert first.startswith("watching"), first + self.proc.stderr.read()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def next(self, timeout: float = 15) -> dict:
        try:
            return json.loads(self.lines.get(timeout=timeout))
        except Empty:
            raise AssertionError("no change printed") from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def unregister(url: str, sid: str, iid: str) -> None:
    httpx.post(
        url + "/api/registry/unregister.json",
        json={"instanceKeys": [{"serviceId": sid, "instanceId": iid}]},
        timeout=10,
    )


def test_watch_services_prints_one_json_line_per_change(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    sid, other = unique("w"), unique("w")
    w = Watch("--server", server.url, "-o", "json", "instance", "watch", sid, "--max-events", "2")
    try:
        register(server.url, other, "ignored")
        register(server.url, sid, "i1", ip="10.5.0.1")
        first = w.next()
        assert (first["serviceId"], first["changeType"], first["instance"]["instanceId"]) == (
            sid,
            "new",
            "i1",
        )
        assert first["changeTime"].endswith("Z")
        unregister(server.url, sid, "i1")
        second = w.next()
        assert (second["changeType"], second["instance"]["instanceId"]) == ("delete", "i1")
        assert w.proc.wait(timeout=15) == 0  # --max-events 2
    finally:
        w.stop()


def test_watch_everything_without_ids(server: LiveServer, unique: Callable[[str], str]) -> None:
    sid = unique("w")
    w = Watch("--server", server.url, "-o", "json", "instance", "watch")
    try:
        n = 0

        def changed() -> dict | None:
            nonlocal n
            n += 1
            register(server.url, sid, f"i{n}")
            try:
                while True:
                    doc = json.loads(w.lines.get(timeout=0.5))
                    if doc["serviceId"] == sid:
                        return doc
            except Empty:
                return None

        doc = wait_for(changed, timeout=20, interval=0, what="a change of every-service watch")
        assert doc["changeType"] == "new"
        assert doc["changeTime"].endswith("Z")
    finally:
        w.stop()


def test_watch_with_no_server_exits_4() -> None:
    r = run_inproc("--server", "http://127.0.0.1:9", "instance", "watch", "x")
    assert r.code == 4
