"""Group routing shapes (api.md 1.5, 2.10): R groups, tags, bindings, route rules, rule-groups, and the Java
group-admin models.

R (``/api/routing/*``) asks with request Structs and answers with views (:class:`ServiceGroup`,
:class:`RouteRule`, :class:`RouteRuleGroup`, :class:`GroupInstance`); a binding is one model both ways, as in
api.md. Java (``/api/management/group/*.json``) uses one class per model for items sent and items listed
(``Group``, ``ServiceRouteRule``, ``RouteRuleGroup``, ``GroupTags``, ``GroupOperations``, ``GroupInstance``,
``ServiceInstance`` of artemis-management), so each J model here is one Struct both ways; the J and R shapes
of a concept differ (ids vs keys, ``appId``/``metadata`` vs ``groupType``/``tags``) and stay two Structs.
"""

from __future__ import annotations

from artemis_client.wire.codec import CamelStruct
from artemis_client.wire.ids import CleanId, Id, LocationId, ShortName
from artemis_client.wire.registry import RouteGroup

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


class GroupTag(CamelStruct):
    """A tag of a group: sent with any scalar value (written back as text), listed as ``{key, value}``."""

    key: ShortName | None = None
    value: str | int | float | bool | None = None


class TagsIn(CamelStruct):
    tags: list[GroupTag] | None = None
    operator_id: ShortName | None = None


class GroupInstance(CamelStruct):
    """GroupInstance (1.5): an instance bound to a managed group. Sent without ``id``/``createdAt`` (and
    with ``groupKey`` instead of ``groupId`` if the caller likes), listed with every field."""

    id: int | None = None
    group_id: int | CleanId | None = None
    instance_id: CleanId | None = None
    region_id: LocationId | None = None
    zone_id: LocationId | None = None
    service_id: CleanId | None = None
    binding_type: str | None = None
    operator_id: ShortName | None = None
    created_at: int | None = None
    group_key: str | None = None


class BatchBindingIn(CamelStruct):
    instances: list[GroupInstance] | None = None
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


# -- R views (1.5) ---------------------------------------------------------------------------------------


class ServiceGroup(CamelStruct, kw_only=True):
    """A managed group (1.5): ``groupId`` is the integer row id, ``groupKey`` the identity
    ``service:region:zone:name``."""

    group_id: int
    service_id: str
    region_id: str
    zone_id: str
    name: str
    group_type: str
    status: str
    group_key: str
    created_at: int
    updated_at: int
    description: str | None = None
    tags: list[GroupTag] | None = None


class RouteRule(CamelStruct, kw_only=True):
    """A route rule (1.5): ``routeRuleId`` is the integer row id, ``routeId`` the identity; ``groups`` in the
    order they were added (S9.2)."""

    route_rule_id: int
    route_id: str
    service_id: str
    name: str
    status: str
    strategy: str
    groups: list[RouteGroup]
    created_at: int
    updated_at: int
    description: str | None = None


class RouteRuleGroup(CamelStruct, kw_only=True):
    """A group in a route rule (1.5): ``routeRuleId`` is the rule's ``routeId``, ``groupId`` the reference
    as given (a group name, row id or key)."""

    route_rule_id: str
    group_id: str
    weight: int
    unreleasable: bool
    region_id: str | None = None
    zone_id: str | None = None


# -- J group admin (2.10, /api/management/group/*.json) ------------------------------------------------------


class JOperationContext(CamelStruct):
    """J OperationContext: who asks, with which token and why (every J write body carries it)."""

    operator_id: ShortName | None = None
    token: str | None = None
    reason: str | None = None


class JGroup(CamelStruct):
    """J Group (also GroupWeight in create-route-rule.json). Listed with ``groupKey`` and ``metadata`` (the
    group's tags); the fields after ``metadata`` are only read from requests."""

    group_id: int | None = None
    service_id: CleanId | None = None
    region_id: LocationId | None = None
    zone_id: LocationId | None = None
    name: ShortName | None = None
    app_id: str | None = None
    status: str | None = None
    group_key: str | None = None
    description: str | None = None
    metadata: dict[str, str] | None = None
    group_type: str | None = None
    type: str | None = None
    weight: int | float | None = None
    operation: str | None = None
    operation_complete: bool = False


class JRule(CamelStruct):
    """J ServiceRouteRule: ``name`` is the rule's ``routeId``."""

    route_rule_id: int | None = None
    service_id: CleanId | None = None
    name: ShortName | None = None
    status: str | None = None
    strategy: str | None = None
    description: str | None = None


class JRuleGroup(CamelStruct):
    """J RouteRuleGroup: ``groupId`` is the managed group's row id (or the free reference as given);
    ``unreleasedWeight`` is a staged weight not yet released."""

    route_rule_group_id: int | None = None
    route_rule_id: int | None = None
    group_id: int | CleanId | None = None
    weight: int | float | None = None
    unreleased_weight: int | float | None = None


class JGroupTags(CamelStruct):
    """J GroupTags: the tags of a group as a map."""

    group_id: int | None = None
    tags: dict[str, str] | None = None


class JGroupOps(CamelStruct):
    """J GroupOperations: the operations recorded for a group (stored; discovery ignores them)."""

    group_id: int | None = None
    operations: list[str] | None = None


class JGroupInstance(CamelStruct):
    """J GroupInstance: a binding by row ids."""

    id: int | None = None
    group_id: int | None = None
    instance_id: CleanId | None = None


class JServiceInstance(CamelStruct):
    """J ServiceInstance: a static instance of the J admin surface (no effect on discovery)."""

    id: int | None = None
    service_id: CleanId | None = None
    instance_id: CleanId | None = None
    ip: str | None = None
    machine_name: str | None = None
    metadata: dict[str, str] | None = None
    port: int | None = None
    protocol: str | None = None
    region_id: LocationId | None = None
    zone_id: LocationId | None = None
    group_id: CleanId | int | None = None
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
