"""Engine construction and schema migrations.

SQLite runs in WAL mode with ``synchronous=FULL``: a write the server has answered with success survives a
SIGKILL and a power cut. PostgreSQL is used as is. Migrations are Alembic revisions shipped inside the package
and run on start, so a newer server opens an older database in place.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url

from artemis_server.store import tables

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Execution option of a connection that will write management state (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "artemis_write"


def make_engine(url: str, *, max_connections: int = 10, busy_timeout_ms: int = 5000) -> Engine:
    u = make_url(url)
    kw: dict[str, Any] = {"pool_pre_ping": True}
    if u.get_backend_name() == "sqlite":
        db = u.database or ""
        if db and db != ":memory:" and not db.startswith("file:"):
            # A directory that cannot be created now is not fatal: connecting fails as "database
            # unavailable", the node serves the registry and management retries until it is there.
            with contextlib.suppress(OSError):
                Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kw["connect_args"] = {"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
        kw["pool_size"] = max_connections
    else:
        if u.get_backend_name() == "postgresql":
            kw["connect_args"] = {"connect_timeout": 5, "options": f"-c lock_timeout={int(busy_timeout_ms)}"}
        kw["pool_size"] = max_connections
        kw["max_overflow"] = 0
        kw["pool_timeout"] = 10
    engine = create_engine(u, **kw)
    if u.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.close()
            # The driver's own implicit BEGIN would start a write transaction only at the first INSERT, so a
            # "read the version, then write" transaction could interleave with another process on the same
            # file. We begin every transaction ourselves (below): management writes BEGIN IMMEDIATE.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            immediate = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine) -> str:
    """Bring the schema to the newest revision; return this database's id (created on first start)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Nodes sharing one database may start together: one migrates, the others wait for it.
            conn.execute(text("SELECT pg_advisory_xact_lock(4242424242)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        meta = tables.artemis_meta
        row = conn.execute(select(meta.c.meta_value).where(meta.c.meta_key == "database_id")).first()
        if row is not None:
            return str(row[0])
        db_id = uuid.uuid4().hex
        conn.execute(meta.insert().values(meta_key="database_id", meta_value=db_id))
        return db_id


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
