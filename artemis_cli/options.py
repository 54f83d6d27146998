"""Option and argument types shared by the command groups. Every value is checked by artemis_cli.validate
while the command line is parsed (exit 2 naming the flag, before any request)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

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


def id_option(
    *flags: str, metavar: str, help: str, what: str, complete: Callable[..., list[str]] | None = None
) -> Any:
    """An option holding one id (checked by validate.ident: non-empty, <= 256 characters, no control
    characters); ``what`` names it in errors (``--zone: a zone id must not be empty``)."""
    return typer.Option(
        *flags, metavar=metavar, help=help, autocompletion=complete, parser=v.ident_parser(flags[0], what)
    )


def id_argument(metavar: str, help: str, what: str, complete: Callable[..., list[str]] | None = None) -> Any:
    """A positional argument holding one id (or several, when typed as a list)."""
    return typer.Argument(
        metavar=metavar, help=help, autocompletion=complete, parser=v.ident_parser(metavar, what)
    )


def region_opt(help: str = "Region.") -> Any:
    return id_option("--region", metavar="R", help=help, what="a region id", complete=complete_region)


def zone_opt(help: str = "Zone.") -> Any:
    return id_option("--zone", metavar="Z", help=help, what="a zone id", complete=complete_zone)


def service_opt(help: str = "Service id.") -> Any:
    return id_option(
        "--service", "-s", metavar="S", help=help, what="a service id", complete=complete_service
    )


RegionOpt = Annotated[str | None, region_opt()]
ZoneOpt = Annotated[str | None, zone_opt()]
ServiceArg = Annotated[str, id_argument("SERVICE_ID", "Service id.", "a service id", complete_service)]
OptServiceArg = Annotated[
    str | None, id_argument("SERVICE_ID", "Service id.", "a service id", complete_service)
]
InstanceArg = Annotated[str, id_argument("INSTANCE_ID", "Instance id.", "an instance id", complete_instance)]
InstancesArg = Annotated[
    list[str], id_argument("INSTANCE_ID", "Instance ids.", "an instance id", complete_instance)
]
ZoneArg = Annotated[str, id_argument("ZONE_ID", "Zone id.", "a zone id", complete_zone)]
GroupArg = Annotated[
    str,
    id_argument(
        "GROUP",
        "The group: its groupId, SERVICE:REGION:ZONE:NAME, or its NAME with -s SERVICE.",
        "a group",
        complete_group,
    ),
]
RuleArg = Annotated[str, id_argument("RULE", "The rule's route id.", "a route id", complete_rule)]
Description = Annotated[
    str | None,
    typer.Option("--description", metavar="TEXT", help="Description.", parser=v.text_parser("--description")),
]
