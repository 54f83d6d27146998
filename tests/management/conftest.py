"""Management-plane fixtures: a node per test on a real SQLite file, or on a real PostgreSQL database.

PostgreSQL runs when ``ARTEMIS_TEST_POSTGRES_URL`` names a server (``.ci/run`` starts one); each test gets a
database of its own, created and dropped here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import LiveServer, make_settings, pg_database

PG_URL = os.environ.get("ARTEMIS_TEST_POSTGRES_URL", "")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mgmt' / 'artemis.db'}"
        return
    if not PG_URL:
        pytest.skip("ARTEMIS_TEST_POSTGRES_URL is not set (CI sets it; see .ci/run)")
    with pg_database(PG_URL) as url:
        yield url


@pytest.fixture
def node_factory(tmp_path: Path, db_url: str) -> Iterator[Callable[..., LiveServer]]:
    """Start (and restart) nodes on the test's database; every node is stopped at the end."""
    started: list[LiveServer] = []

    def factory(**sections: dict[str, Any]) -> LiveServer:
        db = {"url": db_url, **sections.pop("database", {})}
        srv = LiveServer(make_settings(tmp_path / "data", database=db, **sections)).start()
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()


@pytest.fixture
def node(node_factory: Callable[..., LiveServer]) -> LiveServer:
    return node_factory()


@pytest.fixture
def api(node: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=node.url, timeout=15) as client:
        yield client
