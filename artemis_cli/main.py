"""Root Typer app of `artemis`."""

from __future__ import annotations

import typer

from artemis_cli.commands import server

app = typer.Typer(no_args_is_help=True, help="Artemis service registry: run a node and operate a cluster.")
app.add_typer(server.app, name="server")


def main() -> None:
    app()
