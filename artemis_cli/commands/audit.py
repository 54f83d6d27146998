"""`artemis audit list`: who changed what, newest first."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from artemis_cli import validate as v
from artemis_cli.cmdline import group_app
from artemis_cli.common import complete_instance, state
from artemis_cli.options import id_option, service_opt
from artemis_cli.output import Col
from artemis_client.errors import InvalidArgumentError

app = group_app("The audit log of management operations.")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(value: str, now: float | None = None) -> int:
    """``90s``, ``15m``, ``2h``, ``7d``, ``1w`` (ago) or an ISO time / epoch seconds -> epoch seconds."""
    text = value.strip()
    now = time.time() if now is None else now
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhdw])", text)
    if m:
        return int(now - float(m.group(1)) * _UNITS[m.group(2)])
    if re.fullmatch(r"\d{9,}", text):
        return int(text)
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArgumentError(
            f"--since: {value!r} is neither a duration (15m, 2h, 7d) nor a time (2026-11-29T05:00:00Z)"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def _time(v: Any) -> str:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return datetime.fromtimestamp(v, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return str(v) if v is not None else "-"


@app.command("list")
def list_(
    ctx: typer.Context,
    service: Annotated[str | None, service_opt("Only this service.")] = None,
    instance: Annotated[
        str | None,
        id_option(
            "--instance",
            "-i",
            metavar="I",
            help="Only this instance.",
            what="an instance id",
            complete=complete_instance,
        ),
    ] = None,
    operator: Annotated[
        str | None, id_option("--operator", metavar="NAME", help="Only this operator.", what="an operator id")
    ] = None,
    operation: Annotated[
        str | None,
        id_option(
            "--operation",
            metavar="OP",
            help="Only this operation (pullout, pullin, create, ...).",
            what="an operation",
        ),
    ] = None,
    type_: Annotated[
        str | None,
        id_option(
            "--type",
            metavar="TYPE",
            help="Only this operation type (instance, server, zone, group, route_rule, canary, ...).",
            what="an operation type",
        ),
    ] = None,
    since: Annotated[
        int | None,
        typer.Option(
            "--since",
            metavar="DURATION|TIME",
            help="Newer than: 15m, 2h, 7d, or a time (2026-11-29T05:00:00Z).",
            parser=lambda x: None if x is None else parse_since(str(x)),
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            "-n",
            metavar="N",
            help="At most N entries (1..10000).",
            parser=v.count_parser("--limit", 1, 10000),
        ),
    ] = 100,
) -> None:
    """Audit log entries, newest first."""
    st = state(ctx)
    since_s = since
    c = st.client
    if service or instance:
        rows = c.audit_instance_logs(
            service_id=service,
            instance_id=instance,
            operator=operator,
            since=since_s,
            limit=limit if not operation else None,
        )
    else:
        rows = c.audit_logs(
            operation_type=type_, operator=operator, operation=operation, since=since_s, limit=limit
        )
    # the server filters too; re-check here so older servers that ignore a filter still answer correctly
    if operation:
        rows = [r for r in rows if r.operation.lower() == operation.lower()]
    if type_:
        rows = [r for r in rows if r.operation_type.lower() == type_.lower()]
    if operator:
        rows = [r for r in rows if r.operator_id == operator]
    if since_s is not None:
        rows = [r for r in rows if r.operation_time >= since_s]
    rows = rows[:limit]
    st.out.table(
        rows,
        [
            Col("ID", "logId"),
            Col("TIME", lambda r: _time(r.operation_time)),
            Col("TYPE", "operationType"),
            Col("TARGET", "targetId"),
            Col("OPERATION", "operation"),
            Col("OPERATOR", "operatorId"),
            Col("DETAILS", "details", wide=True),
        ],
        empty="no audit entries",
    )
