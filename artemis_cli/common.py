"""Shared plumbing of the commands: per-run state, operator id, shell completion (destructive operations:
``artemis_cli.destructive``)."""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from artemis_cli.client import ArtemisClient
    from artemis_cli.config import Settings
    from artemis_cli.output import Output


class Refusal(Exception):  # noqa: N818
    """The user (or the lack of a terminal) refused a confirmation: exit 2."""


@dataclass
class State:
    server: str | None = None
    context: str | None = None
    client_config: str | None = None
    token: str | None = None
    output: str | None = None
    timeout: float = 10.0
    no_color: bool = False
    quiet: bool = False
    verbose: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    _client: ArtemisClient | None = field(default=None, repr=False)
    _out: Output | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from artemis_cli.config import resolve

            self._settings = resolve(
                server=self.server,
                context=self.context,
                client_config=self.client_config,
                token=self.token,
                timeout=self.timeout,
            )
        return self._settings

    @property
    def out(self) -> Output:
        if self._out is None:
            from artemis_cli.output import Output

            self._out = Output(self.output, color=not self.no_color, quiet=self.quiet, verbose=self.verbose)
        return self._out

    @property
    def client(self) -> ArtemisClient:
        if self._client is None:
            from artemis_cli.client import ArtemisClient

            s = self.settings
            self._client = ArtemisClient(
                s.servers,
                token=s.token,
                timeout=s.timeout,
                verbose=self.out.debug if self.verbose else None,
                warn=self.out.warn,
                token_withheld=s.token_withheld,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def region(self, given: str | None) -> str | None:
        return given or self.settings.region

    def zone(self, given: str | None) -> str | None:
        return given or self.settings.zone

    def operator(self, given: str | None) -> str:
        """--operator, else who is logged in (the context's token), else the context's default operator
        (`context set --user`), else the OS user."""
        if given and given.strip():
            return given.strip()
        s = self.settings
        user = s.login_user if s.token_from_context else None
        user = user or s.user
        if user:
            return str(user)
        return os_user("cli")

    def warn(self, text: str) -> None:
        self.out.warn(text)


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    if not isinstance(obj, State):
        obj = State()
        ctx.find_root().obj = obj
    return obj


def stdin_is_tty() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def percent(n: int, total: int) -> str:
    if total <= 0:
        return "0%"
    return f"{100.0 * n / total:.0f}%"


# -- dynamic shell completion ------------------------------------------------------------------------------
#
# Completion callbacks ask the current context's servers with a short timeout and fail silent: a down server
# must not hang the shell, and nothing is printed. A token is sent only where it is safe to send it without
# the warning the CLI prints otherwise (https, or a loopback host).

COMPLETION_TIMEOUT = 0.7


def _root_params(ctx: Any) -> dict[str, Any]:
    root = ctx.find_root() if ctx is not None else None
    return dict(getattr(root, "params", {}) or {})


def _completion_client(ctx: Any) -> Any:
    """A client for the current context with a short timeout."""
    from artemis_cli.client import ArtemisClient
    from artemis_cli.config import exposed, resolve

    params = _root_params(ctx)
    s = resolve(
        server=params.get("server_url") or os.environ.get("ARTEMIS_SERVER"),
        context=params.get("context_name"),
        client_config=params.get("client_config"),
        token=params.get("token") or os.environ.get("ARTEMIS_TOKEN"),
        timeout=COMPLETION_TIMEOUT,
    )
    servers = s.servers[:2]
    token = s.token if not exposed(servers) else None
    return ArtemisClient(servers, token=token, timeout=COMPLETION_TIMEOUT, warn=lambda _: None)


def _matching(values: Any, incomplete: str, *, fold: bool = False) -> list[str]:
    def norm(v: str) -> str:
        return v.lower() if fold else v

    return sorted({v for v in values if v and norm(v).startswith(norm(incomplete))})


def _param(ctx: Any, *names: str) -> Any:
    params = getattr(ctx, "params", None) or {}
    for n in names:
        if params.get(n):
            return params[n]
    return None


def complete_context(ctx: typer.Context, incomplete: str) -> list[str]:
    """Context names from the client config file (no server involved)."""
    try:
        from artemis_cli import config

        path = config.config_path(_root_params(ctx).get("client_config"))
        names = list(config.contexts(config.load(path)))
    except Exception:  # completion never fails loudly
        return []
    return _matching(names, incomplete)


def complete_service(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        with _completion_client(ctx) as c:
            ids = {i.service_id for i in _every_instance(c)}
    except Exception:
        return []
    return _matching(ids, incomplete, fold=True)


def _every_instance(c: Any) -> list[Any]:
    """Registered instances, pulled-out ones included when the node shows its inventory."""
    from artemis_cli import inventory

    return [i for s in inventory.services(c) for i in s.instances]


def complete_instance(ctx: typer.Context, incomplete: str) -> list[str]:
    """Registered instance ids (pulled-out ones too) of the SERVICE_ID / --service given so far."""
    sid = _param(ctx, "service_id", "service")
    try:
        with _completion_client(ctx) as c:
            insts = [i for i in _every_instance(c) if not sid or i.service_id.lower() == str(sid).lower()]
    except Exception:
        return []
    return _matching((i.instance_id for i in insts), incomplete)


def complete_zone(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        with _completion_client(ctx) as c:
            zones = {i.zone_id or "" for i in _every_instance(c)}
            try:
                zones |= {z.zone_id for z in c.zone_operations()}
            except Exception:
                pass
    except Exception:
        return []
    return _matching(zones, incomplete)


def complete_region(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        with _completion_client(ctx) as c:
            regions = {i.region_id or "" for i in _every_instance(c)}
    except Exception:
        return []
    return _matching(regions, incomplete, fold=True)


def complete_group(ctx: typer.Context, incomplete: str) -> list[str]:
    """Group names (of --service / the rule's service when given), group keys and ids."""
    sid = _param(ctx, "service", "service_id")
    rule = _param(ctx, "rule")
    try:
        with _completion_client(ctx) as c:
            if not sid and rule:
                sid = c.rule_get(str(rule)).service_id
            groups = c.group_list(service_id=sid) if sid else c.group_list()
    except Exception:
        return []
    values: set[str] = set()
    for g in groups:
        values.add(g.group_key)
        values.add(str(g.group_id))
        if sid:
            values.add(g.name)
    return _matching(values, incomplete)


def complete_rule(ctx: typer.Context, incomplete: str) -> list[str]:
    """Route ids (routeId) of every rule, or of --service's rules."""
    sid = _param(ctx, "service")
    try:
        with _completion_client(ctx) as c:
            rules = c.rule_list(sid)
    except Exception:
        return []
    return _matching((r.route_id for r in rules), incomplete)


def os_user(fallback: str) -> str:
    """The operating-system user running the command ($USER, $LOGNAME, the password database), else
    ``fallback``: the operator recorded in the audit log when none is given."""
    for env in ("USER", "LOGNAME"):
        v = os.environ.get(env)
        if v:
            return v
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return fallback
