"""Commands of canary configs (S11): set, enable/disable, delete, whitelist add/remove."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from artemis_client.errors import NotFoundError
from artemis_server.management.commands import CanaryDelete, CanaryEnable, CanarySet, CanaryWhitelist
from artemis_server.management.plan import Plan
from artemis_server.registry import entities as ent
from artemis_server.registry.entities import EntityChange, fold
from artemis_server.registry.visibility import CanaryConfig
from artemis_server.views import canary_view

if TYPE_CHECKING:
    from artemis_server.management.service import ManagementService


class CanaryCommands:
    def __init__(self, svc: ManagementService) -> None:
        self.svc = svc
        svc.handle(CanarySet, self._canary_set)
        svc.handle(CanaryEnable, self._canary_enable)
        svc.handle(CanaryDelete, self._canary_delete)
        svc.handle(CanaryWhitelist, self._canary_whitelist)

    def _canary_existing(self, service: str) -> CanaryConfig:
        cfg = self.svc.node.mgmt.canary.get(fold(service))
        if cfg is None:
            raise NotFoundError(f"no canary config for service {service}")
        return cfg

    def _canary_plan(self, cfg: CanaryConfig, operation: str, details: Any = None) -> Plan:
        plan = Plan(
            entities=[EntityChange("canary", ent.canary_key(cfg.service_id), ent.canary_value(cfg))],
            reload_services=[cfg.service_id],
        )
        plan.audit("canary", f"service:{cfg.service_id}", operation, details)
        plan.result = canary_view(cfg)
        return plan

    def _canary_set(self, cmd: CanarySet, operator: str) -> Plan:
        service, ips = cmd.service_id, list(cmd.ip_whitelist)
        now = int(time.time())
        old = self.svc.node.mgmt.canary.get(fold(service))
        row = CanaryConfig(
            old.service_id if old else service,
            ips,
            cmd.enabled,
            old.created_at if old else now,
            now,
        )
        return self._canary_plan(row, "set", {"ipWhitelist": ips, "enabled": row.enabled})

    def _canary_enable(self, cmd: CanaryEnable, operator: str) -> Plan:
        cfg = self._canary_existing(cmd.service_id)
        enabled = cmd.enabled
        row = CanaryConfig(cfg.service_id, list(cfg.ip_whitelist), enabled, cfg.created_at, int(time.time()))
        return self._canary_plan(row, "enable" if enabled else "disable")

    def _canary_delete(self, cmd: CanaryDelete, operator: str) -> Plan:
        service = cmd.service_id
        cfg = self.svc.node.mgmt.canary.get(fold(service))
        # a tombstone even when there is no config here: it also wins over an older set made elsewhere
        plan = Plan(entities=[EntityChange("canary", ent.canary_key(service), None)])
        plan.audit("canary", f"service:{cfg.service_id if cfg else service}", "delete", None)
        return plan

    def _canary_whitelist(self, cmd: CanaryWhitelist, operator: str) -> Plan:
        cfg = self._canary_existing(cmd.service_id)
        ips, action = cmd.ips, cmd.action
        current = list(cfg.ip_whitelist)
        if action == "add":
            for ip in ips:
                if ip not in current:
                    current.append(ip)
        else:
            current = [ip for ip in current if ip not in ips]
        row = CanaryConfig(cfg.service_id, current, cfg.enabled, cfg.created_at, int(time.time()))
        return self._canary_plan(row, f"whitelist-{'add' if action == 'add' else 'remove'}", {"ips": ips})
