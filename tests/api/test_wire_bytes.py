"""The bytes a node answers, pinned: one scripted session over every area compared with a golden transcript.

Most tests parse answers as JSON, so a change of key order, of an omitted null or of a number's type would go
unseen; Java readers and the scripts of the Rust repo (which grep byte strings, api.md T2) would see it. This
test drives one node through registry, discovery, replication, status, management, zone, canary, routing (R
and J paths), audit, auth and the WebSocket channels, rewrites what differs from run to run (times, tokens,
generated ids, the port) and compares the transcript with ``wire_bytes.golden`` byte for byte.

After an intended change of an answer, rewrite the golden file with ``ARTEMIS_UPDATE_GOLDEN=1 pytest
tests/api/test_wire_bytes.py`` and review its diff like code.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.helpers import LiveServer

GOLDEN = Path(__file__).with_name("wire_bytes.golden")
SCRIPT = Path(__file__).with_name("wire_script.txt")
ADMIN_PASSWORD = "golden-admin-pw"
# Read at import: the autouse fixture of conftest.py clears ARTEMIS_* variables before each test runs.
UPDATE = os.environ.get("ARTEMIS_UPDATE_GOLDEN") == "1"


class Transcript:
    """Records each exchange with what varies between runs replaced by stable labels."""

    def __init__(self, url: str, extra: dict[str, str]) -> None:
        self.url = url
        self.lines: list[str] = []
        self.labels: dict[str, str] = {}
        self.extra = extra  # exact strings to replace (database id, host name)

    def _label(self, kind: str, value: str) -> str:
        key = f"{kind}:{value}"
        if key not in self.labels:
            n = sum(1 for k in self.labels if k.startswith(kind + ":")) + 1
            self.labels[key] = f"<{kind}-{n}>"
        return self.labels[key]

    def scrub(self, text: str) -> str:
        text = text.replace(self.url, "http://NODE")
        text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
        for value, name in self.extra.items():
            # whole tokens only: a short host name ("vm") also occurs inside random tokens (a JWT)
            text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", name, text)
        text = re.sub(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", lambda m: self._label("jwt", m.group()), text)
        text = re.sub(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            lambda m: self._label("uuid", m.group()),
            text,
        )
        text = re.sub(r"\b[0-9a-f]{64}\b", lambda m: self._label("hex", m.group()), text)
        text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<rfc3339>", text)
        text = re.sub(r"\b1\d{12}(\.\d+)?\b", "<ms>", text)
        text = re.sub(r"\b1\d{9}(\.\d+)?\b", "<s>", text)
        text = re.sub(r"\b\d+ seconds ago\b", "<n> seconds ago", text)
        return re.sub(r"\bin \d+ seconds\b", "in <n> seconds", text)

    def add(self, title: str, status: int | str, media: str, body: str) -> None:
        self.lines.append(f"### {self.scrub(title)}\n{status} {media}\n{self.scrub(body)}\n")


def _pick(doc: Any, path: str) -> str:
    for part in path.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return str(doc)


def run_script(srv: LiveServer, t: Transcript, variables: dict[str, str]) -> None:
    """Send every request of ``wire_script.txt`` in order and record each answer."""
    headers: dict[str, str] = {}
    once: dict[str, str] = {}

    def expand(text: str) -> str:
        return re.sub(r"\$\{(\w+)\}", lambda m: variables[m.group(1)], text)

    with httpx.Client(base_url=srv.url, timeout=15, headers={"User-Agent": "golden"}) as http:
        for line in SCRIPT.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("@"):
                scope, _, spec = line.partition(" ")
                name, _, value = spec.partition(":")
                target = headers if scope == "@header" else once
                if value.strip():
                    target[name.strip()] = expand(value.strip())
                else:
                    target.pop(name.strip(), None)
                continue
            line, _, keep = line.partition(" >> ")
            method, path, *rest = expand(line).split(" ", 2)
            body = rest[0] if rest else None
            content = None
            if body is not None:
                content = (
                    body[4:].encode("latin-1").decode("unicode_escape").encode("latin-1")
                    if body.startswith("raw:")
                    else body.encode()
                )
            r = http.request(method, path, content=content, headers={**headers, **once})
            once.clear()
            t.add(f"{method} {path}", r.status_code, r.headers.get("content-type", ""), r.text)
            if keep:
                name, _, where = keep.partition("=")
                variables[name] = _pick(r.json(), where)


def key(service: str, instance: str) -> dict[str, str]:
    return {"regionId": "r1", "serviceId": service, "instanceId": instance}


def inst(service: str, instance: str, ip: str) -> dict[str, Any]:
    return {"serviceId": service, "instanceId": instance, "ip": ip, "port": 8080}


def websockets_frames(srv: LiveServer, t: Transcript) -> None:
    ws_url = srv.url.replace("http://", "ws://")
    with connect(ws_url + "/ws") as ws, connect(ws_url + "/ws/discovery/instance-change") as j:
        for frame in (
            '{"type":"ping"}',
            '{"type":"subscribe","service_id":"golden-ws"}',
            '{"type":"unsubscribe","serviceId":"golden-none"}',
            '{"type":"dance"}',
            "not json",
            '{"type":"subscribe","serviceId":"golden-ws"}',
        ):
            ws.send(frame)
            t.add(f"WS /ws <- {frame}", "frame", "text", str(ws.recv(timeout=10)))
        j.send('{"serviceId":"golden-ws"}')
        httpx.post(
            srv.url + "/api/registry/register.json",
            json={"instances": [inst("golden-ws", "w1", "10.7.7.7")]},
            timeout=10,
        )
        t.add("WS /ws push", "frame", "text", str(ws.recv(timeout=10)))
        t.add("WS /ws/discovery/instance-change push", "frame", "text", str(j.recv(timeout=10)))
    with connect(ws_url + "/ws/registry/heartbeat") as hb:
        for frame in (
            json.dumps({"instances": [inst("golden-ws", "w1", "10.7.7.7")]}),
            json.dumps({"instanceKeys": [key("golden-ws", "nope")]}),
            "garbage",
        ):
            hb.send(frame)
            t.add(f"WS /ws/registry/heartbeat <- {frame}", "frame", "text", str(hb.recv(timeout=10)))


@pytest.fixture
def golden_node(make_server: Callable[..., LiveServer], monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    monkeypatch.setenv("ARTEMIS_ADMIN_PASSWORD", ADMIN_PASSWORD)
    return make_server(
        server={"node_id": "golden-node", "region": "r1", "zone": "z1"},
        ratelimit={"enabled": False},
        discovery={"emit_route_rules": True},
    )


def test_answers_match_the_golden_transcript(golden_node: LiveServer) -> None:
    """Every answer of the scripted session is byte-identical to the golden transcript (after scrubbing)."""
    srv = golden_node
    extra = {socket.gethostname(): "<host>", f'"port":{srv.port},': '"port":PORT,'}
    db_id = srv.node.management.database_id
    if db_id:
        extra[db_id] = "<database-id>"
    t = Transcript(srv.url, extra)
    run_script(srv, t, {"admin_password": ADMIN_PASSWORD, "x300": "x" * 300})
    websockets_frames(srv, t)
    text = "".join(t.lines)
    if UPDATE:
        GOLDEN.write_text(text, encoding="utf-8")
    want = GOLDEN.read_text(encoding="utf-8")
    if text != want:
        import difflib

        diff = "".join(
            difflib.unified_diff(want.splitlines(True), text.splitlines(True), "golden", "now", n=1)
        )
        pytest.fail(f"answers differ from {GOLDEN.name}:\n{diff[:6000]}")
