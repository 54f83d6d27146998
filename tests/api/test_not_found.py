"""404 and 405 (api.md T6): family C JSON, never the web framework's shape; Allow lists every method of a path."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

import httpx
import pytest

from artemis_server.api.app import all_endpoints
from tests.helpers import LiveServer

ALL = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+):int\}", "7", re.sub(r"\{(\w+):str\}", "q-x", path))


def _methods_by_path() -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for ep in all_endpoints():
        for p in ep.paths:
            out[_concrete(p)].update(ep.methods)
    return out


def _check_405(r: httpx.Response, want: set[str]) -> None:
    assert r.status_code == 405, r.text
    assert set(r.headers["allow"].split(", ")) == want | {"OPTIONS"}
    doc = r.json()
    assert doc["success"] is False
    assert "not allowed" in doc["message"]


@pytest.mark.parametrize("prefix", ["", "/artemis"])
def test_every_path_lists_every_method_it_serves(make_server: Callable[..., LiveServer], prefix: str) -> None:
    """For every path of the endpoint table, each method it does not serve is a JSON 405 whose Allow header
    lists the methods of every endpoint registered on that path (plus OPTIONS), also under an alias."""
    srv = make_server(server={"context_aliases": ["/artemis"]})
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        for path, methods in sorted(_methods_by_path().items()):
            for m in ALL:
                if m not in methods:
                    r = http.request(m, prefix + path, content=b"{}")
                    assert r.status_code == 405, (m, path, r.status_code)
                    _check_405(r, methods)
        # OPTIONS without Origin answers with the same list
        r = http.options(prefix + "/api/routing/groups")
        assert r.status_code == 204
        assert set(r.headers["allow"].split(", ")) == {"GET", "POST", "OPTIONS"}


def test_unknown_paths_are_family_c_404(http: httpx.Client) -> None:
    """Unknown paths (and path parameters of the wrong type) answer a family C 404 on every method."""
    tries = [
        (m, p)
        for p in ("/nope", "/api/registry/nope.json", "/api/discovery/")
        for m in ("GET", "POST", "DELETE")
    ]
    for m, path in [*tries, ("GET", "/api/routing/groups/by-id/abc")]:
        r = http.request(m, path)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/json")
        doc = r.json()
        assert doc["success"] is False
        assert "status_code" not in doc
        assert "detail" not in doc


def test_hot_path_with_another_method(http: httpx.Client) -> None:
    """A fast-lane path asked with another method gets the same JSON 405 as any route."""
    _check_405(http.get("/api/registry/heartbeat.json"), {"POST"})
    _check_405(http.put("/api/discovery/service.json"), {"GET", "POST"})


def test_websocket_path_over_plain_http(http: httpx.Client) -> None:
    """A WebSocket path asked without an upgrade says so (426, family C) instead of an empty Allow."""
    r = http.get("/ws")
    assert r.status_code == 426
    assert r.headers["upgrade"] == "websocket"
    assert r.json()["success"] is False
