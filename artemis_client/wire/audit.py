"""Audit shapes (api.md 1.5, 2.11): the filters every audit path reads, audit records, Java log rows."""

from __future__ import annotations

from typing import Any

import msgspec

from artemis_client.wire.codec import CamelStruct
from artemis_client.wire.envelope import ResponseStatus
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


class AuditLog(CamelStruct, kw_only=True):
    """One audit record (1.5): who did what to which target and when (epoch seconds); ``details`` is the
    JSON text of the operation's parameters, or null."""

    log_id: int
    operation_type: str
    target_id: str
    operation: str
    operator_id: str
    operation_time: int
    details: str | None


class JLog(CamelStruct, kw_only=True):
    """A row of a Java log table (``instance_log``, ``server_log``, ``service_group_log``, ...), as the J
    log paths list it: the id columns the table has, ``complete`` and ``extensions`` when it has them, and
    its creation / change times in epoch milliseconds."""

    id: int
    instance_id: str | None = None
    service_id: str | None = None
    region_id: str | None = None
    server_id: str | None = None
    zone_id: str | None = None
    group_id: int | str | None = None
    operation: str | None = None
    operator_id: str | None = None
    token: str | None = None
    reason: str | None = None
    complete: bool | msgspec.UnsetType = msgspec.UNSET
    extensions: Any = msgspec.UNSET
    create_time: int
    update_time: int


class SharedLogsResponse(CamelStruct, kw_only=True):
    """The six ``/api/management/log/*.json`` paths both references serve: family C (``data``: audit
    records) plus family A's ``responseStatus`` and J's ``logs`` (api.md 2.11)."""

    success: bool
    data: list[AuditLog]
    response_status: ResponseStatus
    logs: list[JLog]


class JLogsResponse(CamelStruct, kw_only=True):
    """The J-only log paths (family A)."""

    logs: list[JLog]
    response_status: ResponseStatus
