"""What a management command plans.

A command's handler (``(command, operator) -> Plan``, one per command class of management/commands.py) checks
the command against the in-memory view and returns the resulting value of every entity it touches, its audit
records and Java log rows, the services to ``reload`` and the answer; ``ManagementService.execute`` commits it
(management/service.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from artemis_server.management.commands import CommandBase
from artemis_server.registry.entities import EntityChange

C = TypeVar("C", bound=CommandBase)

# A command's handler: (command, operator) -> Plan
Handler = Callable[[C, str], "Plan"]


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass(slots=True)
class Plan:
    """What a command will do: entity values, audit records, Java log rows, and how to answer."""

    entities: list[EntityChange] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    j_logs: list[list[Any]] = field(default_factory=list)
    reload_services: list[str] = field(default_factory=list)
    result: Any = None
    # Commands whose answer names what the write produced (a new group's id): computed from the updated view.
    after: Callable[[], Any] | None = None

    def audit(
        self,
        op_type: str,
        target: str,
        operation: str,
        details: Any = None,
        refs: dict[str, str] | None = None,
    ) -> None:
        """One audit record; ``refs`` names the group key / routeId behind REF_GROUP / REF_RULE."""
        doc: dict[str, Any] = {"type": op_type, "target": target, "operation": operation, "details": details}
        if refs:
            doc["refs"] = refs
        self.audits.append(doc)

    def j_log(self, table: str, values: dict[str, Any], refs: dict[str, str] | None = None) -> None:
        self.j_logs.append([table, values, refs or {}])
