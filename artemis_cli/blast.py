"""Blast radius of destructive operations: the serving instances they take out, and the share of each service.

Computed from the instances serving now (artemis_cli.inventory), so pulling out something that is already
out counts as affecting nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from artemis_cli.common import percent


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


def serving_only(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Inventory rows (artemis_cli.inventory) cut down to the instances serving now."""
    return [{**svc, "instances": [i for i in svc["instances"] if i.get("serving")]} for svc in services]
