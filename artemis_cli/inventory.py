"""What is registered now, and in what state: the instances every CLI listing shows.

No single wire view answers that, so three are combined:

* the J admin view (``/api/management/services.json`` / ``service.json``, S10.7) lists **every** registered
  instance, but overwrites ``status`` (``down`` when pulled out or not up) and merges the lease times
  ``creationTime``, ``renewalTime`` (epoch ms) and ``ttl`` (ms) into ``metadata``: that is the Java contract
  on the wire, so it stays there, and the CLI takes only the lease times and the list of identities from it;
* the discovery list (``/api/discovery/services.json``, S7.3) holds every instance **not pulled out** (by
  instance, server or zone: filters F2-F4 only) exactly as registered, ``starting`` ones included: it gives
  their ``metadata`` and ``status``, and an instance missing from it is pulled out;
* for pulled-out instances the replication list (``/api/replication/registry/services.json``, api.md 2.4,
  raw) gives them as registered; a node whose replication endpoints need ``cluster.peer_token`` refuses it,
  and then the admin view's copy is used with the three lease keys taken out of ``metadata`` and no
  ``status`` (the registered one is not known).

Each instance is the registered object plus ``state`` (``serving``, ``pulled-out``, or its registered status
when that is not ``up``: ``starting``, ``down``, ``unhealthy``, ``unknown``), ``serving`` and ``pulledOut``
booleans and ``lease`` (``creationTime``, ``renewalTime`` in epoch ms, ``ttl`` in ms). ``metadata`` is never
touched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from artemis_cli.errors import NotFound, Refused

LEASE_KEYS = ("creationTime", "renewalTime", "ttl")
STATES = ("serving", "pulled-out", "starting", "down", "unhealthy", "unknown")

Warn = Callable[[str], None]


def ieq(a: Any, b: Any) -> bool:
    return str(a or "").lower() == str(b or "").lower()


def identity(inst: dict[str, Any]) -> tuple[str, str, str]:
    """Instance identity (S1.1): region, service, instance id, compared lower-cased."""
    return (
        str(inst.get("regionId") or "").lower(),
        str(inst.get("serviceId") or "").lower(),
        str(inst.get("instanceId") or "").lower(),
    )


def in_scope(inst: dict[str, Any], region: str | None, zone: str | None) -> bool:
    """Region compared case-insensitively, zone exactly (S1.4)."""
    return (region is None or ieq(inst.get("regionId"), region)) and (
        zone is None or inst.get("zoneId") == zone
    )


def _lease(admin_inst: dict[str, Any]) -> dict[str, int]:
    md = admin_inst.get("metadata") or {}
    out: dict[str, int] = {}
    for k in LEASE_KEYS:
        try:
            out[k] = int(str(md[k]))
        except (KeyError, ValueError):
            continue
    return out


def _row(raw: dict[str, Any], state: str, lease: dict[str, int]) -> dict[str, Any]:
    row = dict(raw)
    row["state"] = state
    row["serving"] = state == "serving"
    row["pulledOut"] = state == "pulled-out"
    if lease:
        row["lease"] = lease
    return row


def _state_of(raw: dict[str, Any]) -> str:
    status = str(raw.get("status") or "up").lower()
    return "serving" if status == "up" else status


def _service_row(service_id: str, insts: list[dict[str, Any]]) -> dict[str, Any]:
    def count(*states: str) -> int:
        return sum(1 for i in insts if i["state"] in states)

    return {
        "serviceId": service_id,
        "instanceCount": len(insts),
        "serving": count("serving"),
        "pulledOut": count("pulled-out"),
        "starting": count("starting"),
        "down": count("down", "unhealthy", "unknown"),
        "instances": insts,
    }


def services(
    client: Any,
    service_id: str | None = None,
    region: str | None = None,
    zone: str | None = None,
    *,
    warn: Warn | None = None,
) -> list[dict[str, Any]]:
    """Every service with registered instances (or only ``service_id``), each with its instances and counts.

    An unknown ``service_id`` gives ``[]``. Services are in the admin view's order; instances in order of
    first registration (S7.6).
    """
    served_doc = client.services()
    served: dict[tuple[str, str, str], dict[str, Any]] = {}
    names: dict[str, str] = {}
    order: list[str] = []
    for svc in served_doc:
        sid = str(svc.get("serviceId") or "")
        if service_id is not None and not ieq(sid, service_id):
            continue
        for inst in svc.get("instances") or []:
            inst = {**inst, "serviceId": inst.get("serviceId") or sid}
            served[identity(inst)] = inst
        if sid.lower() not in names:
            names[sid.lower()] = sid
            order.append(sid.lower())

    admin: list[dict[str, Any]] | None
    try:
        if service_id is not None:
            one = client.admin_service(service_id, region, zone) or {}
            admin = [one] if one.get("instances") else []
        else:
            admin = list(client.admin_services(region, zone) or [])
    except (NotFound, Refused) as exc:
        admin = None
        if warn is not None:
            warn(f"pulled-out instances are not shown: the node refused its admin view ({exc})")

    rows: dict[str, list[dict[str, Any]]] = {}
    missing: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for svc in admin or []:
        sid = str(svc.get("serviceId") or "")
        key = sid.lower()
        if key not in names:
            names[key] = sid
            order.append(key)
        for a in svc.get("instances") or []:
            a = {**a, "serviceId": a.get("serviceId") or sid}
            if not in_scope(a, region, zone):
                continue
            ident = identity(a)
            seen.add(ident)
            raw = served.get(ident)
            if raw is not None:
                rows.setdefault(key, []).append(_row(raw, _state_of(raw), _lease(a)))
            else:
                row = _row(_admin_copy(a), "pulled-out", _lease(a))
                rows.setdefault(key, []).append(row)
                missing.append(row)
    # instances the admin view did not list (no admin view, or registered in between)
    for ident, raw in served.items():
        if ident not in seen and in_scope(raw, region, zone):
            rows.setdefault(ident[1], []).append(_row(raw, _state_of(raw), {}))
    if missing:
        _fill_pulled_out(client, missing)
    return [_service_row(names[k], rows[k]) for k in order if rows.get(k)]


def _admin_copy(admin_inst: dict[str, Any]) -> dict[str, Any]:
    """The admin view's instance without what the view added: lease keys in metadata, overwritten status."""
    out = {k: v for k, v in admin_inst.items() if k != "status"}
    md = admin_inst.get("metadata")
    if isinstance(md, dict):
        out["metadata"] = {k: v for k, v in md.items() if k not in LEASE_KEYS}
    return out


def _fill_pulled_out(client: Any, missing: list[dict[str, Any]]) -> None:
    """Replace the admin view's copy of pulled-out instances with the object as registered (replication
    list) when the node lets us read it."""
    raw_by_id: dict[tuple[str, str, str], dict[str, Any]] = {}
    try:
        for svc in client.replication_services() or []:
            for inst in svc.get("instances") or []:
                inst = {**inst, "serviceId": inst.get("serviceId") or svc.get("serviceId")}
                raw_by_id[identity(inst)] = inst
    except (NotFound, Refused):
        return
    for row in missing:
        raw = raw_by_id.get(identity(row))
        if raw is None:
            continue
        extra: dict[str, Any] = {k: row[k] for k in ("state", "serving", "pulledOut", "lease") if k in row}
        row.clear()
        row.update(raw)
        row.update(extra)


def service(
    client: Any,
    service_id: str,
    region: str | None = None,
    zone: str | None = None,
    *,
    warn: Warn | None = None,
) -> dict[str, Any] | None:
    """One service's row (instances and counts), or None when no instance of it is registered."""
    rows = services(client, service_id, region, zone, warn=warn)
    return rows[0] if rows else None


def find(
    client: Any, service_id: str, instance_id: str, region: str | None = None, *, warn: Warn | None = None
) -> dict[str, Any] | None:
    """One registered instance (any state), or None."""
    svc = service(client, service_id, region, warn=warn)
    for inst in (svc or {}).get("instances", []):
        if ieq(inst.get("instanceId"), instance_id):
            return inst
    return None
