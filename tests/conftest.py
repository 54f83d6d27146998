"""Fixtures: environment isolation, a session-scoped live node, a factory for nodes with custom settings."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import LiveServer, make_settings


@pytest.fixture(autouse=True)
def _isolate_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("ARTEMIS_") and not name.startswith("ARTEMIS_TEST_"):  # the tests' own settings
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One node shared by tests that use unique service names."""
    settings = make_settings(tmp_path_factory.mktemp("node"))
    srv = LiveServer(settings).start()
    yield srv
    srv.stop()


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
def unique() -> Callable[[str], str]:
    def make(prefix: str = "svc") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    return make


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start nodes with custom settings sections, e.g. make_server(lease={"ttl_secs": 1})."""
    started: list[LiveServer] = []

    def factory(**sections: dict[str, Any]) -> LiveServer:
        srv = LiveServer(make_settings(tmp_path / f"node{len(started)}", **sections)).start()
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("artemis")
    group.addoption(
        "--long",
        action="store_true",
        default=False,
        help="run the long randomized fault-injection test (hundreds of rounds; see docs/cluster.md)",
    )
    group.addoption(
        "--seed",
        type=int,
        default=None,
        help="seed of the randomized fault-injection test (else ARTEMIS_CHAOS_SEED, else random)",
    )
