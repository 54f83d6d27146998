"""Lock-out under parallel attempts: failures in flight count before the (slow) password check ends."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import httpx

from tests.auth.conftest import ADMIN_PASSWORD
from tests.helpers import LiveServer


async def _parallel_logins(url: str, n: int, password: str) -> Counter[int]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        replies = await asyncio.gather(
            *(
                client.post("/api/auth/login", json={"username": "admin", "password": password})
                for _ in range(n)
            )
        )
    return Counter(r.status_code for r in replies)


def test_forty_parallel_wrong_logins_are_mostly_refused(auth_node: Callable[..., LiveServer]) -> None:
    """With login_max_failures=10, at most 10 of 40 parallel wrong passwords are verified; the rest get 429."""
    srv = auth_node(auth={"login_max_failures": 10})
    counts = asyncio.run(_parallel_logins(srv.url, 40, "wrong-password"))
    assert counts[401] <= 10, counts
    assert counts[429] >= 30, counts
    assert sum(counts.values()) == 40
    # the right password is refused too while the name is locked
    r = httpx.post(srv.url + "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 429
