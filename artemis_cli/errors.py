"""Error kinds of the CLI / client (no third-party imports, so every module may use them cheaply)."""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_SERVER = "http://127.0.0.1:8080"


class ClientError(Exception):
    """Base of the four kinds. ``exit_code`` is the CLI exit code of spec/cli.md."""

    exit_code = 1
    kind = "error"

    def __init__(
        self, message: str, *, server: str | None = None, status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.server = server
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return self.message


class NotFound(ClientError):  # noqa: N818 - the names of the contract
    exit_code = 3
    kind = "not-found"


class Refused(ClientError):  # noqa: N818 - the names of the contract
    exit_code = 1
    kind = "refused"


class Unreachable(ClientError):  # noqa: N818 - the names of the contract
    exit_code = 4
    kind = "unreachable"


class BadInput(ClientError):  # noqa: N818 - the names of the contract
    exit_code = 2
    kind = "bad-input"


def parse_servers(value: str | Sequence[str] | None) -> list[str]:
    """``a,b`` or a list -> normalised base URLs (``host:port`` gets ``http://``)."""
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
                raise BadInput(f"--server: {s!r} is not an http:// or https:// URL")
            items.append(s.rstrip("/"))
    if not items:
        raise BadInput("--server: no server URL given")
    return items
