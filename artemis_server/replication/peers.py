"""Peer list and peer health (S14.1, S14.6).

Peers come from ``cluster.peers`` (plus ``artemis server start --peer URL``), as ``host:port`` or URLs
(``http://`` assumed). An entry naming this node itself is ignored. Every peer starts **up**; after
``cluster.health_check_initial_delay_secs`` a ``GET /health`` runs every ``health_check_interval_secs``:
a 2xx answer in time means up, anything else down. Only up peers get replication traffic and are listed by
the cluster and status endpoints.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from artemis_server.replication.client import PeerClient

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Peer:
    url: str
    up: bool = True
    node_id: str = ""
    java: bool = False  # answered 404 on an R batch path: use the J single paths from now on (S14.4)
    # Heartbeat batches as identity keys (replicator.lean_payload) until it answers 404 on that path
    # (an older node, Java Artemis); off for every peer with replication.lean_heartbeats = false.
    lean: bool = True


def normalize_peer(entry: str) -> str:
    """``host:port`` or a URL -> ``scheme://host:port`` without a trailing slash."""
    text = entry.strip().rstrip("/")
    if not text:
        raise ValueError("empty peer address")
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if not parts.hostname:
        raise ValueError(f"peer address {entry!r} has no host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"peer address {entry!r} has an invalid port") from None
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    base = f"{parts.scheme}://{shown}" + (f":{port}" if port else "")
    return base + parts.path.rstrip("/")


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.hostname or "").lower(), port


def same_address(a: str, b: str) -> bool:
    """Whether two peer addresses (any spelling: ``host:port`` or URL) name the same node."""
    try:
        return _host_port(normalize_peer(a)) == _host_port(normalize_peer(b))
    except ValueError:
        return False


def own_addresses(node_url: str, listen_host: str, port: int) -> set[tuple[str, int]]:
    """Every (host, port) spelling that means this node."""
    hosts = {listen_host.lower(), "127.0.0.1", "localhost", "::1", "0.0.0.0"}
    try:
        hosts.add(socket.gethostname().lower())
    except OSError:
        pass
    from artemis_server.settings import primary_address

    hosts.add(primary_address())
    out = {(h, port) for h in hosts}
    out.add(_host_port(node_url))
    return out


def build_peers(entries: Iterable[str], own: set[tuple[str, int]]) -> list[Peer]:
    peers: list[Peer] = []
    seen: set[str] = set()
    for entry in entries:
        try:
            url = normalize_peer(entry)
        except ValueError as exc:
            log.warning("ignoring peer: %s", exc)
            continue
        if _host_port(url) in own:
            log.info("ignoring peer %s: it is this node", url)
            continue
        if url in seen:
            continue
        seen.add(url)
        peers.append(Peer(url))
    return peers


_UNSEEN = object()
FIND_CACHE = 256


class PeerSet:
    """The peers of this node and their health."""

    def __init__(self, peers: list[Peer]) -> None:
        self.peers = peers
        self.on_down: list[Callable[[Peer], None]] = []
        self.on_up: list[Callable[[Peer], None]] = []
        # peers that turned up and whose node id should be asked again (a restarted node may have a new one)
        self._refresh: set[str] = set()
        # find() by the address a caller sent (X-Artemis-Node-URL on every replication request): comparing
        # spellings costs ~11 us per listed peer, more than absorbing a lean heartbeat batch of 100 keys.
        self._found: dict[str, Peer | None] = {}

    def __len__(self) -> int:
        return len(self.peers)

    def up_peers(self) -> list[Peer]:
        return [p for p in self.peers if p.up]

    @property
    def any_up(self) -> bool:
        return any(p.up for p in self.peers)

    def find(self, url: str | None) -> Peer | None:
        if not url:
            return None
        found = self._found.get(url, _UNSEEN)
        if found is not _UNSEEN:
            return found  # type: ignore[return-value]  # a Peer or None
        found = next((peer for peer in self.peers if same_address(peer.url, url)), None)
        if len(self._found) >= FIND_CACHE:
            self._found.clear()  # spellings a caller may send are unbounded; the peers' own are few
        self._found[url] = found
        return found

    def saw(self, url: str | None, node_id: str | None = None) -> None:
        """A peer just called us (e.g. its start-up sync): it is up, whatever the last health check said.

        Marking it up before answering its sync closes the gap in which writes would be dropped for it. A
        ``node_id`` it names (its hello) replaces the one listed for it: it may have restarted with another.
        """
        peer = self.find(url)
        if peer is None:
            return
        if node_id:
            peer.node_id = node_id
        if not peer.up:
            self.set_up(peer, True)

    def set_up(self, peer: Peer, up: bool) -> None:
        if peer.up == up:
            return
        peer.up = up
        # a peer coming up is good news (INFO); a peer going down needs attention (WARNING)
        log.log(
            logging.INFO if up else logging.WARNING,
            "peer %s is %s",
            peer.url,
            "up" if up else "down",
            extra={"peer": peer.url},
        )
        fns = self.on_up if up else self.on_down
        if up:
            self._refresh.add(peer.url)
        for fn in fns:
            fn(peer)

    async def check_once(self, client: PeerClient, timeout: float) -> None:
        results = await asyncio.gather(*(client.healthy(p.url, timeout) for p in self.peers))
        for peer, ok in zip(self.peers, results, strict=True):
            self.set_up(peer, ok)
            # its id at its first good check, and again at the first good check after it was down
            if ok and (not peer.node_id or peer.url in self._refresh):
                doc = await client.get_json(peer.url, "/api/status/node.json", timeout)
                try:
                    peer.node_id = str(doc["nodeStatus"]["node"]["nodeId"])
                    self._refresh.discard(peer.url)
                except (TypeError, KeyError):
                    pass

    async def health_loop(
        self, client: PeerClient, initial_delay: float, interval: float, timeout: float
    ) -> None:
        await asyncio.sleep(initial_delay)
        while True:
            try:
                await self.check_once(client, timeout)
            except Exception:
                log.exception("peer health check failed")
            await asyncio.sleep(interval)
