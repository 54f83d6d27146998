"""Wiring the SDK into applications: an ASGI lifespan, and opt-in shutdown helpers for sync programs.

* :func:`lifespan` works wherever a lifespan is a callable taking the app and returning an async context
  manager: Starlette / FastAPI (``Starlette(lifespan=...)``, ``FastAPI(lifespan=...)``) and Litestar
  (``Litestar(lifespan=[...])``). It starts the client, registers the instances, and on shutdown drains
  them (mark down, wait, unregister) and closes the client.
* WSGI (Flask, Django) and gunicorn: use :class:`~artemis_client.sync.ArtemisClient`; create it at import
  time (nothing starts in the constructor) and call ``register`` where the process is ready to serve, for
  gunicorn in the ``post_fork`` hook of each worker (docs/sdk.md has the pattern); the SDK restarts by
  itself in a forked child, so a client created in the master is safe to use in the workers.
* :func:`drain_on_signals` and :func:`close_at_exit` are opt-in: a library must not take over a process's
  signals or exit path unasked.
"""

from __future__ import annotations

import atexit
import contextlib
import signal
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from artemis_client.client import AsyncArtemisClient
from artemis_client.sync import ArtemisClient
from artemis_client.wire.registry import Instance

__all__ = ["close_at_exit", "drain_on_signals", "lifespan"]


def lifespan(
    client: AsyncArtemisClient, *instances: Instance, drain: float = 5.0
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """An ASGI lifespan that registers ``instances`` on start-up and drains them for ``drain`` seconds on
    shutdown, then closes ``client``."""

    @contextlib.asynccontextmanager
    async def run(app: Any) -> AsyncIterator[None]:
        await client.start()
        try:
            if instances:
                await client.register(*instances)
            yield
        finally:
            try:
                if instances:
                    await client.drain(drain)
            finally:
                await client.aclose()

    return run


def drain_on_signals(
    client: ArtemisClient, grace: float = 5.0, signals: Iterable[signal.Signals] = (signal.SIGTERM,)
) -> None:
    """On each of ``signals`` (main thread only): drain this process's instances for ``grace`` seconds,
    close the client, then hand the signal to the handler that was there before (the default one ends the
    process as it would have)."""
    for sig in signals:
        previous = signal.getsignal(sig)

        def handler(signum: int, frame: Any, previous: Any = previous) -> None:
            try:
                client.drain(grace)
            finally:
                client.close()
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:
                signal.signal(signum, signal.SIG_DFL)
                signal.raise_signal(signum)

        signal.signal(sig, handler)


def close_at_exit(client: ArtemisClient) -> None:
    """Close ``client`` (unregistering its instances) when the interpreter exits normally."""
    atexit.register(client.close)
