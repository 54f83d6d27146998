"""Messages of the dashboard (Textual's way to tell screens that data arrived, as posting's messages.py).

The app runs the one change stream (:class:`artemis_client.stream.AsyncChangeStream`) and posts
:class:`InstancesChanged` to the screen in view for every change it pushes; screens out of view reload when
they come back. :class:`Resync` asks a screen to reload everything (after a reconnection, or after an
operation of the dashboard changed the cluster).
"""

from __future__ import annotations

from textual.message import Message

from artemis_client.wire.registry import InstanceChange


class InstancesChanged(Message, bubble=False):
    """Instance changes pushed by the server, oldest first."""

    def __init__(self, changes: list[InstanceChange]) -> None:
        super().__init__()
        self.changes = changes


class Resync(Message, bubble=False):
    """Reload what the screen shows: something may have changed that no push reported."""
