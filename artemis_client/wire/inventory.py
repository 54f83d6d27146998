"""The inventory of registered instances (a P endpoint: ``/api/management/instances.json``).

Every instance registered on the node, raw as registered (the discovery filters F2-F6 do not apply and
nothing is merged into ``metadata``), with its lease times and whether it is pulled out and by what. Absent
from Java Artemis and from R; the CLI lists instances with it (decisions.md, issue 17).
"""

from __future__ import annotations

from artemis_client.wire.codec import CamelStruct
from artemis_client.wire.envelope import ResponseStatus
from artemis_client.wire.ids import CleanId, LocationId
from artemis_client.wire.registry import Instance

PULL_OUT_SCOPES = ("instance", "server", "zone")
"""What can pull an instance out (S10.9): its own operation, its server's (ip), its zone's."""


class InventoryRequest(CamelStruct):
    """Which instances to list: one service (case-insensitive) or all, optionally one region / zone."""

    service_id: CleanId | None = None
    region_id: LocationId | None = None
    zone_id: LocationId | None = None


class Lease(CamelStruct):
    """A lease: created and last renewed (epoch milliseconds), and its time to live (milliseconds)."""

    creation_time: int
    renewal_time: int
    ttl: int


class RegisteredInstance(CamelStruct, kw_only=True):
    """One registration: the instance as registered, its lease (absent for an instance whose lease is not
    held on this node), and the pull-outs that hide it from discovery (``pulledOutBy`` in
    :data:`PULL_OUT_SCOPES` order, empty when it is not pulled out)."""

    instance: Instance
    lease: Lease | None = None
    pulled_out: bool
    pulled_out_by: list[str]


class RegisteredService(CamelStruct):
    """A service with registered instances, in order of first registration (S7.6)."""

    service_id: str
    instances: list[RegisteredInstance]


class InventoryResponse(CamelStruct, kw_only=True):
    """instances.json (family A): the services with registered instances in scope, none omitted for being
    pulled out or not up."""

    services: list[RegisteredService] | None = None
    response_status: ResponseStatus
