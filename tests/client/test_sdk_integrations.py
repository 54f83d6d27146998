"""The ASGI lifespan helper in a real Litestar application, against a real node."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from artemis_client.client import AsyncArtemisClient
from artemis_client.integrations import lifespan
from artemis_client.wire.registry import Instance
from tests.helpers import LiveServer


async def ids_on(url: str, service: str) -> list[str]:
    async with httpx.AsyncClient(timeout=5) as http:
        r = await http.get(url + "/api/discovery/service.json", params={"serviceId": service})
    return [i["instanceId"] for i in r.json()["service"]["instances"]]


async def test_lifespan_registers_on_startup_and_drains_on_shutdown(
    server: LiveServer, unique: Callable[[str], str]
) -> None:
    """The app's start-up registers the instance (visible before the first request is served) and its
    shutdown drains it (marked down, then unregistered) and closes the client."""
    svc = unique("sdk")
    client = AsyncArtemisClient(server.url)

    @get("/where")
    async def where() -> str:
        return (await client.pick(svc)).instance_id

    app = Litestar(
        [where],
        lifespan=[
            lifespan(
                client, Instance(service_id=svc, instance_id="web-1", url="http://127.0.0.1:9"), drain=0.1
            )
        ],
    )
    async with AsyncTestClient(app) as http:
        assert await ids_on(server.url, svc) == ["web-1"]
        assert (await http.get("/where")).text == "web-1"
    assert await ids_on(server.url, svc) == []
    assert not client.started
