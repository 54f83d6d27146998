"""The discovery filter chain of S7.1 and single-instance lookup load balancing (S8)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

from artemis_client.wire.registry import Instance
from artemis_server.registry.visibility import ManagementState


@dataclass(slots=True, frozen=True)
class ClientContext:
    """Routing context of a discovery call (S7.5)."""

    region_id: str | None = None
    zone_id: str | None = None
    ip: str | None = None


class Router(Protocol):
    """F6, group routing (S9). The management plane provides the real one."""

    def route(self, service_id: str, instances: list[Instance], ctx: ClientContext) -> list[Instance]: ...


class NoRouting:
    def route(self, service_id: str, instances: list[Instance], ctx: ClientContext) -> list[Instance]:
        return instances


def management_filter(instances: list[Instance], mgmt: ManagementState) -> list[Instance]:
    """F2-F4: drop pulled-out instances, servers and zones."""
    if not mgmt.any_down:
        return instances
    return [i for i in instances if not mgmt.is_down(i)]


def filter_service(
    service_id: str,
    instances: list[Instance],
    mgmt: ManagementState,
    router: Router,
    ctx: ClientContext,
    *,
    only_up: bool = True,
    route: bool = True,
) -> list[Instance]:
    """Apply F1..F6 in the order of S7.1."""
    out = [i for i in instances if i.status == "up"] if only_up else instances  # F1
    out = management_filter(out, mgmt)  # F2-F4
    out = mgmt.canary_filter(service_id, out, ctx.ip)  # F5
    if route and out:
        out = router.route(service_id, out, ctx)  # F6
    return out


class LoadBalancer:
    """S8: random, or round-robin with one counter per service (lower-cased)."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._counters: dict[str, int] = {}

    def pick(self, service_id: str, instances: list[Instance], strategy: str | None) -> Instance:
        s = (strategy or "random").lower().replace("_", "-")
        if s in ("round-robin", "roundrobin"):
            key = service_id.casefold()
            n = self._counters.get(key, 0)
            self._counters[key] = n + 1
            return instances[n % len(instances)]
        return self._rng.choice(instances)
