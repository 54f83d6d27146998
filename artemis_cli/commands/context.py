"""`artemis context ...`: named cluster profiles in the client config file."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from artemis_cli.cmdline import group_app
from artemis_cli.common import complete_context, state
from artemis_cli.errors import parse_servers
from artemis_cli.options import id_argument, id_option
from artemis_cli.output import Col
from artemis_client.errors import InvalidArgumentError, NotFoundError

app = group_app("Named cluster profiles (servers, token, default region/zone).")

NameArg = Annotated[str, id_argument("NAME", "Context name.", "a context name", complete_context)]


def _path(ctx: typer.Context) -> Any:
    from artemis_cli import config

    return config.config_path(state(ctx).client_config)


def public_view(name: str, c: dict[str, Any], current: str | None) -> dict[str, Any]:
    """A context as shown to users: never the token itself."""
    return {
        "name": name,
        "current": name == current,
        "servers": list(c.get("servers") or []),
        "region": c.get("region"),
        "zone": c.get("zone"),
        "user": c.get("user"),
        "loggedInAs": (c.get("login-user") or c.get("user")) if c.get("token") else None,
        "tokenFile": c.get("token-file"),
        "hasToken": bool(c.get("token") or c.get("token-file")),
    }


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every context; the current one is marked."""
    from artemis_cli import config

    st = state(ctx)
    path = _path(ctx)
    doc = config.load(path)
    cur = doc.get("current-context")
    rows = [public_view(n, c, cur) for n, c in sorted(config.contexts(doc).items())]
    st.out.table(
        rows,
        [
            Col("CURRENT", lambda r: "*" if r["current"] else ""),
            Col("NAME", "name"),
            Col("SERVERS", "servers"),
            Col("REGION", "region"),
            Col("ZONE", "zone"),
            Col("USER", "user"),
            Col("LOGGED IN AS", "loggedInAs"),
            Col("TOKEN", lambda r: "file" if r["tokenFile"] else ("yes" if r["hasToken"] else "-")),
        ],
        empty=f"no contexts in {path}",
    )


@app.command("use")
def use(ctx: typer.Context, name: NameArg) -> None:
    """Make NAME the current context."""
    from artemis_cli import config

    st = state(ctx)
    path = _path(ctx)
    doc = config.load(path)
    if name not in config.contexts(doc):
        raise NotFoundError(f"context {name!r} not found in {path}")
    doc["current-context"] = name
    config.save(path, doc)
    st.out.done({"currentContext": name}, f"current context is now {name}")


@app.command("set")
def set_(
    ctx: typer.Context,
    name: NameArg,
    server: Annotated[
        str | None, typer.Option("--server", metavar="URL[,URL]", help="Server URL(s), comma-separated.")
    ] = None,
    token_file: Annotated[
        str | None, typer.Option("--token-file", metavar="FILE", help="File holding the bearer token.")
    ] = None,
    region: Annotated[
        str | None, id_option("--region", metavar="R", help="Default region.", what="a region id")
    ] = None,
    zone: Annotated[
        str | None, id_option("--zone", metavar="Z", help="Default zone.", what="a zone id")
    ] = None,
    user: Annotated[
        str | None, id_option("--user", metavar="NAME", help="Default operator id.", what="an operator id")
    ] = None,
    use_it: Annotated[bool, typer.Option("--use", help="Also make it the current context.")] = False,
) -> None:
    """Create or update a context (only the given fields change)."""
    from artemis_cli import config

    st = state(ctx)
    path = _path(ctx)
    doc = config.load(path)
    ctxs = config.contexts(doc)
    c = dict(ctxs.get(name) or {})
    if server is not None:
        c["servers"] = parse_servers(server)
    elif "servers" not in c:
        raise InvalidArgumentError("missing option '--server' for a new context")
    if token_file is not None:
        c["token-file"] = token_file
    for k, value in (("region", region), ("zone", zone), ("user", user)):
        if value is not None:
            c[k] = value
    ctxs[name] = c
    if use_it or not doc.get("current-context"):
        doc["current-context"] = name
    config.save(path, doc)
    st.out.done(public_view(name, c, doc.get("current-context")), f"context {name} saved in {path}")


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: NameArg,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Accepted for scripts; a local delete does not ask.")
    ] = False,
) -> None:
    """Delete a context (and any token stored in it); only the local client config changes."""
    from artemis_cli import config

    st = state(ctx)
    path = _path(ctx)
    doc = config.load(path)
    ctxs = config.contexts(doc)
    if name not in ctxs:
        raise NotFoundError(f"context {name!r} not found in {path}")
    del ctxs[name]
    if doc.get("current-context") == name:
        doc.pop("current-context")
    config.save(path, doc)
    st.out.done({"deleted": name}, f"context {name} deleted")
