"""Routing commands of groups and their tags (S12.1, S12.2)."""

from __future__ import annotations

import dataclasses
import time

from artemis_client.errors import ConflictError, NotFoundError
from artemis_server.management.commands import (
    GroupCreate,
    GroupDelete,
    GroupTagsAdd,
    GroupTagsRemove,
    GroupUpdate,
)
from artemis_server.management.plan import Plan
from artemis_server.management.routing_base import RoutingBase, group_value
from artemis_server.registry.entities import EntityChange
from artemis_server.registry.routing import Group
from artemis_server.store.repository import REF_GROUP


class GroupCommands(RoutingBase):
    # -- groups ----------------------------------------------------------------------------------------
    def _group_create(self, cmd: GroupCreate, operator: str) -> Plan:
        now = int(time.time())
        g = Group(
            group_id=0,
            service_id=cmd.service_id,
            region_id=cmd.region_id,
            zone_id=cmd.zone_id,
            name=cmd.name,
            group_type=cmd.group_type,
            status=cmd.status,
            description=cmd.description,
            app_id=cmd.app_id,
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

    def _group_update(self, cmd: GroupUpdate, operator: str) -> Plan:
        old = self._group(cmd.group_key)
        g = dataclasses.replace(old, tags=dict(old.tags))
        if cmd.description is not None:
            g.description = cmd.description
        if cmd.status:
            g.status = cmd.status
        g.updated_at = int(time.time())
        plan = self._plan()
        plan.reload_services = [g.service_id]
        plan.entities.append(EntityChange("group", (g.key,), group_value(g)))
        self._group_log(plan, g, "update")
        plan.after = self._group_answer(g.key)
        return plan

    def _group_delete(self, cmd: GroupDelete, operator: str) -> Plan:
        g = self._group(cmd.group_key)
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

    def _group_tags_add(self, cmd: GroupTagsAdd, operator: str) -> Plan:
        g = self._group(cmd.group_key)
        pairs = cmd.tags
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

    def _group_tags_remove(self, cmd: GroupTagsRemove, operator: str) -> Plan:
        g = self._group(cmd.group_key)
        key = cmd.tag_key
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
