"""`artemis tui`: a live Textual dashboard (imported only when the command runs; see main.py)."""

from __future__ import annotations

import os
import shlex
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
    if web:
        return serve_web(urls, token=token, timeout=timeout, refresh=refresh, port=port, host=host)
    from artemis_cli.tui.app import make_dashboard

    app = make_dashboard(urls, token=token, timeout=timeout, refresh=refresh, operator=operator)
    code = app.run()
    return int(code or 0)


def web_command(servers: list[str], *, timeout: float, refresh: float) -> str:
    """The command textual-serve runs per browser session (the token travels in the environment)."""
    return shlex.join(
        [
            sys.executable,
            "-m",
            "artemis_cli",
            "--server",
            ",".join(servers),
            "--timeout",
            f"{timeout:g}",
            "tui",
            "--refresh",
            f"{refresh:g}",
        ]
    )


def serve_web(
    servers: list[str], *, token: str | None, timeout: float, refresh: float, port: int, host: str
) -> int:
    try:
        from textual_serve.server import Server
    except ModuleNotFoundError:
        print("error: --web needs the textual-serve package (pip install textual-serve)", file=sys.stderr)
        return 1
    if token:
        os.environ["ARTEMIS_TOKEN"] = token  # inherited by the per-session subprocess, not on its argv
    print(f"serving the Artemis dashboard on http://{host}:{port} (Ctrl+C to stop)", file=sys.stderr)
    Server(
        web_command(servers, timeout=timeout, refresh=refresh), host=host, port=port, title="Artemis"
    ).serve()
    return 0
