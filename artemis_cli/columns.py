"""Table columns of the services and instances that `service` and `instance` commands list."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from artemis_cli.output import Col

if TYPE_CHECKING:
    from artemis_cli.views import InstanceView


def _distinct(insts: list[InstanceView], key: str) -> list[str]:
    return sorted({v for i in insts if (v := getattr(i, key))})


def _ago(ms: int) -> str:
    return f"{max(0, int(time.time() - ms / 1000))}s ago"


def lease_text(inst: InstanceView) -> str:
    """``created 12s ago, renewed 3s ago, ttl 20s`` from an instance's lease."""
    lease = inst.lease
    if lease is None:
        return "-"
    return (
        f"created {_ago(lease.creation_time)}, renewed {_ago(lease.renewal_time)}, ttl {lease.ttl // 1000}s"
    )


SERVICE_COLS: list[Col] = [
    Col("SERVICE", "serviceId"),
    Col("INSTANCES", "instanceCount"),
    Col("SERVING", "serving"),
    Col("PULLED OUT", "pulledOut"),
    Col("STARTING", "starting"),
    Col("DOWN", "down"),
    Col("REGIONS", lambda s: _distinct(s.instances, "region_id")),
    Col("ZONES", lambda s: _distinct(s.instances, "zone_id")),
    Col("GROUPS", lambda s: _distinct(s.instances, "group_id"), wide=True),
]

INSTANCE_COLS: list[Col] = [
    Col("INSTANCE", "instanceId"),
    Col("STATE", "state"),
    Col("URL", "url"),
    Col("REGION", "regionId"),
    Col("ZONE", "zoneId"),
    Col("STATUS", "status", wide=True),
    Col("IP", "ip", wide=True),
    Col("PORT", "port", wide=True),
    Col("GROUP", "groupId", wide=True),
    Col("LEASE", lease_text, wide=True),
    Col("METADATA", "metadata", wide=True),
]

GROUP_COLS = [
    Col("ID", "groupId"),
    Col("SERVICE", "serviceId"),
    Col("REGION", "regionId"),
    Col("ZONE", "zoneId"),
    Col("NAME", "name"),
    Col("TYPE", "groupType"),
    Col("STATUS", "status"),
    Col("TAGS", lambda g: {t.key: t.value for t in g.tags or []}, wide=True),
    Col("DESCRIPTION", "description", wide=True),
]
RULE_COLS = [
    Col("ROUTE ID", "routeId"),
    Col("ID", "routeRuleId"),
    Col("SERVICE", "serviceId"),
    Col("NAME", "name"),
    Col("STRATEGY", "strategy"),
    Col("STATUS", "status"),
    Col("GROUPS", lambda r: [f"{g.group_key}={g.weight}" for g in r.groups]),
    Col("DESCRIPTION", "description", wide=True),
]
