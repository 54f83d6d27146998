"""TUI test helpers: bounded polling inside a Pilot session, HTTP helpers against the live node."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx


async def until(
    pilot: Any, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition"
) -> Any:
    """Poll ``predicate`` while the app runs; fail after ``timeout`` seconds (never a bare sleep)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as exc:  # widget not mounted yet, ...
            last = exc
        else:
            if last:
                return last
        await pilot.pause(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value: {last!r})")


def register(url: str, service: str, *instances: tuple[str, str], **extra: Any) -> None:
    """Register (instance id, ip) pairs of one service over HTTP."""
    body = {
        "instances": [
            {
                "serviceId": service,
                "instanceId": iid,
                "ip": ip,
                "port": 8080,
                "url": f"http://{ip}:8080",
                **extra,
            }
            for iid, ip in instances
        ]
    }
    r = httpx.post(url + "/api/registry/register.json", json=body, timeout=10)
    assert r.json()["responseStatus"]["status"] == "success", r.text


async def aregister(url: str, service: str, *instances: tuple[str, str], **extra: Any) -> None:
    await asyncio.to_thread(register, url, service, *instances, **extra)


def is_instance_down(url: str, service: str, instance: str) -> bool:
    r = httpx.post(
        url + "/api/management/instance/is-instance-down.json",
        json={"instanceKey": {"serviceId": service, "instanceId": instance, "regionId": "default"}},
        timeout=10,
    )
    return bool(r.json()["isDown"])


def is_server_down(url: str, ip: str) -> bool:
    r = httpx.post(
        url + "/api/management/server/is-server-down.json",
        json={"serverId": ip, "regionId": "default"},
        timeout=10,
    )
    return bool(r.json()["isDown"])


def table_cells(app: Any) -> dict[str, tuple[str, ...]]:
    from artemis_cli.tui.widgets import KeyedTable

    return dict(app.screen.query_one(KeyedTable).cells)
