"""Learn from the database itself what other nodes sharing it changed (S14.2).

Nodes that share one database do not need a relay: every change is in the change log the moment it commits.
This watcher reads the log past what the view holds

* on PostgreSQL, when ``LISTEN artemis_change`` delivers a notification (the writer NOTIFYs inside its
  transaction, so it arrives at commit), after every (re)connect of the listener (a notification missed while
  it was down is caught up), and every ``SAFETY_POLL_SECS`` as a safety net;
* on SQLite (a file several processes on one machine open), every ``SQLITE_POLL_SECS``: one read of the tiny
  per-origin table, a real read only when something is new;
* whenever a peer that shares the database pokes this node after a commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from artemis_client.errors import StorageUnavailableError

if TYPE_CHECKING:
    from artemis_server.management.service import ManagementService

log = logging.getLogger(__name__)

SQLITE_POLL_SECS = 0.5
SAFETY_POLL_SECS = 5.0


class SharedWatch:
    def __init__(self, mgmt: ManagementService) -> None:
        self.mgmt = mgmt
        self.wake = asyncio.Event()
        self.reads = 0

    def poke(self) -> None:
        self.wake.set()

    async def run(self) -> None:
        store = self.mgmt.store
        if store is None:
            return
        interval = SQLITE_POLL_SECS
        if store.backend == "postgresql":
            from artemis_server.store.pg_listen import listen

            interval = SAFETY_POLL_SECS
            self.mgmt.node.spawn(listen(store.url, self.poke), "management-pg-listen")
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), interval)
            self.wake.clear()
            try:
                if await self.mgmt.read_shared():
                    self.reads += 1
            except StorageUnavailableError as exc:
                log.debug("shared change log not readable now: %s", exc)
            except Exception:
                log.exception("reading the shared change log failed")
