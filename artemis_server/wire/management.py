"""Request shapes of the management plane (api.md 2.7, 2.8, 2.9, 2.11). Keys are tolerant on input (N1)."""

from __future__ import annotations

import msgspec

from artemis_client.wire.ids import CleanId, LocationId, ShortName
from artemis_client.wire.registry import Instance


class _In(msgspec.Struct, rename="camel", omit_defaults=True):
    pass


class KeyIn(_In):
    """InstanceKey on input (1.2): zoneId / groupId are accepted and ignored for identity."""

    region_id: LocationId | None = None
    service_id: CleanId | None = None
    instance_id: CleanId | None = None
    zone_id: LocationId | None = None
    group_id: CleanId | None = None


class ServerKey(_In):
    region_id: LocationId | None = None
    server_id: ShortName | None = None


class ZoneKey(_In):
    region_id: LocationId | None = None
    service_id: CleanId | None = None
    zone_id: LocationId | None = None


class OperateInstanceRequest(_In):
    instance_key: KeyIn | None = None
    operation: str | None = None
    operation_complete: bool = False
    operator_id: ShortName | None = None
    token: str | None = None
    reason: str | None = None
    extensions: dict[str, str] | None = None


class InstanceKeyRequest(_In):
    instance_key: KeyIn | None = None


class InstanceDownRequest(_In):
    instance: Instance | None = None
    instance_key: KeyIn | None = None


class OperateServerRequest(_In):
    server_id: ShortName | None = None
    region_id: LocationId | None = None
    server_key: ServerKey | None = None
    operation: str | None = None
    operation_complete: bool = False
    operator_id: ShortName | None = None
    token: str | None = None


class ServerKeyRequest(_In):
    server_id: ShortName | None = None
    region_id: LocationId | None = None
    server_key: ServerKey | None = None


class RegionQuery(_In):
    region_id: LocationId | None = None
    zone_id: LocationId | None = None


class AdminServiceRequest(_In):
    service_id: CleanId = ""
    region_id: LocationId | None = None
    zone_id: LocationId | None = None


class ZoneRequest(_In):
    zone_id: LocationId | None = None
    region_id: LocationId | None = None
    operator_id: ShortName | None = None
    operation: str | None = None
    reason: str | None = None


class ZoneOperations(_In):
    zone_key: ZoneKey | None = None
    operations: list[str] | None = None


class OperateZonesRequest(_In):
    zone_operations_list: list[ZoneOperations] | None = None
    operation: str | None = None
    operation_complete: bool = False
    operator_id: ShortName | None = None
    token: str | None = None
    reason: str | None = None


class ZoneKeyRequest(_In):
    zone_key: ZoneKey | None = None


class ZoneListRequest(_In):
    region_id: LocationId | None = None
    service_id: CleanId | None = None
    zone_id: LocationId | None = None


class CanaryConfigRequest(_In):
    service_id: CleanId | None = None
    ip_whitelist: list[str] | None = None
    enabled: bool | None = None
    operator_id: ShortName | None = None


class CanaryEnableRequest(_In):
    service_id: CleanId | None = None
    enabled: bool = True
    operator_id: ShortName | None = None


class CanaryIpsRequest(_In):
    ips: list[str] | None = None
    operator_id: ShortName | None = None


class AuditFilter(_In):
    """Every filter of 2.11 / S18.2; each endpoint reads the ones it knows."""

    operation_type: str | None = None
    operator_id: ShortName | None = None
    operation: str | None = None
    service_id: CleanId | None = None
    region_id: LocationId | None = None
    zone_id: LocationId | None = None
    instance_id: CleanId | None = None
    server_id: ShortName | None = None
    ip: str | None = None
    group_id: CleanId | int | None = None
    rule_id: str | int | None = None
    complete: bool | None = None
    since: int | None = None
    limit: int | None = None
