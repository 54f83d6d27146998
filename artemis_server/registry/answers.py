"""Encoded discovery answers of one service, reused while nothing they show has changed (issue 20).

Discovery of one service is the most frequent read, and for most callers its answer does not depend on who
asks: only canary (F5, the caller's IP) and group routing (F6, the caller's region and zone) make it differ
between callers, and the handler asks this cache only when the service has neither. Such an answer is a
function of the service's instances and of the management state (pull-outs, canary configs, routing), so it
is kept with the two versions it was made from:

* ``ServiceEntry.version``: bumped by every registration that adds or changes an instance of the service,
  every removal and every eviction (a heartbeat changes nothing an answer shows, and bumps nothing);
* ``Registry.touched``: bumped by every management change (the management service calls
  ``Registry.touch()`` after it installs one, local or merged from a peer).

An answer made from other versions is never served. The cache holds at most ``budget`` bytes of answers
(oldest made first out); ``budget = 0`` turns it off.
"""

from __future__ import annotations

from artemis_server.registry.registry import Registry, ServiceEntry


class AnswerCache:
    __slots__ = ("_answers", "budget", "hits", "misses", "registry", "size")

    def __init__(self, registry: Registry, budget: int) -> None:
        self.registry = registry
        self.budget = budget
        self._answers: dict[str, tuple[int, int, bytes]] = {}
        self.size = 0
        self.hits = 0
        self.misses = 0

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

    def clear(self) -> None:
        self._answers.clear()
        self.size = 0
