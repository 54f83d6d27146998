"""Blast radius of destructive operations: the serving instances they take out, and the share of each service.

Computed from the instances serving now (artemis_cli.inventory), so pulling out something that is already
out counts as affecting nothing new.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from artemis_cli.common import percent

if TYPE_CHECKING:
    from artemis_cli.views import Radius, ServiceView


class _Instance(Protocol):
    @property
    def instance_id(self) -> str: ...


I_co = TypeVar("I_co", bound=_Instance, covariant=True)
Inst = TypeVar("Inst", bound=_Instance)


class _Service(Protocol[I_co]):
    @property
    def service_id(self) -> str: ...
    @property
    def instances(self) -> Sequence[I_co]: ...


def by_service(services: Sequence[_Service[Inst]], match: Callable[[Inst], bool]) -> Radius:
    """Instances matching ``match`` grouped per service, with totals and shares (``services``: the CLI's
    inventory views, or wire Services)."""
    from artemis_cli.views import Radius, ServiceShare

    rows = []
    for svc in services:
        hit = [i for i in svc.instances if match(i)]
        if hit:
            n = len(svc.instances)
            ids = sorted(i.instance_id for i in hit)
            rows.append(ServiceShare(svc.service_id, len(hit), n, percent(len(hit), n), ids))
    rows.sort(key=lambda r: r.service_id)
    return Radius(sum(r.affected for r in rows), rows)


def lines_for(radius: Radius, what: str) -> list[str]:
    n = radius.instances_affected
    svcs = radius.services
    out = [
        f"{what}: {n} serving instance{'s' if n != 1 else ''} in {len(svcs)} service"
        f"{'s' if len(svcs) != 1 else ''} affected"
    ]
    for r in svcs:
        whole = "  <- the whole service" if r.affected == r.total else ""
        out.append(f"  {r.service_id}: {r.affected} of {r.total} instances ({r.share}){whole}")
    return out


def serving_only(services: list[ServiceView]) -> list[ServiceView]:
    """Inventory rows cut down to the instances serving now."""
    import msgspec

    return [msgspec.structs.replace(s, instances=[i for i in s.instances if i.serving]) for s in services]
