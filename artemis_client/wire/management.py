"""Management shapes (api.md 1.5, 2.7, 2.8, 2.9): instance, server and zone operations, canary releases."""

from __future__ import annotations

from artemis_client.wire.codec import CamelStruct
from artemis_client.wire.ids import CleanId, LocationId, ShortName
from artemis_client.wire.registry import Instance, InstanceKey


class KeyIn(CamelStruct):
    """InstanceKey on input (1.2): zoneId / groupId are accepted and ignored for identity. Written with the
    three identity fields only, it is also J's InstanceKey in operation listings."""

    region_id: LocationId | None = None
    service_id: CleanId | None = None
    instance_id: CleanId | None = None
    zone_id: LocationId | None = None
    group_id: CleanId | None = None


class ServerKey(CamelStruct):
    """J ServerKey: a server (an ip) in a region."""

    region_id: LocationId | None = None
    server_id: ShortName | None = None


class ZoneKey(CamelStruct):
    """J ZoneKey: a zone of a region, for every service (``serviceId`` empty) or one (S10.8)."""

    region_id: LocationId | None = None
    service_id: CleanId | None = None
    zone_id: LocationId | None = None


class OperateInstanceRequest(CamelStruct):
    instance_key: KeyIn | None = None
    operation: str | None = None
    operation_complete: bool = False
    operator_id: ShortName | None = None
    token: str | None = None
    reason: str | None = None
    extensions: dict[str, str] | None = None


class InstanceKeyRequest(CamelStruct):
    instance_key: KeyIn | None = None


class InstanceDownRequest(CamelStruct):
    instance: Instance | None = None
    instance_key: KeyIn | None = None


class OperateServerRequest(CamelStruct):
    server_id: ShortName | None = None
    region_id: LocationId | None = None
    server_key: ServerKey | None = None
    operation: str | None = None
    operation_complete: bool = False
    operator_id: ShortName | None = None
    token: str | None = None


class ServerKeyRequest(CamelStruct):
    server_id: ShortName | None = None
    region_id: LocationId | None = None
    server_key: ServerKey | None = None


class RegionQuery(CamelStruct):
    region_id: LocationId | None = None
    zone_id: LocationId | None = None


class AdminServiceRequest(CamelStruct):
    service_id: CleanId = ""
    region_id: LocationId | None = None
    zone_id: LocationId | None = None


class ZoneRequest(CamelStruct):
    zone_id: LocationId | None = None
    region_id: LocationId | None = None
    operator_id: ShortName | None = None
    operation: str | None = None
    reason: str | None = None


class ZoneOperations(CamelStruct):
    """J ZoneOperations: a zone key and its operations (request item and listing entry alike)."""

    zone_key: ZoneKey | None = None
    operations: list[str] | None = None


class OperateZonesRequest(CamelStruct):
    zone_operations_list: list[ZoneOperations] | None = None
    operation: str | None = None
    operation_complete: bool = False
    operator_id: ShortName | None = None
    token: str | None = None
    reason: str | None = None


class ZoneKeyRequest(CamelStruct):
    zone_key: ZoneKey | None = None


class ZoneListRequest(CamelStruct):
    region_id: LocationId | None = None
    service_id: CleanId | None = None
    zone_id: LocationId | None = None


class CanaryConfigRequest(CamelStruct):
    service_id: CleanId | None = None
    ip_whitelist: list[str] | None = None
    enabled: bool | None = None
    operator_id: ShortName | None = None


class CanaryEnableRequest(CamelStruct):
    service_id: CleanId | None = None
    enabled: bool = True
    operator_id: ShortName | None = None


class CanaryIpsRequest(CamelStruct):
    ips: list[str] | None = None
    operator_id: ShortName | None = None


class UpdateCanaryIpsRequest(CamelStruct):
    """J update-canary-ips.json (S11.5): a canary group named ``appId`` holding the listed ips."""

    service_id: CleanId | None = None
    app_id: str | None = None
    canary_ips: list[str] | None = None
    operator_id: ShortName | None = None
    token: str | None = None


# -- records and views (1.5) ---------------------------------------------------------------------------------


class InstanceOperationRecord(CamelStruct):
    """One operation record of an instance (R); ``operationComplete``: it takes the instance down."""

    instance_key: InstanceKey
    operation: str
    operation_complete: bool
    operator_id: str
    token: str | None = None


class InstanceOperations(CamelStruct):
    """J InstanceOperations: the operations recorded for one instance (key with the identity fields only)."""

    instance_key: KeyIn
    operations: list[str]


class ServerOperationInfo(CamelStruct):
    """One operation record of a server (R)."""

    server_id: str
    region_id: str
    operation: str


class ServerOperations(CamelStruct):
    """J ServerOperations: the operations recorded for one server."""

    server_key: ServerKey
    operations: list[str]


class ZoneStatus(CamelStruct):
    """zone/status: whether the zone is pulled out, and by whom (camelCase, unlike R HEAD)."""

    zone_id: str
    region_id: str
    is_down: bool
    operation: str | None = None
    operator_id: str | None = None


class ZoneOperationRecord(CamelStruct):
    """A current zone pull-out (R); ``serviceId`` only for a J record scoped to one service."""

    zone_id: str
    region_id: str
    operation: str
    operator_id: str
    operation_time: int
    service_id: str | None = None


class CanaryConfig(CamelStruct):
    """The canary release of a service (S11): whitelisted client IPs / CIDR blocks see canary instances."""

    service_id: str
    ip_whitelist: list[str]
    enabled: bool
