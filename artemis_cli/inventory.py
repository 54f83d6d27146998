"""What is registered now, and in what state: the instances every CLI listing shows.

The node answers it in one read, ``/api/management/instances.json`` (a P endpoint: every registration as
registered, with its lease and the pull-outs that hide it from discovery). Each instance becomes an
:class:`InstanceView`: the registered object plus ``state`` (``serving``, ``pulled-out``, or its registered
status when that is not ``up``: ``starting``, ``down``, ``unhealthy``, ``unknown``), ``serving`` and
``pulledOut`` booleans and ``lease`` (``creationTime``, ``renewalTime`` in epoch ms, ``ttl`` in ms).
``metadata`` is never touched.

A node that refuses the read (management protected and no token, or a server without the endpoint) still
answers discovery: then the served instances are shown, with one warning that pulled-out ones are not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from artemis_client.errors import ArtemisError, TransportError

if TYPE_CHECKING:
    from artemis_cli.views import InstanceView, ServiceView
    from artemis_client.wire.inventory import Lease, RegisteredInstance
    from artemis_client.wire.registry import Instance

STATES = ("serving", "pulled-out", "starting", "down", "unhealthy", "unknown")

Warn = Callable[[str], None]


def ieq(a: Any, b: Any) -> bool:
    return str(a or "").lower() == str(b or "").lower()


def view(inst: Instance, *, pulled_out: bool, lease: Lease | None = None) -> InstanceView:
    """The CLI's view of one registration."""
    from artemis_cli.views import InstanceView

    status = (inst.status or "up").lower()
    state = "pulled-out" if pulled_out else "serving" if status == "up" else status
    fields = {f: getattr(inst, f) for f in inst.__struct_fields__}
    return InstanceView(**fields, state=state, serving=state == "serving", pulled_out=pulled_out, lease=lease)


def service_view(service_id: str, insts: list[InstanceView]) -> ServiceView:
    from artemis_cli.views import ServiceView

    def count(*states: str) -> int:
        return sum(1 for i in insts if i.state in states)

    return ServiceView(
        service_id,
        len(insts),
        count("serving"),
        count("pulled-out"),
        count("starting"),
        count("down", "unhealthy", "unknown"),
        insts,
    )


def _registered(row: RegisteredInstance, service_id: str) -> InstanceView:
    import msgspec

    inst = (
        row.instance
        if row.instance.service_id
        else msgspec.structs.replace(row.instance, service_id=service_id)
    )
    return view(inst, pulled_out=row.pulled_out, lease=row.lease)


def services(
    client: Any,
    service_id: str | None = None,
    region: str | None = None,
    zone: str | None = None,
    *,
    warn: Warn | None = None,
) -> list[ServiceView]:
    """Every service with registered instances (or only ``service_id``), each with its instances and counts.

    An unknown ``service_id`` gives ``[]``. Services and their instances in order of first registration.
    """
    try:
        listed = client.instances(service_id, region, zone)
    except TransportError:
        raise
    except ArtemisError as exc:
        if warn is not None:
            warn(f"pulled-out instances are not shown: the node refused its inventory ({exc})")
        return _served(client, service_id, region, zone)
    return [
        service_view(s.service_id, [_registered(r, s.service_id) for r in s.instances])
        for s in listed
        if s.instances
    ]


def _served(client: Any, service_id: str | None, region: str | None, zone: str | None) -> list[ServiceView]:
    """Discovery's view (instances not pulled out), for a node that refuses the inventory."""
    out = []
    for svc in client.services(region, zone):
        if service_id is not None and not ieq(svc.service_id, service_id):
            continue
        insts = [
            view(_with_service(i, svc.service_id), pulled_out=False)
            for i in _in_scope(svc.instances, region, zone)
        ]
        if insts:
            out.append(service_view(svc.service_id, insts))
    return out


def _with_service(inst: Instance, service_id: str) -> Instance:
    import msgspec

    return inst if inst.service_id else msgspec.structs.replace(inst, service_id=service_id)


def _in_scope(insts: Iterable[Instance], region: str | None, zone: str | None) -> list[Instance]:
    """Region compared case-insensitively, zone exactly (S1.4)."""
    return [
        i
        for i in insts
        if (region is None or ieq(i.region_id, region)) and (zone is None or i.zone_id == zone)
    ]


def service(
    client: Any,
    service_id: str,
    region: str | None = None,
    zone: str | None = None,
    *,
    warn: Warn | None = None,
) -> ServiceView | None:
    """One service's row (instances and counts), or None when no instance of it is registered."""
    rows = services(client, service_id, region, zone, warn=warn)
    return rows[0] if rows else None


def find(
    client: Any, service_id: str, instance_id: str, region: str | None = None, *, warn: Warn | None = None
) -> InstanceView | None:
    """One registered instance (any state), or None."""
    svc = service(client, service_id, region, warn=warn)
    for inst in svc.instances if svc is not None else []:
        if ieq(inst.instance_id, instance_id):
            return inst
    return None
