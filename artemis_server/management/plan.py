"""What a management command plans, and the argument checks every command family shares.

A command builder (``(args, operator) -> Plan``) validates ``args`` against the in-memory view and returns
the resulting value of every entity it touches, its audit records and Java log rows, the services to
``reload`` and the answer; ``ManagementService.execute`` commits it (management/service.py).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from artemis_client.errors import BadRequestError
from artemis_server.registry.entities import EntityChange

OPERATIONS = ("pullout", "pullin")

# A command: (args, operator) -> Plan
Builder = Callable[[dict[str, Any], str], "Plan"]


def norm_operation(value: Any, field_name: str = "operation") -> str:
    """N6: ``pullOut``, ``pull-out``, ``PULL_OUT`` all mean ``pullout``."""
    if not isinstance(value, str) or not value.strip():
        raise BadRequestError(f"missing required field `{field_name}`", field=field_name)
    op = value.strip().lower().replace("-", "").replace("_", "")
    if op not in OPERATIONS:
        raise BadRequestError(
            f"invalid field `{field_name}`: expected pullout or pullin, got {value!r}", field=field_name
        )
    return op


def required(args: dict[str, Any], name: str, *, numbers: bool = False) -> str:
    """A required string argument, stripped; ``numbers``: an integer is taken as its decimal text (ids)."""
    value = args.get(name)
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise BadRequestError(f"missing required field `{name}`", field=name)
    if not isinstance(value, str):
        if numbers:
            raise BadRequestError(f"missing required field `{name}`", field=name)
        raise BadRequestError(f"invalid field `{name}`: expected a string", field=name)
    return value.strip()


def text(args: dict[str, Any], name: str, default: str = "") -> str:
    """An optional string argument, stripped (``default`` when it is not a string)."""
    value = args.get(name)
    return value.strip() if isinstance(value, str) else default


def optional(args: dict[str, Any], name: str) -> str | None:
    """An optional string argument, stripped; None when missing or blank."""
    return text(args, name) or None


def ip_list(value: Any, name: str, *, required: bool) -> list[str]:
    if value is None:
        if required:
            raise BadRequestError(f"missing required field `{name}`", field=name)
        return []
    if isinstance(value, str):
        value = [v for v in (x.strip() for x in value.split(",")) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequestError(f"invalid field `{name}`: expected a list of IP addresses", field=name)
    out: list[str] = []
    for v in value:
        v = v.strip()
        try:
            if "/" in v:
                ipaddress.ip_network(v, strict=False)
            else:
                ipaddress.ip_address(v)
        except ValueError:
            raise BadRequestError(
                f"invalid field `{name}`: {v!r} is not an IP address or CIDR block", field=name
            ) from None
        if v not in out:
            out.append(v)
    return out


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
