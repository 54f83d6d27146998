"""Endpoints of group routing (api.md 2.10, family C): groups, tags, bindings, route rules, rule groups.
Writes carry ``operatorId`` in the body, or ``?operatorId=`` on a DELETE."""

from __future__ import annotations

from typing import Any

from artemis_client._core import Request, drop_none, need, q
from artemis_client.wire.registry import Instance
from artemis_client.wire.routing import GroupTag, RouteRule, RouteRuleGroup, ServiceGroup

_G = "/api/routing/groups"
_R = "/api/routing/rules"


def group_create(
    *,
    service_id: str,
    region: str,
    zone: str,
    name: str,
    group_type: str,
    operator: str,
    description: str | None = None,
) -> Request[ServiceGroup | None]:
    body = drop_none(
        {
            "serviceId": need(service_id, "service id"),
            "regionId": need(region, "region"),
            "zoneId": need(zone, "zone"),
            "name": need(name, "group name"),
            "groupType": group_type,
            "description": description,
            "operatorId": operator,
        }
    )
    return Request("POST", _G, family="C", json=body, shape=ServiceGroup)


def group_list(service_id: str | None = None, region: str | None = None) -> Request[list[ServiceGroup]]:
    params = drop_none({"serviceId": service_id, "regionId": region})
    return Request("GET", _G, family="C", params=params, safe=True, shape=ServiceGroup, many=True)


def group_by_id(group_id: int) -> Request[ServiceGroup]:
    return Request(
        "GET",
        f"{_G}/by-id/{int(group_id)}",
        family="C",
        safe=True,
        what=f"group {group_id}",
        shape=ServiceGroup,
    )


def group_update(
    group_key: str, *, operator: str, description: str | None = None, status: str | None = None
) -> Request[ServiceGroup | None]:
    body = drop_none({"description": description, "status": status, "operatorId": operator})
    return Request(
        "PUT", f"{_G}/{q(group_key)}", family="C", json=body, what=f"group {group_key}", shape=ServiceGroup
    )


def group_delete(group_key: str, *, operator: str) -> Request[Any]:
    return Request(
        "DELETE",
        f"{_G}/{q(group_key)}",
        family="C",
        params={"operatorId": operator},
        what=f"group {group_key}",
    )


def group_tags_add(group_key: str, tags: dict[str, str], *, operator: str) -> Request[Any]:
    body = {"tags": [{"key": k, "value": v} for k, v in tags.items()], "operatorId": operator}
    return Request("POST", f"{_G}/{q(group_key)}/tags", family="C", json=body, what=f"group {group_key}")


def group_tags(group_key: str) -> Request[list[GroupTag]]:
    return Request(
        "GET",
        f"{_G}/{q(group_key)}/tags",
        family="C",
        safe=True,
        what=f"group {group_key}",
        shape=GroupTag,
        many=True,
    )


def group_tag_remove(group_key: str, tag_key: str, *, operator: str) -> Request[Any]:
    return Request(
        "DELETE",
        f"{_G}/{q(group_key)}/tags/{q(tag_key)}",
        family="C",
        params={"operatorId": operator},
        what=f"tag {tag_key} of group {group_key}",
    )


def group_instances(
    group_key: str, region: str | None = None, zone: str | None = None
) -> Request[list[Instance]]:
    """Registered instances of the group's service named by the group, plus the bound ones (S12.8)."""
    return Request(
        "GET",
        f"{_G}/{q(group_key)}/instances",
        family="C",
        params=drop_none({"regionId": region, "zoneId": zone}),
        safe=True,
        what=f"group {group_key}",
        shape=Instance,
        many=True,
    )


def group_bind(
    group_key: str, *, instance_id: str, service_id: str, region: str, zone: str, operator: str
) -> Request[Any]:
    body = {
        "instanceId": need(instance_id, "instance id"),
        "serviceId": service_id,
        "regionId": region,
        "zoneId": zone,
        "operatorId": operator,
    }
    return Request("POST", f"{_G}/{q(group_key)}/instances", family="C", json=body, what=f"group {group_key}")


def group_unbind(group_key: str, instance_id: str, *, region: str, zone: str, operator: str) -> Request[Any]:
    return Request(
        "DELETE",
        f"{_G}/{q(group_key)}/instances/{q(need(instance_id, 'instance id'))}",
        family="C",
        params={"regionId": region, "zoneId": zone, "operatorId": operator},
        what=f"binding of {instance_id} to group {group_key}",
    )


def rule_create(
    *, route_id: str, service_id: str, name: str, strategy: str, operator: str, description: str | None = None
) -> Request[RouteRule | None]:
    body = drop_none(
        {
            "routeId": need(route_id, "route id"),
            "serviceId": need(service_id, "service id"),
            "name": need(name, "rule name"),
            "strategy": strategy,
            "description": description,
            "operatorId": operator,
        }
    )
    return Request("POST", _R, family="C", json=body, shape=RouteRule)


def rule_list(service_id: str | None = None) -> Request[list[RouteRule]]:
    params = drop_none({"serviceId": service_id})
    return Request("GET", _R, family="C", params=params, safe=True, shape=RouteRule, many=True)


def rule_get(rule_id: str) -> Request[RouteRule]:
    rid = need(rule_id, "rule id")
    return Request("GET", f"{_R}/{q(rid)}", family="C", safe=True, what=f"rule {rid}", shape=RouteRule)


def rule_update(
    rule_id: str,
    *,
    operator: str,
    name: str | None = None,
    description: str | None = None,
    strategy: str | None = None,
) -> Request[RouteRule | None]:
    body = drop_none({"name": name, "description": description, "strategy": strategy, "operatorId": operator})
    return Request(
        "PUT", f"{_R}/{q(rule_id)}", family="C", json=body, what=f"rule {rule_id}", shape=RouteRule
    )


def rule_delete(rule_id: str, *, operator: str) -> Request[Any]:
    return Request(
        "DELETE", f"{_R}/{q(rule_id)}", family="C", params={"operatorId": operator}, what=f"rule {rule_id}"
    )


def rule_publish(rule_id: str, *, publish: bool, operator: str) -> Request[Any]:
    verb = "publish" if publish else "unpublish"
    return Request(
        "POST", f"{_R}/{q(rule_id)}/{verb}", family="C", json={"operatorId": operator}, what=f"rule {rule_id}"
    )


def rule_groups(rule_id: str) -> Request[list[RouteRuleGroup]]:
    return Request(
        "GET",
        f"{_R}/{q(rule_id)}/groups",
        family="C",
        safe=True,
        what=f"rule {rule_id}",
        shape=RouteRuleGroup,
        many=True,
    )


def rule_group_add(
    rule_id: str,
    group_id: str,
    weight: int,
    *,
    operator: str,
    region: str | None = None,
    zone: str | None = None,
) -> Request[Any]:
    body = drop_none(
        {"groupId": group_id, "weight": weight, "regionId": region, "zoneId": zone, "operatorId": operator}
    )
    return Request("POST", f"{_R}/{q(rule_id)}/groups", family="C", json=body, what=f"rule {rule_id}")


def rule_group_update(rule_id: str, group_id: str, weight: int, *, operator: str) -> Request[Any]:
    return Request(
        "PUT",
        f"{_R}/{q(rule_id)}/groups/{q(group_id)}",
        family="C",
        json={"weight": weight, "operatorId": operator},
        what=f"group {group_id} of rule {rule_id}",
    )


def rule_group_remove(rule_id: str, group_id: str, *, operator: str) -> Request[Any]:
    return Request(
        "DELETE",
        f"{_R}/{q(rule_id)}/groups/{q(group_id)}",
        family="C",
        params={"operatorId": operator},
        what=f"group {group_id} of rule {rule_id}",
    )
