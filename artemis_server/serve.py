"""Run one registry node in the foreground on uvicorn until SIGINT/SIGTERM (graceful, exit code 0)."""

from __future__ import annotations

import gc
import logging
import math
import os
import signal
import socket
import stat
import sys
from pathlib import Path

from artemis_server import __version__, exposure, transport
from artemis_server.settings import Settings

log = logging.getLogger(__name__)


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def secure_data_dir(data_dir: Path) -> list[str]:
    """S17.2: the data directory 0700 and every file in it (database, -wal, -shm, anything else) 0600.

    Creates the directory private; tightens an existing one and its files (recursively, symlinks left
    alone) and returns the paths that were more open, for the one warning line. Files SQLite creates later
    (-wal, -shm, journals) get the database file's mode from SQLite and the process umask (077, set by
    :func:`run`) on top.
    """
    tightened: list[str] = []
    if not data_dir.exists():
        data_dir.mkdir(parents=True, mode=PRIVATE_DIR)
        os.chmod(data_dir, PRIVATE_DIR)  # mkdir's mode is filtered by the umask; be exact
        return tightened
    for root, dirs, files in os.walk(data_dir):
        for name, want in [(root, PRIVATE_DIR)] + [(os.path.join(root, f), PRIVATE_FILE) for f in files]:
            st = os.lstat(name)
            if stat.S_ISLNK(st.st_mode):
                continue
            if stat.S_IMODE(st.st_mode) & 0o077:
                os.chmod(name, want)
                tightened.append(name)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
    return tightened


def prepare_data_dir(settings: Settings) -> Path:
    data_dir = settings.data_dir()
    tightened = secure_data_dir(data_dir)
    if tightened:
        more = f" and {len(tightened) - 3} more" if len(tightened) > 3 else ""
        log.warning(
            "data directory %s was readable by other users; tightened to 0700/0600: %s%s",
            data_dir,
            ", ".join(tightened[:3]),
            more,
        )
    if not settings.database.url:
        db = data_dir / "artemis.db"
        if not db.exists():  # SQLite would create it 0644 & ~umask; -wal/-shm copy the database's mode
            os.close(os.open(db, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))
    return data_dir


def check_tls_files(settings: Settings) -> str | None:
    """One line naming the key when the TLS files are half configured or unusable, else None."""
    import ssl

    srv, cs = settings.server, settings.cluster
    if srv.tls_key and not srv.tls_cert:
        return "server.tls_key is set but server.tls_cert is not"
    if srv.tls_cert:  # the key may live in the certificate's PEM file (tls_key empty)
        try:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(srv.tls_cert, srv.tls_key or None)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
            key = srv.tls_key or "(none: expected in the certificate file)"
            return f"cannot use server.tls_cert {srv.tls_cert} / server.tls_key {key}: {reason}"
    if cs.ca_file:
        from artemis_server.replication.client import tls_context

        try:
            tls_context(cs.ca_file, cs.tls_verify)
        except (OSError, ssl.SSLError) as exc:
            return f"cannot use cluster.ca_file {cs.ca_file}: {exc}"
    return None


def _server_class() -> type:
    import contextlib
    import signal
    from collections.abc import Iterator

    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown, so the process would die of the
        signal; a node that stopped cleanly exits 0 instead (service managers and scripts check it)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return Server


async def _freeze_heap() -> None:
    """Move what start-up built (modules, the app, settings, the management state) out of the cyclic GC.

    A full collection walks every tracked object; in a started node those are a few hundred thousand
    objects of imported code and the app, none of which ever becomes garbage, and a full collection under
    load took 75-125 ms here (a pause every request in flight waits out, the tail of every latency figure).
    gc.freeze() puts them in the permanent generation after one last collection; collections then walk
    only what was created since. Registry records are untracked already (gc=False Structs). Only the
    ``artemis server start`` process does this: tests that start nodes inside pytest leave their heap alone.
    """
    gc.collect()
    gc.freeze()


def run(settings: Settings) -> int:
    """Serve until a signal arrives. Returns the process exit code."""
    import uvicorn

    from artemis_server.api.fastpath import build_asgi
    from artemis_server.log import setup_logging, verbose
    from artemis_server.wsframes import PushProtocol

    setup_logging(settings.logging.level, settings.logging.format)
    # Whatever the node writes (database, -wal/-shm, journals, node files) is for this user only (S17.2).
    os.umask(0o077)
    try:
        data_dir = prepare_data_dir(settings)
    except OSError as exc:
        print(f"error: cannot use data directory {settings.data_dir()}: {exc.strerror}", file=sys.stderr)
        return 1
    problem = check_tls_files(settings)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    host, port = settings.listen()
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        print(f"error: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    bound = sock.getsockname()[1]
    exposed = exposure.warning_line(settings)
    if exposed:
        log.warning("%s", exposed)
    app = build_asgi(settings, bound_port=bound)
    from artemis_server.store.datadir import DataDirInUseError

    try:
        app.node.claim_data_dir()  # before serving: one line naming the node that holds the directory
    except DataDirInUseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sock.close()
        return 1
    app.node.on_start(_freeze_heap)  # the last start step: everything the node loaded is in the heap now
    tls = bool(settings.server.tls_cert)  # the key may live in the certificate's PEM file
    config = uvicorn.Config(
        app,
        lifespan="on",
        # uvicorn knows "warning" and "debug" but not our aliases "warn" and "trace".
        log_level={"warn": "warning", "trace": "debug"}.get(settings.logging.level, settings.logging.level),
        access_log=verbose(settings.logging.level),  # one line per request only at debug (log.py)
        log_config=None,  # uvicorn logs through our root handler (text or JSON lines, log.py)
        # Rounded up, never None: None would make uvicorn wait forever (0 cancels in-flight requests at once).
        timeout_graceful_shutdown=math.ceil(settings.server.graceful_shutdown_secs),
        ssl_certfile=settings.server.tls_cert or None,
        ssl_keyfile=settings.server.tls_key or None,
        ws_max_size=settings.limits.max_body_bytes,
        # Push frames leave through wsframes.PushProtocol: the fan-out writes one ready-made frame to many
        # connections, which a per-connection compression context would forbid (docs/decisions.md, issue 20).
        ws=PushProtocol,
        ws_per_message_deflate=False,
        server_header=False,
        # Request-head size and request timeout (api.md T11), whichever HTTP parser runs.
        **transport.uvicorn_options(settings),
    )
    server = _server_class()(config)
    # From the start line on, SIGINT/SIGTERM mean "stop cleanly", even before uvicorn installs its own
    # handlers: a signal during start-up lets the node start, then shut down and exit 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, server.handle_exit)
    scheme = "https" if tls else "http"
    shown_host = f"[{host}]" if ":" in host else host
    print(
        f"artemis {__version__} node {settings.server.node_id} listening on {scheme}://{shown_host}:{bound} "
        f"(region {settings.server.region}, zone {settings.server.zone}); data in {data_dir}",
        flush=True,
    )
    server.run(sockets=[sock])
    return 0 if server.started else 1
