"""The one HTTP client of Artemis tooling (CLI now, Textual TUI later).

It knows every URL and envelope of spec/api.md the tools need, fails over across the configured servers and
turns every failure into exactly one of four exception kinds:

=============  =====  ==========================================================================
exception      exit   when
=============  =====  ==========================================================================
NotFound       3      the server says the thing does not exist (HTTP 404, ``data-not-found``)
Refused        1      the server answered and said no (business error, 4xx/5xx, auth, rate limit)
Unreachable    4      no usable answer from any configured server (refused, reset, timed out)
BadInput       2      the request cannot be built from what the caller gave (bad URL, empty id)
=============  =====  ==========================================================================

Failover: servers are tried in order, starting with the last one that answered. A connection that could
not be *established* (connect error / connect timeout) moves on to the next server for every call, because
the request never left this process; so does a "service unavailable" answer (HTTP 503 or ``errorCode``
``service-unavailable``: the node says it applied nothing). A failure after the request was sent (read
timeout, reset, a 502/504 gateway answer) moves on only for calls marked ``safe`` (reads, and the idempotent
registry calls register / heartbeat / unregister); for other writes it raises :class:`Unreachable` saying
the outcome is unknown. When every server was tried: :class:`Unreachable` if none answered at all,
:class:`Refused` if some answered "unavailable".

Every endpoint method builds a :class:`Request` and hands it to ``_call``. :class:`ArtemisClient` runs it
synchronously, :class:`AsyncArtemisClient` returns an awaitable, so both share one table of endpoints.
httpx is imported here, so commands import this module lazily (``artemis --help`` must stay fast).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from artemis_cli.config import exposed, exposure_warning
from artemis_cli.errors import (
    DEFAULT_SERVER,
    BadInput,
    ClientError,
    NotFound,
    Refused,
    Unreachable,
    parse_servers,
)

__all__ = [
    "DEFAULT_SERVER",
    "ArtemisClient",
    "AsyncArtemisClient",
    "BadInput",
    "ClientError",
    "NotFound",
    "Refused",
    "Unreachable",
    "parse_servers",
]
USER_AGENT = "artemis-cli/0.1"

Json = Any


# -- request description ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Request:
    method: str
    path: str
    family: str = "A"  # A, B, C, lookup, raw
    json: Json = None
    params: dict[str, Any] | None = None
    safe: bool = False
    pick: str | None = None  # payload key to return (families A/B); None = whole document
    partial_ok: bool = False  # A/B: return the document on partial_fail instead of raising
    post: Callable[[Any], Any] | None = None
    what: str = ""  # human name of the thing addressed, for messages ("service foo")
    ok_statuses: tuple[int, ...] = field(default=())
    auth_hint: str | None = None  # added to a 401 message; None: the client's own hint


def q(value: str) -> str:
    """Percent-encode one path segment."""
    return quote(str(value), safe="")


def _need(value: str | None, name: str) -> str:
    if value is None or not str(value).strip():
        raise BadInput(f"{name} must not be empty")
    return str(value).strip()


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


# -- response decoding -----------------------------------------------------------------------------------

_NOT_FOUND_CODES = {"data-not-found"}


def _json_or_none(resp: httpx.Response) -> Json:
    try:
        return resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None


class _Retry(Exception):  # noqa: N818 - internal signal, not an error
    """Internal: this server cannot serve the call now; try the next one when the call allows it.

    ``applied_unknown`` is False for "service unavailable" answers (HTTP 503 / ``service-unavailable``): the
    node says it did nothing, so even a write may go to the next node. Gateway answers (502/504) leave the
    outcome unknown, so only safe calls move on.
    """

    def __init__(self, message: str, *, applied_unknown: bool) -> None:
        super().__init__(message)
        self.message = message
        self.applied_unknown = applied_unknown


def decode(req: Request, resp: httpx.Response, server: str) -> Any:
    """Turn one HTTP answer into the call's result or one of the exception kinds."""
    status = resp.status_code
    doc = _json_or_none(resp)
    where = f"{req.method} {req.path}"
    if status in (502, 503, 504):
        text = _message_of(doc)
        raise _Retry(
            f"{server} answered HTTP {status} to {where}" + (f": {text}" if text else ""),
            applied_unknown=status != 503,
        )
    if req.family == "raw":
        if status >= 400:
            _raise_http(req, status, doc, server, where)
        return resp.text
    if not isinstance(doc, dict):
        if status == 404:
            raise NotFound(f"{server} does not serve {where} (HTTP 404)", server=server, status=404)
        if status >= 400:
            raise Refused(f"{server} answered HTTP {status} to {where}", server=server, status=status)
        raise Refused(f"{server} sent a non-JSON answer to {where}", server=server, status=status)
    if req.family in ("A", "B"):
        rs = doc.get("responseStatus") or doc.get("status")
        if isinstance(rs, dict):
            st = str(rs.get("status", "")).lower()
            code = str(rs.get("errorCode") or "")
            msg = str(rs.get("errorMessage") or rs.get("message") or code or "request failed")
            if st == "success":
                if status >= 400 and status not in req.ok_statuses:
                    _raise_http(req, status, doc, server, where)
                return _finish(req, doc)
            if st == "partial_fail" and req.partial_ok:
                return _finish(req, doc)
            if code == "service-unavailable":
                raise _Retry(f"{server}: {msg}", applied_unknown=False)
            if code in _NOT_FOUND_CODES or status == 404:
                raise NotFound(msg, server=server, status=status, code=code)
            raise Refused(msg, server=server, status=status, code=code)
        if status >= 400:
            _raise_http(req, status, doc, server, where)
        return _finish(req, doc)
    # family C (and the C-like single lookup)
    if doc.get("success") is True and status < 400:
        if req.family == "lookup":
            return doc.get("instance")
        return req.post(doc.get("data")) if req.post else doc.get("data")
    _raise_http(req, status, doc, server, where)
    raise AssertionError("unreachable")  # pragma: no cover


def _message_of(doc: Json) -> str:
    if not isinstance(doc, dict):
        return ""
    rs = doc.get("responseStatus")
    if isinstance(rs, dict):
        return str(rs.get("errorMessage") or rs.get("message") or "")
    return str(doc.get("message") or "")


def _finish(req: Request, doc: dict[str, Any]) -> Any:
    out = doc.get(req.pick) if req.pick else doc
    return req.post(out) if req.post else out


def _raise_http(req: Request, status: int, doc: Json, server: str, where: str) -> None:
    msg = ""
    code = None
    if isinstance(doc, dict):
        err = doc.get("error")
        if isinstance(err, dict):
            code = err.get("code")
        msg = str(doc.get("message") or (err.get("message") if isinstance(err, dict) else "") or "")
        rs = doc.get("responseStatus")
        if not msg and isinstance(rs, dict):
            msg = str(rs.get("errorMessage") or rs.get("message") or "")
            code = rs.get("errorCode")
    if status == 404:
        unknown_path = code == "no-such-path"  # this server's JSON 404 for a path it does not serve (T6)
        if unknown_path or (isinstance(doc, dict) and "success" not in doc and "responseStatus" not in doc):
            msg = f"{server} does not serve {where} (HTTP 404; a server without this feature?)"
        raise NotFound(msg or f"{req.what or where}: not found", server=server, status=status, code=code)
    if status in (401, 403):
        hint = f" ({req.auth_hint})" if status == 401 and req.auth_hint else ""
        raise Refused(
            f"not authorized: {msg or f'HTTP {status}'}{hint}", server=server, status=status, code=code
        )
    if status == 405:
        raise Refused(f"{server} does not allow {where} (HTTP 405)", server=server, status=status)
    if status == 429:
        raise Refused(f"rate limited by {server}: {msg or 'too many requests'}", server=server, status=status)
    if status >= 500:
        raise Refused(
            f"server error from {server}: {msg or f'HTTP {status}'}", server=server, status=status, code=code
        )
    raise Refused(msg or f"{server} refused {where} (HTTP {status})", server=server, status=status, code=code)


# Transport errors before anything was sent: the next server may be tried even for a write. Every other
# httpx.TransportError (read/write timeouts and errors, protocol errors) may come after the request left.
_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


# -- the endpoint table ------------------------------------------------------------------------------------


class _Api:
    """Every endpoint the tools call. ``_call`` is provided by the sync / async subclasses."""

    servers: list[str]

    def _call(self, req: Request) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    # registry (2.2), idempotent by design: safe to send to another node
    def register(self, instances: list[dict[str, Any]]) -> Any:
        return self._call(
            Request("POST", "/api/registry/register.json", json={"instances": instances}, safe=True)
        )

    def heartbeat(self, keys: list[dict[str, Any]]) -> Any:
        """Returns the whole document; ``failedInstanceKeys`` lists keys the server does not know."""
        return self._call(
            Request(
                "POST",
                "/api/registry/heartbeat.json",
                json={"instanceKeys": keys},
                safe=True,
                partial_ok=True,
            )
        )

    def unregister(self, keys: list[dict[str, Any]]) -> Any:
        return self._call(
            Request("POST", "/api/registry/unregister.json", json={"instanceKeys": keys}, safe=True)
        )

    # discovery (2.3)
    def service(self, service_id: str, region: str | None = None, zone: str | None = None) -> Any:
        sid = _need(service_id, "service id")
        params = _drop_none({"serviceId": sid, "regionId": region, "zoneId": zone})
        return self._call(
            Request(
                "GET",
                "/api/discovery/service.json",
                params=params,
                safe=True,
                pick="service",
                what=f"service {sid}",
            )
        )

    def services(self, region: str | None = None, zone: str | None = None) -> Any:
        params = _drop_none({"regionId": region, "zoneId": zone})
        return self._call(
            Request(
                "GET",
                "/api/discovery/services.json",
                params=params,
                safe=True,
                pick="services",
                post=lambda v: v or [],
            )
        )

    def lookup(
        self, service_id: str, strategy: str | None = None, region: str | None = None, zone: str | None = None
    ) -> Any:
        dc = _drop_none({"serviceId": _need(service_id, "service id"), "regionId": region, "zoneId": zone})
        body = _drop_none({"discoveryConfig": dc, "strategy": strategy})
        return self._call(
            Request("POST", "/api/discovery/lookup.json", json=body, safe=True, family="lookup")
        )

    def lookup_many(
        self, service_ids: Iterable[str], region: str | None = None, zone: str | None = None
    ) -> Any:
        cfgs = [_drop_none({"serviceId": s, "regionId": region, "zoneId": zone}) for s in service_ids]
        return self._call(
            Request(
                "POST",
                "/api/discovery/lookup.json",
                json={"discoveryConfigs": cfgs},
                safe=True,
                pick="services",
            )
        )

    # status (2.6) and cluster (2.5)
    def health(self) -> Any:
        return self._call(Request("GET", "/health", family="raw", safe=True))

    def metrics(self) -> Any:
        """Prometheus text of the node (per-peer replication gauges live there)."""
        return self._call(Request("GET", "/metrics", family="raw", safe=True))

    def node_status(self) -> Any:
        return self._call(Request("GET", "/api/status/node.json", safe=True, pick="nodeStatus"))

    def node_document(self) -> Any:
        """All of node.json: ``nodeStatus`` and ``exposure`` (what the node opens beyond loopback)."""
        return self._call(Request("GET", "/api/status/node.json", safe=True))

    def cluster_status(self) -> Any:
        return self._call(Request("GET", "/api/status/cluster.json", safe=True))

    def leases(self, service_ids: Sequence[str] | None = None) -> Any:
        body = {"serviceIds": list(service_ids)} if service_ids else {}
        return self._call(Request("POST", "/api/status/leases.json", json=body, safe=True))

    def config_status(self) -> Any:
        return self._call(Request("GET", "/api/status/config.json", safe=True))

    def up_registry_nodes(self, region: str | None = None, zone: str | None = None) -> Any:
        params = _drop_none({"regionId": region, "zoneId": zone})
        return self._call(
            Request(
                "GET",
                "/api/cluster/up-registry-nodes.json",
                params=params,
                safe=True,
                pick="nodes",
                post=lambda v: v or [],
            )
        )

    # management: instances and servers (2.7, R paths, family B)
    def operate_instance(
        self,
        service_id: str,
        instance_id: str,
        operation: str,
        *,
        operator: str,
        region: str | None = None,
        complete: bool = True,
    ) -> Any:
        key = _drop_none(
            {
                "serviceId": _need(service_id, "service id"),
                "instanceId": _need(instance_id, "instance id"),
                "regionId": region,
            }
        )
        body = {
            "instanceKey": key,
            "operation": operation,
            "operationComplete": complete,
            "operatorId": operator,
        }
        return self._call(
            Request("POST", "/api/management/instance/operate-instance.json", family="B", json=body)
        )

    def instance_operations(self, service_id: str, instance_id: str, region: str | None = None) -> Any:
        key = _drop_none({"serviceId": service_id, "instanceId": instance_id, "regionId": region})
        return self._call(
            Request(
                "POST",
                "/api/management/instance/get-instance-operations.json",
                family="B",
                json={"instanceKey": key},
                safe=True,
                pick="operations",
                post=lambda v: v or [],
            )
        )

    def is_instance_down(self, service_id: str, instance_id: str, region: str | None = None) -> Any:
        key = _drop_none({"serviceId": service_id, "instanceId": instance_id, "regionId": region})
        return self._call(
            Request(
                "POST",
                "/api/management/instance/is-instance-down.json",
                family="B",
                json={"instanceKey": key},
                safe=True,
                pick="isDown",
            )
        )

    def operate_server(
        self,
        server_id: str,
        operation: str,
        *,
        operator: str,
        region: str | None = None,
        complete: bool = True,
    ) -> Any:
        body = _drop_none(
            {
                "serverId": _need(server_id, "server id"),
                "regionId": region,
                "operation": operation,
                "operationComplete": complete,
                "operatorId": operator,
            }
        )
        return self._call(
            Request("POST", "/api/management/server/operate-server.json", family="B", json=body)
        )

    def is_server_down(self, server_id: str, region: str | None = None) -> Any:
        body = _drop_none({"serverId": server_id, "regionId": region})
        return self._call(
            Request(
                "POST",
                "/api/management/server/is-server-down.json",
                family="B",
                json=body,
                safe=True,
                pick="isDown",
            )
        )

    def all_instance_operations(self, region: str | None = None) -> Any:
        return self._call(
            Request(
                "POST",
                "/api/management/all-instance-operations.json",
                family="B",
                json=_drop_none({"regionId": region}),
                safe=True,
                pick="instanceOperationRecords",
                post=lambda v: v or [],
            )
        )

    def all_server_operations(self, region: str | None = None) -> Any:
        return self._call(
            Request(
                "POST",
                "/api/management/all-server-operations.json",
                family="B",
                json=_drop_none({"regionId": region}),
                safe=True,
                pick="serverOperationRecords",
                post=lambda v: v or [],
            )
        )

    def admin_service(self, service_id: str, region: str | None = None, zone: str | None = None) -> Any:
        """J admin view (S10.7): every registered instance, ``status`` ``down`` when pulled out."""
        body = _drop_none({"serviceId": _need(service_id, "service id"), "regionId": region, "zoneId": zone})
        return self._call(
            Request("POST", "/api/management/service.json", json=body, safe=True, pick="service")
        )

    def admin_services(self, region: str | None = None, zone: str | None = None) -> Any:
        body = _drop_none({"regionId": region, "zoneId": zone})
        return self._call(
            Request(
                "POST",
                "/api/management/services.json",
                json=body,
                safe=True,
                pick="services",
                post=lambda v: v or [],
            )
        )

    def replication_services(self) -> Any:
        """Every registered instance as registered (api.md 2.4; refused when the node wants a peer token)."""
        return self._call(
            Request(
                "POST",
                "/api/replication/registry/services.json",
                json={},
                safe=True,
                pick="services",
                post=lambda v: v or [],
            )
        )

    # zone (2.8, family C)
    def zone_pull_out(self, zone_id: str, region: str, *, operator: str) -> Any:
        body = {
            "zoneId": _need(zone_id, "zone id"),
            "regionId": _need(region, "region"),
            "operatorId": operator,
            "operation": "pullout",
        }
        return self._call(Request("POST", "/api/management/zone/pull-out", family="C", json=body))

    def zone_pull_in(self, zone_id: str, region: str, *, operator: str) -> Any:
        body = {
            "zoneId": _need(zone_id, "zone id"),
            "regionId": _need(region, "region"),
            "operatorId": operator,
            "operation": "pullin",
        }
        return self._call(Request("POST", "/api/management/zone/pull-in", family="C", json=body))

    def zone_status(self, zone_id: str, region: str) -> Any:
        path = f"/api/management/zone/status/{q(_need(zone_id, 'zone id'))}/{q(_need(region, 'region'))}"
        return self._call(Request("GET", path, family="C", safe=True, what=f"zone {zone_id}"))

    def zone_operations(self, region: str | None = None) -> Any:
        return self._call(
            Request(
                "GET",
                "/api/management/zone/operations",
                family="C",
                params=_drop_none({"regionId": region}),
                safe=True,
                post=lambda v: v or [],
            )
        )

    # canary (2.9, family C)
    def canary_set(
        self, service_id: str, ips: list[str], *, operator: str, enabled: bool | None = None
    ) -> Any:
        body = _drop_none(
            {
                "serviceId": _need(service_id, "service id"),
                "ipWhitelist": list(ips),
                "enabled": enabled,
                "operatorId": operator,
            }
        )
        return self._call(Request("POST", "/api/management/canary/config", family="C", json=body))

    def canary_get(self, service_id: str) -> Any:
        sid = _need(service_id, "service id")
        return self._call(
            Request(
                "GET",
                f"/api/management/canary/config/{q(sid)}",
                family="C",
                safe=True,
                what=f"canary config of {sid}",
            )
        )

    def canary_delete(self, service_id: str, *, operator: str) -> Any:
        sid = _need(service_id, "service id")
        return self._call(
            Request(
                "DELETE",
                f"/api/management/canary/config/{q(sid)}",
                family="C",
                params={"operatorId": operator},
                what=f"canary config of {sid}",
            )
        )

    def canary_list(self) -> Any:
        return self._call(
            Request("GET", "/api/management/canary/configs", family="C", safe=True, post=lambda v: v or [])
        )

    def canary_enable(self, service_id: str, enabled: bool, *, operator: str) -> Any:
        body = {"serviceId": _need(service_id, "service id"), "enabled": enabled, "operatorId": operator}
        return self._call(
            Request(
                "POST",
                "/api/management/canary/enable",
                family="C",
                json=body,
                what=f"canary config of {service_id}",
            )
        )

    def canary_whitelist(self, service_id: str, ips: list[str], *, add: bool, operator: str) -> Any:
        sid = _need(service_id, "service id")
        verb = "add" if add else "remove"
        return self._call(
            Request(
                "POST",
                f"/api/management/canary/{q(sid)}/whitelist/{verb}",
                family="C",
                json={"ips": list(ips), "operatorId": operator},
            )
        )

    # audit (2.11, family C)
    def audit_logs(
        self,
        *,
        operation_type: str | None = None,
        operator: str | None = None,
        operation: str | None = None,
        since: int | None = None,
        limit: int | None = None,
    ) -> Any:
        params = _drop_none(
            {
                "operationType": operation_type,
                "operatorId": operator,
                "operation": operation,
                "since": since,
                "limit": limit,
            }
        )
        return self._call(
            Request(
                "GET",
                "/api/management/audit/logs",
                family="C",
                params=params,
                safe=True,
                post=lambda v: v or [],
            )
        )

    def audit_instance_logs(
        self,
        *,
        service_id: str | None = None,
        instance_id: str | None = None,
        region: str | None = None,
        operator: str | None = None,
        since: int | None = None,
        limit: int | None = None,
    ) -> Any:
        params = _drop_none(
            {
                "serviceId": service_id,
                "instanceId": instance_id,
                "regionId": region,
                "operatorId": operator,
                "since": since,
                "limit": limit,
            }
        )
        return self._call(
            Request(
                "GET",
                "/api/management/audit/instance-logs",
                family="C",
                params=params,
                safe=True,
                post=lambda v: v or [],
            )
        )

    def audit_server_logs(
        self,
        *,
        server_id: str | None = None,
        operator: str | None = None,
        since: int | None = None,
        limit: int | None = None,
    ) -> Any:
        params = _drop_none({"serverId": server_id, "operatorId": operator, "since": since, "limit": limit})
        return self._call(
            Request(
                "GET",
                "/api/management/audit/server-logs",
                family="C",
                params=params,
                safe=True,
                post=lambda v: v or [],
            )
        )

    # group routing (2.10, family C). Writes carry operatorId (bodies) / ?operatorId= (DELETE).
    def group_create(
        self,
        *,
        service_id: str,
        region: str,
        zone: str,
        name: str,
        group_type: str,
        operator: str,
        description: str | None = None,
    ) -> Any:
        body = _drop_none(
            {
                "serviceId": _need(service_id, "service id"),
                "regionId": _need(region, "region"),
                "zoneId": _need(zone, "zone"),
                "name": _need(name, "group name"),
                "groupType": group_type,
                "description": description,
                "operatorId": operator,
            }
        )
        return self._call(Request("POST", "/api/routing/groups", family="C", json=body))

    def group_list(self, service_id: str | None = None, region: str | None = None) -> Any:
        params = _drop_none({"serviceId": service_id, "regionId": region})
        return self._call(
            Request(
                "GET", "/api/routing/groups", family="C", params=params, safe=True, post=lambda v: v or []
            )
        )

    def group_by_id(self, group_id: int) -> Any:
        return self._call(
            Request(
                "GET",
                f"/api/routing/groups/by-id/{int(group_id)}",
                family="C",
                safe=True,
                what=f"group {group_id}",
            )
        )

    def group_update(
        self, group_key: str, *, operator: str, description: str | None = None, status: str | None = None
    ) -> Any:
        body = _drop_none({"description": description, "status": status, "operatorId": operator})
        return self._call(
            Request(
                "PUT", f"/api/routing/groups/{q(group_key)}", family="C", json=body, what=f"group {group_key}"
            )
        )

    def group_delete(self, group_key: str, *, operator: str) -> Any:
        return self._call(
            Request(
                "DELETE",
                f"/api/routing/groups/{q(group_key)}",
                family="C",
                params={"operatorId": operator},
                what=f"group {group_key}",
            )
        )

    def group_tags_add(self, group_key: str, tags: dict[str, str], *, operator: str) -> Any:
        body = {"tags": [{"key": k, "value": v} for k, v in tags.items()], "operatorId": operator}
        return self._call(
            Request(
                "POST",
                f"/api/routing/groups/{q(group_key)}/tags",
                family="C",
                json=body,
                what=f"group {group_key}",
            )
        )

    def group_tags(self, group_key: str) -> Any:
        return self._call(
            Request(
                "GET",
                f"/api/routing/groups/{q(group_key)}/tags",
                family="C",
                safe=True,
                what=f"group {group_key}",
                post=lambda v: v or [],
            )
        )

    def group_tag_remove(self, group_key: str, tag_key: str, *, operator: str) -> Any:
        return self._call(
            Request(
                "DELETE",
                f"/api/routing/groups/{q(group_key)}/tags/{q(tag_key)}",
                family="C",
                params={"operatorId": operator},
                what=f"tag {tag_key} of group {group_key}",
            )
        )

    def group_instances(self, group_key: str, region: str | None = None, zone: str | None = None) -> Any:
        return self._call(
            Request(
                "GET",
                f"/api/routing/groups/{q(group_key)}/instances",
                family="C",
                params=_drop_none({"regionId": region, "zoneId": zone}),
                safe=True,
                what=f"group {group_key}",
                post=lambda v: v or [],
            )
        )

    def group_bind(
        self, group_key: str, *, instance_id: str, service_id: str, region: str, zone: str, operator: str
    ) -> Any:
        body = {
            "instanceId": _need(instance_id, "instance id"),
            "serviceId": service_id,
            "regionId": region,
            "zoneId": zone,
            "operatorId": operator,
        }
        return self._call(
            Request(
                "POST",
                f"/api/routing/groups/{q(group_key)}/instances",
                family="C",
                json=body,
                what=f"group {group_key}",
            )
        )

    def group_unbind(self, group_key: str, instance_id: str, *, region: str, zone: str, operator: str) -> Any:
        path = f"/api/routing/groups/{q(group_key)}/instances/{q(_need(instance_id, 'instance id'))}"
        params = {"regionId": region, "zoneId": zone, "operatorId": operator}
        return self._call(
            Request(
                "DELETE",
                path,
                family="C",
                params=params,
                what=f"binding of {instance_id} to group {group_key}",
            )
        )

    def rule_create(
        self,
        *,
        route_id: str,
        service_id: str,
        name: str,
        strategy: str,
        operator: str,
        description: str | None = None,
    ) -> Any:
        body = _drop_none(
            {
                "routeId": _need(route_id, "route id"),
                "serviceId": _need(service_id, "service id"),
                "name": _need(name, "rule name"),
                "strategy": strategy,
                "description": description,
                "operatorId": operator,
            }
        )
        return self._call(Request("POST", "/api/routing/rules", family="C", json=body))

    def rule_list(self, service_id: str | None = None) -> Any:
        return self._call(
            Request(
                "GET",
                "/api/routing/rules",
                family="C",
                params=_drop_none({"serviceId": service_id}),
                safe=True,
                post=lambda v: v or [],
            )
        )

    def rule_get(self, rule_id: str) -> Any:
        rid = _need(rule_id, "rule id")
        return self._call(
            Request("GET", f"/api/routing/rules/{q(rid)}", family="C", safe=True, what=f"rule {rid}")
        )

    def rule_update(
        self,
        rule_id: str,
        *,
        operator: str,
        name: str | None = None,
        description: str | None = None,
        strategy: str | None = None,
    ) -> Any:
        body = _drop_none(
            {"name": name, "description": description, "strategy": strategy, "operatorId": operator}
        )
        return self._call(
            Request("PUT", f"/api/routing/rules/{q(rule_id)}", family="C", json=body, what=f"rule {rule_id}")
        )

    def rule_delete(self, rule_id: str, *, operator: str) -> Any:
        return self._call(
            Request(
                "DELETE",
                f"/api/routing/rules/{q(rule_id)}",
                family="C",
                params={"operatorId": operator},
                what=f"rule {rule_id}",
            )
        )

    def rule_publish(self, rule_id: str, *, publish: bool, operator: str) -> Any:
        verb = "publish" if publish else "unpublish"
        return self._call(
            Request(
                "POST",
                f"/api/routing/rules/{q(rule_id)}/{verb}",
                family="C",
                json={"operatorId": operator},
                what=f"rule {rule_id}",
            )
        )

    def rule_groups(self, rule_id: str) -> Any:
        return self._call(
            Request(
                "GET",
                f"/api/routing/rules/{q(rule_id)}/groups",
                family="C",
                safe=True,
                what=f"rule {rule_id}",
                post=lambda v: v or [],
            )
        )

    def rule_group_add(
        self,
        rule_id: str,
        group_id: str,
        weight: int,
        *,
        operator: str,
        region: str | None = None,
        zone: str | None = None,
    ) -> Any:
        body = _drop_none(
            {
                "groupId": group_id,
                "weight": weight,
                "regionId": region,
                "zoneId": zone,
                "operatorId": operator,
            }
        )
        return self._call(
            Request(
                "POST",
                f"/api/routing/rules/{q(rule_id)}/groups",
                family="C",
                json=body,
                what=f"rule {rule_id}",
            )
        )

    def rule_group_update(self, rule_id: str, group_id: str, weight: int, *, operator: str) -> Any:
        return self._call(
            Request(
                "PUT",
                f"/api/routing/rules/{q(rule_id)}/groups/{q(group_id)}",
                family="C",
                json={"weight": weight, "operatorId": operator},
                what=f"group {group_id} of rule {rule_id}",
            )
        )

    def rule_group_remove(self, rule_id: str, group_id: str, *, operator: str) -> Any:
        return self._call(
            Request(
                "DELETE",
                f"/api/routing/rules/{q(rule_id)}/groups/{q(group_id)}",
                family="C",
                params={"operatorId": operator},
                what=f"group {group_id} of rule {rule_id}",
            )
        )

    # auth (2.12, family C)
    def login(self, username: str, password: str) -> Any:
        body = {"username": _need(username, "user name"), "password": password}
        # a refused login needs no "log in" hint: the user is doing exactly that
        return self._call(Request("POST", "/api/auth/login", family="C", json=body, auth_hint=""))

    def logout(self) -> Any:
        return self._call(Request("POST", "/api/auth/logout", family="C", json={}))

    def whoami(self) -> Any:
        return self._call(Request("GET", "/api/auth/user", family="C", safe=True))


# -- runners -----------------------------------------------------------------------------------------------


def _stderr_warning(text: str) -> None:
    import sys

    print(f"warning: {text}", file=sys.stderr, flush=True)


class _Base(_Api):
    def __init__(
        self,
        servers: str | Sequence[str] | None = None,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        verbose: Callable[[str], None] | None = None,
        warn: Callable[[str], None] | None = None,
        token_withheld: str | None = None,
    ) -> None:
        self.servers = parse_servers(servers)
        if timeout <= 0:
            raise BadInput("--timeout: must be more than 0 seconds")
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self.token = token
        self.preferred = 0
        self.last_server: str | None = None
        self._log = verbose
        self._warn = warn or _stderr_warning
        self._exposed = set(exposed(self.servers))
        self._warned: set[str] = set()
        self.token_withheld = token_withheld

    def auth_hint(self) -> str:
        """What to do about an HTTP 401, given the token this client sends (or did not get)."""
        if self.token:
            return (
                "the token was refused: it may have expired or been revoked; log in again with "
                "'artemis login'"
            )
        if self.token_withheld:
            return (
                f"the token stored in context {self.token_withheld!r} is sent only to that context's "
                "servers; use --context, or pass --token / ARTEMIS_TOKEN for this server"
            )
        return "log in with 'artemis login' or pass --token"

    def _check_exposure(self, server: str) -> None:
        """Warn once per server before a token goes out over plain HTTP to a non-loopback host."""
        if self.token and server in self._exposed and server not in self._warned:
            self._warned.add(server)
            self._warn(exposure_warning(server))

    def _headers(self) -> dict[str, str]:
        h = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        return h

    def _order(self) -> list[int]:
        n = len(self.servers)
        return [(self.preferred + i) % n for i in range(n)]

    def _failed(
        self, req: Request, errors: list[str], outcome_unknown: bool, answered: bool = False
    ) -> ClientError:
        detail = "; ".join(errors)
        if answered:
            # some node answered (e.g. 503 database down): the servers are reachable but failed the call
            return Refused(f"no server could serve {req.method} {req.path}: {detail}")
        if outcome_unknown:
            return Unreachable(
                f"no answer to {req.method} {req.path}; it may or may not have been applied ({detail})"
            )
        tried = len(self.servers)
        return Unreachable(f"cannot reach any server ({tried} tried): {detail}")

    @staticmethod
    def _describe(exc: Exception, server: str) -> str:
        if isinstance(exc, httpx.TimeoutException):
            return f"{server}: timed out"
        text = str(exc) or type(exc).__name__
        return f"{server}: {text}"

    def _failover(self, req: Request) -> Generator[str, httpx.Response, Any]:
        """The failover policy of one call, without I/O, shared by the sync and async clients.

        Yields the next server to send ``req`` to; the driver sends back its response or throws in the
        transport error it got. Returns the decoded result, or raises the client error: a server that was
        not reached is skipped; one that may have received a write is not, unless the request is safe to
        repeat; a node that answered with a retryable failure is skipped the same way.
        """
        errors: list[str] = []
        answered = False
        if req.auth_hint is None:
            req.auth_hint = self.auth_hint()
        for idx in self._order():
            server = self.servers[idx]
            if self._log:
                self._log(f"{req.method} {server}{req.path}")
            self._check_exposure(server)
            try:
                resp = yield server
            except _CONNECT_ERRORS as exc:
                errors.append(self._describe(exc, server))
                continue
            except httpx.TransportError as exc:  # the request may have been sent
                errors.append(self._describe(exc, server))
                if req.safe:
                    continue
                raise self._failed(req, errors, outcome_unknown=True) from None
            try:
                result = decode(req, resp, server)
            except _Retry as r:
                errors.append(r.message)
                answered = True
                if req.safe or not r.applied_unknown:
                    continue
                raise Refused(r.message, server=server, status=resp.status_code) from None
            self.preferred = idx
            self.last_server = server
            return result
        raise self._failed(req, errors, outcome_unknown=False, answered=answered)

    @staticmethod
    def _send_args(req: Request, server: str) -> dict[str, Any]:
        return {
            "method": req.method,
            "url": server + req.path,
            "params": req.params,
            "json": req.json if req.method != "GET" else None,
        }


class ArtemisClient(_Base):
    """Synchronous client; use as a context manager or call :meth:`close`."""

    def __init__(self, servers: str | Sequence[str] | None = None, **kw: Any) -> None:
        super().__init__(servers, **kw)
        self._http = httpx.Client(timeout=self.timeout, headers=self._headers(), follow_redirects=False)

    def __enter__(self) -> ArtemisClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def set_token(self, token: str | None) -> None:
        self.token = token
        self._http.headers.clear()
        self._http.headers.update(self._headers())

    def _call(self, req: Request) -> Any:
        attempts = self._failover(req)
        try:
            server = next(attempts)
            while True:
                try:
                    resp = self._http.request(**self._send_args(req, server))
                except httpx.TransportError as exc:
                    server = attempts.throw(exc)
                else:
                    server = attempts.send(resp)
        except StopIteration as done:
            return done.value


class AsyncArtemisClient(_Base):
    """Same endpoints as :class:`ArtemisClient`; every method returns an awaitable (for the Textual TUI)."""

    def __init__(self, servers: str | Sequence[str] | None = None, **kw: Any) -> None:
        super().__init__(servers, **kw)
        self._http = httpx.AsyncClient(timeout=self.timeout, headers=self._headers(), follow_redirects=False)

    async def __aenter__(self) -> AsyncArtemisClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _acall(self, req: Request) -> Any:
        attempts = self._failover(req)
        try:
            server = next(attempts)
            while True:
                try:
                    resp = await self._http.request(**self._send_args(req, server))
                except httpx.TransportError as exc:
                    server = attempts.throw(exc)
                else:
                    server = attempts.send(resp)
        except StopIteration as done:
            return done.value

    def _call(self, req: Request) -> Any:
        return self._acall(req)
