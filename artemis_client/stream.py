"""The two runners of :class:`~artemis_client.changes.ChangeStream` over the ``websockets`` package.

Both yield :data:`~artemis_client.changes.Event` values until closed: ``Connected(server)`` once a server
is open and every subscription acknowledged, then the ``InstanceChange`` events it pushes (and
``ServerNotice`` for frames it refused), then ``Disconnected(reason, retry_in)`` when the stream drops or
no server can be opened; after ``retry_in`` seconds the next attempt starts with the server that served last,
subscribing again. :class:`SyncChangeStream` (a blocking iterator, for ``artemis instance watch``) raises
:class:`~artemis_client.errors.TransportError` when the very first attempt reaches no server, unless
``retry_first`` is set; :class:`AsyncChangeStream` (an async iterator, for the TUI) does the same.

``websockets`` is imported when a stream opens, not with this module.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from artemis_client.changes import ChangeStream, Connected, Disconnected, Event
from artemis_client.errors import TransportError


def _describe(url: str, exc: BaseException) -> str:
    return f"{url}: {exc or type(exc).__name__}"


class _Runner:
    def __init__(
        self,
        servers: Sequence[str],
        service_ids: Sequence[str] = (),
        *,
        open_timeout: float = 5.0,
        retry_first: bool = False,
    ) -> None:
        self.stream = ChangeStream(servers, service_ids)
        self.open_timeout = open_timeout
        self.retry_first = retry_first
        self.server: str | None = None  # the server the stream is open on, None while down

    def _give_up(self, first: bool, errors: list[str]) -> None:
        if first and not self.retry_first:
            raise TransportError(f"cannot open a change stream on any server: {'; '.join(errors)}")


class SyncChangeStream(_Runner):
    """Blocking change stream; iterate it for events, :meth:`close` it from the consumer when done."""

    _ws: Any = None

    def _open(self, server: str) -> tuple[Any, list[Event]]:
        from websockets.sync.client import connect

        # entered as a context manager (the form websockets supports); closed by _close_ws / on failure
        ws = connect(
            self.stream.url(server), open_timeout=self.open_timeout, close_timeout=1, max_size=None
        ).__enter__()
        try:
            for frame in self.stream.opening_frames():
                ws.send(frame.decode())
            deadline = time.monotonic() + self.open_timeout
            early: list[Event] = []
            while not self.stream.ready:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no subscription acknowledgement")
                early += self.stream.receive(ws.recv(timeout=left))
        except BaseException:
            ws.close()
            raise
        return ws, early

    def __iter__(self) -> Iterator[Event]:
        first = True
        while True:
            errors: list[str] = []
            for server in self.stream.order():
                try:
                    self._ws, early = self._open(server)
                except Exception as exc:
                    errors.append(_describe(self.stream.url(server), exc))
                    continue
                first = False
                self.server = server
                yield self.stream.connected(server)
                yield from early
                try:
                    for data in self._ws:
                        yield from self.stream.receive(data)
                    errors.append(f"{server}: stream closed by the server")
                except Exception as exc:
                    errors.append(_describe(server, exc))
                finally:
                    self.server = None
                    self._close_ws()
                break  # after a drop, start again with the server that served last
            self._give_up(first, errors)
            down = self.stream.disconnected(errors)
            yield down
            time.sleep(down.retry_in)

    def _close_ws(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                ws.close()
            except Exception:
                pass

    def close(self) -> None:
        self._close_ws()


class AsyncChangeStream(_Runner):
    """asyncio change stream: ``async for event in stream``; cancel the consuming task to stop."""

    async def _open(self, server: str) -> tuple[Any, list[Event]]:
        from websockets.asyncio.client import connect

        ws = await connect(
            self.stream.url(server), open_timeout=self.open_timeout, close_timeout=1, max_size=None
        )
        early: list[Event] = []
        try:
            for frame in self.stream.opening_frames():
                await ws.send(frame.decode())
            async with asyncio.timeout(self.open_timeout):
                while not self.stream.ready:
                    early += self.stream.receive(await ws.recv())
        except BaseException:
            await ws.close()
            raise
        return ws, early

    async def __aiter__(self) -> AsyncIterator[Event]:
        first = True
        while True:
            errors: list[str] = []
            for server in self.stream.order():
                try:
                    ws, early = await self._open(server)
                except Exception as exc:
                    errors.append(_describe(self.stream.url(server), exc))
                    continue
                first = False
                self.server = server
                try:
                    yield self.stream.connected(server)
                    for event in early:
                        yield event
                    async for data in ws:
                        for event in self.stream.receive(data):
                            yield event
                    errors.append(f"{server}: stream closed by the server")
                except Exception as exc:
                    errors.append(_describe(server, exc))
                finally:
                    self.server = None
                    try:
                        await ws.close()
                    except Exception:
                        pass
                break
            self._give_up(first, errors)
            down: Disconnected = self.stream.disconnected(errors)
            yield down
            await asyncio.sleep(down.retry_in)


__all__ = ["AsyncChangeStream", "Connected", "Disconnected", "Event", "SyncChangeStream"]
