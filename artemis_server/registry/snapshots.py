"""J delta snapshots (S6.3): the filtered service list every snapshot_interval, the newest N kept.

A snapshot shares what did not change with the one before it: a service whose registry entry has the same
version, under the same management state, keeps the previous snapshot's instance map (no copy, no filter),
and a delta skips services whose maps are the same object in both snapshots. Taking a snapshot and answering
a delta cost what changed since, plus one step per service, instead of a walk over every instance on the
event loop (~35 ms per 100,000 instances here).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from artemis_client.wire.registry import Instance, InstanceChange

if TYPE_CHECKING:
    from artemis_server.registry.registry import ServiceEntry
    from artemis_server.registry.visibility import ManagementState

_EMPTY: dict[str, Instance] = {}


@dataclass(slots=True)
class Snapshot:
    version: int
    mgmt_version: int
    # service id lower -> (service id, entry version, {identity -> visible instance}); maps may be empty
    services: dict[str, tuple[str, int, dict[str, Instance]]]


class SnapshotRing:
    def __init__(self, keep: int) -> None:
        self.ring: deque[Snapshot] = deque(maxlen=keep)

    def take(self, version: int, entries: Iterable[ServiceEntry], mgmt: ManagementState) -> None:
        """Snapshot every service's instances with F2-F4 (management pull-outs) applied (S7.3)."""
        prev = self.ring[-1] if self.ring else None
        reuse = prev.services if prev is not None and prev.mgmt_version == mgmt.version else {}
        any_down = mgmt.any_down
        services: dict[str, tuple[str, int, dict[str, Instance]]] = {}
        for entry in entries:
            key = entry.service_id.casefold()
            old = reuse.get(key)
            if old is not None and old[1] == entry.version:
                services[key] = old
                continue
            if any_down:
                insts = {k: i for k, i in entry.instances.items() if not mgmt.is_down(i)}
            else:
                insts = dict(entry.instances)
            services[key] = (entry.service_id, entry.version, insts)
        snap = Snapshot(version, mgmt.version, services)
        if prev is not None and prev.version == version:
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
            sid_old, _, o = old.services.get(key, ("", 0, _EMPTY))
            sid_new, _, n = new.services.get(key, ("", 0, _EMPTY))
            if o is n:
                continue  # shared by both snapshots: nothing changed
            changes = [InstanceChange(i, "delete", now_ms) for k, i in o.items() if k not in n]
            changes += [InstanceChange(i, "new", now_ms) for k, i in n.items() if k not in o]
            if changes:
                out[sid_new or sid_old] = changes
        return out, new.version
