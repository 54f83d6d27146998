"""The management service's lifecycle: open (connect, migrate, load; retried in the background while the
database is down), the shared change-log watch, the periodic reload of mixed Java clusters, audit
retention."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import anyio

from artemis_client.errors import StorageUnavailableError
from artemis_server.management.watch import SharedWatch
from artemis_server.registry.hlc import HybridClock
from artemis_server.store.repository import SqlStore

if TYPE_CHECKING:
    from artemis_server.management.service import ManagementService

log = logging.getLogger(__name__)


async def open_store(svc: ManagementService) -> None:
    """Connect, migrate and load. A database that is down at start is retried in the background."""
    settings = svc.node.settings
    db = settings.database
    svc.store = SqlStore(
        settings.database_url(), max_connections=db.max_connections, busy_timeout_ms=db.busy_timeout_ms
    )
    try:
        await open_once(svc)
    except StorageUnavailableError as exc:
        svc.error = str(exc)
        log.error("%s; management calls fail until it is reachable (retrying)", exc)
        svc.node.spawn(retry_open(svc), "management-open-retry")


async def open_once(svc: ManagementService) -> None:
    assert svc.store is not None
    store = svc.store
    svc.database_id = await anyio.to_thread.run_sync(store.open)
    # The writer's stream: a database that was wiped gets a new id, so sequence numbers are never reused.
    svc.origin = f"{svc.node.node_id}/{svc.database_id}"
    svc.clock = HybridClock(svc.origin)
    # Never behind the newest change this database holds (survives restarts and wall-clock steps back).
    svc.clock.observe_stamp(await anyio.to_thread.run_sync(store.newest_stamp))
    await svc.reload()
    svc.ready = True
    svc.error = None
    log.info("management state loaded from %s database", store.backend)
    svc.watch = SharedWatch(svc)
    svc.node.spawn(svc.watch.run(), "management-shared-watch")
    interval = svc.node.settings.database.reload_interval_secs
    if interval > 0:
        svc.node.spawn(reload_loop(svc, interval), "management-reload")
    if svc.node.settings.audit.retention_days > 0:
        svc.node.spawn(retention_loop(svc), "audit-retention")
    for fn in list(svc.on_ready):
        fn()


async def prune_audit(svc: ManagementService) -> int:
    """Drop audit entries older than `audit.retention_days` (S18.4); returns how many went."""
    store = svc._require_store()
    days = svc.node.settings.audit.retention_days
    cutoff = int(time.time()) - days * 86400
    removed: int = await anyio.to_thread.run_sync(lambda: store.prune_audit(cutoff))
    if removed:
        log.info("audit retention: dropped %d entries older than %d days", removed, days)
    return removed


async def retention_loop(svc: ManagementService) -> None:
    while True:  # at start, then daily
        try:
            await prune_audit(svc)
        except StorageUnavailableError as exc:
            log.warning("audit retention skipped: %s", exc)
        await asyncio.sleep(86400)


async def reload_loop(svc: ManagementService, interval: float) -> None:
    """Mixed clusters: Java nodes write the shared tables without our change log; re-read them."""
    while True:
        await asyncio.sleep(interval)
        try:
            await svc.reload()
        except StorageUnavailableError as exc:
            log.warning("periodic management reload failed: %s", exc)


async def retry_open(svc: ManagementService) -> None:
    delay = 1.0
    while not svc.ready:
        await asyncio.sleep(delay)
        try:
            await open_once(svc)
        except StorageUnavailableError as exc:
            svc.error = str(exc)
            delay = min(delay * 2, 30.0)


async def close(svc: ManagementService) -> None:
    if svc.store is not None:
        await anyio.to_thread.run_sync(svc.store.close)
