"""PostgreSQL ``LISTEN`` for change-log notifications (psycopg 3), with reconnect and back-off."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.engine import make_url

from artemis_server.store.changelog import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


def conninfo(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://...``) as a libpq connection URI."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(url: str, on_notify: Callable[[], None]) -> None:
    """Call ``on_notify`` for every notification, and once after every (re)connect (to catch up)."""
    import psycopg

    delay = 1.0
    dsn = conninfo(url)
    while True:
        try:
            conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True, connect_timeout=5)
            async with conn:
                await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                delay = 1.0
                on_notify()
                while True:
                    async for _ in conn.notifies(timeout=30.0):
                        on_notify()
                    await conn.execute("SELECT 1")  # a dead connection raises here, then we reconnect
        except asyncio.CancelledError:
            raise
        except (psycopg.Error, OSError) as exc:
            log.warning("change notifications from PostgreSQL lost (%s); reconnecting in %.0f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
