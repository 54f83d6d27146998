"""Option types shared by several command groups."""

from __future__ import annotations

from typing import Annotated

import typer

from artemis_cli.common import complete_region, complete_service, complete_zone

Operator = Annotated[
    str | None,
    typer.Option(
        "--operator",
        metavar="NAME",
        help="Operator id for the audit log (default: login user name, else $USER).",
    ),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Only show what would be affected.")]
RegionOpt = Annotated[
    str | None, typer.Option("--region", metavar="R", help="Region.", autocompletion=complete_region)
]
ZoneOpt = Annotated[
    str | None, typer.Option("--zone", metavar="Z", help="Zone.", autocompletion=complete_zone)
]
ServiceArg = Annotated[str, typer.Argument(metavar="SERVICE_ID", autocompletion=complete_service)]
