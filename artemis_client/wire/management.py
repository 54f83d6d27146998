"""Management shapes (api.md 1.5, 2.7, 2.8, 2.9): instance, server and zone operations, canary releases."""

from __future__ import annotations

from artemis_client.wire.codec import CamelStruct
from artemis_client.wire.ids import CleanId, LocationId, ShortName
from artemis_client.wire.registry import Instance


class KeyIn(CamelStruct):
    """InstanceKey on input (1.2): zoneId / groupId are accepted and ignored for identity."""

    region_id: LocationId | None = None
    service_id: CleanId | None = None
    instance_id: CleanId | None = None
    zone_id: LocationId | None = None
    group_id: CleanId | None = None


class ServerKey(CamelStruct):
    region_id: LocationId | None = None
    server_id: ShortName | None = None


class ZoneKey(CamelStruct):
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
