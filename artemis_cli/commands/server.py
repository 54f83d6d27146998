"""`artemis server ...`: run a node, and host-level operations against a running cluster."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from artemis_cli import blast, inventory
from artemis_cli import validate as v
from artemis_cli.cmdline import group_app
from artemis_cli.common import state
from artemis_cli.destructive import Plan, carry_out
from artemis_cli.options import DryRun, Force, Operator, Yes, id_argument, id_option, region_opt
from artemis_cli.output import Col, plain
from artemis_client.errors import InvalidArgumentError, NotFoundError

if TYPE_CHECKING:
    from artemis_cli.views import InstanceView

app = group_app("Run a registry node; pull whole servers (by IP) in and out.")


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


@app.command("start")
def start(
    config: Annotated[
        str | None,
        typer.Option(
            "--config", metavar="FILE", help="TOML config file (env ARTEMIS_CONFIG).", show_default=False
        ),
    ] = None,
    addr: Annotated[
        str | None,
        typer.Option("--addr", metavar="HOST:PORT", help="Listen address (default 127.0.0.1:8080)."),
    ] = None,
    data_dir: Annotated[
        str | None, typer.Option("--data-dir", metavar="DIR", help="Directory for the SQLite database.")
    ] = None,
    peer: Annotated[
        list[str] | None,
        typer.Option(
            "--peer",
            metavar="URL",
            help="Peer node URL; repeat for several (enables clustering).",
            parser=v.http_url_parser("--peer"),
        ),
    ] = None,
    region: Annotated[
        str | None, id_option("--region", metavar="R", help="Region of this node.", what="a region id")
    ] = None,
    zone: Annotated[
        str | None, id_option("--zone", metavar="Z", help="Zone of this node.", what="a zone id")
    ] = None,
    log_level: Annotated[
        LogLevel | None,
        typer.Option(
            "--log-level",
            help="Log level (default: logging.level of the config, info). debug also logs every HTTP request "
            "the node serves and sends.",
            parser=v.choice_parser("--log-level", LogLevel),
        ),
    ] = None,
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
            print(f"error: --addr: {exc}", file=sys.stderr)
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
    if log_level is not None:
        overrides["logging"] = {"level": log_level.value}
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
    user: Annotated[
        str, id_option("--user", "-u", metavar="NAME", help="Console user.", what="a user name")
    ] = "admin",
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="TOML config file of the node (env ARTEMIS_CONFIG).",
            show_default=False,
        ),
    ] = None,
    data_dir: Annotated[
        str | None,
        typer.Option("--data-dir", metavar="DIR", help="Data directory of the node (its SQLite database)."),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from stdin.")
    ] = False,
) -> None:
    """Set a console user's password on this node's database (recovery; the user becomes an active admin
    if it does not exist). Every session of the user is ended. Needs no running server and no token."""
    import getpass

    from artemis_client.errors import StorageUnavailableError
    from artemis_server.auth.admin import reset_password as do_reset
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

Region = Annotated[str | None, region_opt("Region of the server.")]
IpArg = Annotated[
    str,
    typer.Argument(metavar="IP", help="Server (host) IP: every instance on it.", parser=v.ip_parser("IP")),
]


@app.command("status")
def status(ctx: typer.Context) -> None:
    """This node and its view of the cluster."""
    from artemis_cli.cluster_view import NODE_COLS, nodes_view

    st = state(ctx)
    with st.out.spinner("asking the node"):
        whole = st.client.node_document()
        node = whole.node_status
        nodes = nodes_view(st.client)
    exposure = whole.exposure or []  # older nodes do not say
    up = sum(1 for n in nodes if n.status == "up")
    if st.out.structured:
        st.out.document(
            {
                "server": st.client.last_server,
                "nodeStatus": node if node is not None else {},
                "nodesStatus": nodes,
                "nodeCount": up,
                "exposure": exposure,
            }
        )
        return
    for e in exposure:
        st.out.warn(f"exposed: {e.risk} (set {e.fix})")
    n = node.node if node is not None else None
    st.out.record(
        node,
        [
            Col("node", lambda _: n.node_id if n else None),
            Col("url", lambda _: n.url if n else None),
            Col("region", lambda _: n.region_id if n else None),
            Col("zone", lambda _: n.zone_id if n else None),
            Col("status", "status"),
            Col("registry", "canServiceRegistry"),
            Col("discovery", "canServiceDiscovery"),
            Col("registry from other zone", "allowRegistryFromOtherZone", wide=True),
            Col("discovery from other zone", "allowDiscoveryFromOtherZone", wide=True),
        ],
        title=f"node {st.client.last_server}",
    )
    st.out.table(nodes, NODE_COLS, title=f"cluster ({up} nodes up)")


def _on_server(ip: str, region: str | None) -> Callable[[InstanceView], bool]:
    return lambda i: (i.ip or "") == ip and (region is None or inventory.ieq(i.region_id, region))


@app.command("pull-out")
def pull_out(
    ctx: typer.Context,
    ip: IpArg,
    region: Region = None,
    operator: Operator = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    force: Force = False,
) -> None:
    """Take every instance on a host (by IP) out of traffic (Artemis "server operation"). An IP with no
    registered instance is refused (exit 3, nothing recorded) unless --force records it ahead."""
    st = state(ctx)
    region = st.region(region)
    op = st.operator(operator)
    with st.out.spinner("computing blast radius"):
        services = inventory.services(st.client, None, region, warn=st.warn)
    if region is None:
        # a server operation is keyed by (region, IP): take the region of the instances on that IP
        anywhere = _on_server(ip, None)
        regions = sorted({i.region_id or "" for svc in services for i in svc.instances if anywhere(i)})
        if len(regions) > 1:
            raise InvalidArgumentError(
                f"--region: server {ip} has instances in several regions ({', '.join(regions)}); name one"
            )
        region = regions[0] if regions and regions[0] else None
    on_ip = _on_server(ip, region)
    registered = sum(1 for svc in services for i in svc.instances if on_ip(i))
    if not registered and not force:
        where = f" in region {region}" if region else ""
        raise NotFoundError(
            f"no instance is registered on server {ip}{where}; nothing was recorded (check the IP and "
            "region, or pass --force to record the pull-out ahead of registration)"
        )
    radius = blast.by_service(blast.serving_only(services), on_ip)
    lines = blast.lines_for(radius, f"server {ip}")
    if registered > radius.instances_affected:
        lines.append(f"  {registered - radius.instances_affected} more registered on it, not serving now")
    if not registered:
        lines.append("  no instance registered on it now: recorded ahead of registration (--force)")
    doc = {
        "operation": "pullout",
        "serverId": ip,
        "regionId": region,
        "operatorId": op,
        "instancesRegistered": registered,
        **plain(radius),
    }
    carry_out(
        st,
        Plan(f"pull out server {ip}", doc, lines),
        yes=yes,
        dry_run=dry_run,
        run=lambda: st.client.operate_server(ip, "pullout", operator=op, region=region),
        done=f"server {ip} pulled out ({radius.instances_affected} serving instances)",
    )


@app.command("pull-in")
def pull_in(
    ctx: typer.Context,
    ip: Annotated[
        str, id_argument("IP", "Server id as pulled out (see 'artemis server operations').", "a server id")
    ],
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
