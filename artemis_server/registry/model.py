"""Rules of the registry core about instances: identity, defaults, validation, the legacy pool.

The instance itself is the wire shape :class:`artemis_client.wire.registry.Instance` (api.md 1.1): one
definition for the wire and for the registry, which holds up to a million of them (slotted, frozen, out of
the cyclic GC, encoded without a copy). Nothing here imports a web framework or a database.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from typing import Literal

from artemis_client.wire.ids import bad_id_char
from artemis_client.wire.registry import Instance, InstanceKey, RawKey

# The rules only: the shapes themselves are imported from artemis_client.wire, never from here.
__all__ = [
    "INSTANCE_STATUSES",
    "ChangeType",
    "fold",
    "identity",
    "instance_from_key",
    "instance_identity",
    "is_legacy",
    "key_of",
    "normalize_instance",
    "normalize_status",
    "reload_placeholder",
    "valid_ip",
]

INSTANCE_STATUSES = ("starting", "up", "down", "unhealthy", "unknown")
ChangeType = Literal["new", "delete", "change", "reload"]

_intern = sys.intern

_DOTTED_QUAD = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$")


def valid_ip(value: str) -> bool:
    """api.md 1.1 as resolved in docs/decisions.md: empty, an IPv4-shaped dotted quad (1-3 digits per part,
    no range check: scripts register ``192.168.1.300``) or a valid IPv6 address."""
    if not value or _DOTTED_QUAD.match(value):
        return True
    if ":" not in value:
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


def fold(text: str) -> str:
    """THE case-insensitive comparison key of S1.3/S1.4/S17.2: Unicode case folding (``str.casefold``).

    ``lower()`` is not enough: ``ß`` and ``SS`` are the same id, and SQLite's ``lower()`` folds ASCII only.
    Memory (identities, management and routing lookups) and the store's folded key columns use this rule;
    hot paths inline ``.casefold()`` for speed, which is the same thing.
    """
    return text.casefold()


def identity(region_id: str, service_id: str, instance_id: str) -> str:
    """The identity key of S1.1: the case-folded triple, joined so one string is stored per instance."""
    # One casefold() of the joined string: the same as folding each part (folding is per character and the
    # separator has no case).
    return f"{region_id}\x1f{service_id}\x1f{instance_id}".casefold()


def instance_identity(inst: Instance) -> str:
    return identity(inst.region_id or "", inst.service_id, inst.instance_id)


def key_of(inst: Instance) -> InstanceKey:
    return InstanceKey(
        region_id=inst.region_id or "",
        zone_id=inst.zone_id or "",
        service_id=inst.service_id,
        group_id=inst.group_id or "",
        instance_id=inst.instance_id,
    )


def instance_from_key(key: InstanceKey | RawKey) -> Instance:
    """Build the instance echoed in FailedInstance when only a key was sent (S4.3)."""
    return Instance(
        service_id=key.service_id,
        instance_id=key.instance_id,
        region_id=key.region_id or None,
        zone_id=key.zone_id or None,
        group_id=key.group_id or None,
    )


_STATUSES = {s: _intern(s) for s in INSTANCE_STATUSES}


def normalize_status(status: str | None) -> str:
    if not status:
        return "up"
    known = _STATUSES.get(status)
    if known is not None:
        return known
    s = status.strip().lower().replace("_", "").replace("-", "")
    return _STATUSES.get(s, "unknown")


def _bad_ids(inst: Instance) -> None:
    for name, value in (
        ("serviceId", inst.service_id),
        ("instanceId", inst.instance_id),
        ("regionId", inst.region_id),
        ("zoneId", inst.zone_id),
        ("groupId", inst.group_id),
    ):
        bad = bad_id_char(value) if value else None
        if bad:
            raise ValueError(f"{name} contains the control or bidi formatting character {bad}")


def normalize_instance(inst: Instance, default_region: str, default_zone: str) -> Instance:
    """Apply S2.3/S2.4 defaults (region, zone, status, synthesized url) and intern the shared strings
    (``default_region`` and ``default_zone`` are used as given: the registry passes them interned).

    Raises ValueError with a readable reason when the item is invalid (S2.2).
    """
    sid = inst.service_id
    iid = inst.instance_id
    # isspace(): what an empty strip() says, without building the stripped copy
    if not sid or sid.isspace():
        raise ValueError("serviceId is required")
    if not iid or iid.isspace():
        raise ValueError("instanceId is required")
    region = inst.region_id
    zone = inst.zone_id
    group = inst.group_id
    # Every forbidden character (C0/C1 controls, bidi formatting) is unprintable: one C-level scan of the
    # ids clears the usual item; the per-field search runs only to name what it found (a no-break space,
    # say, is unprintable and allowed).
    if not f"{sid}{iid}{region or ''}{zone or ''}{group or ''}".isprintable():
        _bad_ids(inst)
    port = inst.port
    if port is not None and not 0 <= port <= 65535:
        raise ValueError(f"port {port} is out of range 0..65535")
    ip = inst.ip
    if ip and not _DOTTED_QUAD.match(ip) and not valid_ip(ip):  # the usual dotted quad without a call
        raise ValueError(f"ip {ip[:64]!r} is not an IPv4 or IPv6 address")
    url = inst.url
    if not url or url.isspace():
        if ip and not ip.isspace():
            url = f"{inst.protocol or 'http'}://{ip}:{port or 0}"
        else:
            raise ValueError("url is required (or an ip to build it from)")
    status = inst.status
    protocol = inst.protocol
    return Instance(
        _intern(sid),
        iid,
        _intern(region) if region else default_region,
        _intern(zone) if zone else default_zone,
        _intern(group) if group else None,
        inst.machine_name,
        ip if ip is not None else "",
        port if port is not None else 0,
        _intern(protocol) if protocol else None,
        url,
        inst.health_check_url,
        (_STATUSES.get(status) or normalize_status(status)) if status else "up",
        inst.metadata or None,
    )


def is_legacy(inst: Instance) -> bool:
    """S2.6: metadata with a non-blank ``java_registry`` entry puts the lease in the legacy pool."""
    md = inst.metadata
    return bool(md and (md.get("java_registry") or "").strip())


def reload_placeholder(service_id: str) -> Instance:
    """The placeholder instance a `reload` change carries (S13.1, J)."""
    return Instance(
        service_id=service_id,
        instance_id="reload",
        ip="0.0.0.0",
        url=f"http://{service_id}/reload",
    )
