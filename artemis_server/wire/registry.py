"""Request and response shapes of registry, discovery, replication, cluster and status (api.md 2.2-2.6)."""

from __future__ import annotations

import msgspec

from artemis_client.wire.envelope import ResponseStatus
from artemis_client.wire.ids import Id
from artemis_server.registry.model import FailedInstance, Instance, InstanceKey, RawKey


class _In(msgspec.Struct, rename="camel", omit_defaults=True):
    pass


class RegisterRequest(_In):
    instances: list[Instance] | None = None


class KeysRequest(_In):
    """Heartbeat / unregister: ``instanceKeys`` (R) and/or ``instances`` (J), union (S4.1, S5.1)."""

    instance_keys: list[RawKey] | None = None
    instances: list[Instance] | None = None


class DiscoveryConfig(_In):
    service_id: Id = ""
    region_id: Id | None = None
    zone_id: Id | None = None
    discovery_data: dict[str, str] | None = None


class ServiceRequest(_In):
    discovery_config: DiscoveryConfig | None = None
    region_id: Id | None = None
    zone_id: Id | None = None


class ServiceQuery(_In):
    service_id: Id | None = None
    region_id: Id | None = None
    zone_id: Id | None = None


class ServicesRequest(_In):
    region_id: Id | None = None
    zone_id: Id | None = None


class LookupRequest(_In):
    discovery_configs: list[DiscoveryConfig] | None = None
    discovery_config: DiscoveryConfig | None = None
    strategy: str | None = None
    region_id: Id | None = None
    zone_id: Id | None = None


class DeltaRequest(_In):
    version: int
    region_id: Id | None = None
    zone_id: Id | None = None


class ReplicationDeltaRequest(_In):
    since_timestamp: int = 0
    region_id: Id | None = None
    zone_id: Id | None = None


class StatusRequest(_In):
    """POST body of the status endpoints: ignored, but it must be a JSON object when present (T3, T7)."""


class LeasesRequest(_In):
    service_ids: list[Id] | None = None
    app_ids: list[Id] | None = None


class Service(msgspec.Struct, rename="camel", omit_defaults=True):
    """api.md 1.3. ``instances`` is always written."""

    service_id: str
    instances: list[Instance]
    metadata: dict[str, str] | None = None
    logic_instances: list[Instance] | None = None
    route_rules: list[dict[str, object]] | None = None


class Zone(msgspec.Struct, rename="camel"):
    region_id: str
    zone_id: str


class ServiceNode(msgspec.Struct, rename="camel"):
    node_id: str
    url: str
    region_id: str
    zone_id: str
    zone: Zone


class ServiceNodeStatus(msgspec.Struct, rename="camel", omit_defaults=True):
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
    instance: str
    creation_time: str
    renewal_time: str
    evition_time: str
    ttl: int


# -- response shapes (documentation: /schema/openapi.json) ---------------------------------------------
# Family A answers business failures inside HTTP 200 (api.md T8), so every payload field is optional: a
# failure carries only responseStatus. The handlers build these documents; the Structs describe them.


class _Out(msgspec.Struct, rename="camel", omit_defaults=True):
    response_status: ResponseStatus


class RegisterResponse(_Out):
    failed_instances: list[FailedInstance] | None = None


class HeartbeatResponse(_Out):
    failed_instance_keys: list[InstanceKey] | None = None
    failed_instances: list[FailedInstance] | None = None


class ServiceResponse(_Out):
    service: Service | None = None


class ServicesResponse(_Out):
    services: list[Service] | None = None
    version: int | None = None


class LookupResponse(_Out):
    services: list[Service] | None = None


class NodesResponse(_Out):
    nodes: list[ServiceNode] | None = None


class Exposure(msgspec.Struct):
    risk: str
    fix: str


class NodeStatusResponse(_Out):
    node_status: ServiceNodeStatus | None = None
    exposure: list[Exposure] | None = None


class ClusterStatusResponse(_Out):
    nodes_status: list[ServiceNodeStatus] | None = None
    node_count: int | None = None
