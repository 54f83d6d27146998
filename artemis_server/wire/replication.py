"""Request and answer shapes of the replication endpoints (api.md 2.4) and of the management change log."""

from __future__ import annotations

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


class ChangesRequest(_In):
    """POST /api/replication/management/changes.json: the change-log entries the caller lacks (S14.2).

    ``since`` maps each origin to the last sequence number the caller holds; ``limit`` caps the answer.
    """

    since: dict[str, int] | None = None
    limit: int = 200
    node_id: str = ""
    database_id: str | None = None


class PeerHello(_In):
    """hello.json and poke.json bodies: who is calling (both are optional for older peers)."""

    node_id: str = ""
    url: str = ""
