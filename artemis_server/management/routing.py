"""The routing commands (S12): every family registered with the management service under ``routing.*``."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
        for name in (
            "group.create",
            "group.update",
            "group.delete",
            "group.tags.add",
            "group.tags.remove",
            "binding.add",
            "binding.remove",
            "binding.batch",
            "rule.create",
            "rule.update",
            "rule.delete",
            "rule.publish",
            "rule.unpublish",
            "rulegroup.add",
            "rulegroup.update",
            "rulegroup.remove",
            "rulegroup.stage",
            "rulegroup.release",
            "group.operate",
            "service_instance.put",
            "service_instance.delete",
        ):
            svc.register_command(f"routing.{name}", getattr(self, "_" + name.replace(".", "_")))
