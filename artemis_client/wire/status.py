"""Cluster and status shapes (api.md 1.4, 2.5, 2.6): nodes, their status, leases, config and deployment."""

from __future__ import annotations

import msgspec

from artemis_client.wire.codec import CamelStruct
from artemis_client.wire.envelope import ResponseStatus
from artemis_client.wire.ids import Id


class Zone(msgspec.Struct, rename="camel"):
    """J Zone: where a node runs (``{regionId, zoneId}``)."""

    region_id: str
    zone_id: str


class ServiceNode(msgspec.Struct, rename="camel"):
    """A registry node (api.md 1.4); Java clients read ``url`` and ``zone``."""

    node_id: str
    url: str
    region_id: str
    zone_id: str
    zone: Zone


class ServiceNodeStatus(CamelStruct):
    """A node and what it serves (api.md 1.4)."""

    node: ServiceNode
    status: str
    can_service_discovery: bool
    can_service_registry: bool
    allow_registry_from_other_zone: bool
    allow_discovery_from_other_zone: bool
    # Python-defined, peers only (Java readers ignore unknown keys): registry writes queued or waiting for a
    # retry for that peer, and management changes this node holds that the peer did not at its last pull.
    replication_pending: int | None = None
    management_pending: int | None = None


class LeaseStatus(msgspec.Struct, rename="camel"):
    """One lease in leases.json (api.md 1.4; ``evitionTime`` is spelled as both references spell it)."""

    instance: str
    creation_time: str
    renewal_time: str
    evition_time: str
    ttl: int


class Exposure(msgspec.Struct):
    """What a node listening beyond loopback opens, and the setting that closes it (node.json, ours)."""

    risk: str
    fix: str


class StatusRequest(CamelStruct):
    """POST body of the status endpoints: ignored, but it must be a JSON object when present (T3, T7)."""


class LeasesRequest(CamelStruct):
    """POST leases.json: the services to list (both names are accepted)."""

    service_ids: list[Id] | None = None
    app_ids: list[Id] | None = None


class NodesResponse(CamelStruct, kw_only=True):
    """up-registry-nodes / up-discovery-nodes: this node and the peers that are up."""

    nodes: list[ServiceNode] | None = None
    response_status: ResponseStatus


class NodeStatusResponse(CamelStruct, kw_only=True):
    """node.json."""

    node_status: ServiceNodeStatus | None = None
    exposure: list[Exposure] | None = None
    response_status: ResponseStatus


class ClusterStatusResponse(CamelStruct, kw_only=True):
    """cluster.json: this node first, then the peers that are up (S16.2)."""

    nodes_status: list[ServiceNodeStatus] | None = None
    node_count: int | None = None
    response_status: ResponseStatus


class LeasesResponse(CamelStruct, kw_only=True):
    """leases.json / legacy-leases.json (api.md 2.6): ``leasesStatus`` (R) and ``leases`` (J) hold the same
    map of service id to leases."""

    lease_update_max_count: int
    lease_update_max_count_last_update_time: int
    lease_update_count_last_time_window: int
    is_safe: bool
    is_safe_check_enabled: bool
    lease_count: int
    leases_status: dict[str, list[LeaseStatus]]
    leases: dict[str, list[LeaseStatus]]
    response_status: ResponseStatus


class ConfigResponse(CamelStruct, kw_only=True):
    """config.json: property sources and the node's properties (N3: keys are data)."""

    sources: dict[str, int]
    properties: dict[str, str]
    response_status: ResponseStatus


class DeploymentResponse(CamelStruct, kw_only=True):
    """deployment.json: where and as what this node runs."""

    region_id: str
    zone_id: str
    app_id: str
    machine_name: str
    ip: str
    port: int
    protocol: str
    path: str
    sources: dict[str, int]
    properties: dict[str, str]
    response_status: ResponseStatus


class Connections(msgspec.Struct):
    """message/connections.json (J, no envelope): open push sessions per channel, as strings."""

    registry: str
    discovery: str
