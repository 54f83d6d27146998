"""Pure data shaping of the dashboard (no Textual): identities, pulled-out reasons, counts, gauges.

Everything here works on plain JSON (:func:`plain` of the typed answers of the shared client), so it is easy
to reason about and the screens only render rows. (The screens move to the typed answers in issue 19.)
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any


def plain(value: Any) -> Any:
    """A typed answer (wire Structs, lists of them) as plain JSON values, camelCase keys as on the wire."""
    import msgspec

    return msgspec.to_builtins(value)


def low(v: Any) -> str:
    return str(v or "").lower()


def instance_key(inst: dict[str, Any]) -> str:
    """Row key of an instance inside one service: region + instance id (S1 identity, case-insensitive)."""
    return f"{low(inst.get('regionId'))}|{low(inst.get('instanceId'))}"


@dataclass
class PullOuts:
    """Current pull-outs of the cluster (S10): effective instance records, servers, zones."""

    instances: set[tuple[str, str, str]] = field(default_factory=set)  # (region, service, instance)
    servers: set[tuple[str, str]] = field(default_factory=set)  # (region, ip)
    zones: set[tuple[str, str, str]] = field(default_factory=set)  # (region, zone, service or "")

    @classmethod
    def from_json(
        cls, inst_ops: list[dict[str, Any]], server_ops: list[dict[str, Any]], zone_ops: list[dict[str, Any]]
    ) -> PullOuts:
        p = cls()
        for rec in inst_ops or []:
            key = rec.get("instanceKey") or {}
            if low(rec.get("operation")) == "pullout" and rec.get("operationComplete"):
                p.instances.add(
                    (low(key.get("regionId")), low(key.get("serviceId")), low(key.get("instanceId")))
                )
        for rec in server_ops or []:
            if low(rec.get("operation")) == "pullout":
                p.servers.add((low(rec.get("regionId")), low(rec.get("serverId"))))
        for rec in zone_ops or []:
            if low(rec.get("operation") or "pullout") == "pullout":
                p.zones.add((low(rec.get("regionId")), low(rec.get("zoneId")), low(rec.get("serviceId"))))
        return p

    def reason(self, inst: dict[str, Any]) -> str:
        """Why the instance is pulled out: "instance", "server", "zone" or "" (serving)."""
        region, sid = low(inst.get("regionId")), low(inst.get("serviceId"))
        if (region, sid, low(inst.get("instanceId"))) in self.instances:
            return "instance"
        if (region, low(inst.get("ip"))) in self.servers:
            return "server"
        zone = low(inst.get("zoneId"))
        if (region, zone, "") in self.zones or (region, zone, sid) in self.zones:
            return "zone"
        return ""


def age(ms: Any, now: float | None = None) -> str:
    """Coarse age of an epoch-ms timestamp: "<1m", "5m", "3h", "2d" (coarse so the table stays calm)."""
    try:
        then = int(str(ms)) / 1000.0
    except (TypeError, ValueError):
        return "-"
    secs = max(0.0, (time.time() if now is None else now) - then)
    if secs < 60:
        return "<1m"
    if secs < 3600:
        return f"{int(secs // 60)}m"
    if secs < 86400:
        return f"{int(secs // 3600)}h"
    return f"{int(secs // 86400)}d"


INSTANCE_COLUMNS = ("id", "address", "zone", "group", "status", "lease", "pulled")
INSTANCE_LABELS = ("INSTANCE", "IP:PORT", "ZONE", "GROUP", "STATUS", "LEASE AGE", "PULLED OUT")


def instance_cells(inst: dict[str, Any], pulled: str, known_status: str | None = None) -> tuple[str, ...]:
    """Cells of one instance row. The admin view reports ``down`` for a pulled-out instance, so its own
    status is the last one seen in a push (``known_status``) when there is one."""
    status = str(inst.get("status") or "unknown")
    if pulled and known_status:
        status = known_status
    meta = inst.get("metadata") or {}
    return (
        str(inst.get("instanceId") or ""),
        f"{inst.get('ip') or ''}:{inst.get('port') if inst.get('port') is not None else ''}",
        str(inst.get("zoneId") or ""),
        str(inst.get("groupId") or ""),
        status,
        age(meta.get("creationTime")) if meta.get("creationTime") else "-",
        pulled,
    )


@dataclass
class ServiceCounts:
    service_id: str
    total: int = 0
    up: int = 0
    down: int = 0
    pulled: int = 0
    canary: str = ""  # the canary config: "on", "off" or "" (none)
    canary_instances: int = 0  # registered instances marked canary (metadata canary=true, group canary)

    def cells(self) -> tuple[str, ...]:
        return (
            self.service_id,
            str(self.total),
            str(self.up),
            str(self.down),
            str(self.pulled),
            self.canary,
            str(self.canary_instances),
        )


SERVICE_LABELS = ("SERVICE", "INSTANCES", "SERVING", "NOT UP", "PULLED OUT", "CANARY", "CANARY INST")
SERVICE_COLUMNS = ("service", "total", "up", "down", "pulled", "canary", "canary_n")


def service_counts(
    services: list[dict[str, Any]], pulls: PullOuts, canaries: list[dict[str, Any]] | None = None
) -> list[ServiceCounts]:
    canary = {low(c.get("serviceId")): c for c in canaries or []}
    out = []
    for svc in services or []:
        sc = ServiceCounts(str(svc.get("serviceId") or ""))
        for inst in svc.get("instances") or []:
            sc.total += 1
            sc.canary_instances += is_canary_instance(inst)
            if pulls.reason(inst):
                sc.pulled += 1
            elif low(inst.get("status")) == "up":
                sc.up += 1
            else:
                sc.down += 1
        c = canary.get(low(sc.service_id))
        if c is not None:
            sc.canary = "on" if c.get("enabled") else "off"
        out.append(sc)
    out.sort(key=lambda s: s.service_id.lower())
    return out


# -- cluster ---------------------------------------------------------------------------------------------

_GAUGE = re.compile(r"^(artemis_[a-z_]+)\s+(\S+)$")


def gauges(metrics_text: str) -> dict[str, float]:
    """Unlabelled samples of a Prometheus text page: {name: value}."""
    out: dict[str, float] = {}
    for line in (metrics_text or "").splitlines():
        m = _GAUGE.match(line.strip())
        if m:
            try:
                out[m.group(1)] = float(m.group(2))
            except ValueError:
                continue
    return out


SAFE_MIN_MAX = 50  # S3.7: the check only bites once the window maximum reached 50
SAFE_PERCENT = 85


# -- audit -----------------------------------------------------------------------------------------------

AUDIT_LABELS = ("ID", "TIME (UTC)", "TYPE", "TARGET", "OPERATION", "OPERATOR")
AUDIT_COLUMNS = ("id", "time", "type", "target", "operation", "operator")


def fmt_time(secs: Any) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(secs)))
    except (TypeError, ValueError, OverflowError):
        return "-"


def audit_cells(log: dict[str, Any]) -> tuple[str, ...]:
    return (
        str(log.get("logId") or ""),
        fmt_time(log.get("operationTime")),
        str(log.get("operationType") or ""),
        str(log.get("targetId") or ""),
        str(log.get("operation") or ""),
        str(log.get("operatorId") or ""),
    )


# -- blast radius ------------------------------------------------------------------------------------------


def canary_effect(canary: int, served: int) -> list[str]:
    """What discovery does with an enabled canary config (S11.3) for a service serving ``served`` instances,
    ``canary`` of them canary ones (modal lines)."""
    if canary == 0:
        return ["  no canary instance: discovery results do not change (F5 keeps its input)"]
    return [
        f"  whitelisted clients see only the {canary} canary instances;",
        f"  every other client loses them ({served - canary} instances remain)",
    ]


def is_canary_instance(inst: dict[str, Any]) -> bool:
    return low((inst.get("metadata") or {}).get("canary")) == "true" or low(inst.get("groupId")) == "canary"
