"""In-memory view of management state that discovery consults (F2-F5 of S7.1).

The store (SQL) is the durable copy; this view is rebuilt from it on start and updated after each committed
write, so discovery never touches the database. All mutation happens on the event loop thread.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from artemis_client.wire.registry import Instance
from artemis_server.registry.model import identity, instance_identity


@dataclass(slots=True)
class OperationRecord:
    """One pull-in/pull-out record (S10.1). ``effective`` records make the target down."""

    operation: str
    effective: bool
    complete: bool = False
    operator_id: str = ""
    token: str | None = None
    time: float = 0.0


@dataclass(slots=True)
class CanaryConfig:
    service_id: str
    ip_whitelist: list[str] = field(default_factory=list)
    enabled: bool = True
    created_at: int = 0
    updated_at: int = 0


def _ip_matches(client_ip: str, entries: Iterable[str]) -> bool:
    for entry in entries:
        if entry == client_ip:
            return True
        if "/" in entry:
            try:
                if ipaddress.ip_address(client_ip) in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


def is_canary_instance(inst: Instance) -> bool:
    """S11.2: metadata.canary == "true" (any case) or groupId == canary."""
    if inst.group_id and inst.group_id.lower() == "canary":
        return True
    md = inst.metadata
    return bool(md and (md.get("canary") or "").lower() == "true")


class ManagementState:
    """Pull-out records of instances, servers and zones, plus canary configs, with derived lookup sets."""

    def __init__(self) -> None:
        # identity key -> {operation -> record}
        self.instance_ops: dict[str, dict[str, OperationRecord]] = {}
        # identity key -> (regionId, serviceId, instanceId) as first given, for listings
        self.instance_keys: dict[str, tuple[str, str, str]] = {}
        # (region lower, serverId) -> {operation -> record}; serverId kept as given (IPs compare exactly)
        self.server_ops: dict[tuple[str, str], dict[str, OperationRecord]] = {}
        self.server_regions: dict[tuple[str, str], str] = {}
        # (region lower, zoneId, service lower or "") -> {operation -> record}
        self.zone_ops: dict[tuple[str, str, str], dict[str, OperationRecord]] = {}
        self.zone_keys: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        self.canary: dict[str, CanaryConfig] = {}
        self.version = 0
        self._down_instances: set[str] = set()
        self._down_servers: set[tuple[str, str]] = set()
        self._down_zones: set[tuple[str, str, str]] = set()

    # -- record mutations (mirrors of the store's writes; call rebuild() after a batch) ---------------
    def clear(self) -> None:
        self.instance_ops.clear()
        self.instance_keys.clear()
        self.server_ops.clear()
        self.server_regions.clear()
        self.zone_ops.clear()
        self.zone_keys.clear()
        self.canary.clear()

    @staticmethod
    def _put(
        ops: dict[Any, dict[str, OperationRecord]],
        names: dict[Any, Any],
        key: Any,
        name: Any,
        rec: OperationRecord,
    ) -> None:
        ops.setdefault(key, {})[rec.operation] = rec
        names.setdefault(key, name)

    @staticmethod
    def _delete(
        ops: dict[Any, dict[str, OperationRecord]], names: dict[Any, Any], key: Any, operation: str | None
    ) -> None:
        """Drop one operation of a target, or all of them when ``operation`` is None."""
        records = ops.get(key)
        if records is None:
            return
        if operation is None:
            records.clear()
        else:
            records.pop(operation, None)
        if not records:
            del ops[key]
            names.pop(key, None)

    def put_instance_op(
        self, region_id: str, service_id: str, instance_id: str, rec: OperationRecord
    ) -> None:
        key = identity(region_id, service_id, instance_id)
        self._put(self.instance_ops, self.instance_keys, key, (region_id, service_id, instance_id), rec)

    def delete_instance_ops(
        self, region_id: str, service_id: str, instance_id: str, operation: str | None
    ) -> None:
        self._delete(
            self.instance_ops, self.instance_keys, identity(region_id, service_id, instance_id), operation
        )

    def put_server_op(self, region_id: str, server_id: str, rec: OperationRecord) -> None:
        self._put(self.server_ops, self.server_regions, (region_id.casefold(), server_id), region_id, rec)

    def delete_server_ops(self, region_id: str, server_id: str, operation: str | None) -> None:
        self._delete(self.server_ops, self.server_regions, (region_id.casefold(), server_id), operation)

    def put_zone_op(self, region_id: str, zone_id: str, service_id: str, rec: OperationRecord) -> None:
        key = (region_id.casefold(), zone_id, service_id.casefold())
        self._put(self.zone_ops, self.zone_keys, key, (region_id, zone_id, service_id), rec)

    def delete_zone_ops(self, region_id: str, zone_id: str, service_id: str, operation: str | None) -> None:
        self._delete(
            self.zone_ops, self.zone_keys, (region_id.casefold(), zone_id, service_id.casefold()), operation
        )

    def rebuild(self) -> None:
        """Recompute the derived sets after any change to the records."""
        self._down_instances = {
            k for k, ops in self.instance_ops.items() if any(r.effective for r in ops.values())
        }
        self._down_servers = {
            k for k, ops in self.server_ops.items() if any(r.effective for r in ops.values())
        }
        self._down_zones = {k for k, ops in self.zone_ops.items() if any(r.effective for r in ops.values())}
        self.version += 1

    @property
    def any_down(self) -> bool:
        return bool(self._down_instances or self._down_servers or self._down_zones)

    def is_instance_down(self, key: str) -> bool:
        return key in self._down_instances

    def is_server_down(self, region_id: str, server_id: str) -> bool:
        return (region_id.casefold(), server_id) in self._down_servers

    def is_zone_down(self, region_id: str, zone_id: str, service_id: str = "") -> bool:
        return (region_id.casefold(), zone_id, service_id.casefold()) in self._down_zones

    def is_down(self, inst: Instance) -> bool:
        """S10.9: down if any of instance / server / zone says so (F2-F4)."""
        if not (self._down_instances or self._down_servers or self._down_zones):
            return False
        if self._down_instances and instance_identity(inst) in self._down_instances:
            return True
        region = (inst.region_id or "").casefold()
        if self._down_servers and inst.ip and (region, inst.ip) in self._down_servers:
            return True
        if self._down_zones:
            zone = inst.zone_id or ""
            if (region, zone, "") in self._down_zones or (
                region,
                zone,
                inst.service_id.casefold(),
            ) in self._down_zones:
                return True
        return False

    def canary_filter(
        self, service_id: str, instances: list[Instance], client_ip: str | None
    ) -> list[Instance]:
        """F5 (S11.3)."""
        cfg = self.canary.get(service_id.casefold())
        if cfg is None or not cfg.enabled or not instances:
            return instances
        whitelisted = bool(client_ip) and _ip_matches(client_ip or "", cfg.ip_whitelist)
        if whitelisted:
            out = [i for i in instances if is_canary_instance(i)]
        else:
            out = [i for i in instances if not is_canary_instance(i)]
        return out or instances
