"""Hybrid logical clock: the order of management changes across nodes (S14.2). No I/O.

A stamp is ``(ms, n, origin)``: wall-clock milliseconds, a counter that orders stamps within one
millisecond, and the writer's origin id as the tie-break, so two stamps are never equal unless they are the
same change. :class:`HybridClock` hands out stamps that are

* strictly increasing on this node, even when the wall clock steps back (the counter carries on);
* past every stamp this node has seen (:meth:`HybridClock.observe`): the newest entry of its own change log at
  start, every entry received from a peer, the version of an entity it is about to overwrite. So a change made
  after another one was seen always sorts after it, whatever the two nodes' clocks say.

Entities (one canary config, one instance's operations, one group, ...) keep the stamp of the change that
produced their current value; :func:`wins` is the last-writer-wins rule every node applies the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple


class Stamp(NamedTuple):
    """One HLC timestamp; tuples compare field by field, which is exactly the HLC order."""

    ms: int
    n: int
    origin: str

    def text(self) -> str:
        """A compact, human-readable form for logs and JSON (``ms.n@origin``)."""
        return f"{self.ms}.{self.n}@{self.origin}"

    @classmethod
    def parse(cls, value: str) -> Stamp:
        head, _, origin = value.partition("@")
        ms, _, n = head.partition(".")
        return cls(int(ms), int(n or 0), origin)


ZERO = Stamp(0, 0, "")


def wins(candidate: Stamp, current: Stamp | None) -> bool:
    """The merge rule: a change replaces an entity's value only when its stamp is newer than the entity's."""
    return current is None or candidate > current


class HybridClock:
    """Hands out :class:`Stamp` s for one origin. ``wall`` returns seconds (a fake clock in unit tests)."""

    def __init__(self, origin: str, wall: Callable[[], float] = time.time) -> None:
        self.origin = origin
        self.wall = wall
        self.ms = 0
        self.n = 0

    def observe(self, ms: int, n: int) -> None:
        """Move past a stamp seen elsewhere: the next :meth:`now` sorts after it."""
        if (ms, n) > (self.ms, self.n):
            self.ms, self.n = ms, n

    def observe_stamp(self, stamp: Stamp | None) -> None:
        if stamp is not None:
            self.observe(stamp.ms, stamp.n)

    def now(self) -> Stamp:
        physical = int(self.wall() * 1000)
        if physical > self.ms:
            self.ms, self.n = physical, 0
        else:  # same millisecond, or the wall clock is behind what we have seen: count on
            self.n += 1
        return Stamp(self.ms, self.n, self.origin)
