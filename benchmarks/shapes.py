"""Request shapes and small helpers shared by the runner (run.py), the cluster scenarios (cluster.py) and the
profiler (profile.py): the data set, pre-built request bytes, one-off fetches, percentiles.
"""

from __future__ import annotations

import random
from typing import Any

import msgspec

from benchmarks.loadgen import Pool, http_request, run_all

OK_MARK = b'"errorCode":"success"'
SERVER_ENV = {
    # The limiter would cap every figure at its 10,000 requests/s default: benchmarks measure the server.
    "ARTEMIS_RATELIMIT__ENABLED": "false",
    # Long leases so that instances not heartbeated by a scenario stay registered for the whole run.
    "ARTEMIS_LEASE__TTL_SECS": "3600",
    "ARTEMIS_LEASE__LEGACY_TTL_SECS": "3600",
    "ARTEMIS_LOGGING__LEVEL": "warn",
    "ARTEMIS_LIMITS__MAX_BATCH_INSTANCES": "10000",
}
PEER_HEARTBEAT = "/api/replication/registry/heartbeat.json"
LEAN_PEER_HEARTBEAT = "/api/replication/registry/lean-heartbeat"


def instance(svc: str, i: int) -> dict[str, Any]:
    ip = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    return {
        "serviceId": svc,
        "instanceId": f"{svc}-{i}",
        "ip": ip,
        "port": 8080,
        "url": f"http://{ip}:8080/",
        "status": "up",
        "machineName": f"host-{i}",
    }


def register_requests(instances: list[dict[str, Any]], batch: int) -> list[bytes]:
    return [
        http_request(
            "POST",
            "/api/registry/register.json",
            msgspec.json.encode({"instances": instances[k : k + batch]}),
        )
        for k in range(0, len(instances), batch)
    ]


def heartbeat_requests(instances: list[dict[str, Any]], batch: int) -> list[bytes]:
    keys = [{"serviceId": x["serviceId"], "instanceId": x["instanceId"]} for x in instances]
    return [
        http_request(
            "POST", "/api/registry/heartbeat.json", msgspec.json.encode({"instanceKeys": keys[k : k + batch]})
        )
        for k in range(0, len(keys), batch)
    ]


def sdk_key(inst: dict[str, Any], region: str, zone: str) -> dict[str, Any]:
    """An instance's key as the R SDK writes it (api.md 1.2: all five fields in this order, ``groupId`` ""
    when the instance has none; semantics S21.3) and as a peer of this version writes it in JSON batches."""
    return {
        "regionId": region,
        "zoneId": zone,
        "serviceId": inst["serviceId"],
        "groupId": "",
        "instanceId": inst["instanceId"],
    }


def java_instance(inst: dict[str, Any], region: str, zone: str) -> dict[str, Any]:
    """An instance as the Java SDK sends it in a heartbeat (``HeartbeatRequest.instances``: the whole
    Instance, every field written, nulls too, keys in alphabetical order: api.md's finding for the J side's
    Jackson mapper)."""
    return {
        "groupId": None,
        "healthCheckUrl": None,
        "instanceId": inst["instanceId"],
        "ip": inst["ip"],
        "machineName": inst.get("machineName"),
        "metadata": None,
        "port": inst["port"],
        "protocol": None,
        "regionId": region,
        "serviceId": inst["serviceId"],
        "status": inst.get("status", "up"),
        "url": inst["url"],
        "zoneId": zone,
    }


def sdk_heartbeat_requests(
    instances: list[dict[str, Any]], batch: int, region: str, zone: str, sdk: str
) -> list[bytes]:
    """Client heartbeats of ``batch`` instances as an SDK sends them: ``sdk="r"`` the R SDK's
    ``{"instanceKeys": [...]}`` with five-field keys (:func:`sdk_key`), ``sdk="j"`` the Java SDK's
    ``{"instances": [...]}`` (:func:`java_instance`). :func:`heartbeat_requests` is the shortest body the
    contract serves: ``serviceId`` and ``instanceId`` only, the region defaulted (what a script sends)."""
    if sdk == "r":
        field, items = "instanceKeys", [sdk_key(x, region, zone) for x in instances]
    elif sdk == "j":
        field, items = "instances", [java_instance(x, region, zone) for x in instances]
    else:
        raise ValueError(f"unknown SDK {sdk!r} (r or j)")
    return [
        http_request(
            "POST", "/api/registry/heartbeat.json", msgspec.json.encode({field: items[k : k + batch]})
        )
        for k in range(0, len(items), batch)
    ]


def peer_heartbeat_requests(
    instances: list[dict[str, Any]],
    batch: int,
    bodies: int,
    region: str,
    zone: str,
    seed: int = 20,
    lean: bool = False,
) -> list[bytes]:
    """Replicated heartbeat batches as a peer sends them (replicator.payload: ``{"instanceKeys": [...]}``;
    with ``lean`` replicator.lean_payload, what a peer of this version sends)
    with all five key fields, in the order of the InstanceKey Struct), each batch a random mix of the
    registered keys: a peer's batch holds the keys its clients renewed in the last 100 ms, so the same body
    practically never comes twice. ``bodies`` distinct bodies, seeded, so two runs send the same bytes."""
    rng = random.Random(seed)
    keys = [sdk_key(x, region, zone) for x in instances]
    n = min(batch, len(keys))
    if lean:  # replication.lean_heartbeats between nodes of this version: identity keys, one per line
        return [
            http_request(
                "POST",
                LEAN_PEER_HEARTBEAT,
                "\n".join(
                    f"{k['regionId']}\x1f{k['serviceId']}\x1f{k['instanceId']}".casefold()
                    for k in rng.sample(keys, n)
                ).encode(),
            )
            for _ in range(bodies)
        ]
    return [
        http_request("POST", PEER_HEARTBEAT, msgspec.json.encode({"instanceKeys": rng.sample(keys, n)}))
        for _ in range(bodies)
    ]


def dataset(services: int) -> list[dict[str, Any]]:
    """``services`` services of 100 instances each; service 0 is the one discovery reads."""
    return [instance(f"bench-svc-{s}", s * 100 + k) for s in range(services) for k in range(100)]


async def fetch(port: int, req: bytes) -> bytes:
    pool = await Pool("127.0.0.1", port, 1).open()
    got: list[bytes] = []
    conn = pool.conns[0]
    conn.expect = b""
    conn.keep = got
    await run_all(pool, [req], depth=1, timeout=60)
    await pool.close()
    if not got:
        raise RuntimeError("no answer")
    return got[0]


async def can(ceiling_port: int, path: str, body: bytes) -> None:
    await fetch(ceiling_port, http_request("PUT", "/__canned" + path, body))


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100.0 * len(s)))]


def ms(v: float | None) -> float | None:
    return None if v is None else round(v * 1000, 2)
