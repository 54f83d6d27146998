"""The inventory of registered instances (P endpoint, ``/api/management/instances.json``; decisions.md,
issue 17): every registration as registered, with its lease and the pull-outs that hide it from discovery.

A management read (family A): the management guard and the origin check apply by its path, like every other
``/api/management/*`` read. Neither J nor R has it; the J admin view (``services.json``) overwrites
``status`` and merges the lease into ``metadata``, discovery hides pulled-out instances, and the replication
list needs the peer token, so a client that wants "what is registered, and in what state" asks here.
"""

from __future__ import annotations

from typing import Any

from artemis_client.wire import envelope
from artemis_client.wire.inventory import (
    InventoryRequest,
    InventoryResponse,
    Lease,
    RegisteredInstance,
    RegisteredService,
)
from artemis_client.wire.registry import Instance
from artemis_server.api.endpoints import Call, Routes
from artemis_server.node import Node
from artemis_server.registry.model import instance_identity

routes = Routes()


def _pulled_out_by(node: Node, inst: Instance) -> list[str]:
    """The scopes whose operation pulls ``inst`` out (S10.9), in the order instance, server, zone."""
    mgmt = node.mgmt
    region = inst.region_id or ""
    by: list[str] = []
    if mgmt.is_instance_down(instance_identity(inst)):
        by.append("instance")
    if inst.ip and mgmt.is_server_down(region, inst.ip):
        by.append("server")
    zone = inst.zone_id or ""
    if mgmt.is_zone_down(region, zone) or mgmt.is_zone_down(region, zone, inst.service_id):
        by.append("zone")
    return by


def _lease(node: Node, inst: Instance) -> Lease | None:
    key = instance_identity(inst)
    lease = node.registry.lease_of(key)
    if lease is None:
        return None
    legacy = key in node.registry.legacy_pool.leases
    ttl = node.settings.lease.legacy_ttl_secs if legacy else node.settings.lease.ttl_secs
    return Lease(int(lease.creation * 1000), int(lease.last_renewal() * 1000), int(ttl * 1000))


def inventory(node: Node, req: InventoryRequest) -> list[RegisteredService]:
    """The registered services in scope, each with its registered instances (none: omitted)."""
    sid = (req.service_id or "").strip()
    if sid:
        one = node.registry.get_service(sid)
        entries = [one] if one is not None else []
    else:
        entries = list(node.registry.iter_services())
    region = (req.region_id or "").casefold()
    out: list[RegisteredService] = []
    for entry in entries:
        rows = []
        for inst in entry.instances.values():
            if region and (inst.region_id or "").casefold() != region:
                continue
            if req.zone_id and inst.zone_id != req.zone_id:
                continue
            by = _pulled_out_by(node, inst)
            rows.append(
                RegisteredInstance(
                    instance=inst, lease=_lease(node, inst), pulled_out=bool(by), pulled_out_by=by
                )
            )
        if rows:
            out.append(RegisteredService(entry.service_id, rows))
    return out


@routes.post("/api/management/instances.json", family="A", body=InventoryRequest)
async def instances_post(call: Call) -> Any:
    return InventoryResponse(services=inventory(call.node, call.data), response_status=envelope.OK)


@routes.get("/api/management/instances.json", family="A", query=InventoryRequest)
async def instances_get(call: Call) -> Any:
    return InventoryResponse(services=inventory(call.node, call.data), response_status=envelope.OK)
