"""Audit shapes (api.md 1.5, 2.11): the filters every audit path reads."""

from __future__ import annotations

from artemis_client.wire.codec import CamelStruct
from artemis_client.wire.ids import CleanId, LocationId, ShortName


class AuditFilter(CamelStruct):
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
