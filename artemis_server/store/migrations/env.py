"""Alembic environment: runs on the connection the store hands over (``config.attributes["connection"]``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from artemis_server.store.tables import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # command-line use: `alembic -x url=... upgrade head`
        url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
            "sqlalchemy.url"
        )
        if not url:
            raise SystemExit("pass the database URL: alembic -x url=sqlite:////path/to.db ...")
        engine = create_engine(url)
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
