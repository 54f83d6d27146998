"""The CLI's typed views: wire shapes (:mod:`artemis_client.wire`) plus what the CLI computes for its output.

``-o json`` writes these with the shared codec (camelCase keys, fields at their default left out unless a
view says otherwise); tables read them by the same names. msgspec is imported here, so commands import this
module inside their functions (``artemis --help`` must stay fast).
"""

from __future__ import annotations

import msgspec

from artemis_client.wire.inventory import Lease
from artemis_client.wire.registry import Instance
from artemis_client.wire.routing import RouteRule, RouteRuleGroup


class InstanceView(Instance, kw_only=True, frozen=True):
    """A registered instance as the CLI lists it: the wire fields as registered, then its state
    (``serving``, ``pulled-out``, or the registered status when not ``up``), two booleans and its lease."""

    state: str
    serving: bool
    pulled_out: bool
    lease: Lease | None = None


class InstanceDetail(InstanceView, kw_only=True, frozen=True):
    """An instance as ``instance show`` prints it: with the operations recorded for it."""

    operations: list[str] | None = None


class ServiceView(msgspec.Struct, rename="camel"):
    """A service with registered instances, and how many are in each state."""

    service_id: str
    instance_count: int
    serving: int
    pulled_out: int
    starting: int
    down: int
    instances: list[InstanceView]


class ChangeLine(msgspec.Struct, rename="camel"):
    """One change as ``instance watch -o json`` prints it (one JSON line each; ``changeTime`` RFC 3339)."""

    service_id: str
    change_type: str
    change_time: str
    instance: Instance


class ZoneRow(msgspec.Struct, rename="camel", omit_defaults=True):
    """A zone with registered instances or operations, and whether it is pulled out (and by whom)."""

    region_id: str
    zone_id: str
    instances: int
    services: int
    is_down: bool
    operator_id: str | None = None
    operation_time: int | None = None


class RuleView(RouteRule, kw_only=True):
    """A rule as ``route rule show`` prints it: with the weighted groups as the rule stores them."""

    rule_groups: list[RouteRuleGroup] | None = None


class ServiceShare(msgspec.Struct, rename="camel"):
    """The instances of one service a destructive operation takes out, of how many."""

    service_id: str
    affected: int
    total: int
    share: str
    instance_ids: list[str]


class Radius(msgspec.Struct, rename="camel"):
    """The blast radius of a destructive operation: every service it touches; ``instancesAffected`` in all."""

    instances_affected: int
    services: list[ServiceShare]
