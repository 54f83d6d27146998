"""Registry endpoints (api.md 2.2) and the replication write endpoints (2.4), family A."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from artemis_client.errors import PayloadTooLargeError, RateLimitedError
from artemis_client.wire.envelope import OK, ResponseStatus, fail_status
from artemis_client.wire.registry import (
    FailedInstance,
    HeartbeatResponse,
    Instance,
    InstanceKey,
    KeysRequest,
    RawKey,
    RegisterRequest,
    RegisterResponse,
)
from artemis_server import edge
from artemis_server.api.endpoints import Call, Routes

if TYPE_CHECKING:
    from artemis_server.node import Node

routes = Routes()

RATE_LIMITED = "Request is rate limited."
NO_KEYS = "instanceKeys or instances is required and must not be empty"


def _fail(message: str, status: str = "fail") -> ResponseStatus:
    """The ResponseStatus of an input failure reported inside the answer (bad-request, T8)."""
    return fail_status("bad-request", message, status)


def check_rate(node: Node, operation: str) -> None:
    if not node.limiter.allow(operation):
        node.metrics.rate_limited.labels(operation).inc()
        raise RateLimitedError(RATE_LIMITED)


def check_batch(node: Node, n: int) -> None:
    limit = node.settings.limits.max_batch_instances
    if n > limit:
        raise PayloadTooLargeError(f"too many instances in one request: {n} > {limit}", field="instances")


def _check_metadata(node: Node, items: list[Instance]) -> None:
    lim = node.settings.limits
    for idx, inst in enumerate(items):
        md = inst.metadata
        if not md:
            continue
        if len(md) > lim.max_metadata_entries:
            raise PayloadTooLargeError(
                f"instances[{idx}].metadata has {len(md)} entries, more than {lim.max_metadata_entries}",
                field=f"instances[{idx}].metadata",
            )
        size = sum(len(k) + len(v) for k, v in md.items())
        if size > lim.max_metadata_bytes:
            raise PayloadTooLargeError(
                f"instances[{idx}].metadata is {size} bytes, more than {lim.max_metadata_bytes}",
                field=f"instances[{idx}].metadata",
            )


def _zone_checks(node: Node, items: list[Instance]) -> tuple[list[Instance], list[FailedInstance]]:
    """S2.9 same-region / same-zone checks (off by default)."""
    rs = node.settings.registry
    if not rs.enforce_same_region and rs.allow_from_other_zone:
        return items, []
    ok: list[Instance] = []
    failed: list[FailedInstance] = []
    region, zone = node.settings.server.region, node.settings.server.zone
    for inst in items:
        r = inst.region_id or region
        z = inst.zone_id or zone
        if rs.enforce_same_region and r.casefold() != region.casefold():
            failed.append(FailedInstance(inst, "no-permission", f"region {r} is not served by this node"))
        elif not rs.allow_from_other_zone and z != zone:
            failed.append(FailedInstance(inst, "no-permission", f"zone {z} is not served by this node"))
        else:
            ok.append(inst)
    return ok, failed


def _ident(i: Instance) -> str:
    return f"{i.region_id or ''}/{i.service_id}/{i.instance_id}"


def do_register(call: Call, *, replicated: bool) -> Any:
    node = call.node
    req: RegisterRequest = call.data
    node.metrics.register_requests.inc()
    if not replicated:
        check_rate(node, "register")
    items = req.instances
    if not items:
        return RegisterResponse(response_status=_fail("instances is required and must not be empty"))
    check_batch(node, len(items))
    _check_metadata(node, items)
    items, failed = _zone_checks(node, items)
    stored, bad = node.registry.register(items)
    failed += bad
    if stored and not replicated and node.replicator is not None:
        node.replicator.register(stored)
    if failed:
        message = "Some instances failed: " + ", ".join(_ident(f.instance) for f in failed)
        return RegisterResponse(failed_instances=failed, response_status=_fail(message, "partial_fail"))
    return edge.OK_BYTES


def collect_keys(req: KeysRequest) -> tuple[list[RawKey], dict[int, Instance]]:
    keys: list[RawKey] = list(req.instance_keys or ())
    sent: dict[int, Instance] = {}
    for inst in req.instances or ():
        k = RawKey(inst.service_id, inst.instance_id, inst.region_id, inst.zone_id, inst.group_id)
        sent[id(k)] = inst
        keys.append(k)
    return keys, sent


def out_key(k: RawKey) -> InstanceKey:
    return InstanceKey(k.region_id or "", k.zone_id or "", k.service_id, k.group_id or "", k.instance_id)


def do_heartbeat(call: Call, *, replicated: bool, failed_instances: bool = True) -> Any:
    node = call.node
    node.metrics.heartbeat_requests.inc()
    if not replicated:
        check_rate(node, "heartbeat")
    keys, sent = collect_keys(call.data)
    check_batch(node, len(keys))
    leases, failed = node.registry.resolve(keys)
    node.registry.renew(leases)  # resolved just now: every lease is alive
    if leases:
        node.metrics.heartbeat_keys.inc(len(leases))
        if not replicated and node.replicator is not None:
            node.replicator.heartbeat([lease.instance for lease in leases])
    if not failed:
        if call.cache_key is not None and leases:
            node.renewals.put(call.cache_key, leases, node.clock.now())
        return edge.OK_BYTES
    node.metrics.heartbeat_failed_keys.inc(len(failed))
    out: list[FailedInstance] | None = None
    if failed_instances:
        out = []
        for k in failed:
            orig = sent.get(id(k))
            fi = node.registry.failed_heartbeat(k)
            out.append(FailedInstance(orig, fi.error_code, fi.error_message) if orig is not None else fi)
    return HeartbeatResponse(
        failed_instance_keys=[out_key(k) for k in failed],
        failed_instances=out,
        response_status=_fail("Some heartbeats failed", "partial_fail"),
    )


def heartbeat_again(node: Node, body: bytes) -> bool:
    """:func:`do_heartbeat` of a client heartbeat whose body renewed all its keys before: renew the same
    leases without decoding the body or looking a key up (registry.RenewalCache). True when the request was
    answered (success, :data:`edge.OK_BYTES`); False sends it down the full path: an unknown body, a rate
    limit to report, or a lease that left its pool since (the entry is dropped and the keys resolved again).
    """
    entry = node.renewals.get(body)
    if entry is None:
        return False
    if not node.limiter.allow("heartbeat"):
        return False  # the full path checks again and answers rate-limited
    if not node.registry.renew_entry(entry):
        node.renewals.discard(body)
        return False
    m = node.metrics
    m.heartbeat_hits.n += 1
    m.heartbeat_hit_keys.n += len(entry.leases)
    if node.replicator is not None:
        node.replicator.heartbeat([lease.instance for lease in entry.leases])
    return True


def do_unregister(call: Call, *, replicated: bool, report_unknown: bool = False) -> Any:
    node = call.node
    node.metrics.unregister_requests.inc()
    if not replicated:
        check_rate(node, "unregister")
    keys, sent = collect_keys(call.data)
    check_batch(node, len(keys))
    invalid = [k for k in keys if not k.service_id.strip() or not k.instance_id.strip()]
    valid = [k for k in keys if k.service_id.strip() and k.instance_id.strip()]
    removed = node.registry.unregister(valid)
    if removed and not replicated and node.replicator is not None:
        node.replicator.unregister(removed)
    unknown_keys: list[InstanceKey] | None = None
    if report_unknown and len(removed) < len(valid):
        gone = {(i.service_id.casefold(), i.instance_id.casefold()) for i in removed}
        unknown = [k for k in valid if (k.service_id.casefold(), k.instance_id.casefold()) not in gone]
        unknown_keys = [out_key(k) for k in unknown]
    if invalid:
        bad = [
            FailedInstance(
                sent.get(id(k)) or Instance(k.service_id, k.instance_id),
                "bad-request",
                "serviceId and instanceId are required",
            )
            for k in invalid
        ]
        return HeartbeatResponse(
            failed_instance_keys=unknown_keys,
            failed_instances=bad,
            response_status=_fail("Some instance keys are invalid", "partial_fail"),
        )
    if unknown_keys is not None:
        return HeartbeatResponse(failed_instance_keys=unknown_keys, response_status=OK)
    return edge.OK_BYTES


def _has_keys(req: KeysRequest) -> bool:
    """A client heartbeat / unregister names at least one instance, like a register does (S2.1)."""
    return bool(req.instance_keys or req.instances)


@routes.post(
    "/api/registry/register.json",
    "/api/registry/register",
    family="A",
    body=RegisterRequest,
    hot=True,
    response=RegisterResponse,
)
async def register(call: Call) -> Any:
    return do_register(call, replicated=False)


@routes.post(
    "/api/registry/heartbeat.json",
    "/api/registry/heartbeat",
    family="A",
    body=KeysRequest,
    hot=True,
    renewals=True,
    response=HeartbeatResponse,
)
async def heartbeat(call: Call) -> Any:
    if not _has_keys(call.data):
        call.node.metrics.heartbeat_requests.inc()
        return HeartbeatResponse(response_status=_fail(NO_KEYS))
    return do_heartbeat(call, replicated=False)


@routes.post(
    "/api/registry/unregister.json",
    "/api/registry/unregister",
    family="A",
    body=KeysRequest,
    hot=True,
    response=HeartbeatResponse,
)
async def unregister(call: Call) -> Any:
    if not _has_keys(call.data):
        call.node.metrics.unregister_requests.inc()
        return HeartbeatResponse(response_status=_fail(NO_KEYS))
    return do_unregister(call, replicated=False)
