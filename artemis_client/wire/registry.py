"""Registry and discovery shapes (api.md 1.1-1.4, 2.2, 2.3): instances, keys, services, their requests and
answers.

:class:`Instance` is also the registry core's own record of a registration: a node holds up to a million of
them, so it is frozen (hashable, safe to share between the registry, snapshots and change events) and kept
out of the cyclic garbage collector (``gc=False``: it holds no reference cycles); both options are part of the
memory budget measured in benchmarks/.
"""

from __future__ import annotations

import msgspec

from artemis_client.wire.codec import CamelStruct
from artemis_client.wire.envelope import ResponseStatus
from artemis_client.wire.ids import Id


class Instance(msgspec.Struct, rename="camel", omit_defaults=True, frozen=True, gc=False):
    """A registered service instance (api.md 1.1). Identity is (regionId, serviceId, instanceId), S1.1.

    ``serviceId``/``instanceId`` default to ``""`` only so that one bad item of a batch can be reported in
    ``failedInstances`` instead of failing the whole request (S2.2); stored instances always have both.
    """

    service_id: Id = ""
    instance_id: Id = ""
    region_id: Id | None = None
    zone_id: Id | None = None
    group_id: Id | None = None
    machine_name: str | None = None
    ip: str | None = None
    port: int | None = None
    protocol: str | None = None
    url: str | None = None
    health_check_url: str | None = None
    status: str | None = None
    metadata: dict[str, str] | None = None


class InstanceKey(msgspec.Struct, rename="camel", frozen=True, gc=False):
    """Output shape of an instance key (api.md 1.2): all five fields, zone/group ``""`` when unknown."""

    region_id: str
    zone_id: str
    service_id: str
    group_id: str
    instance_id: str


class RawKey(msgspec.Struct, rename="camel", omit_defaults=True, frozen=True, gc=False):
    """An instance key as received (api.md 1.2 input). zone/group are accepted and ignored for identity.

    ``gc=False``: only strings, so never part of a cycle; an untracked Struct is allocated without the
    collector's header, which a first-sight heartbeat of 100 keys decodes ~2 us faster (issue 20)."""

    service_id: Id = ""
    instance_id: Id = ""
    region_id: Id | None = None
    zone_id: Id | None = None
    group_id: Id | None = None


class FailedInstance(CamelStruct):
    """J FailedInstance: the item as sent plus a per-item error code (api.md 1.4)."""

    instance: Instance
    error_code: str
    error_message: str


class InstanceChange(msgspec.Struct, rename="camel"):
    """A change event (S13). ``change_time`` is epoch milliseconds; the /ws frame writes it as RFC 3339."""

    instance: Instance
    change_type: str
    change_time: int


class RouteGroup(CamelStruct):
    """One weighted group of a route rule as discovery shows it (J ``ServiceGroup`` of artemis-common)."""

    group_key: str
    weight: int
    instance_ids: list[str] | None = None
    instances: list[Instance] | None = None
    metadata: dict[str, str] | None = None


class RouteRuleView(CamelStruct):
    """The active route rule of a service, for Java clients that route themselves (api.md 1.3, S9.9)."""

    route_id: str
    strategy: str
    groups: list[RouteGroup]


class Service(CamelStruct):
    """api.md 1.3. ``instances`` is always written."""

    service_id: str
    instances: list[Instance]
    metadata: dict[str, str] | None = None
    logic_instances: list[Instance] | None = None
    route_rules: list[RouteRuleView] | None = None


class DiscoveryConfig(CamelStruct):
    """What a discovery call asks for (api.md 1.4); ``discoveryData`` keys are data (N3)."""

    service_id: Id = ""
    region_id: Id | None = None
    zone_id: Id | None = None
    discovery_data: dict[str, str] | None = None


# -- requests (2.2, 2.3) ---------------------------------------------------------------------------------


class RegisterRequest(CamelStruct):
    """register.json (client and replication)."""

    instances: list[Instance] | None = None


class KeysRequest(CamelStruct):
    """Heartbeat / unregister: ``instanceKeys`` (R) and/or ``instances`` (J), union (S4.1, S5.1)."""

    instance_keys: list[RawKey] | None = None
    instances: list[Instance] | None = None


class ServiceRequest(CamelStruct):
    """POST service.json: J puts region/zone at the top, R inside the config; either."""

    discovery_config: DiscoveryConfig | None = None
    region_id: Id | None = None
    zone_id: Id | None = None


class ServiceQuery(CamelStruct):
    """GET service.json query parameters."""

    service_id: Id | None = None
    region_id: Id | None = None
    zone_id: Id | None = None


class ServicesRequest(CamelStruct):
    """services.json, cluster nodes: an optional region and zone (body or query)."""

    region_id: Id | None = None
    zone_id: Id | None = None


class LookupRequest(CamelStruct):
    """lookup.json: a J batch (``discoveryConfigs``) or an R single-instance pick (``discoveryConfig``)."""

    discovery_configs: list[DiscoveryConfig] | None = None
    discovery_config: DiscoveryConfig | None = None
    strategy: str | None = None
    region_id: Id | None = None
    zone_id: Id | None = None
    # Python-defined (docs/sdk.md): answer the unrouted instances plus the active rule, which the client
    # evaluates per pick; Java clients never send it.
    client_routing: bool | None = None


class DeltaRequest(CamelStruct):
    """J services-delta.json: the cache version the caller holds."""

    version: int
    region_id: Id | None = None
    zone_id: Id | None = None


# -- answers ------------------------------------------------------------------------------------------------
# Family A answers business failures inside HTTP 200 (api.md T8): every payload field is optional, and a
# failure carries only responseStatus. responseStatus comes last, after the payload, as the server writes it.


class RegisterResponse(CamelStruct, kw_only=True):
    """register.json: ``failedInstances`` only when some item failed (``partial_fail``)."""

    failed_instances: list[FailedInstance] | None = None
    response_status: ResponseStatus


class HeartbeatResponse(CamelStruct, kw_only=True):
    """heartbeat.json and unregister.json: the keys that failed, in the R and the J shape."""

    failed_instance_keys: list[InstanceKey] | None = None
    failed_instances: list[FailedInstance] | None = None
    response_status: ResponseStatus


class ServiceResponse(CamelStruct, kw_only=True):
    """service.json: no ``service`` when a POST names a service nobody registered (S7.2)."""

    service: Service | None = None
    response_status: ResponseStatus


class ServicesResponse(CamelStruct, kw_only=True):
    """services.json: every service with its visible instances and the cache version."""

    services: list[Service] | None = None
    version: int | None = None
    response_status: ResponseStatus


class LookupResponse(CamelStruct, kw_only=True):
    """J batch lookup: one service per config, in order (unknown ids: ``instances: []``)."""

    services: list[Service] | None = None
    response_status: ResponseStatus


class LookupInstanceResponse(CamelStruct):
    """R single-instance lookup: ``{success: true, instance}`` (failures are family C, HTTP 404)."""

    success: bool
    instance: Instance


class DeltaResponse(CamelStruct, kw_only=True):
    """J services-delta.json: the changes per service id since the version asked for (N3: keys are data)."""

    delta: dict[str, list[InstanceChange]] | None = None
    version: int | None = None
    response_status: ResponseStatus
