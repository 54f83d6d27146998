"""Blast radius of destructive operations: the serving instances they take out, and the share of each service.

Computed from the discovery view (instances currently served to clients), so pulling out something that is
already out counts as affecting nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from artemis_cli.common import percent
from artemis_cli.errors import NotFound, Refused


def _ieq(a: Any, b: Any) -> bool:
    return str(a or "").lower() == str(b or "").lower()


def by_service(services: list[dict[str, Any]], match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Instances matching ``match`` grouped per service, with totals and shares."""
    rows = []
    affected_total = 0
    for svc in services:
        insts = svc.get("instances") or []
        hit = [i for i in insts if match(i)]
        if not hit:
            continue
        affected_total += len(hit)
        rows.append(
            {
                "serviceId": svc.get("serviceId"),
                "affected": len(hit),
                "total": len(insts),
                "share": percent(len(hit), len(insts)),
                "instanceIds": sorted(str(i.get("instanceId")) for i in hit),
            }
        )
    rows.sort(key=lambda r: str(r["serviceId"]))
    return {"instancesAffected": affected_total, "services": rows}


def lines_for(radius: dict[str, Any], what: str) -> list[str]:
    n = radius["instancesAffected"]
    svcs = radius["services"]
    out = [
        f"{what}: {n} serving instance{'s' if n != 1 else ''} in {len(svcs)} service"
        f"{'s' if len(svcs) != 1 else ''} affected"
    ]
    for r in svcs:
        whole = "  <- the whole service" if r["affected"] == r["total"] else ""
        out.append(f"  {r['serviceId']}: {r['affected']} of {r['total']} instances ({r['share']}){whole}")
    return out


def service_instances(
    client: Any, service_id: str, region: str | None = None, zone: str | None = None
) -> list[dict[str, Any]]:
    svc = client.service(service_id, region, zone) or {}
    return list(svc.get("instances") or [])


def admin_instances(
    client: Any, service_id: str, region: str | None = None, zone: str | None = None
) -> list[dict[str, Any]] | None:
    """All registered instances (pulled-out included) from the admin view, or None if the server lacks it."""
    try:
        svc = client.admin_service(service_id, region, zone) or {}
    except (NotFound, Refused):
        return None
    return list(svc.get("instances") or [])


def find_instance(
    client: Any, service_id: str, instance_id: str, region: str | None = None
) -> tuple[dict[str, Any] | None, bool]:
    """(instance, serving): from discovery first, else from the admin view (serving False)."""
    for inst in service_instances(client, service_id):
        if _ieq(inst.get("instanceId"), instance_id) and (
            region is None or _ieq(inst.get("regionId"), region)
        ):
            return inst, True
    for inst in admin_instances(client, service_id) or []:
        if _ieq(inst.get("instanceId"), instance_id) and (
            region is None or _ieq(inst.get("regionId"), region)
        ):
            return inst, False
    return None, False


def admin_services_or_discovery(client: Any) -> list[dict[str, Any]]:
    """Every registered instance (admin view) when the server has it, else the discovery view."""
    try:
        return list(client.admin_services() or [])
    except (NotFound, Refused):
        return list(client.services() or [])
