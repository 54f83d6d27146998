"""Discovery endpoints (api.md 2.3), family A (single-instance lookup: C-like)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from artemis_client.errors import BadRequestError, NoPermissionError
from artemis_client.wire import codec
from artemis_client.wire.envelope import OK, EnvelopeC, fail_status
from artemis_client.wire.registry import (
    DeltaRequest,
    DeltaResponse,
    DiscoveryConfig,
    LookupInstanceResponse,
    LookupRequest,
    LookupResponse,
    Service,
    ServiceQuery,
    ServiceRequest,
    ServiceResponse,
    ServicesRequest,
    ServicesResponse,
)
from artemis_server.api.endpoints import Call, Reply, Routes
from artemis_server.registry.discovery import ClientContext, NoRouting
from artemis_server.registry.routing import RoutingTable
from artemis_server.views import client_rule_view

if TYPE_CHECKING:
    from artemis_server.node import Node

routes = Routes()


def client_ip(call: Call, dc: DiscoveryConfig | None) -> str | None:
    """S7.5: discoveryData.clientIp (any spelling, also `ip`), else first X-Forwarded-For hop, else peer."""
    if dc is not None and dc.discovery_data:
        for k, v in dc.discovery_data.items():
            if codec.normkey(k) in ("clientip", "ip") and v:
                return v
    return call.forwarded_ip()


def context_for(
    call: Call, dc: DiscoveryConfig | None, region: str | None, zone: str | None
) -> ClientContext:
    return ClientContext(
        region_id=(dc.region_id if dc and dc.region_id else None) or region,
        zone_id=(dc.zone_id if dc and dc.zone_id else None) or zone,
        ip=client_ip(call, dc),
    )


def check_zone(call: Call, ctx: ClientContext) -> None:
    """S20: with same-region enforcement and discovery.allow_from_other_zone=false, refuse other zones."""
    check_zone_id(call, ctx.zone_id)


def check_zone_id(call: Call, zone_id: str | None) -> None:
    s = call.node.settings
    if s.discovery.allow_from_other_zone or not s.registry.enforce_same_region:
        return
    if zone_id and zone_id != s.server.zone:
        raise NoPermissionError(f"discovery from zone {zone_id} is not served by this node")


def service_doc(call: Call, service_id: str, ctx: ClientContext, *, route: bool = True) -> Service | None:
    check_zone(call, ctx)
    found = call.node.discover(service_id, ctx, route=route)
    if found is None:
        return None
    sid, insts = found
    return call.node.service_extras(Service(service_id=sid, instances=insts), ctx)


def with_client_rule(call: Call, svc: Service) -> Service:
    """``clientRouting``: the service's active rule in the form a client routes with (or none)."""
    table = call.node.router
    if not isinstance(table, RoutingTable):
        return svc
    rule = table.active_rule(svc.service_id)
    rules = [client_rule_view(rule, table)] if rule is not None and rule.groups else None
    return msgspec.structs.replace(svc, route_rules=rules)


def same_for_every_caller(node: Node, service_id: str) -> bool:
    """True when the discovery answer of ``service_id`` does not depend on who asks: no enabled canary
    config (F5 looks at the caller's IP) and no active route rule with groups (F6 looks at the caller's
    region and zone) unless the rules are handed to the clients (S9.9: then no routing is done here)."""
    cfg = node.mgmt.canary.get(service_id.casefold())
    if cfg is not None and cfg.enabled:
        return False
    if node.settings.discovery.emit_route_rules:
        return True
    router = node.router
    if isinstance(router, RoutingTable):
        rule = router.active_rule(service_id)
        return rule is None or not rule.groups
    return isinstance(router, NoRouting)


def service_answer(
    call: Call, service_id: str, zone_id: str | None, context: Callable[[], ClientContext]
) -> bytes | None:
    """The encoded answer of service.json for ``service_id`` (None: no such service), for a caller in
    ``zone_id`` whose full context ``context()`` gives. Answers that are the same for every caller come
    from the node's AnswerCache while the service and the management state are unchanged
    (registry/answers.py); the others are made for the caller. A request answered from the cache is
    remembered there under its bytes (``call.cache_key``, set by the fast lane) so that the lane can answer
    it again without decoding it."""
    check_zone_id(call, zone_id)
    node = call.node
    entry = node.registry.get_service(service_id)
    if entry is None:
        return None
    answers = node.answers
    cacheable = False
    if answers.budget > 0:
        # Stored only when the same for every caller, at these versions: a hit needs no further check.
        body = answers.get(entry)
        if body is not None:
            if call.cache_key is not None:
                answers.remember(call.cache_key, entry.service_id)
            return body
        cacheable = same_for_every_caller(node, entry.service_id)
    ctx = context()
    found = node.discover(service_id, ctx)
    if found is None:
        return None
    sid, insts = found
    svc = node.service_extras(Service(service_id=sid, instances=insts), ctx)
    body = codec.encode(ServiceResponse(service=svc, response_status=OK))
    if cacheable:
        answers.put(entry, body)
        if call.cache_key is not None:
            answers.remember(call.cache_key, entry.service_id)
    return body


def _traced_answer(
    call: Call, service_id: str, zone_id: str | None, context: Callable[[], ClientContext]
) -> bytes | None:
    tracing = call.node.tracing
    if not tracing.on:
        return service_answer(call, service_id, zone_id, context)
    hits = call.node.answers.hits
    parent = tracing.extract(call.headers)  # a client that traces its calls: the answer joins its trace
    with tracing.span(
        "discovery.service", {"artemis.service": service_id}, parent=parent, kind="server"
    ) as span:
        body = service_answer(call, service_id, zone_id, context)
        if span is not None:
            span.set_attribute("artemis.found", body is not None)
            span.set_attribute("artemis.cached", call.node.answers.hits > hits)
        return body


@routes.post(
    "/api/discovery/service.json",
    "/api/discovery/service",
    family="A",
    body=ServiceRequest,
    hot=True,
    again="service",
    response=ServiceResponse,
)
async def service_post(call: Call) -> Any:
    call.node.metrics.count_discovery()
    req: ServiceRequest = call.data
    dc = req.discovery_config
    if dc is None or not dc.service_id.strip():
        raise BadRequestError("discoveryConfig.serviceId is required", field="discoveryConfig.serviceId")
    body = _traced_answer(
        call,
        dc.service_id,
        dc.zone_id or req.zone_id,
        lambda: context_for(call, dc, req.region_id, req.zone_id),
    )
    if body is None:
        return ServiceResponse(
            response_status=fail_status("bad-request", f"Service not found: {dc.service_id}")
        )
    return body


@routes.get(
    "/api/discovery/service.json",
    "/api/discovery/service",
    family="A",
    query=ServiceQuery,
    hot=True,
    again="service",
    response=ServiceResponse,
)
async def service_get(call: Call) -> Any:
    call.node.metrics.count_discovery()
    q: ServiceQuery = call.data
    if not q.service_id or not q.service_id.strip():
        raise BadRequestError("query parameter serviceId is required", field="serviceId")
    body = _traced_answer(
        call,
        q.service_id,
        q.zone_id,
        lambda: ClientContext(region_id=q.region_id, zone_id=q.zone_id, ip=call.forwarded_ip()),
    )
    if body is None:
        return ServiceResponse(service=Service(service_id=q.service_id, instances=[]), response_status=OK)
    return body


def services_doc(call: Call) -> bytes:
    """services.json: every service, encoded once per registry version. Every change it can show bumps that
    version: registrations that add or change an instance, removals, evictions and every management change
    (ManagementService calls registry.touch()); heartbeats do not, and they are most of the traffic."""
    node = call.node
    node.metrics.count_discovery()
    answers = node.answers
    version = node.registry.version
    every = answers.every
    if every is None or every[0] != version:
        services = [Service(service_id=sid, instances=insts) for sid, insts in node.services_view()]
        body = codec.encode(ServicesResponse(services=services, version=version, response_status=OK))
        every = answers.every = (version, body)
    if call.cache_key is not None:
        answers.remember_every(call.cache_key)
    return every[1]


@routes.post(
    "/api/discovery/services.json",
    "/api/discovery/services",
    family="A",
    body=ServicesRequest,
    hot=True,
    again="every",
    response=ServicesResponse,
)
async def services_post(call: Call) -> Any:
    return services_doc(call)


@routes.get(
    "/api/discovery/services.json",
    "/api/discovery/services",
    family="A",
    query=ServicesRequest,
    hot=True,
    again="every",
    response=ServicesResponse,
)
async def services_get(call: Call) -> Any:
    return services_doc(call)


@routes.post("/api/discovery/lookup.json", "/api/discovery/lookup", family="A")
async def lookup(call: Call) -> Any:
    node = call.node
    node.metrics.count_discovery()
    raw = call.json()
    if not isinstance(raw, dict):
        raise BadRequestError("request body must be a JSON object", field="body")
    keys = {codec.normkey(k) for k in raw if isinstance(k, str)}
    req: LookupRequest = codec.convert(raw, LookupRequest)
    if "discoveryconfigs" in keys and req.discovery_configs is not None:
        services: list[Service] = []
        own_routing = bool(req.client_routing)
        for dc in req.discovery_configs:
            if not dc.service_id.strip():
                continue
            ctx = context_for(call, dc, req.region_id, req.zone_id)
            svc = service_doc(call, dc.service_id, ctx, route=not own_routing)
            if svc is not None and own_routing:
                svc = with_client_rule(call, svc)
            services.append(svc or Service(service_id=dc.service_id, instances=[]))
        return LookupResponse(services=services, response_status=OK)
    if req.discovery_config is not None:
        dc = req.discovery_config
        if not dc.service_id.strip():
            raise BadRequestError("discoveryConfig.serviceId is required", field="discoveryConfig.serviceId")
        ctx = context_for(call, dc, req.region_id, req.zone_id)
        check_zone(call, ctx)
        found = node.discover(dc.service_id, ctx)
        if found is None:
            return Reply(EnvelopeC(False, message=f"Service not found: {dc.service_id}"), 404)
        sid, insts = found
        if not insts:
            return Reply(EnvelopeC(False, message=f"No instances found for service: {dc.service_id}"), 404)
        return LookupInstanceResponse(True, node.lb.pick(sid, insts, req.strategy))
    raise BadRequestError("discoveryConfigs or discoveryConfig is required", field="discoveryConfigs")


@routes.post("/api/discovery/services-delta.json", family="A", body=DeltaRequest, response=DeltaResponse)
async def services_delta(call: Call) -> Any:
    node = call.node
    node.metrics.count_discovery()
    req: DeltaRequest = call.data
    found = node.snapshots.delta(req.version, node.now_ms())
    if found is None:
        return DeltaResponse(response_status=fail_status("data-not-found", "Delta is not found."))
    delta, version = found
    return DeltaResponse(delta=delta, version=version, response_status=OK)
