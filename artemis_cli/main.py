"""Root Typer app of `artemis`: global options, error -> exit code mapping, command groups.

Only typer and the standard library are imported here: `artemis --help` must stay fast. httpx, rich,
websockets, the server (uvicorn, litestar, sqlalchemy) and the TUI (textual) are imported inside the
commands that need them.
"""

from __future__ import annotations

import os
import sys
import traceback
from enum import StrEnum
from typing import Annotated, Any

import typer

from artemis_cli.cmdline import CleanGroup, lazy_parser
from artemis_cli.commands import auth
from artemis_cli.common import Refusal, State, complete_context, state
from artemis_cli.errors import exit_code
from artemis_client.errors import ArtemisError

EPILOG = (
    "Exit codes: 0 success; 1 the server refused or failed the operation; 2 usage error or refused "
    "confirmation; 3 not found; 4 server unreachable or timed out (after trying every configured server). "
    "Results go to stdout (-o json: one JSON document), messages and errors to stderr. "
    "ARTEMIS_DEBUG=1 shows tracebacks."
)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"
    wide = "wide"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _report(exc: BaseException) -> None:
    if os.environ.get("ARTEMIS_DEBUG") and os.environ.get("ARTEMIS_DEBUG") != "0":
        traceback.print_exception(exc, file=sys.stderr)
    print(f"error: {_one_line(str(exc)) or type(exc).__name__}", file=sys.stderr, flush=True)


_GLOBAL_VALUE = {"--output", "-o", "--timeout", "--context", "--client-config", "--token", "--server"}
_GLOBAL_FLAG = {"--quiet", "-q", "--verbose", "-v", "--no-color"}


def hoist_globals(args: list[str]) -> list[str]:
    """Accept global options after the subcommand too (`artemis service list -o json`).

    They are moved in front of the first command word. `--server` stays where it is for `context set`,
    which has its own `--server`. Everything after `--` is left alone.
    """
    # skip values of global options given before the command word
    i = 0
    while i < len(args):
        a = args[i]
        if a in _GLOBAL_VALUE:
            i += 2
            continue
        if a.startswith("-"):
            i += 1
            continue
        break
    head, rest = args[:i], args[i:]
    own_server = rest[:2] == ["context", "set"]
    moved: list[str] = []
    kept: list[str] = []
    j = 0
    while j < len(rest):
        a = rest[j]
        if a == "--":
            kept.extend(rest[j:])
            break
        name = a.split("=", 1)[0] if a.startswith("--") else a
        if name == "--server" and own_server:
            kept.append(a)
        elif name in _GLOBAL_VALUE:
            if "=" in a or j + 1 >= len(rest):
                moved.append(a)
            else:
                moved.extend(rest[j : j + 2])
                j += 1
        elif a.startswith("-o") and len(a) > 2 and not a.startswith("--"):
            moved.append(a)  # -ojson
        elif a in _GLOBAL_FLAG:
            moved.append(a)
        else:
            kept.append(a)
        j += 1
    return head + moved + kept


# Command groups are imported and built only when used: building all ~60 Typer commands costs more than
# everything else `artemis --help` does. The short help shown by `artemis --help` lives here (a test checks it
# matches each group's own help).
LAZY_GROUPS: dict[str, tuple[str, str]] = {
    "server": ("artemis_cli.commands.server", "Run a registry node; pull whole servers (by IP) in and out."),
    "cluster": ("artemis_cli.commands.cluster", "Cluster nodes and their status."),
    "service": ("artemis_cli.commands.service", "List and inspect services."),
    "instance": ("artemis_cli.commands.instance", "List, register, pull in/out and watch service instances."),
    "zone": ("artemis_cli.commands.zone", "Pull zones out of traffic and back in; zone status."),
    "canary": (
        "artemis_cli.commands.canary",
        "Canary configs: which client IPs see a service's canary instances.",
    ),
    "route": ("artemis_cli.commands.route", "Group routing: service groups, tags, bindings, route rules."),
    "audit": ("artemis_cli.commands.audit", "The audit log of management operations."),
    "context": (
        "artemis_cli.commands.context",
        "Named cluster profiles (servers, token, default region/zone).",
    ),
}


def load_group(name: str) -> Any:
    import importlib

    from typer.main import get_group

    module = importlib.import_module(LAZY_GROUPS[name][0])
    group = get_group(module.app)
    group.name = name
    return group


class ArtemisGroup(CleanGroup):
    """Root group: lazy command groups; every error, of the command line or of a command, becomes one stderr
    line and its exit code (in `artemis` and in tests that invoke the app in-process alike)."""

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code = _guarded(
            lambda: super(ArtemisGroup, self).main(
                args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra
            )
        )
        if standalone_mode:
            sys.exit(code)
        return code

    def list_commands(self, ctx: Any) -> list[str]:
        own = [n for n in super().list_commands(ctx) if n not in LAZY_GROUPS]
        return [*LAZY_GROUPS, *own]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is None and cmd_name in LAZY_GROUPS:
            cmd = load_group(cmd_name)
            self.add_command(cmd, cmd_name)
        return cmd

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        from typer._click.utils import make_default_short_help

        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in LAZY_GROUPS and name not in self.commands:
                rows.append((name, make_default_short_help(LAZY_GROUPS[name][1], limit)))
                continue
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            args = hoist_globals(list(args))
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ArtemisError as exc:
            _report(exc)
            raise typer.Exit(exit_code(exc)) from None
        except Refusal as exc:
            _report(exc)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if getattr(exc, "exit_code", None) is not None and type(exc).__module__.startswith("typer"):
                raise
            _report(exc)
            raise typer.Exit(1) from None
        finally:
            obj = ctx.obj
            if isinstance(obj, State):
                obj.close()


app = typer.Typer(
    cls=ArtemisGroup,
    no_args_is_help=True,
    help="Artemis service registry: run a node and operate a cluster.",
    epilog=EPILOG,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from artemis_client import __version__  # one version for the whole distribution

        print(f"artemis {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    server_url: Annotated[
        str | None,
        typer.Option(
            "--server",
            envvar="ARTEMIS_SERVER",
            metavar="URL[,URL...]",
            help="Registry node(s) to talk to; comma-separated for failover. "
            "[default: context servers, else http://127.0.0.1:8080]",
        ),
    ] = None,
    context_name: Annotated[
        str | None,
        typer.Option(
            "--context",
            envvar="ARTEMIS_CONTEXT",
            metavar="NAME",
            help="Named cluster profile from the client config (default: its current-context).",
            parser=lazy_parser("ident_parser", "--context", "a context name"),
            autocompletion=complete_context,
        ),
    ] = None,
    client_config: Annotated[
        str | None,
        typer.Option(
            "--client-config",
            envvar="ARTEMIS_CLIENT_CONFIG",
            metavar="FILE",
            help="Client config file (default: <user config dir>/artemis/client.toml).",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="ARTEMIS_TOKEN",
            metavar="TOKEN",
            show_envvar=True,
            help="Bearer token for protected endpoints (never printed).",
        ),
    ] = None,
    output: Annotated[
        OutputFormat | None,
        typer.Option(
            "--output",
            "-o",
            envvar="ARTEMIS_OUTPUT",
            help="Result format [default: table on a terminal, json otherwise].",
            parser=lazy_parser("choice_parser", "--output", OutputFormat),
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help="Per-request timeout (5, 0.5, 250ms, 1m).",
            parser=lazy_parser("seconds_parser", "--timeout", 0.001, 3600),
        ),
    ] = 10.0,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colours (also NO_COLOR=1).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only results and errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log requests to stderr.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Artemis service registry: run a node and operate a cluster."""
    ctx.obj = State(
        server=server_url,
        context=context_name,
        client_config=client_config,
        token=token,
        output=output.value if output is not None else None,
        timeout=timeout,
        no_color=no_color or bool(os.environ.get("NO_COLOR")),
        quiet=quiet,
        verbose=verbose,
    )


app.command("login")(auth.login)
app.command("logout")(auth.logout)


@app.command("tui")
def tui(
    ctx: typer.Context,
    refresh: Annotated[
        float,
        typer.Option(
            "--refresh",
            metavar="SECONDS",
            help="Refresh period.",
            parser=lazy_parser("seconds_parser", "--refresh", 0.1, 3600),
        ),
    ] = 2.0,
    web: Annotated[bool, typer.Option("--web", help="Serve the dashboard in a browser instead.")] = False,
    port: Annotated[
        int,
        typer.Option(
            "--port", metavar="PORT", help="Port for --web.", parser=lazy_parser("port_parser", "--port")
        ),
    ] = 8000,
) -> None:
    """Live Textual dashboard of the cluster (imports the TUI only when run)."""
    import importlib

    try:
        mod = importlib.import_module("artemis_cli.tui")
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == "artemis_cli.tui" or exc.name.startswith("textual")):
            print(
                f"error: the TUI is not available in this installation ({exc.name} is missing)",
                file=sys.stderr,
            )
            raise typer.Exit(1) from None
        raise
    run = getattr(mod, "run", None)
    if run is None:
        print(
            "error: the TUI is not available in this installation (artemis_cli.tui has no run())",
            file=sys.stderr,
        )
        raise typer.Exit(1)
    from artemis_cli.config import exposed, exposure_warning

    st = state(ctx)
    s = st.settings
    if s.token:
        for server in exposed(s.servers):  # said before the dashboard takes the terminal
            st.out.warn(exposure_warning(server))
    code = run(
        servers=s.servers,
        token=s.token,
        timeout=st.timeout,
        refresh=refresh,
        web=web,
        port=port,
        operator=st.operator(None),
    )
    raise typer.Exit(int(code or 0))


def _param_name(param: Any) -> str:
    opts = [o for o in getattr(param, "opts", []) or [] if o.startswith("--")]
    if opts:
        return max(opts, key=len)
    return str(getattr(param, "metavar", None) or getattr(param, "name", "") or "value").upper()


def _plain(exc: Any) -> str:
    """Typer's own coercion speaks pydantic ("Input should be ..."): say it in plain words instead. Our
    parameters are checked by artemis_cli.validate first; this covers anything that slips through."""
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if not callable(errors):
        return str(exc.message)
    try:
        err = errors()[0]
    except (IndexError, TypeError):
        return str(exc.message)
    kind, given, limits = err.get("type", ""), err.get("input"), err.get("ctx") or {}
    if kind in ("int_parsing", "int_from_float"):
        return f"{str(given)!r} is not a whole number"
    if kind == "float_parsing":
        return f"{str(given)!r} is not a number"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{given} is too small: it must be at least {limits.get('ge', limits.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"{given} is too large: it must be at most {limits.get('le', limits.get('lt'))}"
    msg = str(err.get("msg") or exc.message)
    return msg.removeprefix("Value error, ")


def _usage_line(exc: Any) -> str:
    from typer._click.exceptions import BadParameter, MissingParameter

    hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
    if isinstance(exc, BadParameter) and not isinstance(exc, MissingParameter) and exc.param is not None:
        return f"{_param_name(exc.param)}: {_one_line(_plain(exc))}{hint}"
    msg = _one_line(exc.format_message()).rstrip(".")
    return f"{msg[:1].lower() + msg[1:]}{hint}"


def _guarded(call: Any) -> int:
    """Run the parsed command line; usage errors become one line on stderr (exit 2)."""
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

    try:
        rv = call()
    except NoArgsIsHelpError as exc:
        print(exc.format_message(), file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"error: {_usage_line(exc)}", file=sys.stderr)
        return 2
    except ClickException as exc:
        print(f"error: {_one_line(exc.format_message())}", file=sys.stderr)
        return exc.exit_code
    except ArtemisError as exc:  # a global option's value (parsed before any command runs)
        _report(exc)
        return exit_code(exc)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    return rv if isinstance(rv, int) else 0


def run(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    from typer.main import get_command

    cmd = get_command(app)
    return int(cmd.main(args=argv, prog_name="artemis", standalone_mode=False))


def main() -> None:
    code = run()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    sys.exit(code)
