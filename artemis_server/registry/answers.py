"""Encoded discovery answers, reused while nothing they show has changed (issue 20).

Discovery of one service is the most frequent read, and for most callers its answer does not depend on who
asks: only canary (F5, the caller's IP) and group routing (F6, the caller's region and zone) make it differ
between callers, and the handler stores an answer here only when the service has neither. Such an answer is
a function of the service's instances and of the management state (pull-outs, canary configs, routing), so
it is kept with the two versions it was made from:

* ``ServiceEntry.version``: bumped by every registration that adds or changes an instance of the service,
  every removal and every eviction (a heartbeat changes nothing an answer shows, and bumps nothing);
* ``Registry.touched``: bumped by every management change (the management service calls
  ``Registry.touch()`` after it installs one, local or merged from a peer).

An answer made from other versions is never served. Whether an answer is the same for every caller depends
on the management state only (canary configs, route rules), so an answer stored at the current ``touched``
still is: the handler looks here before it asks. The cache holds at most ``budget`` bytes of answers (oldest
made first out); ``budget = 0`` turns it off.

**Requests seen before** (round 3). A client asks for the same service with the same request bytes every
time (Java clients poll with one body per service). Once a request was answered from this cache, its bytes
(the body of a POST, ``?`` and the query of a GET) are remembered with the service they asked for, and
:meth:`again` answers the same bytes again without decoding the request: the HTTP fast lane asks it first.
Nothing but an identical request can reuse an entry; the answer is still checked against both versions.
Remembered requests take at most a quarter of ``budget`` (each counted at its length plus 100 bytes).

**services.json** (every service) is kept as one answer per ``Registry.version`` (bumped by every change it
can show), whatever the budget, and requests seen answering it are remembered the same way.
"""

from __future__ import annotations

from artemis_server.registry.registry import Registry, ServiceEntry

_REQUEST_COST = 100  # a remembered request: its bytes plus about this much of dict slot and key object


class AnswerCache:
    __slots__ = (
        "_answers",
        "_every_requests",
        "_requests",
        "budget",
        "every",
        "hits",
        "misses",
        "registry",
        "requests_size",
        "size",
    )

    def __init__(self, registry: Registry, budget: int) -> None:
        self.registry = registry
        self.budget = budget
        self._answers: dict[str, tuple[int, int, bytes]] = {}
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._requests: dict[bytes, str] = {}  # request bytes -> folded service id
        self._every_requests: dict[bytes, None] = {}  # requests of services.json answered before
        self.requests_size = 0
        self.every: tuple[int, bytes] | None = None  # services.json: (Registry.version, bytes)

    def get(self, entry: ServiceEntry) -> bytes | None:
        """The answer made for ``entry`` at its current versions, or None."""
        got = self._answers.get(entry.service_id.casefold())
        if got is not None and got[0] == entry.version and got[1] == self.registry.touched:
            self.hits += 1
            return got[2]
        self.misses += 1
        return None

    def put(self, entry: ServiceEntry, body: bytes) -> None:
        """Keep ``body`` as the answer for ``entry`` at its current versions."""
        if len(body) > self.budget:
            return
        key = entry.service_id.casefold()
        answers = self._answers
        old = answers.pop(key, None)
        if old is not None:
            self.size -= len(old[2])
        answers[key] = (entry.version, self.registry.touched, body)
        self.size += len(body)
        while self.size > self.budget:
            first = next(iter(answers))
            self.size -= len(answers.pop(first)[2])

    # -- requests seen before --------------------------------------------------------------------------
    def again(self, request: bytes) -> bytes | None:
        """The answer of a service.json request answered from this cache before, if still current."""
        key = self._requests.get(request)
        if key is None:
            return None
        registry = self.registry
        entry = registry.services.get(key)
        got = self._answers.get(key)
        if entry is None or got is None or got[0] != entry.version or got[1] != registry.touched:
            return None
        self.hits += 1
        return got[2]

    def remember(self, request: bytes, service_id: str) -> None:
        """``request`` was answered with the cached answer of ``service_id``: :meth:`again` may answer it."""
        if request not in self._requests and self._room(len(request)):
            self._requests[request] = service_id.casefold()

    def every_again(self, request: bytes) -> bytes | None:
        """The services.json answer of a request answered before, if the registry has not changed since."""
        every = self.every
        if every is None or request not in self._every_requests or every[0] != self.registry.version:
            return None
        return every[1]

    def remember_every(self, request: bytes) -> None:
        if request not in self._every_requests and self._room(len(request)):
            self._every_requests[request] = None

    def _room(self, n: int) -> bool:
        """Make room for one more remembered request of ``n`` bytes (the oldest go first); False: none."""
        cost = n + _REQUEST_COST
        limit = self.budget // 4
        if cost > limit:
            return False
        for table in (self._requests, self._every_requests):
            while self.requests_size + cost > limit and table:
                old = next(iter(table))
                del table[old]
                self.requests_size -= len(old) + _REQUEST_COST
        self.requests_size += cost
        return True

    def clear(self) -> None:
        self._answers.clear()
        self.size = 0
        self._requests.clear()
        self._every_requests.clear()
        self.requests_size = 0
