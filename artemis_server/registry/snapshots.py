"""J delta snapshots (S6.3): the filtered service list every snapshot_interval, the newest N kept."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from artemis_server.registry.model import Instance, InstanceChange, instance_identity


@dataclass(slots=True)
class Snapshot:
    version: int
    # service id lower -> (service id, {identity -> instance})
    services: dict[str, tuple[str, dict[str, Instance]]]


class SnapshotRing:
    def __init__(self, keep: int) -> None:
        self.ring: deque[Snapshot] = deque(maxlen=keep)

    def take(self, version: int, services: list[tuple[str, list[Instance]]]) -> None:
        snap = Snapshot(
            version, {sid.lower(): (sid, {instance_identity(i): i for i in insts}) for sid, insts in services}
        )
        if self.ring and self.ring[-1].version == version:
            self.ring[-1] = snap
        else:
            self.ring.append(snap)

    def delta(self, version: int, now_ms: int) -> tuple[dict[str, list[InstanceChange]], int] | None:
        """Changes from the snapshot with ``version`` to the newest one, or None when unknown."""
        old = next((s for s in self.ring if s.version == version), None)
        if old is None:
            return None
        new = self.ring[-1]
        out: dict[str, list[InstanceChange]] = {}
        for key in old.services.keys() | new.services.keys():
            sid_old, o = old.services.get(key, ("", {}))
            sid_new, n = new.services.get(key, ("", {}))
            changes = [InstanceChange(i, "delete", now_ms) for k, i in o.items() if k not in n]
            changes += [InstanceChange(i, "new", now_ms) for k, i in n.items() if k not in o]
            if changes:
                out[sid_new or sid_old] = changes
        return out, new.version
