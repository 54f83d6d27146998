"""The CLI's and TUI's typed client: every endpoint the tools call, over the failover core of artemis_client.

The request/answer/failover logic lives in :mod:`artemis_client._core` (sans-I/O) and its httpx runners in
:mod:`artemis_client.transport`; this package only lists the endpoints, split by area (``registry``,
``management``, ``routing``, ``admin``), each a function that builds a typed ``Request``. Answers decode into
the Structs of :mod:`artemis_client.wire`; failures raise the classes of :mod:`artemis_client.errors`
(``artemis_cli.exits`` maps them to exit codes). :class:`ArtemisClient` runs a call synchronously,
:class:`AsyncArtemisClient` returns an awaitable (the TUI), with one endpoint table for both.

httpx is imported here, so commands import this package lazily (``artemis --help`` must stay fast).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from artemis_cli.client import admin, management, registry, routing
from artemis_cli.config import exposed, exposure_warning
from artemis_client.transport import AsyncTransport, SyncTransport, endpoint

__all__ = ["USER_AGENT", "ArtemisClient", "AsyncArtemisClient", "Endpoints"]

USER_AGENT = "artemis-cli/0.1"


class Endpoints:
    """Every endpoint the tools call; a method of both clients (:func:`artemis_client.transport.endpoint`)."""

    # registry
    register = endpoint(registry.register)
    heartbeat = endpoint(registry.heartbeat)
    unregister = endpoint(registry.unregister)
    service = endpoint(registry.service)
    service_for_client = endpoint(registry.service_for_client)
    services = endpoint(registry.services)
    lookup = endpoint(registry.lookup)
    lookup_many = endpoint(registry.lookup_many)
    health = endpoint(registry.health)
    metrics = endpoint(registry.metrics)
    node_status = endpoint(registry.node_status)
    node_document = endpoint(registry.node_document)
    cluster_status = endpoint(registry.cluster_status)
    leases = endpoint(registry.leases)
    config_status = endpoint(registry.config_status)
    up_registry_nodes = endpoint(registry.up_registry_nodes)
    # management
    operate_instance = endpoint(management.operate_instance)
    instance_operations = endpoint(management.instance_operations)
    is_instance_down = endpoint(management.is_instance_down)
    operate_server = endpoint(management.operate_server)
    is_server_down = endpoint(management.is_server_down)
    all_instance_operations = endpoint(management.all_instance_operations)
    all_server_operations = endpoint(management.all_server_operations)
    zone_pull_out = endpoint(management.zone_pull_out)
    zone_pull_in = endpoint(management.zone_pull_in)
    zone_status = endpoint(management.zone_status)
    zone_operations = endpoint(management.zone_operations)
    canary_set = endpoint(management.canary_set)
    canary_get = endpoint(management.canary_get)
    canary_delete = endpoint(management.canary_delete)
    canary_list = endpoint(management.canary_list)
    canary_enable = endpoint(management.canary_enable)
    canary_whitelist = endpoint(management.canary_whitelist)
    instances = endpoint(management.instances)
    admin_service = endpoint(management.admin_service)
    admin_services = endpoint(management.admin_services)
    admin_service_json = endpoint(management.admin_service_json)
    admin_services_json = endpoint(management.admin_services_json)
    # routing
    group_create = endpoint(routing.group_create)
    group_list = endpoint(routing.group_list)
    group_by_id = endpoint(routing.group_by_id)
    group_update = endpoint(routing.group_update)
    group_delete = endpoint(routing.group_delete)
    group_tags_add = endpoint(routing.group_tags_add)
    group_tags = endpoint(routing.group_tags)
    group_tag_remove = endpoint(routing.group_tag_remove)
    group_instances = endpoint(routing.group_instances)
    group_bind = endpoint(routing.group_bind)
    group_unbind = endpoint(routing.group_unbind)
    rule_create = endpoint(routing.rule_create)
    rule_list = endpoint(routing.rule_list)
    rule_get = endpoint(routing.rule_get)
    rule_update = endpoint(routing.rule_update)
    rule_delete = endpoint(routing.rule_delete)
    rule_publish = endpoint(routing.rule_publish)
    rule_groups = endpoint(routing.rule_groups)
    rule_group_add = endpoint(routing.rule_group_add)
    rule_group_update = endpoint(routing.rule_group_update)
    rule_group_remove = endpoint(routing.rule_group_remove)
    # admin
    audit_logs = endpoint(admin.audit_logs)
    audit_instance_logs = endpoint(admin.audit_instance_logs)
    audit_server_logs = endpoint(admin.audit_server_logs)
    login = endpoint(admin.login)
    logout = endpoint(admin.logout)
    whoami = endpoint(admin.whoami)
    roles = endpoint(admin.roles)
    users = endpoint(admin.users)
    user_create = endpoint(admin.user_create)
    user_update = endpoint(admin.user_update)
    user_set_status = endpoint(admin.user_set_status)
    password_reset = endpoint(admin.password_reset)
    sessions = endpoint(admin.sessions)
    login_history = endpoint(admin.login_history)


def _stderr_warning(text: str) -> None:
    import sys

    print(f"warning: {text}", file=sys.stderr, flush=True)


def _options(
    servers: str | Sequence[str] | None,
    verbose: Callable[[str], None] | None,
    warn: Callable[[str], None] | None,
    kw: dict[str, Any],
) -> dict[str, Any]:
    """The CLI's hooks: -v logs each request; a token about to go over plain HTTP to a non-loopback host is
    warned about once per server."""
    from artemis_client._core import parse_servers

    urls = parse_servers(servers)
    risky = set(exposed(urls))
    warned: set[str] = set()
    say = warn or _stderr_warning
    token = kw.get("token")

    def before_send(server: str) -> None:
        if token and server in risky and server not in warned:
            warned.add(server)
            say(exposure_warning(server))

    withheld = kw.pop("token_withheld", None)
    return {
        "log": verbose,
        "before_send": before_send,
        "user_agent": USER_AGENT,
        "auth_hint": lambda token: _auth_hint(token, withheld),
        **kw,
    }


def _auth_hint(token: str | None, withheld_from: str | None) -> str:
    """What to do about an HTTP 401, given the token sent (or the context whose token was withheld)."""
    if token:
        return "the token was refused: it may have expired or been revoked; log in again with 'artemis login'"
    if withheld_from:
        return (
            f"the token stored in context {withheld_from!r} is sent only to that context's servers; use "
            "--context, or pass --token / ARTEMIS_TOKEN for this server"
        )
    return "log in with 'artemis login' or pass --token"


class _CliHooks:
    """The CLI's constructor of both clients: ``verbose`` logs each request, ``warn`` says when a token is
    about to go over plain HTTP to a host that is not loopback (once per server)."""

    def __init__(
        self,
        servers: str | Sequence[str] | None = None,
        *,
        verbose: Callable[[str], None] | None = None,
        warn: Callable[[str], None] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(servers, **_options(servers, verbose, warn, kw))  # type: ignore[call-arg]  # a transport's


class ArtemisClient(_CliHooks, SyncTransport, Endpoints):
    """Synchronous client; use as a context manager or call :meth:`close`."""


class AsyncArtemisClient(_CliHooks, AsyncTransport, Endpoints):
    """Same endpoints as :class:`ArtemisClient`; every method returns an awaitable (for the Textual TUI)."""
