"""The value checks that build a command (management/commands.py) from a decoded request.

Each raises the :class:`BadRequestError` naming the field (``field=``), the 400 of the endpoint's envelope
family; the messages are the ones the command builders wrote when they read ``dict`` arguments.
"""

from __future__ import annotations

import ipaddress
from typing import Any, TypeVar, cast

from artemis_client.errors import BadRequestError
from artemis_server.management.commands import GroupType, Operation, Status, Strategy
from artemis_server.registry.routing import clamp_weight, norm_strategy

E = TypeVar("E", bound=str)

GROUP_TYPES = ("physical", "logical")
STATUSES = ("active", "inactive")


def need(value: Any, name: str) -> str:
    """A required text, stripped; an integer (a row id sent as a number) is taken as its decimal text."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise BadRequestError(f"missing required field `{name}`", field=name)
    return value.strip()


def text(value: Any) -> str | None:
    """An optional text, stripped; None when missing or blank."""
    return value.strip() or None if isinstance(value, str) else None


def operation(value: Any, name: str = "operation") -> Operation:
    """N6: ``pullOut``, ``pull-out``, ``PULL_OUT`` all mean ``pullout``."""
    if not isinstance(value, str) or not value.strip():
        raise BadRequestError(f"missing required field `{name}`", field=name)
    op = value.strip().lower().replace("-", "").replace("_", "")
    if op not in ("pullout", "pullin"):
        raise BadRequestError(
            f"invalid field `{name}`: expected pullout or pullin, got {value!r}", field=name
        )
    return cast(Operation, op)


def ip_list(value: list[str] | None, name: str) -> list[str]:
    """A required list of IP addresses or CIDR blocks, stripped, without repeats."""
    if value is None:
        raise BadRequestError(f"missing required field `{name}`", field=name)
    out: list[str] = []
    for v in (x.strip() for x in value):
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


def choice(value: str | None, allowed: tuple[E, ...], name: str) -> E | None:
    """One of ``allowed`` (case and ``_``/``-`` folded); None when missing or blank."""
    if value is None or not value.strip():
        return None
    v = value.strip().lower().replace("_", "-")
    for a in allowed:
        if v == a:
            return a
    raise BadRequestError(
        f"invalid field `{name}`: expected one of {', '.join(allowed)}, got {value!r}", field=name
    )


def group_type(value: Any, name: str = "groupType") -> GroupType:
    return choice(need(value, name), cast(tuple[GroupType, ...], GROUP_TYPES), name) or "physical"


def status(value: str | None, name: str = "status") -> Status | None:
    return choice(value, cast(tuple[Status, ...], STATUSES), name)


def strategy(value: Any, name: str = "strategy", *, required: bool = True) -> Strategy | None:
    if not required and text(value) is None:
        return None
    s = norm_strategy(need(value, name))
    if s is None:
        raise BadRequestError(
            f"invalid field `{name}`: expected weighted-round-robin or close-by-visit", field=name
        )
    return cast(Strategy, s)


def weight(value: Any, name: str = "weight") -> int:
    """A weight (S9.3): any number, clamped to 1..100."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequestError(f"invalid field `{name}`: expected a number", field=name)
    return clamp_weight(int(value))


def tags(items: list[tuple[Any, Any]]) -> dict[str, str]:
    """Tags as given (``(key, value)`` pairs): keys stripped, values as text; a key named twice keeps the
    last value, placed last."""
    out: dict[str, str] = {}
    for i, (key, value) in enumerate(items):
        if not isinstance(key, str) or not key.strip():
            raise BadRequestError(f"missing required field `tags[{i}].key`", field=f"tags[{i}].key")
        out.pop(key.strip(), None)
        out[key.strip()] = "" if value is None else str(value)
    return out
