"""A seeded barrage of malformed requests against every POST endpoint of api.md 2.2, 2.3, 2.5 and 2.6.

Every answer must be a 4xx JSON document in the Artemis envelope (family A: ``responseStatus`` with
``status:"fail"`` and ``errorCode:"bad-request"``) or, where the spec reports the problem inside HTTP 200
(S2.1, S2.2, S4.3, S5: missing lists, items without identity), a family-A ``fail``/``partial_fail`` with
``errorCode:"bad-request"``. Never a 5xx, never a handler crash in the log, and an instance registered before
the barrage is still discoverable after it.
"""

from __future__ import annotations

import copy
import gzip
import json
import logging
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api.wireclient import instance, instance_ids, key, ok, register
from tests.helpers import LiveServer

SEED = 20261129


def GZ(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)  # a fixed header timestamp keeps the barrage byte-for-byte repeatable


BODY_LIMIT = 64 * 1024

# Field kinds of each request shape (paths into a valid body) and values of the wrong type for each kind.
WRONG: dict[str, list[Any]] = {
    "str": [1, -7, 1.5, True, False, [], {}, ["a"], {"a": "b"}],
    "int": ["x", "8080", 1.5, True, [], {}, [1], {"v": 1}, 1e300],
    "req_int": ["x", "8080", 1.5, True, [], {}, [1], None],
    "list_obj": ["x", 1, True, {}, {"a": 1}, [1], ["x"], [None], [[]], [True]],
    "list_str": ["x", 1, True, {}, [1], [None], [[]], [{}], [True]],
    "obj": ["x", 1, True, [], [{}], 0.5],
    "map": ["x", 1, True, [], [{"a": "b"}], {"k": [1]}, {"k": {"a": "b"}}],
}


def _inst() -> dict[str, Any]:
    return instance("bar", "i", metadata={"k": "v"})


def _dc() -> dict[str, Any]:
    return {"serviceId": "bar", "regionId": "r1", "zoneId": "z1", "discoveryData": {"clientIp": "1.2.3.4"}}


INSTANCE_FIELDS = {
    "regionId": "str",
    "zoneId": "str",
    "groupId": "str",
    "serviceId": "str",
    "instanceId": "str",
    "machineName": "str",
    "ip": "str",
    "port": "int",
    "protocol": "str",
    "url": "str",
    "healthCheckUrl": "str",
    "status": "str",
    "metadata": "map",
}
KEY_FIELDS = {"regionId": "str", "zoneId": "str", "groupId": "str", "serviceId": "str", "instanceId": "str"}
DC_FIELDS = {"serviceId": "str", "regionId": "str", "zoneId": "str", "discoveryData": "map"}


def _nested(prefix: tuple[Any, ...], fields: dict[str, str]) -> dict[tuple[Any, ...], str]:
    return {(*prefix, name): kind for name, kind in fields.items()}


@dataclass(frozen=True)
class Shape:
    valid: Callable[[], Any]
    fields: dict[tuple[Any, ...], str]


REGISTER = Shape(
    lambda: {"instances": [_inst()]},
    {("instances",): "list_obj", ("instances", 0): "obj", **_nested(("instances", 0), INSTANCE_FIELDS)},
)
KEYS = Shape(
    lambda: {"instanceKeys": [key("bar", "i")], "instances": [_inst()]},
    {
        ("instanceKeys",): "list_obj",
        ("instanceKeys", 0): "obj",
        **_nested(("instanceKeys", 0), KEY_FIELDS),
        ("instances",): "list_obj",
        ("instances", 0): "obj",
        **_nested(("instances", 0), INSTANCE_FIELDS),
    },
)
SERVICE = Shape(
    lambda: {"discoveryConfig": _dc(), "regionId": "r1", "zoneId": "z1"},
    {
        ("discoveryConfig",): "obj",
        **_nested(("discoveryConfig",), DC_FIELDS),
        ("regionId",): "str",
        ("zoneId",): "str",
    },
)
SERVICES = Shape(lambda: {"regionId": "r1", "zoneId": "z1"}, {("regionId",): "str", ("zoneId",): "str"})
LOOKUP_BATCH = Shape(
    lambda: {"discoveryConfigs": [_dc()], "regionId": "r1", "zoneId": "z1"},
    {
        ("discoveryConfigs",): "list_obj",
        ("discoveryConfigs", 0): "obj",
        **_nested(("discoveryConfigs", 0), DC_FIELDS),
        ("regionId",): "str",
        ("zoneId",): "str",
    },
)
LOOKUP_ONE = Shape(
    lambda: {"discoveryConfig": _dc(), "strategy": "round-robin"},
    {("discoveryConfig",): "obj", **_nested(("discoveryConfig",), DC_FIELDS), ("strategy",): "str"},
)
DELTA = Shape(
    lambda: {"version": 1, "regionId": "r1", "zoneId": "z1"},
    {("version",): "req_int", ("regionId",): "str", ("zoneId",): "str"},
)
LEASES = Shape(
    lambda: {"serviceIds": ["bar"], "appIds": ["bar"]}, {("serviceIds",): "list_str", ("appIds",): "list_str"}
)
IGNORED = Shape(lambda: {"serviceIds": ["bar"]}, {})

ENDPOINTS: dict[str, list[Shape]] = {
    "/api/registry/register.json": [REGISTER],
    "/api/registry/register": [REGISTER],
    "/api/registry/heartbeat.json": [KEYS],
    "/api/registry/heartbeat": [KEYS],
    "/api/registry/unregister.json": [KEYS],
    "/api/registry/unregister": [KEYS],
    "/api/discovery/service.json": [SERVICE],
    "/api/discovery/service": [SERVICE],
    "/api/discovery/services.json": [SERVICES],
    "/api/discovery/services": [SERVICES],
    "/api/discovery/lookup.json": [LOOKUP_BATCH, LOOKUP_ONE],
    "/api/discovery/lookup": [LOOKUP_BATCH, LOOKUP_ONE],
    "/api/discovery/services-delta.json": [DELTA],
    "/api/cluster/up-registry-nodes.json": [SERVICES],
    "/api/cluster/up-discovery-nodes.json": [SERVICES],
    "/api/status/node.json": [IGNORED],
    "/api/status/cluster.json": [IGNORED],
    "/api/status/leases.json": [LEASES],
    "/api/status/legacy-leases.json": [LEASES],
    "/api/status/config.json": [IGNORED],
    "/api/status/deployment.json": [IGNORED],
}

# Bodies that are broken whatever the endpoint: bad syntax, wrong top-level type, bad bytes.
SYNTAX = [
    b"{",
    b"}",
    b"{nope}",
    b'{"instances":}',
    b'{"instances":[}',
    b'{"a":1,}',
    b"{'a': 1}",
    b'{"a":1} trailing',
    b'{"a":NaN}',
    b'{"a":1e400}',
    b'{"a":"\xff\xfe"}',
    b"\xef\xbb\xbf{}",
    b'{"a":"unterminated',
    b"\x00\x01\x02",
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
]
NOT_OBJECT = [b"[]", b"[{}]", b"1", b"-2.5", b'"text"', b"true", b"null", b'[{"instances":[]}]']


@dataclass(frozen=True)
class Case:
    path: str
    body: bytes
    headers: dict[str, str]
    what: str
    in_200_ok: bool = False  # the spec reports this one inside HTTP 200 (family A fail / partial_fail)

    def __str__(self) -> str:
        return f"POST {self.path} [{self.what}] {self.body[:120]!r}"


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return doc


def _drop(doc: Any, path: tuple[Any, ...]) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return doc


def _respell(obj: Any, rng: random.Random) -> Any:
    """Re-spell keys (snake_case, UPPER, lower) so the barrage also runs through tolerant key matching."""
    if isinstance(obj, list):
        return [_respell(v, rng) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {}
    for k, v in obj.items():
        style = rng.randrange(4)
        if style == 1:
            k = "".join("_" + c.lower() if c.isupper() else c for c in k)
        elif style == 2:
            k = k.upper()
        elif style == 3:
            k = k.lower()
        out[k] = v if k.lower() in ("metadata", "discoverydata") else _respell(v, rng)
    return out


def _encode(doc: Any, rng: random.Random) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(_respell(doc, rng)).encode()
    if rng.random() < 0.5:
        return GZ(body), {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    return body, {"Content-Type": "application/json"}


def build_cases(seed: int = SEED) -> list[Case]:
    rng = random.Random(seed)
    cases: list[Case] = []
    for path, shapes in ENDPOINTS.items():
        for body in SYNTAX:
            cases.append(Case(path, body, {}, "syntax"))
        for body in NOT_OBJECT:
            cases.append(Case(path, body, {}, "not an object"))
        valid = json.dumps(shapes[0].valid()).encode()
        gz = GZ(valid)
        cases += [
            Case(path, gz[: len(gz) // 2], {"Content-Encoding": "gzip"}, "truncated gzip"),
            Case(path, gz[:-4], {"Content-Encoding": "gzip"}, "gzip without trailer"),
            Case(path, valid, {"Content-Encoding": "gzip"}, "plain body labelled gzip"),
            Case(path, b"\x1f\x8b\x08\x00garbage", {"Content-Encoding": "gzip"}, "corrupt gzip"),
            Case(path, zlib.compress(valid)[:5], {"Content-Encoding": "deflate"}, "truncated deflate"),
            Case(path, valid, {"Content-Encoding": "br"}, "unsupported encoding"),
            Case(path, GZ(b" " * (BODY_LIMIT * 4)), {"Content-Encoding": "gzip"}, "gzip bomb"),
            Case(path, b'{"pad":"' + b"x" * (BODY_LIMIT + 10) + b'"}', {}, "body over the limit"),
        ]
        # Every field of every shape with a value of the wrong type, at least once.
        for shape in shapes:
            for field_path, kind in shape.fields.items():
                value = rng.choice(WRONG[kind])
                body, headers = _encode(_set(shape.valid(), field_path, value), rng)
                cases.append(Case(path, body, headers, f"{'.'.join(map(str, field_path))}={value!r:.40}"))
    # Seeded random mutations on top: wrong types anywhere, several at once.
    mutable = [(p, s) for p, shapes in ENDPOINTS.items() for s in shapes if s.fields]
    for _ in range(150):
        path, shape = rng.choice(mutable)
        doc = shape.valid()
        picked = rng.sample(sorted(shape.fields, key=str), k=min(len(shape.fields), rng.randint(1, 3)))
        picked.sort(key=len)  # parents first, so a later child write still finds a container
        what = []
        for field_path in picked:
            value = rng.choice(WRONG[shape.fields[field_path]])
            try:
                doc = _set(doc, field_path, value)
            except (TypeError, KeyError, IndexError):
                continue  # a parent was already replaced by a scalar: the request stays malformed
            what.append(f"{'.'.join(map(str, field_path))}={value!r:.30}")
        body, headers = _encode(doc, rng)
        cases.append(Case(path, body, headers, "random " + ", ".join(what)))
    # Missing required fields: 400, or the spec's in-200 answer for registry items (S2.1, S2.2, S4.3, S5).
    registry_paths = [p for p in ENDPOINTS if p.startswith("/api/registry/")]
    for path in registry_paths:
        shape = ENDPOINTS[path][0]
        for field_path in [("instances",), ("instances", 0, "serviceId"), ("instances", 0, "instanceId")]:
            doc = _drop(shape.valid(), field_path)
            if "instanceKeys" in doc:
                doc.pop("instanceKeys")
            cases.append(Case(path, json.dumps(doc).encode(), {}, f"missing {field_path}", in_200_ok=True))
    for path in ("/api/discovery/service.json", "/api/discovery/service"):
        cases.append(Case(path, b"{}", {}, "missing discoveryConfig"))
        cases.append(Case(path, b'{"discoveryConfig":{}}', {}, "missing serviceId"))
        cases.append(Case(path, b'{"discoveryConfig":{"serviceId":null}}', {}, "null serviceId"))
    for path in ("/api/discovery/lookup.json", "/api/discovery/lookup"):
        cases.append(Case(path, b'{"strategy":"random"}', {}, "neither config shape"))
        cases.append(Case(path, b'{"discoveryConfig":{"regionId":"r"}}', {}, "missing serviceId"))
    cases.append(Case("/api/discovery/services-delta.json", b'{"regionId":"r1"}', {}, "missing version"))
    # Wrong enum types (enum values are strings; unknown strings are lenient by spec: S8.3, 1.1).
    for path in ("/api/registry/register.json", "/api/registry/register"):
        for status in (1, True, ["up"], {"v": "up"}):
            body = json.dumps({"instances": [instance("bar", "e", status=status)]}).encode()
            cases.append(Case(path, body, {}, f"status={status!r}"))
    for strategy in (2, ["random"], {"name": "random"}):
        body = json.dumps({"discoveryConfig": _dc(), "strategy": strategy}).encode()
        cases.append(Case("/api/discovery/lookup.json", body, {}, f"strategy={strategy!r}"))
    return cases


def test_barrage_is_deterministic_and_bounded() -> None:
    """The generated barrage is the same for the same seed, covers every endpoint and stays a few hundred."""
    first, second = build_cases(), build_cases()
    assert [(c.path, c.body, c.headers) for c in first] == [(c.path, c.body, c.headers) for c in second]
    assert {c.path for c in first} == set(ENDPOINTS)
    assert 300 <= len(first) <= 1500


def _chunks(data: bytes) -> Iterator[bytes]:
    for i in range(0, len(data), 8192):
        yield data[i : i + 8192]


def _check(case: Case, r: httpx.Response) -> None:
    assert r.status_code < 500, f"{case}: HTTP {r.status_code} {r.text[:300]}"
    assert r.headers.get("content-type", "").startswith("application/json"), f"{case}: {r.headers}"
    doc = r.json()
    assert isinstance(doc, dict), f"{case}: {doc!r}"
    rs = doc.get("responseStatus")
    assert isinstance(rs, dict), f"{case}: no responseStatus in {doc!r}"
    assert rs.get("errorCode") == "bad-request", f"{case}: {doc!r}"
    assert isinstance(rs.get("message"), str), f"{case}: {doc!r}"
    assert rs["message"], f"{case}: {doc!r}"
    if r.status_code == 200:
        assert case.in_200_ok, f"{case}: expected a 4xx, got 200 {doc!r}"
        assert rs["status"] in ("fail", "partial_fail"), f"{case}: {doc!r}"
    else:
        assert 400 <= r.status_code < 500, f"{case}: HTTP {r.status_code}"
        assert rs["status"] == "fail", f"{case}: {doc!r}"


@pytest.fixture
def barrage_server(make_server: Callable[..., LiveServer]) -> LiveServer:
    return make_server(limits={"max_body_bytes": BODY_LIMIT})


def test_malformed_barrage(barrage_server: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    """Hundreds of malformed requests get 4xx family-A answers, never a 5xx, and break nothing."""
    cases = build_cases()
    with httpx.Client(base_url=barrage_server.url, timeout=10) as http:
        ok(register(http, instance("survivor", "s1")))
        with caplog.at_level(logging.WARNING, logger="artemis_server"):
            for case in cases:
                _check(case, http.post(case.path, content=case.body, headers=case.headers))
            # A streamed (chunked, no Content-Length) body over the limit is refused as well.
            big = b'{"instances":[' + b'{"serviceId":"x"},' * (BODY_LIMIT // 10) + b"{}]}"
            for path in ENDPOINTS:
                case = Case(path, b"", {}, "chunked body over the limit")
                _check(case, http.post(path, content=_chunks(big)))
        crashes = [rec.getMessage() for rec in caplog.records if rec.levelno >= logging.WARNING]
        assert crashes == [], "handlers crashed on input instead of rejecting it cleanly"
        # The registry is intact: the survivor is discoverable in every way, the node is healthy.
        assert http.get("/health").content == b"OK"
        assert "s1" in instance_ids(http, "survivor")
        doc = ok(
            http.post(
                "/api/discovery/service.json", json={"discoveryConfig": {"serviceId": "survivor"}}
            ).json()
        )
        assert [i["instanceId"] for i in doc["service"]["instances"]] == ["s1"]
        one = http.post(
            "/api/discovery/lookup.json", json={"discoveryConfig": {"serviceId": "survivor"}}
        ).json()
        assert one["instance"]["instanceId"] == "s1"
        ok(http.post("/api/registry/heartbeat.json", json={"instanceKeys": [key("survivor", "s1")]}).json())
        metrics = http.get("/metrics").text
        assert 'status="5' not in metrics
