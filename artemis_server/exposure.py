"""What a node listening beyond loopback exposes, and the settings that close it (issue 15, SECURITY.md).

Used for the one WARNING line ``artemis server start`` logs, for the ``exposure`` key of
``/api/status/node.json`` (an extra key: Java readers ignore unknown keys) and so for
``artemis server status``.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from artemis_server.settings import Settings


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses; ``0.0.0.0``/``::`` (every interface) are not."""
    h = host.strip().strip("[]").lower()
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False  # a DNS name other than localhost: assume it reaches the network


def exposures(settings: Settings) -> list[dict[str, str]]:
    """Each open door of a node listening beyond loopback, ``{"risk": ..., "fix": ...}``; none on loopback."""
    host, _ = settings.listen()
    if is_loopback(host):
        return []
    out: list[dict[str, str]] = []
    if not settings.auth.protect_management:
        out.append(
            {
                "risk": "management is open: anyone who can connect may pull instances out, change routing "
                "and canary rules",
                "fix": "auth.protect_management = true",
            }
        )
    if settings.cluster.enabled and settings.cluster.peers and settings.cluster.peer_token is None:
        out.append(
            {
                "risk": "replication is open: anyone who can connect may register or remove instances "
                "as a peer",
                "fix": "cluster.peer_token",
            }
        )
    if not settings.server.tls_cert:
        out.append(
            {
                "risk": "plain HTTP: tokens, passwords and peer tokens cross the network readable",
                "fix": "server.tls_cert and server.tls_key",
            }
        )
    return out


def warning_line(settings: Settings) -> str | None:
    """The one start-up WARNING line, or None when nothing is exposed."""
    found = exposures(settings)
    if not found:
        return None
    host, port = settings.listen()
    shown = f"[{host}]" if ":" in host else host
    parts = "; ".join(f"{e['risk']} (set {e['fix']})" for e in found)
    return f"listening on {shown}:{port}, beyond loopback: {parts}"
