"""Fault scenarios (issue 9), each against a real `artemis server start` process on loopback:

* the management database is unreachable at start and comes back later: registry and discovery serve all
  along, management and auth answer 503 in their families, then recover without a restart;
* a mass heartbeat stop triggers self-preservation (S3.7) instead of mass eviction, and eviction of the dead
  instances resumes once renewals recover.

(SIGKILL during management writes: tests/management/test_persistence.py; slow and garbage peers:
tests/cluster/test_replication.py; a locked SQLite database: tests/management/test_persistence.py.)
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, wait_for

PASSWORD = "fault-admin-password"


def _inst(sid: str, iid: str) -> dict[str, object]:
    return {"serviceId": sid, "instanceId": iid, "ip": "10.0.0.1", "port": 80, "url": "http://10.0.0.1"}


def _key(sid: str, iid: str) -> dict[str, str]:
    return {"regionId": "default", "serviceId": sid, "instanceId": iid}


def _ids(http: httpx.Client, sid: str) -> list[str]:
    doc = http.post("/api/discovery/service.json", json={"discoveryConfig": {"serviceId": sid}}).json()
    return sorted(i["instanceId"] for i in (doc.get("service") or {}).get("instances", []))


def _register(http: httpx.Client, sid: str, *iids: str) -> None:
    r = http.post("/api/registry/register.json", json={"instances": [_inst(sid, i) for i in iids]})
    assert r.json()["responseStatus"]["status"] == "success", r.text


def _gauge(http: httpx.Client, name: str) -> float:
    m = re.search(rf"^{name} (\S+)$", http.get("/metrics").text, re.M)
    assert m, name
    return float(m.group(1))


def test_database_down_at_start_then_back(tmp_path: Path) -> None:
    blocker = tmp_path / "dbdir"
    blocker.write_text("a file where the database directory should be")
    env = {"ARTEMIS_DATABASE__URL": f"sqlite:///{blocker / 'artemis.db'}", "ARTEMIS_ADMIN_PASSWORD": PASSWORD}
    srv = ServerProcess(tmp_path / "data", env=env).start()
    try:
        with httpx.Client(base_url=srv.url, timeout=10) as http:
            _register(http, "dbf", "d1", "d2")
            assert _ids(http, "dbf") == ["d1", "d2"]
            body = {"instanceKey": _key("dbf", "d1"), "operation": "pullout", "operationComplete": True}
            r = http.post("/api/management/instance/operate-instance.json", json=body)
            assert r.status_code == 503
            assert r.json()["status"]["errorCode"] == "service-unavailable"
            r = http.post("/api/management/zone/pull-out", json={"zoneId": "z", "regionId": "default"})
            assert r.status_code == 503
            assert r.json()["success"] is False
            r = http.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
            assert r.status_code == 503
            assert r.json()["success"] is False
            hb = http.post("/api/registry/heartbeat.json", json={"instanceKeys": [_key("dbf", "d1")]}).json()
            assert hb["responseStatus"]["status"] == "success"
            assert _ids(http, "dbf") == ["d1", "d2"]

            blocker.unlink()
            blocker.mkdir()  # the database is reachable again

            def recovered() -> bool:
                r = http.post("/api/management/instance/operate-instance.json", json=body)
                return r.status_code == 200 and r.json()["responseStatus"]["status"] == "success"

            wait_for(recovered, timeout=60, interval=0.5, what="management back after the database returned")
            assert _ids(http, "dbf") == ["d2"]
            r = http.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
            assert r.status_code == 200, r.text
        assert (blocker / "artemis.db").exists()
    finally:
        assert srv.terminate() == 0


@pytest.mark.slow
def test_mass_heartbeat_stop_triggers_self_preservation_then_eviction_resumes(tmp_path: Path) -> None:
    env = {"ARTEMIS_LEASE__TTL_SECS": "4", "ARTEMIS_LEASE__CLEANUP_INTERVAL_SECS": "0.2"}
    srv = ServerProcess(tmp_path / "data", env=env).start()
    mass = [f"m{n}" for n in range(20)]
    keepers = ["k0", "k1"]
    fresh = [f"f{n}" for n in range(40)]
    beating: dict[str, list[str]] = {"mass": mass, "keep": keepers, "fresh": []}
    stop = threading.Event()
    errors: list[str] = []
    started: list[float] = []

    def heartbeats() -> None:
        started.append(time.monotonic())
        with httpx.Client(base_url=srv.url, timeout=5) as hb:
            while not stop.wait(0.2):
                keys = [_key("sp", i) for group in list(beating.values()) for i in group]
                try:
                    doc = hb.post("/api/registry/heartbeat.json", json={"instanceKeys": keys}).json()
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))
                    continue
                if doc["responseStatus"]["status"] != "success":
                    errors.append(str(doc))

    t = threading.Thread(target=heartbeats, daemon=True)
    try:
        with httpx.Client(base_url=srv.url, timeout=10) as http:
            _register(http, "sp", *mass, *keepers)
            t.start()
            # the renewal window fills up: the node knows what normal looks like and is safe
            wait_for(
                lambda: (
                    started
                    and time.monotonic() - started[0] > 12
                    and _gauge(http, "artemis_lease_renewals_max_window") >= 200
                    and _gauge(http, "artemis_lease_safe") == 1.0
                ),
                timeout=40,
                interval=0.2,
                what="a full renewal window",
            )
            # mass heartbeat stop: 20 of 22 instances go silent at once
            beating["mass"] = []
            wait_for(lambda: _gauge(http, "artemis_lease_safe") == 0.0, timeout=15, what="self-preservation")
            # their leases run out (TTL 4 s) while the sweeper keeps running: nobody is evicted
            leases_url = "/api/status/leases.json"

            def all_expired() -> bool:
                doc = http.get(leases_url, params={"appIds": "sp"}).json()
                rows = [ls for ls in doc["leasesStatus"].get("sp", []) if ls["instance"] in mass]
                return len(rows) == len(mass) and all(ls["evitionTime"] == "expired" for ls in rows)

            wait_for(all_expired, timeout=15, what="the silent leases to expire")

            def window() -> int:
                return int(http.get(leases_url).json()["leaseUpdateCountLastTimeWindow"])

            w0 = window()
            wait_for(lambda: window() < w0, timeout=10, what="sweeps after the leases expired")
            assert _gauge(http, "artemis_lease_safe") == 0.0
            assert _ids(http, "sp") == sorted(mass + keepers)
            assert _gauge(http, "artemis_evictions_total") == 0.0

            # renewals recover (new instances renew at the old rate and more): eviction of the dead resumes
            _register(http, "sp", *fresh)
            beating["fresh"] = fresh
            wait_for(
                lambda: _ids(http, "sp") == sorted(keepers + fresh),
                timeout=40,
                interval=0.2,
                what="the silent instances evicted once renewals recovered",
            )
            assert _gauge(http, "artemis_lease_safe") == 1.0
            assert not errors, errors[:3]
    finally:
        stop.set()
        if t.is_alive():
            t.join(timeout=10)
        srv.terminate()
