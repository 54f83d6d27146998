"""ChangeBus: fan-out of InstanceChange events (S13) to WebSocket push and other listeners.

Publishing is synchronous and must stay cheap: subscribers only enqueue (bounded queues), they never block
the registry. A subscriber that raises is dropped so one broken listener cannot break registration.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from artemis_client.wire.registry import Instance, InstanceChange
from artemis_server.registry.model import reload_placeholder

log = logging.getLogger(__name__)

Listener = Callable[[list[InstanceChange]], None]


class ChangeBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            try:
                self._listeners.remove(listener)
            except ValueError:
                pass

        return unsubscribe

    @property
    def has_listeners(self) -> bool:
        return bool(self._listeners)

    def publish(self, events: list[InstanceChange]) -> None:
        if not events or not self._listeners:
            return
        for listener in list(self._listeners):
            try:
                listener(events)
            except Exception:
                log.exception("change listener failed; unsubscribing it")
                try:
                    self._listeners.remove(listener)
                except ValueError:
                    pass

    def emit(self, change_type: str, instances: list[Instance], now_ms: int) -> None:
        if instances and self._listeners:
            self.publish([InstanceChange(i, change_type, now_ms) for i in instances])

    def reload(self, service_ids: list[str], now_ms: int) -> None:
        """Raise `reload` for each service touched by a routing/canary change (S9.10, S11.4)."""
        self.emit("reload", [reload_placeholder(s) for s in service_ids], now_ms)
