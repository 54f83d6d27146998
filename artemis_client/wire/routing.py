"""Group routing shapes (api.md 1.5, 2.10): R groups, tags, bindings, route rules, rule-groups and the Java
group-admin models."""

from __future__ import annotations

from artemis_client.wire.codec import CamelStruct
from artemis_client.wire.ids import CleanId, Id, LocationId, ShortName

# -- R requests (2.10) --------------------------------------------------------------------------------------


class GroupIn(CamelStruct):
    service_id: CleanId | None = None
    region_id: LocationId | None = None
    zone_id: LocationId | None = None
    name: ShortName | None = None
    group_type: str | None = None
    description: str | None = None
    status: str | None = None
    app_id: str | None = None
    operator_id: ShortName | None = None


class TagIn(CamelStruct):
    key: ShortName | None = None
    value: str | int | float | bool | None = None


class TagsIn(CamelStruct):
    tags: list[TagIn] | None = None
    operator_id: ShortName | None = None


class BindingIn(CamelStruct):
    instance_id: CleanId | None = None
    region_id: LocationId | None = None
    zone_id: LocationId | None = None
    service_id: CleanId | None = None
    group_id: int | CleanId | None = None
    group_key: str | None = None
    binding_type: str | None = None
    operator_id: ShortName | None = None


class BatchBindingIn(CamelStruct):
    instances: list[BindingIn] | None = None
    operator_id: ShortName | None = None


class RuleGroupIn(CamelStruct):
    group_id: int | CleanId | None = None
    group_key: str | None = None
    weight: int | float | None = None
    region_id: LocationId | None = None
    zone_id: LocationId | None = None
    operator_id: ShortName | None = None


class RuleIn(CamelStruct):
    route_id: ShortName | None = None  # stored in service_route_rule.NAME, VARCHAR(128)
    service_id: CleanId | None = None
    name: Id | None = None  # DISPLAY_NAME, VARCHAR(256)
    strategy: str | None = None
    description: str | None = None
    status: str | None = None
    groups: list[RuleGroupIn] | None = None
    operator_id: ShortName | None = None


class ListQuery(CamelStruct):
    service_id: CleanId | None = None
    region_id: LocationId | None = None
    zone_id: LocationId | None = None


class OperatorIn(CamelStruct):
    operator_id: ShortName | None = None


# -- J group admin (2.10, /api/management/group/*.json) ------------------------------------------------------


class JOperationContext(CamelStruct):
    """J OperationContext: who asks, with which token and why (every J write body carries it)."""

    operator_id: ShortName | None = None
    token: str | None = None
    reason: str | None = None


class JGroup(JOperationContext):
    group_id: int | None = None
    service_id: CleanId | None = None
    region_id: LocationId | None = None
    zone_id: LocationId | None = None
    name: ShortName | None = None
    app_id: str | None = None
    description: str | None = None
    status: str | None = None
    group_type: str | None = None
    type: str | None = None
    weight: int | float | None = None
    operation: str | None = None
    operation_complete: bool = False


class JRule(JOperationContext):
    route_rule_id: int | None = None
    service_id: CleanId | None = None
    name: ShortName | None = None
    description: str | None = None
    status: str | None = None
    strategy: str | None = None


class JRuleGroup(JOperationContext):
    route_rule_group_id: int | None = None
    route_rule_id: int | None = None
    group_id: int | CleanId | None = None
    weight: int | float | None = None
    unreleased_weight: int | float | None = None


class JGroupTags(JOperationContext):
    group_id: int | None = None
    tags: dict[str, str] | None = None


class JGroupOps(JOperationContext):
    group_id: int | None = None
    operations: list[str] | None = None


class JGroupInstance(JOperationContext):
    id: int | None = None
    group_id: int | None = None
    instance_id: CleanId | None = None


class JServiceInstance(JOperationContext):
    id: int | None = None
    service_id: CleanId | None = None
    instance_id: CleanId | None = None
    group_id: CleanId | int | None = None
    ip: str | None = None
    machine_name: str | None = None
    metadata: dict[str, str] | None = None
    port: int | None = None
    protocol: str | None = None
    region_id: LocationId | None = None
    zone_id: LocationId | None = None
    health_check_url: str | None = None
    url: str | None = None
    description: str | None = None


class JGroupAdminRequest(JOperationContext):
    """Every J group-admin request body: each path reads the fields it needs."""

    route_rules: list[JRule] | None = None
    route_rule_ids: list[int] | None = None
    route_rule: JRule | None = None
    groups: list[JGroup] | None = None
    route_rule_groups: list[JRuleGroup] | None = None
    route_rule_group_ids: list[int] | None = None
    group_ids: list[int] | None = None
    group_tags_list: list[JGroupTags] | None = None
    group_operations_list: list[JGroupOps] | None = None
    group_instances: list[JGroupInstance] | None = None
    group_instance_ids: list[int] | None = None
    service_instances: list[JServiceInstance] | None = None
    service_instance_ids: list[int] | None = None
    region_id: LocationId | None = None
    route_rule_id: int | None = None
    route_rule_group_id: int | None = None
    service_id: CleanId | None = None
    zone_id: LocationId | None = None
    name: ShortName | None = None
    app_id: str | None = None
    status: str | None = None
    group_id: int | CleanId | None = None
    tag_id: int | None = None
    tag_key: ShortName | None = None
    tag: ShortName | None = None
    value: str | None = None
    instance_id: CleanId | None = None
    operation: str | None = None
    operation_complete: bool = False
