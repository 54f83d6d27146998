"""Server URLs as users give them: ``host:port`` lists, ``http(s)://`` URLs. Standard library only."""

from __future__ import annotations

from collections.abc import Sequence

from artemis_client.errors import InvalidArgumentError

DEFAULT_SERVER = "http://127.0.0.1:8080"


def parse_servers(value: str | Sequence[str] | None) -> list[str]:
    """``a,b`` or a list -> normalised base URLs (``host:port`` gets ``http://``); None: the default."""
    items: list[str] = []
    if value is None:
        value = DEFAULT_SERVER
    raw = [value] if isinstance(value, str) else list(value)
    for part in raw:
        for s in str(part).split(","):
            s = s.strip()
            if not s:
                continue
            if "://" not in s:
                s = "http://" + s
            scheme, _, rest = s.partition("://")
            if scheme not in ("http", "https") or not rest or rest.startswith("/"):
                raise InvalidArgumentError(
                    f"--server: {s!r} is not an http:// or https:// URL", field="server"
                )
            items.append(s.rstrip("/"))
    if not items:
        raise InvalidArgumentError("--server: no server URL given", field="server")
    return items
