"""The routing commands (S12): every family's handlers registered with the management service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from artemis_server.management import commands as c
from artemis_server.management.bindings import BindingCommands
from artemis_server.management.groups import GroupCommands
from artemis_server.management.jextras import JCommands
from artemis_server.management.rules import RuleCommands
from artemis_server.registry.routing import RoutingTable

if TYPE_CHECKING:
    from artemis_server.management.service import ManagementService


class RoutingCommands(GroupCommands, BindingCommands, RuleCommands, JCommands):
    def __init__(self, svc: ManagementService, table: RoutingTable) -> None:
        super().__init__(svc, table)
        svc.handle(c.GroupCreate, self._group_create)
        svc.handle(c.GroupUpdate, self._group_update)
        svc.handle(c.GroupDelete, self._group_delete)
        svc.handle(c.GroupTagsAdd, self._group_tags_add)
        svc.handle(c.GroupTagsRemove, self._group_tags_remove)
        svc.handle(c.BindingAdd, self._binding_add)
        svc.handle(c.BindingRemove, self._binding_remove)
        svc.handle(c.BindingBatch, self._binding_batch)
        svc.handle(c.RuleCreate, self._rule_create)
        svc.handle(c.RuleUpdate, self._rule_update)
        svc.handle(c.RuleDelete, self._rule_delete)
        svc.handle(c.RulePublish, self._rule_publish)
        svc.handle(c.RuleUnpublish, self._rule_unpublish)
        svc.handle(c.RuleGroupAdd, self._rulegroup_add)
        svc.handle(c.RuleGroupUpdate, self._rulegroup_update)
        svc.handle(c.RuleGroupRemove, self._rulegroup_remove)
        svc.handle(c.RuleGroupStage, self._rulegroup_stage)
        svc.handle(c.RuleGroupRelease, self._rulegroup_release)
        svc.handle(c.GroupOperate, self._group_operate)
        svc.handle(c.ServiceInstancePut, self._service_instance_put)
        svc.handle(c.ServiceInstanceDelete, self._service_instance_delete)
