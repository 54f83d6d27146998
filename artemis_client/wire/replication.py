"""Peer shapes (api.md 2.4): the replication endpoints and the management change-log exchange (S14.2)."""

from __future__ import annotations

from artemis_client.wire.codec import CamelStruct
from artemis_client.wire.envelope import ResponseStatus
from artemis_client.wire.registry import Service


class ServicesQuery(CamelStruct):
    """GET services.json: ``regionId`` is required (J + R)."""

    region_id: str
    zone_id: str | None = None


class ReplicationDeltaRequest(CamelStruct):
    """R services-delta.json: all three fields are required."""

    region_id: str
    zone_id: str
    since_timestamp: int


class SyncFullRequest(CamelStruct):
    """R sync-full.json."""

    region_id: str
    zone_id: str | None = None


class ServicesReply(CamelStruct, kw_only=True):
    """A peer's services.json: every service with every registered instance, unfiltered. The answer a node
    gives and the one it reads back during its start-up sync."""

    services: list[Service] | None = None
    response_status: ResponseStatus | None = None


class ServicesDeltaReply(CamelStruct, kw_only=True):
    """R services-delta.json: nothing when the caller is up to date, else every service (S6.4)."""

    services: list[Service]
    current_timestamp: int
    response_status: ResponseStatus


class SyncFullReply(CamelStruct, kw_only=True):
    """R sync-full.json."""

    services: list[Service]
    sync_timestamp: int
    response_status: ResponseStatus


class PeerHello(CamelStruct):
    """hello.json and poke.json bodies: who is calling (both are optional for older peers)."""

    node_id: str = ""
    url: str = ""


class HelloReply(CamelStruct, kw_only=True):
    """hello.json: the answering node's id."""

    node_id: str
    response_status: ResponseStatus


class ChangesRequest(CamelStruct):
    """POST /api/replication/management/changes.json: the change-log entries the caller lacks (S14.2).

    ``since`` maps each origin to the last sequence number the caller holds; ``limit`` caps the answer.
    """

    since: dict[str, int] | None = None
    limit: int = 200
    node_id: str = ""
    database_id: str | None = None


class ChangeEntry(CamelStruct):
    """One management change as peers exchange it: its origin stream, sequence number, hybrid-logical-clock
    stamp ``[ms, n]``, creation time (ms) and body (JSON text: command, entities, audit and J log rows)."""

    origin: str
    seq: int
    hlc: list[int]
    created_at: int
    body: str


class ChangesReply(CamelStruct, kw_only=True):
    """changes.json: entries oldest stamp first, ``more`` when the answer was cut, what this node holds per
    origin, and which database it writes (``null`` until it is open)."""

    changes: list[ChangeEntry]
    more: bool
    origins: dict[str, int]
    database_id: str | None
    node_id: str
    response_status: ResponseStatus
