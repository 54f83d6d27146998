"""Endpoints of the management paths: instance and server operations (api.md 2.7, family B), zones (2.8)
and canary releases (2.9, family C), and the inventory of registered instances (P endpoint)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from artemis_client._core import Request, drop_none, need, q
from artemis_client.wire.envelope import EnvelopeB
from artemis_client.wire.inventory import RegisteredService
from artemis_client.wire.management import (
    CanaryConfig,
    InstanceOperationRecord,
    ServerOperationInfo,
    ZoneOperationRecord,
    ZoneStatus,
)
from artemis_client.wire.registry import Service


def operate_instance(
    service_id: str,
    instance_id: str,
    operation: str,
    *,
    operator: str,
    region: str | None = None,
    complete: bool = True,
) -> Request[EnvelopeB]:
    key = drop_none(
        {
            "serviceId": need(service_id, "service id"),
            "instanceId": need(instance_id, "instance id"),
            "regionId": region,
        }
    )
    body = {"instanceKey": key, "operation": operation, "operationComplete": complete, "operatorId": operator}
    return Request(
        "POST", "/api/management/instance/operate-instance.json", family="B", json=body, shape=EnvelopeB
    )


def instance_operations(service_id: str, instance_id: str, region: str | None = None) -> Request[list[str]]:
    """The operations recorded for one instance (``pullout``, ...)."""
    key = drop_none({"serviceId": service_id, "instanceId": instance_id, "regionId": region})
    return Request(
        "POST",
        "/api/management/instance/get-instance-operations.json",
        family="B",
        json={"instanceKey": key},
        safe=True,
        pick="operations",
    )


def is_instance_down(service_id: str, instance_id: str, region: str | None = None) -> Request[bool]:
    key = drop_none({"serviceId": service_id, "instanceId": instance_id, "regionId": region})
    return Request(
        "POST",
        "/api/management/instance/is-instance-down.json",
        family="B",
        json={"instanceKey": key},
        safe=True,
        pick="isDown",
    )


def operate_server(
    server_id: str, operation: str, *, operator: str, region: str | None = None, complete: bool = True
) -> Request[EnvelopeB]:
    body = drop_none(
        {
            "serverId": need(server_id, "server id"),
            "regionId": region,
            "operation": operation,
            "operationComplete": complete,
            "operatorId": operator,
        }
    )
    return Request(
        "POST", "/api/management/server/operate-server.json", family="B", json=body, shape=EnvelopeB
    )


def is_server_down(server_id: str, region: str | None = None) -> Request[bool]:
    return Request(
        "POST",
        "/api/management/server/is-server-down.json",
        family="B",
        json=drop_none({"serverId": server_id, "regionId": region}),
        safe=True,
        pick="isDown",
    )


def all_instance_operations(region: str | None = None) -> Request[list[InstanceOperationRecord]]:
    return Request(
        "POST",
        "/api/management/all-instance-operations.json",
        family="B",
        json=drop_none({"regionId": region}),
        safe=True,
        pick="instanceOperationRecords",
        shape=InstanceOperationRecord,
        many=True,
    )


def all_server_operations(region: str | None = None) -> Request[list[ServerOperationInfo]]:
    return Request(
        "POST",
        "/api/management/all-server-operations.json",
        family="B",
        json=drop_none({"regionId": region}),
        safe=True,
        pick="serverOperationRecords",
        shape=ServerOperationInfo,
        many=True,
    )


# -- zones (2.8) ---------------------------------------------------------------------------------------------


def _zone_body(zone_id: str, region: str, operator: str, operation: str) -> dict[str, Any]:
    return {
        "zoneId": need(zone_id, "zone id"),
        "regionId": need(region, "region"),
        "operatorId": operator,
        "operation": operation,
    }


def zone_pull_out(zone_id: str, region: str, *, operator: str) -> Request[Any]:
    body = _zone_body(zone_id, region, operator, "pullout")
    return Request("POST", "/api/management/zone/pull-out", family="C", json=body)


def zone_pull_in(zone_id: str, region: str, *, operator: str) -> Request[Any]:
    body = _zone_body(zone_id, region, operator, "pullin")
    return Request("POST", "/api/management/zone/pull-in", family="C", json=body)


def zone_status(zone_id: str, region: str) -> Request[ZoneStatus]:
    path = f"/api/management/zone/status/{q(need(zone_id, 'zone id'))}/{q(need(region, 'region'))}"
    return Request("GET", path, family="C", safe=True, what=f"zone {zone_id}", shape=ZoneStatus)


def zone_operations(region: str | None = None) -> Request[list[ZoneOperationRecord]]:
    return Request(
        "GET",
        "/api/management/zone/operations",
        family="C",
        params=drop_none({"regionId": region}),
        safe=True,
        shape=ZoneOperationRecord,
        many=True,
    )


# -- canary (2.9) --------------------------------------------------------------------------------------------


def canary_set(
    service_id: str, ips: list[str], *, operator: str, enabled: bool | None = None
) -> Request[Any]:
    body = drop_none(
        {
            "serviceId": need(service_id, "service id"),
            "ipWhitelist": list(ips),
            "enabled": enabled,
            "operatorId": operator,
        }
    )
    return Request("POST", "/api/management/canary/config", family="C", json=body)


def canary_get(service_id: str) -> Request[CanaryConfig]:
    sid = need(service_id, "service id")
    return Request(
        "GET",
        f"/api/management/canary/config/{q(sid)}",
        family="C",
        safe=True,
        what=f"canary config of {sid}",
        shape=CanaryConfig,
    )


def canary_delete(service_id: str, *, operator: str) -> Request[Any]:
    sid = need(service_id, "service id")
    return Request(
        "DELETE",
        f"/api/management/canary/config/{q(sid)}",
        family="C",
        params={"operatorId": operator},
        what=f"canary config of {sid}",
    )


def canary_list() -> Request[list[CanaryConfig]]:
    return Request(
        "GET", "/api/management/canary/configs", family="C", safe=True, shape=CanaryConfig, many=True
    )


def canary_enable(service_id: str, enabled: bool, *, operator: str) -> Request[Any]:
    body = {"serviceId": need(service_id, "service id"), "enabled": enabled, "operatorId": operator}
    return Request(
        "POST", "/api/management/canary/enable", family="C", json=body, what=f"canary config of {service_id}"
    )


def canary_whitelist(service_id: str, ips: list[str], *, add: bool, operator: str) -> Request[Any]:
    sid = need(service_id, "service id")
    verb = "add" if add else "remove"
    return Request(
        "POST",
        f"/api/management/canary/{q(sid)}/whitelist/{verb}",
        family="C",
        json={"ips": list(ips), "operatorId": operator},
    )


# -- inventory (P endpoint) ----------------------------------------------------------------------------------


def instances(
    service_id: str | None = None, region: str | None = None, zone: str | None = None
) -> Request[list[RegisteredService]]:
    """Every registered instance (of one service, region, zone) as registered, with lease and pull-outs."""
    return Request(
        "POST",
        "/api/management/instances.json",
        json=drop_none({"serviceId": service_id, "regionId": region, "zoneId": zone}),
        safe=True,
        pick="services",
        shape=RegisteredService,
        many=True,
    )


def admin_service(
    service_id: str, region: str | None = None, zone: str | None = None
) -> Request[Service | None]:
    """J admin view (S10.7): every registered instance, ``status`` ``down`` when pulled out or not up, the
    lease times merged into ``metadata`` (the dashboard shows them)."""
    body = drop_none({"serviceId": need(service_id, "service id"), "regionId": region, "zoneId": zone})
    return Request(
        "POST", "/api/management/service.json", json=body, safe=True, pick="service", shape=Service
    )


def admin_services(region: str | None = None, zone: str | None = None) -> Request[list[Service]]:
    return Request(
        "POST",
        "/api/management/services.json",
        json=drop_none({"regionId": region, "zoneId": zone}),
        safe=True,
        pick="services",
        shape=Service,
        many=True,
    )


def admin_service_json(
    service_id: str, region: str | None = None, zone: str | None = None
) -> Request[dict[str, Any] | None]:
    """:func:`admin_service` left as parsed JSON: a console reads 10,000s of instances in a worker thread and
    only counts or tabulates them; a Struct per instance costs twice the JSON decode, in one call that holds
    the GIL (docs/benchmarks.md, issue 19)."""
    return replace(admin_service(service_id, region, zone), shape=None)  # type: ignore[return-value]


def admin_services_json(region: str | None = None, zone: str | None = None) -> Request[list[dict[str, Any]]]:
    """:func:`admin_services` left as parsed JSON (see :func:`admin_service_json`)."""
    return replace(admin_services(region, zone), shape=None, many=False)  # type: ignore[return-value]
