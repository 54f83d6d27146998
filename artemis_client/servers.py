"""The servers a client talks to: URLs as users give them, and which node the SDK uses now.

:func:`parse_servers` reads ``host:port`` lists and ``http(s)://`` URLs (CLI, TUI and SDK alike).

:class:`ServerPool` is the SDK's choice among them, sans-I/O and clock-injected: its runners ask
:meth:`ServerPool.order` for the servers to try for one call (the HTTP failover core walks that list) and
report what happened with :meth:`ServerPool.succeeded` / :meth:`ServerPool.failed`.

* **Sticky random**: each process starts on a random server of the list (so a fleet spreads over the
  cluster instead of piling onto the first seed, as Java's ``AddressRepository.get()``) and stays there
  while it answers.
* **Ejection**: a server that did not answer, answered ``service-unavailable`` or 5xx is ejected for a
  backoff with full jitter (``uniform(0, min(cap, base * 2**failures))``); when its time is up it is tried
  once more first in line (half-open probe): success re-admits it, failure doubles its backoff. Ejected
  servers still come last in every order, so a call never fails only because of local bookkeeping.
* **Refresh**: :meth:`ServerPool.refresh` takes the node list of ``up-registry-nodes`` /
  ``up-discovery-nodes`` (api.md 2.5). An empty answer keeps the current list; the seeds are never
  forgotten, so a cluster that moved entirely is still found through them.

Standard library only.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from artemis_client.errors import InvalidArgumentError

__all__ = ["DEFAULT_SERVER", "ServerPool", "full_jitter", "parse_servers"]

DEFAULT_SERVER = "http://127.0.0.1:8080"


def parse_servers(value: str | Sequence[str] | None) -> list[str]:
    """``a,b`` or a list -> normalised base URLs (``host:port`` gets ``http://``); None: the default."""
    items: list[str] = []
    if value is None:
        value = DEFAULT_SERVER
    raw = [value] if isinstance(value, str) else list(value)
    for part in raw:
        for s in str(part).split(","):
            s = s.strip()
            if not s:
                continue
            if "://" not in s:
                s = "http://" + s
            scheme, _, rest = s.partition("://")
            if scheme not in ("http", "https") or not rest or rest.startswith("/"):
                raise InvalidArgumentError(
                    f"--server: {s!r} is not an http:// or https:// URL", field="server"
                )
            items.append(s.rstrip("/"))
    if not items:
        raise InvalidArgumentError("--server: no server URL given", field="server")
    return items


def full_jitter(failures: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: a uniform delay in ``[0, min(cap, base * 2**failures))``."""
    top = min(cap, base * (2 ** min(failures, 30)))
    return (rng or random).uniform(0, top)


@dataclass(slots=True)
class _Ejection:
    until: float
    failures: int
    probing: bool = False


class ServerPool:
    """The servers one client may use, and its current choice among them."""

    def __init__(
        self,
        seeds: Sequence[str],
        *,
        base: float = 0.5,
        cap: float = 30.0,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not seeds:
            raise ValueError("at least one server is needed")
        self.seeds = [s.rstrip("/") for s in seeds]
        self.base = base
        self.cap = cap
        self._rng = rng or random.Random()
        self._clock = clock
        self.servers: list[str] = list(dict.fromkeys(self.seeds))
        self.current = self._rng.choice(self.servers)
        self._ejected: dict[str, _Ejection] = {}

    # -- the choice ------------------------------------------------------------------------------------
    def order(self, *, probe: bool = True) -> list[str]:
        """Servers to try for one call, in order: a server due for its half-open probe, the current one,
        the other healthy ones, then the ejected ones (soonest back first). ``probe=False`` only ranks (for
        a caller that does not report outcomes): no probe is started."""
        now = self._clock()
        probing: list[str] = []
        healthy: list[str] = []
        ejected: list[tuple[float, str]] = []
        for s in self.servers:
            ej = self._ejected.get(s)
            if ej is None:
                healthy.append(s)
            elif now >= ej.until and not ej.probing and probe:
                probing.append(s)
            else:
                ejected.append((ej.until, s))
        if self.current in healthy:
            healthy.remove(self.current)
            healthy.insert(0, self.current)
        for s in probing:
            self._ejected[s].probing = True
        return probing + healthy + [s for _, s in sorted(ejected)]

    def is_ejected(self, server: str) -> bool:
        """Whether ``server`` is out of rotation now."""
        ej = self._ejected.get(server)
        return ej is not None and self._clock() < ej.until

    # -- outcomes --------------------------------------------------------------------------------------
    def succeeded(self, server: str) -> bool:
        """``server`` answered. It becomes the sticky choice; returns True when it was ejected before."""
        self.current = server
        return self._ejected.pop(server, None) is not None

    def failed(self, server: str) -> float:
        """``server`` gave no usable answer: eject it for a jittered backoff (returned, in seconds) and move
        the sticky choice to another healthy server."""
        ej = self._ejected.get(server)
        failures = ej.failures + 1 if ej is not None else 0
        delay = max(full_jitter(failures, self.base, self.cap, self._rng), self.base / 2)
        self._ejected[server] = _Ejection(self._clock() + delay, failures)
        if server == self.current:
            self.rotate()
        return delay

    def rotate(self) -> str:
        """Move the sticky choice to another server (a random healthy one, else the one back soonest)."""
        others = [s for s in self.servers if s != self.current]
        if not others:
            return self.current
        healthy = [s for s in others if s not in self._ejected]
        if healthy:
            self.current = self._rng.choice(healthy)
        else:
            self.current = min(others, key=lambda s: self._ejected[s].until)
        return self.current

    # -- the list --------------------------------------------------------------------------------------
    def refresh(self, urls: Iterable[str]) -> bool:
        """Adopt the up nodes a server listed (plus the seeds). Returns True when the list changed."""
        found = [u.strip().rstrip("/") for u in urls if u and u.strip()]
        if not found:
            return False
        new = list(dict.fromkeys(found + self.seeds))
        if set(new) == set(self.servers):
            return False
        self.servers = new
        self._ejected = {s: e for s, e in self._ejected.items() if s in new}
        if self.current not in new:
            self.current = self._rng.choice(found)
        return True
