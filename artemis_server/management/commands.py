"""Every management command as a typed, JSON-serialisable Struct (one class per command).

A command carries exactly the validated arguments its handler needs: the API handlers build it from the
decoded wire request (management/checks.py holds the value checks, raising the 400 that names the field), and
``ManagementService.execute`` dispatches on its class. What a command still has to check against the view
(does the group exist, is the route id taken) is the handler's job at plan time, since the view can change
between two attempts.

The classes form one tagged union, :data:`Command`: the tag (``"command"``) is the command's name, the name
the change log (``"c"``) and the ``artemis_management_operations_total`` metric have always used, so
``msgspec.json.encode(cmd)`` and ``msgspec.json.decode(b, type=Command)`` give back the same class. Commands
are not a wire shape: clients send requests (artemis_client.wire), never commands; fields are camelCase in
the encoding, like every JSON this server writes. The operator is not part of a command: it is who asks,
passed to ``execute`` beside it (the audit and Java log rows record it).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from artemis_client.wire.routing import JServiceInstance

Operation = Literal["pullout", "pullin"]
Style = Literal["r", "j"]  # "j": the Java meaning of operationComplete (S10.6) and the J operation context
GroupType = Literal["physical", "logical"]
Status = Literal["active", "inactive"]
Strategy = Literal["weighted-round-robin", "close-by-visit"]


class CommandBase(msgspec.Struct, frozen=True, kw_only=True, rename="camel", tag_field="command"):
    """What every command is: frozen, keyword-only, tagged with its name."""


def command_name(command: CommandBase) -> str:
    """The command's name (its tag): ``instance.operate``, ``routing.group.create`` ..."""
    return str(type(command).__struct_config__.tag)


# -- instance / server / zone operations (S10) --------------------------------------------------------------


class InstanceOperate(CommandBase, frozen=True, tag="instance.operate"):
    region_id: str
    service_id: str
    instance_id: str
    operation: Operation
    operation_complete: bool = False
    token: str | None = None
    style: Style = "r"
    reason: str | None = None
    extensions: dict[str, str] | None = None


class ServerOperate(CommandBase, frozen=True, tag="server.operate"):
    region_id: str
    server_id: str
    operation: Operation
    operation_complete: bool = False
    token: str | None = None
    style: Style = "r"


class ZoneOperate(CommandBase, frozen=True, tag="zone.operate"):
    region_id: str
    zone_id: str
    operation: Operation
    service_id: str = ""  # "" = every service of the zone
    operation_complete: bool = False
    token: str | None = None
    reason: str | None = None
    style: Style = "r"


# -- canary configs (S11) -----------------------------------------------------------------------------------


class CanarySet(CommandBase, frozen=True, tag="canary.set"):
    service_id: str
    ip_whitelist: list[str]  # IP addresses / CIDR blocks, checked, without repeats
    enabled: bool = True


class CanaryEnable(CommandBase, frozen=True, tag="canary.enable"):
    service_id: str
    enabled: bool = True


class CanaryDelete(CommandBase, frozen=True, tag="canary.delete"):
    service_id: str


class CanaryWhitelist(CommandBase, frozen=True, tag="canary.whitelist"):
    service_id: str
    ips: list[str]
    action: Literal["add", "remove"] = "add"


# -- groups and tags (S12.1, S12.2) -------------------------------------------------------------------------


class GroupCreate(CommandBase, frozen=True, tag="routing.group.create"):
    service_id: str
    region_id: str
    zone_id: str
    name: str
    group_type: GroupType = "physical"
    status: Status = "active"
    description: str | None = None
    app_id: str | None = None


class GroupUpdate(CommandBase, frozen=True, tag="routing.group.update"):
    group_key: str  # a group key, or a row id as text
    description: str | None = None  # None: unchanged
    status: Status | None = None


class GroupDelete(CommandBase, frozen=True, tag="routing.group.delete"):
    group_key: str


class GroupTagsAdd(CommandBase, frozen=True, tag="routing.group.tags.add"):
    group_key: str
    tags: dict[str, str]  # key -> value, in the order given (a key named twice: the last value, at the end)


class GroupTagsRemove(CommandBase, frozen=True, tag="routing.group.tags.remove"):
    group_key: str
    tag_key: str


# -- bindings (S12.3) ---------------------------------------------------------------------------------------


class BindingAdd(CommandBase, frozen=True, tag="routing.binding.add"):
    group_key: str
    instance_id: str
    service_id: str
    region_id: str
    zone_id: str
    binding_type: str = "manual"


class BindingRemove(CommandBase, frozen=True, tag="routing.binding.remove"):
    group_key: str
    instance_id: str


class BatchItem(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One instance of a batch binding: bound to the group ``group_ref`` names (key or row id)."""

    group_ref: str
    instance_id: str
    service_id: str  # as the item spells it (checked: the path's service)
    region_id: str | None = None  # None: the group's
    zone_id: str | None = None
    binding_type: str = "manual"


class BindingBatch(CommandBase, frozen=True, tag="routing.binding.batch"):
    service_id: str
    instances: list[BatchItem]


# -- route rules and rule-groups (S12.4, S12.5) -------------------------------------------------------------


class RuleGroupItem(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """A group of a rule created with its groups: the reference as given, its weight (clamped)."""

    group_id: str
    weight: int
    region_id: str | None = None
    zone_id: str | None = None


class RuleCreate(CommandBase, frozen=True, tag="routing.rule.create"):
    route_id: str
    service_id: str
    name: str
    strategy: Strategy
    status: Status = "inactive"
    description: str | None = None
    groups: list[RuleGroupItem] = []


class RuleUpdate(CommandBase, frozen=True, tag="routing.rule.update"):
    route_id: str
    name: str | None = None  # None: unchanged (likewise below)
    description: str | None = None
    strategy: Strategy | None = None
    status: Status | None = None


class RuleDelete(CommandBase, frozen=True, tag="routing.rule.delete"):
    route_id: str


class RulePublish(CommandBase, frozen=True, tag="routing.rule.publish"):
    route_id: str


class RuleUnpublish(CommandBase, frozen=True, tag="routing.rule.unpublish"):
    route_id: str


class RuleGroupAdd(CommandBase, frozen=True, tag="routing.rulegroup.add"):
    route_id: str
    group_id: str  # the group reference: a group name, row id or key
    weight: int
    region_id: str | None = None
    zone_id: str | None = None


class RuleGroupUpdate(CommandBase, frozen=True, tag="routing.rulegroup.update"):
    route_id: str
    group_id: str
    weight: int


class RuleGroupRemove(CommandBase, frozen=True, tag="routing.rulegroup.remove"):
    route_id: str
    group_id: str


class RuleGroupStage(CommandBase, frozen=True, tag="routing.rulegroup.stage"):
    """J: stage ``weight`` as the unreleased weight (a rule-group not there yet is added with it live)."""

    route_id: str
    group_id: str
    weight: int


class RuleGroupRelease(CommandBase, frozen=True, tag="routing.rulegroup.release"):
    route_id: str
    group_id: str


# -- J extras: group operations, static service instances -------------------------------------------------


class GroupOperate(CommandBase, frozen=True, tag="routing.group.operate"):
    group_key: str
    operation: str  # lower case; any name (stored and listed, discovery ignores them)
    operation_complete: bool = False


class ServiceInstancePut(CommandBase, frozen=True, tag="routing.service_instance.put"):
    """A J static service instance as sent (``serviceId`` and ``instanceId`` checked, ``port`` in range)."""

    instance: JServiceInstance


class ServiceInstanceDelete(CommandBase, frozen=True, tag="routing.service_instance.delete"):
    service_id: str
    instance_id: str


Command = (
    InstanceOperate
    | ServerOperate
    | ZoneOperate
    | CanarySet
    | CanaryEnable
    | CanaryDelete
    | CanaryWhitelist
    | GroupCreate
    | GroupUpdate
    | GroupDelete
    | GroupTagsAdd
    | GroupTagsRemove
    | BindingAdd
    | BindingRemove
    | BindingBatch
    | RuleCreate
    | RuleUpdate
    | RuleDelete
    | RulePublish
    | RuleUnpublish
    | RuleGroupAdd
    | RuleGroupUpdate
    | RuleGroupRemove
    | RuleGroupStage
    | RuleGroupRelease
    | GroupOperate
    | ServiceInstancePut
    | ServiceInstanceDelete
)

COMMANDS: tuple[type[CommandBase], ...] = Command.__args__
