"""Request and answer shapes of the replication endpoints (api.md 2.4) and the management relay."""

from __future__ import annotations

from typing import Any

import msgspec

from artemis_server.wire.registry import Service


class _In(msgspec.Struct, rename="camel", omit_defaults=True):
    pass


class ServicesQuery(_In):
    """GET services.json: ``regionId`` is required (J + R)."""

    region_id: str
    zone_id: str | None = None


class DeltaRequest(_In):
    """R services-delta.json: all three fields are required."""

    region_id: str
    zone_id: str
    since_timestamp: int


class SyncFullRequest(_In):
    region_id: str
    zone_id: str | None = None


class ServicesReply(_In):
    """A peer's services.json answer, read back during the start-up sync."""

    services: list[Service] | None = None


class ManagementApply(_In):
    """POST /api/replication/management/apply.json: one management command relayed by a peer."""

    command: str
    args: dict[str, Any] | None = None
    operator: str = ""
    origin_node_id: str = ""
    database_id: str | None = None
