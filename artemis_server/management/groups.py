"""Routing commands of groups and their tags (S12.1, S12.2)."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

from artemis_client.errors import BadRequestError, ConflictError, NotFoundError
from artemis_server.management.plan import Plan, optional, required
from artemis_server.management.routing_base import (
    GROUP_TYPES,
    STATUSES,
    RoutingBase,
    enum_value,
    group_value,
)
from artemis_server.registry.entities import EntityChange
from artemis_server.registry.routing import (
    Group,
)
from artemis_server.store.repository import REF_GROUP

if TYPE_CHECKING:
    pass


class GroupCommands(RoutingBase):
    # -- groups ----------------------------------------------------------------------------------------
    def _group_create(self, args: dict[str, Any], operator: str) -> Plan:
        now = int(time.time())
        g = Group(
            group_id=0,
            service_id=required(args, "serviceId", numbers=True),
            region_id=required(args, "regionId", numbers=True),
            zone_id=required(args, "zoneId", numbers=True),
            name=required(args, "name", numbers=True),
            group_type=enum_value(required(args, "groupType", numbers=True), GROUP_TYPES, "groupType")
            or "physical",
            status=enum_value(optional(args, "status"), STATUSES, "status") or "active",
            description=optional(args, "description"),
            app_id=optional(args, "appId"),
            created_at=now,
            updated_at=now,
        )
        if g.key in self.t.group_by_key:
            raise ConflictError(f"Group already exists: {g.key}", field="name")
        plan = self._plan()
        plan.reload_services = [g.service_id]
        plan.entities.append(EntityChange("group", (g.key,), group_value(g)))
        self._group_log(plan, g, "create")
        plan.after = self._group_answer(g.key)
        return plan

    def _group_update(self, args: dict[str, Any], operator: str) -> Plan:
        old = self._group(args)
        g = dataclasses.replace(old, tags=dict(old.tags))
        if "description" in args and args["description"] is not None:
            g.description = str(args["description"])
        status = enum_value(optional(args, "status"), STATUSES, "status")
        if status:
            g.status = status
        g.updated_at = int(time.time())
        plan = self._plan()
        plan.reload_services = [g.service_id]
        plan.entities.append(EntityChange("group", (g.key,), group_value(g)))
        self._group_log(plan, g, "update")
        plan.after = self._group_answer(g.key)
        return plan

    def _group_delete(self, args: dict[str, Any], operator: str) -> Plan:
        g = self._group(args)
        plan = self._plan()
        plan.reload_services = [g.service_id]
        # the group and everything that hangs on it here: tags, bindings, J operations (S12.4)
        plan.entities.append(EntityChange("group", (g.key,), None))
        plan.entities += [EntityChange("tag", (g.key, k), None) for k in g.tags]
        plan.entities += [
            EntityChange("binding", (g.key, iid), None) for (gid, iid) in self.t.bindings if gid == g.group_id
        ]
        plan.entities += [
            EntityChange("groupop", (g.key, op), None) for op in sorted(self.t.group_ops.get(g.group_id, ()))
        ]
        self._group_log(plan, g, "delete")
        return plan

    def _group_tags_add(self, args: dict[str, Any], operator: str) -> Plan:
        g = self._group(args)
        tags = args.get("tags")
        if not isinstance(tags, list) or not tags:
            raise BadRequestError("missing required field `tags`", field="tags")
        pairs: dict[str, str] = {}
        for i, tag in enumerate(tags):
            if not isinstance(tag, dict) or not isinstance(tag.get("key"), str) or not tag["key"].strip():
                raise BadRequestError(f"missing required field `tags[{i}].key`", field=f"tags[{i}].key")
            value = tag.get("value")
            key = tag["key"].strip()
            pairs.pop(key, None)
            pairs[key] = "" if value is None else str(value)
        plan = self._plan()
        plan.reload_services = [g.service_id]
        refs = {"g": g.key}
        for k, v in pairs.items():
            plan.entities.append(EntityChange("tag", (g.key, k), {"group": g.key, "key": k, "value": v}))
            plan.audit("group", f"group:{REF_GROUP},key:{g.key}", "add-tag", {"key": k, "value": v}, refs)
            plan.j_log(
                "service_group_tag_log",
                {"GROUP_ID": REF_GROUP, "TAG": k, "VALUE": v, "OPERATION": "add"},
                refs,
            )
        plan.after = self._group_answer(g.key)
        return plan

    def _group_tags_remove(self, args: dict[str, Any], operator: str) -> Plan:
        g = self._group(args)
        key = required(args, "tagKey", numbers=True)
        if not g.tags:
            raise NotFoundError(f"Group {g.key} has no tags")
        if key not in g.tags:
            raise NotFoundError(f"Group {g.key} has no tag {key}")
        plan = self._plan()
        plan.reload_services = [g.service_id]
        plan.entities.append(EntityChange("tag", (g.key, key), None))
        refs = {"g": g.key}
        plan.audit("group", f"group:{REF_GROUP},key:{g.key}", "remove-tag", {"key": key}, refs)
        plan.j_log("service_group_tag_log", {"GROUP_ID": REF_GROUP, "TAG": key, "OPERATION": "remove"}, refs)
        plan.after = self._group_answer(g.key)
        return plan
