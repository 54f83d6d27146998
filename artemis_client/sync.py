"""``ArtemisClient``: the same client for code without asyncio (Flask, Django, scripts, gunicorn workers).

It runs an :class:`~artemis_client.client.AsyncArtemisClient` on an event loop of its own, in exactly one
daemon thread named ``artemis-client`` that :meth:`ArtemisClient.start` creates (never the constructor or an
import) and :meth:`ArtemisClient.close` joins. Methods have the async client's names and block until done;
they work from any thread, including one that runs its own event loop (the client's loop is never the
caller's, the defect of sync facades that call ``run_until_complete``). Picking from a
:class:`~artemis_client.discovery.ServiceHandle` does not touch the loop at all.

``on_change`` callbacks run on the client's thread: keep them short, and do not call blocking methods of the
same client from them (that would wait for the thread that runs the callback; it raises instead).

After ``os.fork()`` the child's copy starts fresh on first use: no registrations (the parent keeps its own),
the same followed services, served stale from the copied cache until the child's first fetch.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any, TypeVar

import httpx

from artemis_client._support import ChangeCallback, track_fork
from artemis_client.client import AsyncArtemisClient
from artemis_client.discovery import ServiceHandle
from artemis_client.wire.registry import Instance, InstanceChange

__all__ = ["ArtemisClient"]

T = TypeVar("T")
THREAD_NAME = "artemis-client"


class ArtemisClient:
    """The Artemis SDK with blocking methods and one background thread. See the module docstring."""

    def __init__(self, servers: str | Sequence[str], **options: Any) -> None:
        self._client = AsyncArtemisClient(servers, **options)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._closed = False
        track_fork(self)

    @property
    def config(self) -> Any:
        """The client's settings (:class:`~artemis_client.client.ClientConfig`)."""
        return self._client.config

    @property
    def stream_server(self) -> str | None:
        """The server the change stream is open on (None while it is down or not needed)."""
        return self._client.stream_server

    @property
    def thread(self) -> threading.Thread | None:
        """The client's thread while it runs."""
        return self._thread

    # -- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the client's thread and its tasks (idempotent)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this client is closed; create a new one")
            if self._thread is not None:
                return
            loop = asyncio.new_event_loop()
            started = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(started.set)
                try:
                    loop.run_forever()
                finally:
                    loop.close()

            self._loop = loop
            self._thread = threading.Thread(target=run, name=THREAD_NAME, daemon=True)
            self._thread.start()
            started.wait()
        self._run(self._client.start())

    def __enter__(self) -> ArtemisClient:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self, timeout: float | None = None) -> None:
        """Unregister this process's instances, stop the tasks and join the thread, all within ``timeout``
        seconds (default ``close_timeout``, 3 s) whatever state the servers are in."""
        budget = self._client.config.close_timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        fut = asyncio.run_coroutine_threadsafe(self._client.aclose(budget), loop)
        try:
            fut.result(timeout=max(0.05, deadline - time.monotonic()))
        except (concurrent.futures.TimeoutError, Exception):
            fut.cancel()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=max(0.05, deadline - time.monotonic()))
        self._thread = None

    def _after_fork_in_child(self) -> None:
        # The thread did not survive the fork: the next call starts a new one (and a fresh async client
        # state, reset by its own fork hook).
        self._thread = None
        self._loop = None
        self._lock = threading.Lock()

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a blocking ArtemisClient method was called on the client's own thread")
        loop = self._loop
        if loop is None:
            coro.close()
            raise RuntimeError("this client is not started")
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    def _call(self, make: Callable[[], Coroutine[Any, Any, T]], timeout: float | None = None) -> T:
        if self._thread is None:
            self.start()
        return self._run(make(), timeout)

    # -- registry -----------------------------------------------------------------------------------------
    def register(self, *instances: Instance) -> None:
        """Register instances and keep them registered (see :meth:`AsyncArtemisClient.register`)."""
        self._call(lambda: self._client.register(*instances))

    def unregister(self, *instances: Instance) -> None:
        """Stop keeping these instances and unregister them now."""
        self._call(lambda: self._client.unregister(*instances))

    def drain(self, grace: float = 5.0) -> None:
        """Mark this process's instances down, wait ``grace`` seconds, unregister them."""
        self._call(lambda: self._client.drain(grace))

    # -- discovery ----------------------------------------------------------------------------------------
    def service(self, service_id: str) -> ServiceHandle:
        """The live handle of a service (starts the client; the first fetch runs in the background)."""
        handle = self._client.handle(service_id)
        if handle is not None:
            return handle  # followed already: no thread hop
        if self._thread is None:
            self.start()
        return self._run(_service(self._client, service_id))

    def discover(self, service_id: str, timeout: float = 5.0) -> ServiceHandle:
        """:meth:`service`, waiting (at most ``timeout``) for the first fetch."""
        return self._call(lambda: self._client.discover(service_id, timeout))

    def pick(self, service_id: str, key: str | None = None) -> Instance:
        """One instance (from the cache; from a node with ``routing="server"``)."""
        if self._client.config.routing == "client":
            handle = self.service(service_id)
            if handle.snapshot is not None:
                return handle.pick(key)  # no thread hop: the read path is lock-free
        return self._call(lambda: self._client.pick(service_id, key))

    def request(self, service_id: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Pick, call and retry on another instance (see :meth:`AsyncArtemisClient.request`)."""
        return self._call(lambda: self._client.request(service_id, method, path, **kwargs))

    def stats(self) -> dict[str, Any]:
        """Counters, servers in use and cache state (see :meth:`AsyncArtemisClient.stats`)."""
        return self._client.stats()

    # -- watching -----------------------------------------------------------------------------------------
    def on_change(self, service_id: str, callback: ChangeCallback) -> Callable[[], None]:
        """Call ``callback(change)`` on the client's thread for every change of a service; exceptions are
        logged and never stop the stream. Returns a function that removes it."""
        if self._thread is None:
            self.start()

        async def add() -> Callable[[], None]:
            return self._client.on_change(service_id, callback)

        return self._run(add())

    def watch(self, service_id: str, timeout: float | None = None) -> Iterator[InstanceChange]:
        """Iterate the changes of a service (blocks between them; ends when the client closes or after
        ``timeout`` seconds without a change)."""
        import queue

        q: queue.Queue[InstanceChange | None] = queue.Queue()
        remove = self.on_change(service_id, q.put)
        try:
            while not self._closed:
                try:
                    change = q.get(timeout=timeout if timeout is not None else 0.5)
                except queue.Empty:
                    if timeout is not None:
                        return
                    continue
                if change is not None:
                    yield change
        finally:
            remove()


async def _service(client: AsyncArtemisClient, service_id: str) -> ServiceHandle:
    return client.service(service_id)
