"""`artemis server ...`: run a node, and host-level operations against a running cluster."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from artemis_cli import blast
from artemis_cli.commands import cluster
from artemis_cli.commands._opts import DryRun, Operator, Yes
from artemis_cli.common import complete_region, confirm, state
from artemis_cli.output import Col

app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Run a registry node; pull whole servers (by IP) in and out.",
)


@app.command("start")
def start(
    config: Annotated[
        str | None,
        typer.Option("--config", help="TOML config file (env ARTEMIS_CONFIG).", show_default=False),
    ] = None,
    addr: Annotated[
        str | None, typer.Option("--addr", help="Listen address HOST:PORT (default 127.0.0.1:8080).")
    ] = None,
    data_dir: Annotated[
        str | None, typer.Option("--data-dir", help="Directory for the SQLite database.")
    ] = None,
    peer: Annotated[
        list[str] | None,
        typer.Option("--peer", help="Peer node URL; repeat for several (enables clustering)."),
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="Region of this node.")] = None,
    zone: Annotated[str | None, typer.Option("--zone", help="Zone of this node.")] = None,
) -> None:
    """Run a registry node in the foreground until Ctrl-C / SIGTERM (embedded default: no setup needed)."""
    from artemis_server.serve import run
    from artemis_server.settings import ConfigError, load_settings, split_addr

    overrides: dict[str, dict[str, object]] = {}
    server: dict[str, object] = {}
    if addr is not None:
        try:
            split_addr(addr)
        except ValueError as exc:
            print(f"error: invalid value for '--addr': {exc}", file=sys.stderr)
            raise typer.Exit(2) from None
        server["listen_addr"] = addr
    if data_dir is not None:
        server["data_dir"] = data_dir
    if region is not None:
        server["region"] = region
    if zone is not None:
        server["zone"] = zone
    if server:
        overrides["server"] = server
    if peer:
        overrides["cluster"] = {"enabled": True}
    try:
        settings, warnings = load_settings(config, overrides=overrides)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    if peer:  # --peer adds to the peers of the config file / environment
        settings.cluster.peers += [p for p in peer if p not in settings.cluster.peers]
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    raise typer.Exit(run(settings))


@app.command("reset-password")
def reset_password(
    user: Annotated[str, typer.Option("--user", "-u", metavar="NAME", help="Console user.")] = "admin",
    config: Annotated[
        str | None,
        typer.Option(
            "--config", help="TOML config file of the node (env ARTEMIS_CONFIG).", show_default=False
        ),
    ] = None,
    data_dir: Annotated[
        str | None, typer.Option("--data-dir", help="Data directory of the node (its SQLite database).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from stdin.")
    ] = False,
) -> None:
    """Set a console user's password on this node's database (recovery; the user becomes an active admin
    if it does not exist). Every session of the user is ended. Needs no running server and no token."""
    import getpass

    from artemis_server.auth.admin import reset_password as do_reset
    from artemis_server.errors import StorageUnavailableError
    from artemis_server.settings import ConfigError, load_settings

    overrides: dict[str, dict[str, object]] = {"server": {"data_dir": data_dir}} if data_dir else {}
    try:
        settings, _ = load_settings(config, overrides=overrides)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"new password for {user}: ", stream=sys.stderr)
    else:
        print("error: no terminal to ask for the password: pass --password-stdin", file=sys.stderr)
        raise typer.Exit(2)
    minimum = settings.auth.min_password_length
    if len(password) < minimum:
        print(f"error: the password needs at least {minimum} characters", file=sys.stderr)
        raise typer.Exit(2)
    try:
        created = do_reset(settings, user, password)
    except StorageUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    what = "created admin" if created else "password reset for"
    print(f"{what} {user} (database {settings.database_url().split('://', 1)[0]})")


# -- operations against a running cluster ---------------------------------------------------------------

Region = Annotated[
    str | None,
    typer.Option("--region", metavar="R", help="Region of the server.", autocompletion=complete_region),
]


@app.command("status")
def status(ctx: typer.Context) -> None:
    """This node and its view of the cluster."""
    st = state(ctx)
    with st.out.spinner("asking the node"):
        whole = st.client.node_document()
        node = whole.get("nodeStatus") or {}
        nodes = cluster.nodes_view(st)
    exposure = whole.get("exposure") or []  # older nodes do not say
    doc = {
        "server": st.client.last_server,
        "nodeStatus": node,
        "nodesStatus": nodes,
        "nodeCount": sum(1 for n in nodes if n.get("status") == "up"),
        "exposure": exposure,
    }
    if st.out.structured:
        st.out.document(doc)
        return
    for e in exposure:
        st.out.warn(f"exposed: {e.get('risk')} (set {e.get('fix')})")
    n = node.get("node", {})
    st.out.record(
        node,
        [
            Col("node", lambda _: n.get("nodeId")),
            Col("url", lambda _: n.get("url")),
            Col("region", lambda _: n.get("regionId")),
            Col("zone", lambda _: n.get("zoneId")),
            Col("status", "status"),
            Col("registry", "canServiceRegistry"),
            Col("discovery", "canServiceDiscovery"),
            Col("registry from other zone", "allowRegistryFromOtherZone", wide=True),
            Col("discovery from other zone", "allowDiscoveryFromOtherZone", wide=True),
        ],
        title=f"node {st.client.last_server}",
    )
    st.out.table(nodes, cluster.NODE_COLS, title=f"cluster ({doc['nodeCount']} nodes up)")


def _server_radius(st: Any, ip: str, region: str | None) -> dict[str, Any]:
    services = st.client.services()
    return blast.by_service(
        services,
        lambda i: str(i.get("ip") or "") == ip and (region is None or blast._ieq(i.get("regionId"), region)),
    )


@app.command("pull-out")
def pull_out(
    ctx: typer.Context,
    ip: Annotated[str, typer.Argument(metavar="IP", help="Server (host) IP: every instance on it.")],
    region: Region = None,
    operator: Operator = None,
    yes: Yes = False,
    dry_run: DryRun = False,
) -> None:
    """Take every instance on a host (by IP) out of traffic (Artemis "server operation")."""
    st = state(ctx)
    region = st.region(region)
    op = st.operator(operator)
    with st.out.spinner("computing blast radius"):
        radius = _server_radius(st, ip, region)
    plan = {"operation": "pullout", "serverId": ip, "regionId": region, "operatorId": op, **radius}
    if not confirm(
        st,
        action=f"pull out server {ip}",
        lines=blast.lines_for(radius, f"server {ip}"),
        plan=plan,
        yes=yes,
        dry_run=dry_run,
    ):
        return
    st.client.operate_server(ip, "pullout", operator=op, region=region)
    st.out.done(
        {**plan, "dryRun": False}, f"server {ip} pulled out ({radius['instancesAffected']} instances)"
    )


@app.command("pull-in")
def pull_in(
    ctx: typer.Context,
    ip: Annotated[str, typer.Argument(metavar="IP", help="Server (host) IP.")],
    region: Region = None,
    operator: Operator = None,
) -> None:
    """Put a pulled-out host back into traffic."""
    st = state(ctx)
    region = st.region(region)
    op = st.operator(operator)
    st.client.operate_server(ip, "pullin", operator=op, region=region)
    st.out.done(
        {"operation": "pullin", "serverId": ip, "regionId": region, "operatorId": op},
        f"server {ip} pulled in",
    )


@app.command("operations")
def operations(ctx: typer.Context, region: Region = None) -> None:
    """Server operations in force (pulled-out hosts)."""
    st = state(ctx)
    rows = st.client.all_server_operations(st.region(region))
    st.out.table(
        rows,
        [Col("SERVER", "serverId"), Col("REGION", "regionId"), Col("OPERATION", "operation")],
        empty="no server operations",
    )
