"""What the routing command families share (S12): entity values, the view lookups, the log rows.

Each command (management/commands.py, its arguments checked when it was built) is checked against the
in-memory view and plans the resulting value of every entity it touches (registry/entities.py): a group, a
tag, a binding, a rule, a rule-group, a J group operation or static service instance. Entities are keyed by
group key and ``routeId`` (never by row id), so the value means the same thing on a peer whose database
numbered the rows differently. Audit targets and Java log rows that name a group or rule id carry a
placeholder that every node fills with its own id. Each command raises ``reload`` for the service it touches
(S9.10); its answer is read from the view once the change is in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from artemis_client.errors import NotFoundError
from artemis_server.management.plan import Plan
from artemis_server.registry.routing import Group, RoutingTable, Rule
from artemis_server.store.repository import REF_GROUP
from artemis_server.views import group_view

if TYPE_CHECKING:
    from artemis_server.management.service import ManagementService


# -- entity values ----------------------------------------------------------------------------------------
def group_value(g: Group) -> dict[str, Any]:
    return {
        "serviceId": g.service_id,
        "regionId": g.region_id,
        "zoneId": g.zone_id,
        "name": g.name,
        "groupType": g.group_type,
        "status": g.status,
        "description": g.description,
        "appId": g.app_id,
        "createdAt": g.created_at,
        "updatedAt": g.updated_at,
    }


def order_of(order: tuple[Any, ...]) -> list[Any] | None:
    """A view's order tuple back to the value's ``order`` (None: the row has no entity, keep row order)."""
    return list(order[1:]) if order and order[0] == 1 else None


def rule_value(r: Rule, order: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "routeId": r.route_id,
        "serviceId": r.service_id,
        "name": r.name,
        "strategy": r.strategy,
        "status": r.status,
        "description": r.description,
        "createdAt": r.created_at,
        "updatedAt": r.updated_at,
    }
    if order is not None:
        doc["order"] = order
    return doc


def new_order(index: int = 0) -> list[Any]:
    """``order`` of an entity created by this change: filled with the change's stamp when it commits."""
    return ["@", index]


class RoutingBase:
    """The view lookups and log rows every routing command family uses."""

    def __init__(self, svc: ManagementService, table: RoutingTable) -> None:
        self.svc = svc
        self.t = table

    def _plan(self) -> Plan:
        return Plan()

    def _group(self, key: str) -> Group:
        g = self.t.group_by_ref(key)
        if g is None:
            raise NotFoundError(f"Group not found: {key}")
        return g

    def _rule(self, route_id: str, *, missing: type[Exception] = NotFoundError) -> Rule:
        rule = self.t.rules.get(route_id)
        if rule is None:
            raise missing(f"Route rule not found: {route_id}")
        return rule

    def _group_answer(self, key: str) -> Callable[[], Any]:
        """The answer of a group command: the group as the view holds it once the change is in."""

        def after() -> Any:
            gid = self.t.group_by_key.get(key)
            current = self.t.groups.get(gid) if gid is not None else None
            return group_view(current) if current is not None else None

        return after

    def _group_log(self, plan: Plan, g: Group, operation: str) -> None:
        refs = {"g": g.key}
        plan.audit("group", f"group:{REF_GROUP},key:{g.key}", operation, None, refs)
        plan.j_log(
            "service_group_log",
            {
                "GROUP_ID": REF_GROUP,
                "NAME": g.name,
                "STATUS": g.status,
                "TYPE": g.group_type,
                "OPERATION": operation,
                "DESCRIPTION": g.description,
                "SERVICE_ID": g.service_id,
                "REGION_ID": g.region_id,
                "ZONE_ID": g.zone_id,
                "APP_ID": g.app_id or g.service_id,
            },
            refs,
        )
