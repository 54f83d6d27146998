"""One browser session of `artemis tui --web`: the dashboard, started without the CLI around it.

textual-serve runs ``python -m artemis_cli.tui.web.session`` per browser tab with the WebDriver in the
environment. The serving process resolved the servers, timeout, refresh period and operator once and put
them in ``ARTEMIS_TUI_SESSION`` (JSON); the token is in ``ARTEMIS_TOKEN``. Skipping Typer and the client
config here is what makes the first frame come sooner: the process imports Textual and the dashboard only.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from artemis_cli.tui.web import SESSION_ENV


def options(environ: dict[str, str] | os._Environ[str] = os.environ) -> dict[str, Any]:
    """The session's options from the environment; ValueError says what is wrong."""
    raw = environ.get(SESSION_ENV)
    if not raw:
        raise ValueError(f"{SESSION_ENV} is not set (this module is started by `artemis tui --web`)")
    try:
        opts = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{SESSION_ENV} is not JSON: {exc}") from None
    servers = opts.get("servers") if isinstance(opts, dict) else None
    if not isinstance(servers, list) or not servers or not all(isinstance(s, str) and s for s in servers):
        raise ValueError(f"{SESSION_ENV} names no servers")
    return {
        "servers": servers,
        "token": environ.get("ARTEMIS_TOKEN") or None,
        "timeout": float(opts.get("timeout") or 5.0),
        "refresh": float(opts.get("refresh") or 2.0),
        "operator": opts.get("operator") or None,
    }


def main() -> int:
    try:
        opts = options()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from artemis_cli.tui.dashboard import make_dashboard

    app = make_dashboard(
        opts["servers"],
        token=opts["token"],
        timeout=opts["timeout"],
        refresh=opts["refresh"],
        operator=opts["operator"],
    )
    return int(app.run() or 0)


if __name__ == "__main__":
    sys.exit(main())
