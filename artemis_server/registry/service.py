"""The registry service: every write to the registry, whoever sends it, goes through here (S2-S5, S14.3, S15).

Eureka's ``PeerAwareInstanceRegistryImpl`` and Java Artemis's ``RegistryServiceImpl`` in our terms. It owns
the rules a write obeys before and after it reaches the :class:`~artemis_server.registry.registry.Registry`:
the batch size and metadata limits (T11), the same-region / same-zone checks (S2.9), the rate limits
(S15.3: client writes only), resolve-then-renew of heartbeats and the renewal cache of remembered heartbeat
bodies, the request metrics, and the replication decision: a write a client sent is replicated to the peers
once it changed something, a write a peer sent never is (S14.3 anti-loop).

Callers (the HTTP handlers of api/registry.py and api/replication.py, the fast lane, the WebSocket heartbeat)
say only where the write came from (``from_peer``) and which answer shape their path uses; none of them
decides what to replicate. No framework import: metrics and replication are ports (registry/ports.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from types import MappingProxyType

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
from artemis_server.registry.leases import RenewalCache
from artemis_server.registry.ports import Clock, RegistryMetrics, Replication
from artemis_server.registry.ratelimit import RateLimiter
from artemis_server.registry.registry import Registry

RATE_LIMITED = "Request is rate limited."
NO_KEYS = "instanceKeys or instances is required and must not be empty"
NO_INSTANCES = "instances is required and must not be empty"


@dataclass(frozen=True, slots=True)
class WriteRules:
    """The limits and zone rules of registry writes (settings ``limits``, ``registry``, ``server``)."""

    max_batch_instances: int = 1000
    max_metadata_entries: int = 100
    max_metadata_bytes: int = 16384
    enforce_same_region: bool = False
    allow_from_other_zone: bool = True
    region: str = "default"
    zone: str = "default"


_METADATA = attrgetter("metadata")


def _fail(message: str, status: str = "fail") -> ResponseStatus:
    """The ResponseStatus of an input failure reported inside the answer (bad-request, T8)."""
    return fail_status("bad-request", message, status)


def _ident(i: Instance) -> str:
    return f"{i.region_id or ''}/{i.service_id}/{i.instance_id}"


_NOTHING_SENT: Mapping[int, Instance] = MappingProxyType({})  # no J instance came (R keys only)


def collect_keys(req: KeysRequest) -> tuple[list[RawKey], Mapping[int, Instance]]:
    """The keys of a heartbeat / unregister (R ``instanceKeys`` then J ``instances``), and the J instance
    each key came from (by the key's ``id``) so that a failure echoes the item as sent."""
    if not req.instances:
        return req.instance_keys or [], _NOTHING_SENT  # keys only (R SDK, scripts): the decoded list
    sent: dict[int, Instance] = {}
    keys: list[RawKey] = list(req.instance_keys or ())
    for inst in req.instances:
        k = RawKey(inst.service_id, inst.instance_id, inst.region_id, inst.zone_id, inst.group_id)
        sent[id(k)] = inst
        keys.append(k)
    return keys, sent


def out_key(k: RawKey) -> InstanceKey:
    return InstanceKey(k.region_id or "", k.zone_id or "", k.service_id, k.group_id or "", k.instance_id)


class RegistryService:
    """Register, heartbeat and unregister with their rules; answers are the wire shapes, ``None`` meaning
    plain success (the adapter writes the pre-encoded success body)."""

    def __init__(
        self,
        registry: Registry,
        *,
        rules: WriteRules,
        limiter: RateLimiter,
        renewals: RenewalCache,
        metrics: RegistryMetrics,
        clock: Clock,
    ) -> None:
        self.registry = registry
        self.rules = rules
        self.limiter = limiter
        self.renewals = renewals
        self.metrics = metrics
        self.clock = clock
        # Set when this node replicates to peers (replication.attach at start); None: a single node.
        self.replication: Replication | None = None

    # -- checks ------------------------------------------------------------------------------------
    def check_rate(self, operation: str) -> None:
        if not self.limiter.allow(operation):
            self.metrics.count_rate_limited(operation)
            raise RateLimitedError(RATE_LIMITED)

    def check_batch(self, n: int) -> None:
        limit = self.rules.max_batch_instances
        if n > limit:
            raise PayloadTooLargeError(f"too many instances in one request: {n} > {limit}", field="instances")

    def check_metadata(self, items: list[Instance]) -> None:
        if not any(map(_METADATA, items)):  # the loop in C: most registrations carry no metadata
            return
        rules = self.rules
        for idx, inst in enumerate(items):
            md = inst.metadata
            if not md:
                continue
            if len(md) > rules.max_metadata_entries:
                limit = rules.max_metadata_entries
                raise PayloadTooLargeError(
                    f"instances[{idx}].metadata has {len(md)} entries, more than {limit}",
                    field=f"instances[{idx}].metadata",
                )
            size = sum(len(k) + len(v) for k, v in md.items())
            if size > rules.max_metadata_bytes:
                raise PayloadTooLargeError(
                    f"instances[{idx}].metadata is {size} bytes, more than {rules.max_metadata_bytes}",
                    field=f"instances[{idx}].metadata",
                )

    def zone_checks(self, items: list[Instance]) -> tuple[list[Instance], list[FailedInstance]]:
        """S2.9 same-region / same-zone checks (off by default)."""
        rules = self.rules
        if not rules.enforce_same_region and rules.allow_from_other_zone:
            return items, []
        ok: list[Instance] = []
        failed: list[FailedInstance] = []
        region, zone = rules.region, rules.zone
        for inst in items:
            r = inst.region_id or region
            z = inst.zone_id or zone
            if rules.enforce_same_region and r.casefold() != region.casefold():
                failed.append(FailedInstance(inst, "no-permission", f"region {r} is not served by this node"))
            elif not rules.allow_from_other_zone and z != zone:
                failed.append(FailedInstance(inst, "no-permission", f"zone {z} is not served by this node"))
            else:
                ok.append(inst)
        return ok, failed

    # -- writes ------------------------------------------------------------------------------------
    def register(self, req: RegisterRequest, *, from_peer: bool) -> RegisterResponse | None:
        self.metrics.count_register()
        if not from_peer:
            self.check_rate("register")
        items = req.instances
        if not items:
            return RegisterResponse(response_status=_fail(NO_INSTANCES))
        self.check_batch(len(items))
        self.check_metadata(items)
        items, failed = self.zone_checks(items)
        stored, bad = self.registry.register(items)
        failed += bad
        if stored and not from_peer and self.replication is not None:
            self.replication.register(stored)
        if failed:
            message = "Some instances failed: " + ", ".join(_ident(f.instance) for f in failed)
            return RegisterResponse(failed_instances=failed, response_status=_fail(message, "partial_fail"))
        return None

    def heartbeat(
        self,
        req: KeysRequest,
        *,
        from_peer: bool,
        body: bytes | None = None,
        failed_instances: bool = True,
    ) -> HeartbeatResponse | None:
        """Renew the leases of the keys. A client heartbeat names at least one instance (S4.1). ``body``:
        the request as sent, remembered in the renewal cache when every key was renewed, so that the same
        body renews the same leases next time (:meth:`heartbeat_again`). ``failed_instances=False``: the
        answer lists failed keys only (batch-heartbeat between peers)."""
        metrics = self.metrics
        metrics.count_heartbeat()
        if not from_peer:
            if not (req.instance_keys or req.instances):
                return HeartbeatResponse(response_status=_fail(NO_KEYS))
            self.check_rate("heartbeat")
        keys, sent = collect_keys(req)
        self.check_batch(len(keys))
        registry = self.registry
        leases, failed = registry.renew_keys(keys)
        if leases:
            metrics.count_renewed(len(leases))
            if not from_peer and self.replication is not None:
                self.replication.heartbeat([lease.instance for lease in leases])
        if not failed:
            if body is not None and leases and not from_peer:
                self.renewals.put(body, leases, self.clock.now())
            return None
        metrics.count_unknown(len(failed))
        out: list[FailedInstance] | None = None
        if failed_instances:
            out = []
            for k in failed:
                orig = sent.get(id(k))
                fi = registry.failed_heartbeat(k)
                out.append(FailedInstance(orig, fi.error_code, fi.error_message) if orig is not None else fi)
        return HeartbeatResponse(
            failed_instance_keys=[out_key(k) for k in failed],
            failed_instances=out,
            response_status=_fail("Some heartbeats failed", "partial_fail"),
        )

    def heartbeat_identities(self, ids: list[str]) -> HeartbeatResponse | None:
        """Renew the leases of a peer's lean heartbeat batch: identity keys (:func:`model.identity`) instead
        of key objects, so nothing is built or case-folded per key (decisions.md, issue 20). Always a peer
        write: never replicated, never rate limited. The answer lists the unknown keys as
        ``failedInstanceKeys`` (region, service and instance as folded; zone and group unknown), which is
        what the sender reads to re-register them (S14.7)."""
        metrics = self.metrics
        metrics.count_heartbeat()
        self.check_batch(len(ids))
        registry = self.registry
        leases, failed = registry.resolve_identities(ids)
        registry.renew_resolved(leases)
        if leases:
            metrics.count_renewed(len(leases))
        if not failed:
            return None
        metrics.count_unknown(len(failed))
        out: list[InstanceKey] = []
        for key in failed:
            parts = key.split("\x1f")
            if len(parts) == 3:
                out.append(InstanceKey(parts[0], "", parts[1], "", parts[2]))
        return HeartbeatResponse(
            failed_instance_keys=out,
            response_status=_fail("Some heartbeats failed", "partial_fail"),
        )

    def heartbeat_again(self, body: bytes) -> bool:
        """A client heartbeat whose body renewed all its keys before: renew the same leases without decoding
        the body or looking a key up (:class:`RenewalCache`). True when it was renewed (the answer is plain
        success); False sends it down the full path (:meth:`heartbeat`): an unknown body, a rate limit to
        report, or a lease that left its pool since (the entry is dropped and the keys resolved again)."""
        entry = self.renewals.get(body)
        if entry is None:
            return False
        if not self.limiter.allow("heartbeat"):
            return False  # the full path checks again and answers rate-limited
        if not self.registry.renew_entry(entry):
            self.renewals.discard(body)
            return False
        self.metrics.count_renewed_again(len(entry.leases))
        if self.replication is not None:
            self.replication.heartbeat([lease.instance for lease in entry.leases])
        return True

    def unregister(
        self, req: KeysRequest, *, from_peer: bool, report_unknown: bool = False
    ) -> HeartbeatResponse | None:
        """Remove the instances of the keys at once (S5). ``report_unknown``: list the keys nobody had
        registered (batch-unregister between peers)."""
        self.metrics.count_unregister()
        if not from_peer:
            if not (req.instance_keys or req.instances):
                return HeartbeatResponse(response_status=_fail(NO_KEYS))
            self.check_rate("unregister")
        keys, sent = collect_keys(req)
        self.check_batch(len(keys))
        invalid = [k for k in keys if not k.service_id.strip() or not k.instance_id.strip()]
        valid = [k for k in keys if k.service_id.strip() and k.instance_id.strip()]
        removed = self.registry.unregister(valid)
        if removed and not from_peer and self.replication is not None:
            self.replication.unregister(removed)
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
        return None
