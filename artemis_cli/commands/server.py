"""`artemis server ...`: run a node, and host-level operations against a running cluster."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, help="Run a registry node; pull whole servers (by IP) in and out.")


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
