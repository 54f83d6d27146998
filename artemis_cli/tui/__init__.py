"""`artemis tui`: a live Textual dashboard (imported only when the command runs; see main.py)."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def run(
    *,
    servers: Sequence[str] | str | None,
    token: str | None,
    timeout: float,
    refresh: float,
    web: bool = False,
    port: int = 8000,
    host: str = "127.0.0.1",
    operator: str | None = None,
) -> int:
    """Run the dashboard in this terminal, or (``web``) serve it to browsers with textual-serve."""
    from artemis_cli.errors import parse_servers

    urls = parse_servers(servers)
    if web:  # artemis_cli/tui/web: our page, loopback and origin checks, one process per browser tab
        try:
            from artemis_cli.tui.web.server import run_web
        except ModuleNotFoundError as exc:
            print(f"error: --web needs the textual-serve package ({exc.name} is missing)", file=sys.stderr)
            return 1
        return run_web(
            urls, token=token, timeout=timeout, refresh=refresh, port=port, host=host, operator=operator
        )
    from artemis_cli.tui.dashboard import make_dashboard

    app = make_dashboard(urls, token=token, timeout=timeout, refresh=refresh, operator=operator)
    code = app.run()
    return int(code or 0)
