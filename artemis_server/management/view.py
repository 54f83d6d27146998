"""Which services a routing or canary change concerns, for the `reload` events of S13.1. No I/O."""

from __future__ import annotations

from typing import Any

from artemis_server.registry.entities import EntityChange, fold
from artemis_server.registry.routing import RoutingTable

# Changes of these kinds raise `reload` for their service (J group operations and static service
# instances are stored and listed only: discovery does not read them).
RELOADING = ("group", "tag", "binding", "rule", "rulegroup")


def routing_services(table: Any, changes: list[EntityChange]) -> set[str]:
    """The services (spelled as in the view) whose routing the changes touch, before or after them."""
    out: set[str] = set()
    if not isinstance(table, RoutingTable):
        return out
    for c in changes:
        if c.kind not in RELOADING:
            continue
        if c.value is not None and isinstance(c.value.get("serviceId"), str) and c.kind in ("group", "rule"):
            out.add(c.value["serviceId"])
        if c.kind in ("group", "tag", "binding"):
            gid = table.group_by_key.get(c.key[0])
            g = table.groups.get(gid) if gid is not None else None
            if g is not None:
                out.add(g.service_id)
        else:
            r = table.rules.get(c.key[0])
            if r is not None:
                out.add(r.service_id)
    return out


def routing_signature(node: Any) -> dict[str, tuple[str, str]]:
    """Per service (folded): (spelling, a digest of its canary config, groups, bindings and rules).

    A reload of the whole view (mixed Java clusters) compares it before and after to raise `reload` for the
    services whose canary or routing state changed, as a change made through this node would.
    """
    parts: dict[str, list[str]] = {}
    names: dict[str, str] = {}

    def add(service_id: str, what: str) -> None:
        key = fold(service_id)
        names.setdefault(key, service_id)
        parts.setdefault(key, []).append(what)

    for cfg in list(node.mgmt.canary.values()):
        add(cfg.service_id, f"canary:{cfg!r}")
    router = node.router
    if isinstance(router, RoutingTable):
        for g in list(router.groups.values()):
            add(g.service_id, f"group:{g!r}")
        for b in list(router.bindings.values()):
            if b.service_id:
                add(b.service_id, f"binding:{b!r}")
        for r in list(router.rules.values()):
            add(r.service_id, f"rule:{r!r}")
    return {k: (names[k], "\n".join(sorted(v))) for k, v in parts.items()}
