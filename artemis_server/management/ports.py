"""The Store port: what the management service needs from its database (store/repository.SqlStore).

Every method is synchronous and runs in a worker thread (``anyio.to_thread``); a database that cannot be
reached raises ``StorageUnavailableError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from artemis_client.wire.audit import AuditLog, JLog
    from artemis_server.registry.entities import EntityChange
    from artemis_server.registry.hlc import HybridClock, Stamp
    from artemis_server.store.audit_reads import AuditQuery
    from artemis_server.store.changelog import Entry
    from artemis_server.store.repository import Loaded


class Store(Protocol):
    url: str

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        ...

    def open(self) -> str:
        """Connect and migrate; returns the database's id (a wiped database gets a new one)."""
        ...

    def close(self) -> None: ...

    # -- the whole view
    def load(self) -> Loaded: ...
    def load_routing_view(self) -> Loaded: ...

    # -- changes (store/changelog.py)
    def commit_local(
        self, entry: Entry, clock: HybridClock, expected: dict[str, Stamp | None], now: float
    ) -> Entry:
        """One change made here: rows, versions, audit, log entry in one transaction; raises
        StaleStateError when an entity's version is not ``expected`` (another writer changed it)."""
        ...

    def apply_remote(
        self, entries: list[Entry], clock: HybridClock
    ) -> list[tuple[Entry, list[EntityChange]]]: ...

    def newest_stamp(self) -> Stamp | None: ...
    def origins(self) -> dict[str, int]: ...
    def changes_after(
        self, since: dict[str, int], limit: int, exclude: tuple[str, ...] = ()
    ) -> tuple[list[Entry], bool]: ...

    # -- audit
    def prune_audit(self, older_than: int) -> int: ...
    def query_audit(self, q: AuditQuery) -> list[AuditLog]: ...
    def query_j_logs(self, table: str, filters: dict[str, Any], limit: int) -> list[JLog]: ...
