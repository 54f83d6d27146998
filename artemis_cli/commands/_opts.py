"""Option and argument types shared by the command groups. Every value is checked by artemis_cli.validate
while the command line is parsed (exit 2 naming the flag, before any request)."""

from __future__ import annotations

from typing import Annotated

import typer

from artemis_cli import validate as v
from artemis_cli.common import (
    complete_group,
    complete_instance,
    complete_region,
    complete_rule,
    complete_service,
    complete_zone,
)

Operator = Annotated[
    str | None,
    typer.Option(
        "--operator",
        metavar="NAME",
        help="Operator id for the audit log (default: the logged-in user, else the context's user, "
        "else the OS user).",
        parser=v.ident_parser("--operator", "an operator id"),
    ),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Only show what would be affected.")]
Force = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Record the pull-out even for what is not registered now (it applies when it registers).",
    ),
]


def region_opt(help: str = "Region.") -> object:
    return typer.Option(
        "--region",
        metavar="R",
        help=help,
        autocompletion=complete_region,
        parser=v.ident_parser("--region", "a region id"),
    )


def zone_opt(help: str = "Zone.") -> object:
    return typer.Option(
        "--zone",
        metavar="Z",
        help=help,
        autocompletion=complete_zone,
        parser=v.ident_parser("--zone", "a zone id"),
    )


def service_opt(help: str = "Service id.") -> object:
    return typer.Option(
        "--service",
        "-s",
        metavar="S",
        help=help,
        autocompletion=complete_service,
        parser=v.ident_parser("--service", "a service id"),
    )


RegionOpt = Annotated[str | None, region_opt()]
ZoneOpt = Annotated[str | None, zone_opt()]
ServiceArg = Annotated[
    str,
    typer.Argument(
        metavar="SERVICE_ID",
        help="Service id.",
        autocompletion=complete_service,
        parser=v.ident_parser("SERVICE_ID", "a service id"),
    ),
]
OptServiceArg = Annotated[
    str | None,
    typer.Argument(
        metavar="SERVICE_ID",
        help="Service id.",
        autocompletion=complete_service,
        parser=v.ident_parser("SERVICE_ID", "a service id"),
    ),
]
InstanceArg = Annotated[
    str,
    typer.Argument(
        metavar="INSTANCE_ID",
        help="Instance id.",
        autocompletion=complete_instance,
        parser=v.ident_parser("INSTANCE_ID", "an instance id"),
    ),
]
InstancesArg = Annotated[
    list[str],
    typer.Argument(
        metavar="INSTANCE_ID",
        help="Instance ids.",
        autocompletion=complete_instance,
        parser=v.ident_parser("INSTANCE_ID", "an instance id"),
    ),
]
ZoneArg = Annotated[
    str,
    typer.Argument(
        metavar="ZONE_ID",
        help="Zone id.",
        autocompletion=complete_zone,
        parser=v.ident_parser("ZONE_ID", "a zone id"),
    ),
]
GroupArg = Annotated[
    str,
    typer.Argument(
        metavar="GROUP",
        help="The group: its groupId, SERVICE:REGION:ZONE:NAME, or its NAME with -s SERVICE.",
        autocompletion=complete_group,
        parser=v.ident_parser("GROUP", "a group"),
    ),
]
RuleArg = Annotated[
    str,
    typer.Argument(
        metavar="RULE",
        help="The rule's route id.",
        autocompletion=complete_rule,
        parser=v.ident_parser("RULE", "a route id"),
    ),
]
Description = Annotated[
    str | None,
    typer.Option("--description", metavar="TEXT", help="Description.", parser=v.text_parser("--description")),
]
