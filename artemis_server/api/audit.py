"""Audit log queries (api.md 2.11, S18.2): R paths in family C, the shared `/log/*.json` paths in C + A."""

from __future__ import annotations

from typing import Any

from artemis_client.errors import BadRequestError
from artemis_client.wire import codec, envelope
from artemis_client.wire.audit import AuditFilter, AuditLog, JLogsResponse, SharedLogsResponse
from artemis_server import edge
from artemis_server.api.endpoints import Call, Routes
from artemis_server.store.audit_reads import AuditQuery

routes = Routes()

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000


def filters(call: Call) -> AuditFilter:
    """Filters from the query string, and on POST also from a JSON body (body wins)."""
    merged = codec.query_to_obj(call.query, AuditFilter)
    if call.method == "POST":
        body = call.json()
        if body:
            if not isinstance(body, dict):
                raise BadRequestError("request body must be a JSON object", field="body")
            merged.update(codec.normalize(body, codec.plan_for(AuditFilter)))
    f = codec.convert(merged, AuditFilter)
    if f.limit is not None and f.limit < 0:
        raise BadRequestError("invalid field `limit`: must be >= 0", field="limit")
    return f


def _limit(f: AuditFilter) -> int:
    return min(f.limit if f.limit is not None else DEFAULT_LIMIT, MAX_LIMIT)


def _s(value: str | int | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


async def _query(call: Call, f: AuditFilter, **kw: Any) -> list[AuditLog]:
    q = AuditQuery(operator_id=_s(f.operator_id), since=f.since, limit=_limit(f), **kw)
    return await call.node.management.audit(q)


@routes.get("/api/management/audit/logs", family="C")
async def audit_logs(call: Call) -> Any:
    f = filters(call)
    types = [f.operation_type] if _s(f.operation_type) else None
    return edge.ok_c(await _query(call, f, types=types, operation=_s(f.operation)))


@routes.get("/api/management/audit/instance-logs", family="C")
async def audit_instance_logs(call: Call) -> Any:
    f = filters(call)
    contains: list[str] = []
    prefix = None
    service = _s(f.service_id)
    if service:
        prefix = [f"{service}:"]
    if _s(f.region_id):
        contains.append(f":{_s(f.region_id)}:")
    if _s(f.instance_id):
        contains.append(f":{_s(f.instance_id)}")
    return edge.ok_c(
        await _query(call, f, types=["instance"], target_prefix=prefix, target_contains=contains)
    )


@routes.get("/api/management/audit/server-logs", family="C")
async def audit_server_logs(call: Call) -> Any:
    f = filters(call)
    server = _s(f.server_id) or _s(f.ip)
    prefix = [f"{server}:"] if server else None
    return edge.ok_c(await _query(call, f, types=["server"], target_prefix=prefix))


# -- the six shared paths: family C + responseStatus + J `logs` ---------------------------------------------


async def _shared(call: Call, table: str, j_filters: dict[str, Any], **kw: Any) -> Any:
    f = filters(call)
    data = await _query(call, f, **kw)
    j_filters = {k: v for k, v in j_filters.items() if v is not None}
    if _s(f.operator_id):
        j_filters["OPERATOR_ID"] = _s(f.operator_id)
    logs = await call.node.management.j_logs(table, j_filters, _limit(f))
    return SharedLogsResponse(success=True, data=data, response_status=envelope.OK, logs=logs)


def _int_or_none(value: str | None) -> int | None:
    """Group ids of the J log tables are row ids: a non-numeric filter matches nothing (-1), never errors."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return -1


@routes.post("/api/management/log/group-logs.json", family="C", response=SharedLogsResponse)
async def group_logs(call: Call) -> Any:
    f = filters(call)
    g = _s(f.group_id)
    tokens = [f"group:{g}"] if g else None
    return await _shared(
        call, "service_group_log", {"GROUP_ID": _int_or_none(g)}, types=["group"], tokens=tokens
    )


@routes.post("/api/management/log/route-rule-logs.json", family="C", response=SharedLogsResponse)
async def route_rule_logs(call: Call) -> Any:
    f = filters(call)
    r = _s(f.rule_id)
    tokens = [f"rule:{r}"] if r else None
    return await _shared(call, "service_route_rule_log", {"NAME": r}, types=["route_rule"], tokens=tokens)


@routes.post("/api/management/log/route-rule-group-logs.json", family="C", response=SharedLogsResponse)
async def route_rule_group_logs(call: Call) -> Any:
    f = filters(call)
    r, g = _s(f.rule_id), _s(f.group_id)
    tokens = [t for t in (f"rule:{r}" if r else None, f"group:{g}" if g else None) if t]
    return await _shared(call, "service_route_rule_group_log", {}, types=["route_rule_group"], tokens=tokens)


@routes.post("/api/management/log/zone-operation-logs.json", family="C", response=SharedLogsResponse)
async def zone_operation_logs(call: Call) -> Any:
    f = filters(call)
    z, r = _s(f.zone_id), _s(f.region_id)
    tokens = [t for t in (f"zone:{z}" if z else None, f"region:{r}" if r else None) if t]
    return await _shared(
        call, "service_zone_log", {"ZONE_ID": z, "REGION_ID": r}, types=["zone"], tokens=tokens
    )


@routes.post("/api/management/log/group-instance-logs.json", family="C", response=SharedLogsResponse)
async def group_instance_logs(call: Call) -> Any:
    f = filters(call)
    g, i = _s(f.group_id), _s(f.instance_id)
    tokens = [t for t in (f"group:{g}" if g else None, f"instance:{i}" if i else None) if t]
    j = {"GROUP_ID": _int_or_none(g), "INSTANCE_ID": i}
    return await _shared(call, "service_group_instance_log", j, types=["group_instance"], tokens=tokens)


@routes.post("/api/management/log/service-instance-logs.json", family="C", response=SharedLogsResponse)
async def service_instance_logs(call: Call) -> Any:
    f = filters(call)
    s = _s(f.service_id)
    kw: dict[str, Any] = {"types": ["service_instance", "instance"]}
    if s:
        kw["target_prefix"] = [f"{s}:"]
        kw["target_any"] = [f"service:{s}"]
    j = {"SERVICE_ID": s, "REGION_ID": _s(f.region_id)}
    return await _shared(call, "service_instance_log", j, **kw)


# -- J-only (family A) --------------------------------------------------------------------------------


async def _j_only(call: Call, table: str, cols: dict[str, Any]) -> Any:
    f = filters(call)
    cols = {k: v for k, v in cols.items() if v is not None}
    if _s(f.operator_id):
        cols["OPERATOR_ID"] = _s(f.operator_id)
    if f.complete is not None:
        cols["COMPLETE"] = f.complete
    logs = await call.node.management.j_logs(table, cols, _limit(f))
    return JLogsResponse(logs=logs, response_status=envelope.OK)


@routes.post("/api/management/log/instance-operation-logs.json", family="A", response=JLogsResponse)
async def instance_operation_logs(call: Call) -> Any:
    f = filters(call)
    cols = {
        "REGION_ID": _s(f.region_id),
        "SERVICE_ID": _s(f.service_id),
        "INSTANCE_ID": _s(f.instance_id),
        "OPERATION": _s(f.operation),
    }
    return await _j_only(call, "instance_log", cols)


@routes.post("/api/management/log/server-operation-logs.json", family="A", response=JLogsResponse)
async def server_operation_logs(call: Call) -> Any:
    f = filters(call)
    cols = {
        "REGION_ID": _s(f.region_id),
        "SERVER_ID": _s(f.server_id) or _s(f.ip),
        "OPERATION": _s(f.operation),
    }
    return await _j_only(call, "server_log", cols)


@routes.post("/api/management/log/group-operation-logs.json", family="A", response=JLogsResponse)
async def group_operation_logs(call: Call) -> Any:
    f = filters(call)
    return await _j_only(
        call,
        "service_group_operation_log",
        {"GROUP_ID": _int_or_none(_s(f.group_id)), "OPERATION": _s(f.operation)},
    )
