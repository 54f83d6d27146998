"""Management state survives restarts and SIGKILL; old databases open; a broken database fails cleanly."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text

from tests.helpers import LiveServer, ServerProcess, free_port, make_settings, wait_for
from tests.management.ops import REGION, audit, key, operate_instance, register, visible


def apply_everything(http: httpx.Client) -> None:
    """One of each durable management setting."""
    operate_instance(http, "svc", "i1", "pullout", operator="kim")
    operate_instance(http, "svc", "i4", "pullout", complete=False, operator="kim")
    body = {"serverId": "10.0.0.2", "regionId": REGION, "operation": "pullout", "operationComplete": True}
    assert (
        http.post("/api/management/server/operate-server.json", json=body).json()["status"]["status"]
        == "success"
    )
    r = http.post(
        "/api/management/zone/pull-out", json={"zoneId": "zone-z", "regionId": REGION, "operatorId": "kim"}
    )
    assert r.json()["success"] is True
    r = http.post("/api/management/canary/config", json={"serviceId": "svc", "ipWhitelist": ["192.168.1.1"]})
    assert r.json()["success"] is True


def register_all(http: httpx.Client) -> None:
    register(http, "svc", "i1", ip="10.0.0.1")
    register(http, "svc", "i2", ip="10.0.0.2")
    register(http, "svc", "i3", ip="10.0.0.3", zone="zone-z")
    register(http, "svc", "i4", ip="10.0.0.4")
    register(http, "svc", "c1", ip="10.0.0.5", metadata={"canary": "true"})


def check_everything(http: httpx.Client) -> None:
    register_all(http)  # instances live in memory only: clients re-register after a restart
    assert visible(http, "svc", client_ip="10.9.9.9") == ["i4"]
    assert visible(http, "svc", client_ip="192.168.1.1") == ["c1"]
    recs = http.get("/api/management/all-instance-operations.json").json()["instanceOperationRecords"]
    assert sorted((r["instanceKey"]["instanceId"], r["operationComplete"]) for r in recs) == [
        ("i1", True),
        ("i4", False),
    ]
    zone = http.get(f"/api/management/zone/status/zone-z/{REGION}").json()["data"]
    assert zone["isDown"] is True
    assert zone["operatorId"] == "kim"
    assert len(audit(http)) == 5


def test_state_survives_restart(node_factory: Callable[..., LiveServer]) -> None:
    first = node_factory()
    with httpx.Client(base_url=first.url, timeout=15) as http:
        register_all(http)
        apply_everything(http)
        check_everything(http)
    first.stop()
    second = node_factory()
    with httpx.Client(base_url=second.url, timeout=15) as http:
        assert http.get("/api/registry/services.json").status_code in (200, 404, 405)
        check_everything(http)
        ids = [entry["logId"] for entry in audit(http)]
        assert ids == sorted(ids, reverse=True)
        operate_instance(http, "svc", "i1", "pullin")
        assert audit(http)[0]["logId"] == max(ids) + 1


@pytest.mark.slow
def test_every_answered_write_survives_sigkill(tmp_path: Path, db_url: str) -> None:
    """Writes stream in from a thread; the server is SIGKILLed mid-stream; every write answered with success
    is in force after the restart, and the database is intact. Management is protected (issue 9): the writes
    carry an operator's token, and that token still works after the restart (the JWT secret and the session
    live in the database, S19.3) while the audit log names the operator."""
    env = {
        "ARTEMIS_DATABASE__URL": db_url,
        "ARTEMIS_AUTH__PROTECT_MANAGEMENT": "true",
        "ARTEMIS_ADMIN_PASSWORD": "kill-test-admin-pw",
    }
    proc = ServerProcess(tmp_path / "data", env=env).start()
    with httpx.Client(base_url=proc.url, timeout=15) as http:
        r = http.post("/api/auth/login", json={"username": "admin", "password": "kill-test-admin-pw"})
        admin = {"Authorization": f"Bearer {r.json()['data']['accessToken']}"}
        r = http.post(
            "/api/auth/users",
            json={"username": "killer", "password": "killer-password", "role": "operator"},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        r = http.post("/api/auth/login", json={"username": "killer", "password": "killer-password"})
        auth = {"Authorization": f"Bearer {r.json()['data']['accessToken']}"}
    answered: list[str] = []
    stop = threading.Event()

    def writer() -> None:
        with httpx.Client(base_url=proc.url, timeout=5, headers=auth) as http:
            for n in range(2000):
                if stop.is_set():
                    return
                body = {
                    "instanceKey": key("kill", f"k{n}"),
                    "operation": "pullout",
                    "operationComplete": True,
                }
                try:
                    r = http.post("/api/management/instance/operate-instance.json", json=body)
                except httpx.HTTPError:
                    return
                if r.status_code == 200 and r.json()["responseStatus"]["status"] == "success":
                    answered.append(f"k{n}")

    t = threading.Thread(target=writer)
    t.start()
    wait_for(lambda: len(answered) >= 30, timeout=30, what="30 answered writes")
    proc.kill()
    stop.set()
    t.join(timeout=20)
    assert answered

    if db_url.startswith("sqlite"):
        path = db_url.split("sqlite:///", 1)[1]
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    again = ServerProcess(tmp_path / "data", env=env).start()
    try:
        with httpx.Client(base_url=again.url, timeout=15, headers=auth) as http:
            assert http.get("/api/auth/user").json()["data"]["username"] == "killer"
            recs = http.get("/api/management/all-instance-operations.json").json()["instanceOperationRecords"]
            stored = {r["instanceKey"]["instanceId"] for r in recs}
            missing = [k for k in answered if k not in stored]
            assert not missing, f"{len(missing)} answered writes lost, e.g. {missing[:5]}"
            logs = audit(http, "/api/management/audit/instance-logs", serviceId="kill", limit=10_000)
            assert {entry["targetId"].rsplit(":", 1)[1] for entry in logs} >= set(answered)
            assert {entry["operatorId"] for entry in logs} == {"killer"}
            # without the token the restarted node still refuses
            r = httpx.post(again.url + "/api/management/instance/operate-instance.json", json={}, timeout=5)
            assert r.status_code == 401
    finally:
        assert again.terminate() == 0


def test_database_written_by_an_older_schema_opens(tmp_path: Path) -> None:
    """Tables a Java/Rust node created (without our additive columns) are kept, rows and all."""
    db = tmp_path / "legacy.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(
            """
            CREATE TABLE instance (id INTEGER PRIMARY KEY AUTOINCREMENT, INSTANCE_ID TEXT NOT NULL,
              SERVICE_ID TEXT NOT NULL, REGION_ID TEXT NOT NULL, OPERATION TEXT NOT NULL, OPERATOR_ID TEXT,
              TOKEN TEXT, CREATE_TIME DATETIME DEFAULT CURRENT_TIMESTAMP,
              DataChange_LastTime DATETIME DEFAULT CURRENT_TIMESTAMP,
              UNIQUE (INSTANCE_ID, SERVICE_ID, REGION_ID, OPERATION));
            INSERT INTO instance (INSTANCE_ID, SERVICE_ID, REGION_ID, OPERATION, OPERATOR_ID)
              VALUES ('old-1', 'legacy', 'default', 'pullout', 'java-admin');
            CREATE TABLE service_zone (id INTEGER PRIMARY KEY AUTOINCREMENT,
              SERVICE_ID TEXT NOT NULL DEFAULT '', ZONE_ID TEXT NOT NULL, REGION_ID TEXT NOT NULL,
              OPERATION TEXT NOT NULL, CREATE_TIME DATETIME DEFAULT CURRENT_TIMESTAMP,
              DataChange_LastTime DATETIME DEFAULT CURRENT_TIMESTAMP);
            INSERT INTO service_zone (SERVICE_ID, ZONE_ID, REGION_ID, OPERATION)
              VALUES ('', 'z9', 'default', 'pullout');
            """
        )
    srv = LiveServer(make_settings(tmp_path / "data", database={"url": f"sqlite:///{db}"})).start()
    try:
        with httpx.Client(base_url=srv.url, timeout=15) as http:
            register(http, "legacy", "old-1")
            register(http, "legacy", "old-2", ip="10.0.0.2")
            register(http, "legacy", "old-3", ip="10.0.0.3", zone="z9")
            assert visible(http, "legacy") == ["old-2"]
            r = http.post("/api/management/zone/pull-in", json={"zoneId": "z9", "regionId": REGION})
            assert r.json()["success"] is True
            assert visible(http, "legacy") == ["old-2", "old-3"]
    finally:
        srv.stop()
    engine = create_engine(f"sqlite:///{db}")
    try:
        insp = inspect(engine)
        assert "EFFECTIVE" in {c["name"] for c in insp.get_columns("instance")}
        assert "audit_log" in insp.get_table_names()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
            assert conn.execute(text("SELECT OPERATOR_ID FROM instance")).scalar() == "java-admin"
            # the migration folded the identity of the row that was there before it (S17.2)
            assert (
                conn.execute(text("SELECT FOLD_KEY FROM instance")).scalar() == "default\x1flegacy\x1fold-1"
            )
    finally:
        engine.dispose()


def test_locked_database_fails_management_but_not_the_registry(tmp_path: Path) -> None:
    """A database that cannot be written answers management calls with a clear error in the endpoint's family;
    registration, heartbeat and discovery keep working; management recovers when the database does."""
    db = tmp_path / "locked.db"
    settings = make_settings(tmp_path / "data", database={"url": f"sqlite:///{db}", "busy_timeout_ms": 200})
    srv = LiveServer(settings).start()
    locker = sqlite3.connect(db, isolation_level=None, timeout=1)
    try:
        with httpx.Client(base_url=srv.url, timeout=15) as http:
            register(http, "lk", "l1")
            locker.execute("BEGIN EXCLUSIVE")
            body = {"instanceKey": key("lk", "l1"), "operation": "pullout", "operationComplete": True}
            r = http.post("/api/management/instance/operate-instance.json", json=body)
            assert r.status_code == 503
            doc = r.json()
            assert doc["responseStatus"]["status"] == "fail"
            assert doc["responseStatus"]["errorCode"] == "service-unavailable"
            assert doc["status"]["errorCode"] == "service-unavailable"
            assert "database" in doc["responseStatus"]["message"]
            r = http.post("/api/management/zone/pull-out", json={"zoneId": "default", "regionId": REGION})
            assert r.status_code == 503
            assert r.json()["success"] is False
            # nothing half-applied, and the registry is unaffected
            assert visible(http, "lk") == ["l1"]
            register(http, "lk", "l2", ip="10.0.0.2")
            hb = http.post("/api/registry/heartbeat.json", json={"instanceKeys": [key("lk", "l1")]}).json()
            assert hb["responseStatus"]["status"] == "success"
            assert visible(http, "lk") == ["l1", "l2"]
            locker.execute("ROLLBACK")
            operate_instance(http, "lk", "l1", "pullout")
            assert visible(http, "lk") == ["l2"]
    finally:
        locker.close()
        srv.stop()


def test_unreachable_database_at_start(tmp_path: Path) -> None:
    """The node starts and serves the registry; management answers 503 until the database is reachable."""
    url = f"postgresql+psycopg://artemis@127.0.0.1:{free_port()}/artemis"
    srv = LiveServer(make_settings(tmp_path / "data", database={"url": url})).start()
    try:
        with httpx.Client(base_url=srv.url, timeout=15) as http:
            register(http, "nodb", "n1")
            assert visible(http, "nodb") == ["n1"]
            r = http.get("/api/management/audit/logs")
            assert r.status_code == 503
            assert r.json()["success"] is False
            assert "database" in r.json()["message"]
            body = {"instanceKey": key("nodb", "n1"), "operation": "pullout", "operationComplete": True}
            r = http.post("/api/management/instance/operate-instance.json", json=body)
            assert r.status_code == 503
            assert visible(http, "nodb") == ["n1"]
    finally:
        srv.stop()


def test_read_only_database_fails_management_cleanly(
    node_factory: Callable[..., LiveServer], db_url: str
) -> None:
    """A PostgreSQL database switched to read-only: management writes answer 503 in their family and change
    nothing; reads, registration and discovery keep working; writes work again once it is writable."""
    if not db_url.startswith("postgresql"):
        pytest.skip("read-only switch is a PostgreSQL setting (root ignores file modes for SQLite)")
    from sqlalchemy.engine import make_url

    srv = node_factory()
    name = make_url(db_url).database
    admin = create_engine(db_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")

    def set_read_only(on: bool) -> None:
        with admin.connect() as conn:
            conn.execute(
                text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {"on" if on else "off"}')
            )
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )

    try:
        with httpx.Client(base_url=srv.url, timeout=15) as http:
            register(http, "ro", "r1")
            set_read_only(True)
            body = {"instanceKey": key("ro", "r1"), "operation": "pullout", "operationComplete": True}
            r = http.post("/api/management/instance/operate-instance.json", json=body)
            assert r.status_code == 503, r.text
            assert r.json()["status"]["errorCode"] == "service-unavailable"
            assert "read-only" in r.json()["responseStatus"]["message"]
            assert visible(http, "ro") == ["r1"]
            assert audit(http) == []  # reads still work
            register(http, "ro", "r2", ip="10.0.0.2")
            assert visible(http, "ro") == ["r1", "r2"]
            set_read_only(False)
            operate_instance(http, "ro", "r1", "pullout")
            assert visible(http, "ro") == ["r2"]
    finally:
        set_read_only(False)
        admin.dispose()
