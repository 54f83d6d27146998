"""The Alembic revisions build exactly the schema of store/tables.py (no drift in either direction)."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from artemis_server.store.engine import alembic_config, current_revision, make_engine, migrate


def test_migrations_match_the_table_definitions(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        first = migrate(engine)
        assert migrate(engine) == first  # idempotent, keeps the database id
        heads = alembic_config()
        from alembic.script import ScriptDirectory

        assert current_revision(engine) == ScriptDirectory.from_config(heads).get_current_head()
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.check(cfg)  # raises when autogenerate would produce operations
    finally:
        engine.dispose()
