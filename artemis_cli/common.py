"""Shared plumbing of the commands: per-run state, operator id, confirmation of destructive operations."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

from artemis_cli.errors import BadInput

if TYPE_CHECKING:
    from artemis_cli.client import ArtemisClient
    from artemis_cli.config import Settings
    from artemis_cli.output import Output

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_UNREACHABLE = 4


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
                s.servers, token=s.token, timeout=s.timeout, verbose=self.out.debug if self.verbose else None
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
        """--operator, else the login user name of the context, else $USER, else ``cli``."""
        if given and given.strip():
            return given.strip()
        user = self.settings.user
        if user:
            return str(user)
        return os_user("cli")


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


def confirm(
    st: State, *, action: str, lines: Iterable[str], plan: dict[str, Any], yes: bool, dry_run: bool
) -> bool:
    """Show the blast radius of a destructive action and decide whether to go on.

    Returns False for --dry-run (the plan was printed, nothing to do). Raises :class:`Refusal` (exit 2) when
    there is no terminal to ask and no --yes, or when the user answers no.
    """
    out = st.out
    text = list(lines)
    if dry_run:
        if out.structured:
            out.document({**plan, "dryRun": True})
        else:
            out.line(f"dry run: would {action}")
            for line in text:
                out.line(f"  {line}")
        return False
    if not yes and not stdin_is_tty():
        # one line, with the blast radius in it: scripts log it, nobody could have answered anyway
        impact = f" ({' '.join(text[0].split())})" if text else ""
        raise Refusal(
            f"refusing to {action} without confirmation{impact}: no terminal to ask; pass --yes to proceed "
            "or --dry-run to only show the effect"
        )
    for line in text:
        out.message(line)
    if yes:
        return True
    try:
        ok = typer.confirm(f"{action[0].upper()}{action[1:]}?", default=False, err=True)
    except (typer.Abort, EOFError, KeyboardInterrupt):
        ok = False
    if not ok:
        raise Refusal(f"not confirmed: did not {action}")
    return True


def parse_kv(items: list[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        k, sep, v = item.partition("=")
        if not sep or not k.strip():
            raise BadInput(f"invalid value for '{flag}': {item!r} is not KEY=VALUE")
        out[k.strip()] = v
    return out


def percent(n: int, total: int) -> str:
    if total <= 0:
        return "0%"
    return f"{100.0 * n / total:.0f}%"


# -- dynamic shell completion ------------------------------------------------------------------------------

COMPLETION_TIMEOUT = 0.7


def _completion_client(ctx: Any) -> Any:
    """A client for the current context with a short timeout (a down server must not hang the shell)."""
    root = ctx.find_root() if ctx is not None else None
    params = dict(getattr(root, "params", {}) or {})
    from artemis_cli.client import ArtemisClient
    from artemis_cli.config import resolve

    s = resolve(
        server=params.get("server") or os.environ.get("ARTEMIS_SERVER"),
        context=params.get("context"),
        client_config=params.get("client_config"),
        token=params.get("token") or os.environ.get("ARTEMIS_TOKEN"),
        timeout=COMPLETION_TIMEOUT,
    )
    return ArtemisClient(s.servers[:2], token=s.token, timeout=COMPLETION_TIMEOUT)


def complete_service(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        with _completion_client(ctx) as c:
            ids = sorted({s.get("serviceId", "") for s in c.services()})
    except Exception:  # completion never fails loudly
        return []
    return [i for i in ids if i and i.lower().startswith(incomplete.lower())]


def complete_instance(ctx: typer.Context, incomplete: str) -> list[str]:
    params = ctx.params or {}
    sid = params.get("service_id") or params.get("service")
    try:
        with _completion_client(ctx) as c:
            if sid:
                insts = (c.service(sid) or {}).get("instances", [])
            else:
                insts = [i for s in c.services() for i in s.get("instances", [])]
    except Exception:
        return []
    ids = sorted({i.get("instanceId", "") for i in insts})
    return [i for i in ids if i and i.startswith(incomplete)]


def complete_zone(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        with _completion_client(ctx) as c:
            zones = {i.get("zoneId", "") for s in c.services() for i in s.get("instances", [])}
            try:
                zones |= {z.get("zoneId", "") for z in c.zone_operations()}
            except Exception:
                pass
    except Exception:
        return []
    return sorted(z for z in zones if z and z.startswith(incomplete))


def complete_region(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        with _completion_client(ctx) as c:
            regions = {i.get("regionId", "") for s in c.services() for i in s.get("instances", [])}
    except Exception:
        return []
    return sorted(r for r in regions if r and r.startswith(incomplete))


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
