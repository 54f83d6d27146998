"""The web console's server: textual-serve's, with our page, host and origin checks, a pre-bound socket."""

from __future__ import annotations

import os
import secrets
import shlex
import socket
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import WSCloseCode, web
from textual_serve.server import Server

from artemis_cli.config import is_loopback
from artemis_cli.tui.web import ORIGINS_ENV, SESSION_ENV

TEMPLATES = Path(__file__).resolve().parent / "templates"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def parse_origins(value: str | None) -> frozenset[str]:
    """``scheme://host[:port]`` origins, comma or space separated, normalised (lower case, no path)."""
    origins: set[str] = set()
    for item in (value or "").replace(",", " ").split():
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{ORIGINS_ENV}: {item!r} is not an origin like https://console.example.com")
        origins.add(f"{parts.scheme}://{parts.netloc}".lower())
    return frozenset(origins)


class DashboardServer(Server):
    """textual-serve's server with the Artemis page, loopback/origin checks and a pre-bound socket."""

    def __init__(
        self,
        command: str,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        title: str = "Artemis",
        origins: Iterable[str] = (),
    ) -> None:
        super().__init__(command, host=host, port=port, title=title, templates_path=TEMPLATES)
        self.origins = frozenset(o.lower() for o in origins)
        self.hosts = frozenset(urlsplit(o).netloc for o in self.origins)
        self.sockets: set[web.WebSocketResponse] = set()  # open browser sessions, closed on shutdown

    # -- checks ------------------------------------------------------------------------------------
    def host_allowed(self, host_header: str) -> bool:
        host = host_header.strip().lower()
        return bool(host) and (is_loopback(f"http://{host}") or host in self.hosts)

    def origin_allowed(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser: browsers always send Origin with a WebSocket handshake
        origin = origin.strip().lower()
        scheme = "https" if request.secure else "http"
        return origin == f"{scheme}://{request.host.lower()}" or origin in self.origins

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.host_allowed(request.host):
            return web.Response(
                status=403,
                text=f"unknown host {request.host!r}: open the console on 127.0.0.1 or localhost "
                f"(a reverse proxy's origin goes in {ORIGINS_ENV})\n",
            )
        if request.path == "/ws" and not self.origin_allowed(request):
            return web.Response(
                status=403,
                text=f"origin {request.headers.get('Origin')!r} may not open a dashboard session "
                f"(list it in {ORIGINS_ENV})\n",
            )
        response = await handler(request)
        if not response.prepared:  # a WebSocket's headers are long sent when its handler returns
            response.headers.setdefault("X-Frame-Options", "DENY")  # no clickjacking of the console's keys
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    # -- application -------------------------------------------------------------------------------
    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self.guard])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path), autoescape=True)
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, show_index=False, name="static"),
            ]
        )
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def handle_index(self, request: web.Request) -> web.Response:
        """The page, with URLs relative to the host the browser used (a tunnel or proxy keeps working)."""
        try:
            font_size = max(6, min(int(request.query.get("fontsize", "16")), 64))
        except ValueError:
            font_size = 16
        scheme = "wss" if request.secure else "ws"
        websocket_url = f"{scheme}://{request.host}/ws"  # the page corrects the scheme behind an https proxy
        nonce = secrets.token_urlsafe(16)
        context = {
            "title": self.title,
            "static": "/static/",
            "websocket_url": websocket_url,
            "font_size": font_size,
            "nonce": nonce,
        }
        response = aiohttp_jinja2.render_template("index.html", request, context)
        response.headers["Cache-Control"] = "no-store"
        # xterm.js injects its styles at run time (style-src 'unsafe-inline'); scripts: textual.js and ours
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
            f"font-src 'self'; img-src 'self' data:; connect-src 'self' ws://{request.host}/ws "
            f"wss://{request.host}/ws; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        )
        return response

    async def on_startup(self, app: web.Application) -> None:
        pass  # run_web says where it listens (one line, not textual-serve's banner with the command)

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: Any) -> None:
        """textual-serve's message loop of one session, with the session's socket known to on_shutdown."""
        self.sockets.add(websocket)
        try:
            await super()._process_messages(websocket, app_service)
        finally:
            self.sockets.discard(websocket)

    async def on_shutdown(self, app: web.Application) -> None:
        """Ctrl+C: end every session now (1001, going away; the page says "Session ended" and each dashboard
        process gets its quit) instead of waiting out the graceful period for sockets that never finish."""
        for websocket in list(self.sockets):
            await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"the console is shutting down")

    def bind(self) -> socket.socket:
        """The listening socket (before anything else, so a busy port is one clear error)."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        return sock

    def serve_on(self, sock: socket.socket) -> None:
        """Serve until SIGINT/SIGTERM on an already bound socket (see ``Server.serve``)."""
        import asyncio
        import signal

        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.add_signal_handler(signal.SIGINT, self.request_exit)
            loop.add_signal_handler(signal.SIGTERM, self.request_exit)
        except NotImplementedError:
            pass
        web.run_app(
            self._make_app(),
            sock=sock,
            handle_signals=False,
            loop=loop,
            print=lambda *args: None,
            access_log=None,
            shutdown_timeout=5,
        )


def session_command() -> str:
    """The command textual-serve runs per browser session (options travel in the environment)."""
    return shlex.join([sys.executable, "-m", "artemis_cli.tui.web.session"])


def run_web(
    servers: Sequence[str],
    *,
    token: str | None,
    timeout: float,
    refresh: float,
    port: int,
    host: str = "127.0.0.1",
    operator: str | None = None,
) -> int:
    """Serve the dashboard on ``host:port`` until interrupted; returns the exit code."""
    import json

    try:
        origins = parse_origins(os.environ.get(ORIGINS_ENV))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # inherited by every session process; the token never appears on a command line
    os.environ[SESSION_ENV] = json.dumps(
        {"servers": list(servers), "timeout": timeout, "refresh": refresh, "operator": operator}
    )
    if token:
        os.environ["ARTEMIS_TOKEN"] = token
    else:
        os.environ.pop("ARTEMIS_TOKEN", None)
    server = DashboardServer(session_command(), host=host, port=port, origins=origins)
    try:
        sock = server.bind()
    except OSError as exc:
        print(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    shown = f"[{host}]" if ":" in host else host
    print(f"serving the Artemis dashboard on http://{shown}:{server.port} (Ctrl+C to stop)", file=sys.stderr)
    sys.stderr.flush()
    server.serve_on(sock)
    return 0


__all__ = ["DashboardServer", "parse_origins", "run_web", "session_command"]
