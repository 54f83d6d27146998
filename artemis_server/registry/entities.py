"""The units of management state that replicate and merge on their own: entities (S14.2). No I/O.

A management command does not travel between nodes; the resulting *state* of each entity it touched does.
Commands such as "whitelist add" or "pull-in" are relative to the current state, so replaying commands in a
different order on another node could end elsewhere; installing the newest value of every entity cannot.

Each entity has a kind and a key; the key is its identity, folded where the spec compares ids
case-insensitively (S1, S17.2) and exact where it compares them exactly (zone ids, server ids, group keys,
route ids, instance ids of bindings). Its value is the whole resulting state as JSON-able data, ``None`` when
the entity is gone (a tombstone, which still carries a stamp so an older value cannot bring it back).

=========== ================================ ============================================================
kind        key                              value
=========== ================================ ============================================================
instance    region, service, instance        ``{regionId, serviceId, instanceId, ops: [record...]}``
server      region, serverId                 ``{regionId, serverId, ops}``
zone        region, zoneId, service          ``{regionId, zoneId, serviceId, ops}``
canary      service                          ``{serviceId, ipWhitelist, enabled, createdAt, updatedAt}``
group       groupKey                         group fields
tag         groupKey, tag                    ``{group, key, value}``
binding     groupKey, instanceId             binding fields + ``group``
groupop     groupKey, operation              ``{group, operation}``
rule        routeId                          rule fields + ``order`` (stamp of its creation)
rulegroup   routeId, group key or ref        rule-group fields + ``order`` (stamp of its first add)
svcinst     service, instanceId              J static service instance fields
=========== ================================ ============================================================

Tags, bindings and group operations belong to a group, rule-groups to a rule: their rows exist only while the
parent is alive, and deleting a parent writes tombstones for the children the deleting node knows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from artemis_server.registry.visibility import CanaryConfig, ManagementState, OperationRecord

SEP = "\x1f"
OP_KINDS = ("instance", "server", "zone")
ROUTING_KINDS = ("group", "tag", "binding", "groupop", "rule", "rulegroup", "svcinst")
KINDS = (*OP_KINDS, "canary", *ROUTING_KINDS)
PARENT_KIND = {"tag": "group", "binding": "group", "groupop": "group", "rulegroup": "rule"}


def fold(text: str) -> str:
    return text.casefold()


def entity_id(kind: str, key: tuple[str, ...]) -> str:
    """A short stable id of (kind, key): the primary key of ``artemis_entity`` (keys can be long)."""
    raw = json.dumps([kind, *key], ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()[:40]


@dataclass(slots=True)
class EntityChange:
    """The new state of one entity: ``value`` None means it is gone."""

    kind: str
    key: tuple[str, ...]
    value: dict[str, Any] | None

    @property
    def id(self) -> str:
        return entity_id(self.kind, self.key)

    @property
    def parent(self) -> str | None:
        parent_kind = PARENT_KIND.get(self.kind)
        return entity_id(parent_kind, self.key[:1]) if parent_kind else None

    @property
    def fold_key(self) -> str:
        """The ``FOLD_KEY`` column value of the rows that hold this entity (operation and canary tables)."""
        return SEP.join(self.key)

    def to_json(self) -> list[Any]:
        return [self.kind, list(self.key), self.value]

    @classmethod
    def from_json(cls, raw: Any) -> EntityChange:
        kind, key, value = raw
        if kind not in KINDS or not isinstance(key, list) or not (value is None or isinstance(value, dict)):
            raise ValueError(f"not an entity change: {raw!r}")
        return cls(str(kind), tuple(str(k) for k in key), value)


# -- keys ------------------------------------------------------------------------------------------------
def instance_key(region: str, service: str, instance: str) -> tuple[str, ...]:
    return (fold(region), fold(service), fold(instance))


def server_key(region: str, server: str) -> tuple[str, ...]:
    return (fold(region), server)


def zone_key(region: str, zone: str, service: str) -> tuple[str, ...]:
    return (fold(region), zone, fold(service))


def canary_key(service: str) -> tuple[str, ...]:
    return (fold(service),)


def svcinst_key(service: str, instance: str) -> tuple[str, str]:
    return (fold(service), instance)


OP_NAMES = {
    "instance": ("regionId", "serviceId", "instanceId"),
    "server": ("regionId", "serverId"),
    "zone": ("regionId", "zoneId", "serviceId"),
}
OP_KEY: dict[str, Callable[..., tuple[str, ...]]] = {
    "instance": instance_key,
    "server": server_key,
    "zone": zone_key,
}


# -- operation records (instance / server / zone) -----------------------------------------------------------
def record_json(rec: OperationRecord) -> dict[str, Any]:
    return {
        "operation": rec.operation,
        "effective": rec.effective,
        "operatorId": rec.operator_id,
        "token": rec.token,
        "time": rec.time,
    }


def record_of(doc: dict[str, Any]) -> OperationRecord:
    return OperationRecord(
        str(doc["operation"]),
        bool(doc.get("effective", True)),
        False,
        str(doc.get("operatorId") or ""),
        doc.get("token") if isinstance(doc.get("token"), str) else None,
        float(doc.get("time") or 0.0),
    )


def ops_change(kind: str, names: tuple[str, ...], records: dict[str, OperationRecord]) -> EntityChange:
    """The new state of one target's operation records (``names`` = its ids as first spelled)."""
    key = OP_KEY[kind](*names)
    if not records:
        return EntityChange(kind, key, None)
    value: dict[str, Any] = dict(zip(OP_NAMES[kind], names, strict=True))
    value["ops"] = [record_json(r) for _, r in sorted(records.items())]
    return EntityChange(kind, key, value)


def current_ops(
    mgmt: ManagementState, kind: str, names: tuple[str, ...]
) -> tuple[tuple[str, ...], dict[str, OperationRecord]]:
    """The records of one target now, and the spelling the view already keeps for it (first spelling wins)."""
    if kind == "instance":
        k: Any = SEP.join(instance_key(*names))
        ops, spelled = mgmt.instance_ops.get(k, {}), mgmt.instance_keys.get(k)
        return (tuple(spelled) if spelled else names), dict(ops)
    if kind == "server":
        k = (fold(names[0]), names[1])
        ops = mgmt.server_ops.get(k, {})
        region = mgmt.server_regions.get(k)
        return ((region, names[1]) if region else names), dict(ops)
    k = zone_key(*names)
    ops, spelled = mgmt.zone_ops.get(k, {}), mgmt.zone_keys.get(k)
    return (tuple(spelled) if spelled else names), dict(ops)


def scope_of(change: EntityChange) -> tuple[str, ...]:
    """Which registered instances an operation change may show or hide (S10.10)."""
    return (change.kind, *change.key)


# -- installing into the in-memory view ----------------------------------------------------------------------
def install_memory(mgmt: ManagementState, change: EntityChange) -> None:
    """Make the view hold ``change.value`` for one operation or canary entity (``mgmt.rebuild()`` after)."""
    kind, key, value = change.kind, change.key, change.value
    if kind == "canary":
        if value is None:
            mgmt.canary.pop(key[0], None)
        else:
            mgmt.canary[key[0]] = canary_config(value)
        return
    if kind == "instance":
        mgmt.delete_instance_ops(key[0], key[1], key[2], None)
    elif kind == "server":
        mgmt.delete_server_ops(key[0], key[1], None)
    elif kind == "zone":
        mgmt.delete_zone_ops(key[0], key[1], key[2], None)
    else:
        raise ValueError(f"not a memory entity: {kind}")
    if value is None:
        return
    names = tuple(str(value.get(n) or "") for n in OP_NAMES[kind])
    for doc in value.get("ops") or []:
        rec = record_of(doc)
        if kind == "instance":
            mgmt.put_instance_op(names[0], names[1], names[2], rec)
        elif kind == "server":
            mgmt.put_server_op(names[0], names[1], rec)
        else:
            mgmt.put_zone_op(names[0], names[1], names[2], rec)


def canary_value(cfg: CanaryConfig) -> dict[str, Any]:
    return {
        "serviceId": cfg.service_id,
        "ipWhitelist": list(cfg.ip_whitelist),
        "enabled": cfg.enabled,
        "createdAt": cfg.created_at,
        "updatedAt": cfg.updated_at,
    }


def canary_config(value: dict[str, Any]) -> CanaryConfig:
    ips = value.get("ipWhitelist") or []
    return CanaryConfig(
        str(value["serviceId"]),
        [str(i) for i in ips],
        bool(value.get("enabled", True)),
        int(value.get("createdAt") or 0),
        int(value.get("updatedAt") or 0),
    )
