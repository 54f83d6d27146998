"""Fixtures for the auth tests: a node whose first admin has a known password, and login helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.helpers import LiveServer

ADMIN_PASSWORD = "admin-secret-pw"


def login(http: httpx.Client, username: str, password: str) -> str:
    r = http.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["success"] is True
    assert doc["data"]["tokenType"] == "Bearer"
    return str(doc["data"]["accessToken"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create_user(http: httpx.Client, admin_token: str, username: str, role: str, password: str) -> str:
    r = http.post(
        "/api/auth/users",
        json={"username": username, "password": password, "role": role},
        headers=bearer(admin_token),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["userId"])


@pytest.fixture
def auth_node(
    make_server: Callable[..., LiveServer], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., LiveServer]:
    """A node factory with ARTEMIS_ADMIN_PASSWORD set (sections as for make_server)."""
    monkeypatch.setenv("ARTEMIS_ADMIN_PASSWORD", ADMIN_PASSWORD)

    def factory(**sections: dict[str, Any]) -> LiveServer:
        return make_server(**sections)

    return factory


@pytest.fixture
def protected_srv(auth_node: Callable[..., LiveServer]) -> LiveServer:
    return auth_node(auth={"protect_management": True, "min_password_length": 8})


@pytest.fixture
def protected(protected_srv: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=protected_srv.url, timeout=15) as client:
        yield client


@pytest.fixture
def admin_token(protected: httpx.Client) -> str:
    return login(protected, "admin", ADMIN_PASSWORD)
