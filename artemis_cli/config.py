"""Client config: named contexts (cluster profiles) in a TOML file, and the per-run settings they resolve to.

```toml
current-context = "prod"

[contexts.prod]
servers = ["https://10.0.0.1:8443", "https://10.0.0.2:8443"]
token-file = "~/.artemis/prod.token"   # or `token = "..."`, written by `artemis login`
login-user = "admin"                   # who `artemis login` logged in as (removed by `artemis logout`)
user = "alice"                         # default operator id (`context set --user`)
region = "eu"
zone = "eu-1"
```

The file is written with mode 0600 because it may hold a token. Tokens are never printed, and a context's
token is sent only to that context's servers: `--server` / `ARTEMIS_SERVER` naming another server gets no
stored token (an explicit `--token` / `ARTEMIS_TOKEN` is still sent).
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artemis_cli.errors import DEFAULT_SERVER
from artemis_client.errors import InvalidArgumentError


def default_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("artemis", appauthor=False)) / "client.toml"


def config_path(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("ARTEMIS_CLIENT_CONFIG")
    if env:
        return Path(env).expanduser()
    return default_config_path()


def load(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgumentError(f"client config {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read client config {path}: {exc.strerror}") from None
    contexts = doc.get("contexts", {})
    if not isinstance(contexts, dict):
        raise InvalidArgumentError(f"client config {path}: `contexts` must be a table")
    return doc


def save(path: Path, doc: dict[str, Any]) -> None:
    """Write atomically with mode 0600 (the file may hold tokens)."""
    import tomli_w

    path.parent.mkdir(parents=True, exist_ok=True)
    data = tomli_w.dumps(doc).encode()
    fd, tmp = tempfile.mkstemp(prefix=".client-", suffix=".toml", dir=str(path.parent))
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with_suppress_unlink(tmp)
        raise
    os.chmod(path, 0o600)


def with_suppress_unlink(p: str) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def contexts(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return doc.setdefault("contexts", {})


def read_token_file(p: str) -> str:
    path = Path(p).expanduser()
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read token file {path}: {exc.strerror}") from None


def server_identity(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a server URL, for comparing two spellings of one server."""
    from urllib.parse import urlsplit

    parts = urlsplit(url if "://" in url else "http://" + url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    default = 443 if scheme == "https" else 80
    return scheme, (parts.hostname or "").lower(), port or default, parts.path.rstrip("/")


def within(servers: list[str], allowed: list[str]) -> bool:
    """True when every one of ``servers`` is one of ``allowed`` (by scheme, host, port and path)."""
    known = {server_identity(a) for a in allowed}
    return all(server_identity(s) in known for s in servers)


def is_loopback(url: str) -> bool:
    import ipaddress

    host = server_identity(url)[1]
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(server: str) -> str:
    return (
        f"sending the bearer token over plain HTTP to {server}: anyone on the network path can read it "
        "(use https://)"
    )


def exposed(servers: list[str]) -> list[str]:
    """The servers a token would reach over plain HTTP on a non-loopback host (readable by the network)."""
    return [s for s in servers if server_identity(s)[0] == "http" and not is_loopback(s)]


@dataclass
class Settings:
    """What one run of the CLI talks to, after flags > env > context > defaults.

    ``token_withheld`` names the context whose stored token was not used because the servers given with
    ``--server`` / ``ARTEMIS_SERVER`` are not that context's servers.
    """

    servers: list[str]
    token: str | None
    timeout: float
    context_name: str | None
    context: dict[str, Any] = field(default_factory=dict)
    config_file: Path = field(default_factory=default_config_path)
    config_doc: dict[str, Any] = field(default_factory=dict)
    token_from_context: bool = False
    token_withheld: str | None = None

    @property
    def region(self) -> str | None:
        return self.context.get("region")

    @property
    def zone(self) -> str | None:
        return self.context.get("zone")

    @property
    def user(self) -> str | None:
        """The default operator id set with `context set --user`."""
        return self.context.get("user")

    @property
    def login_user(self) -> str | None:
        """Who `artemis login` logged in as, while the context holds its token."""
        if not (self.context.get("token") or self.context.get("token-file")):
            return None
        return self.context.get("login-user") or self.context.get("user")


def resolve(
    *, server: str | None, context: str | None, client_config: str | None, token: str | None, timeout: float
) -> Settings:
    path = config_path(client_config)
    doc = load(path)
    ctxs = doc.get("contexts", {}) or {}
    name = context or os.environ.get("ARTEMIS_CONTEXT") or doc.get("current-context") or None
    ctx: dict[str, Any] = {}
    if name:
        found = ctxs.get(name)
        if found is None:
            if context or os.environ.get("ARTEMIS_CONTEXT"):
                raise InvalidArgumentError(f"--context: no context named {name!r} in {path}")
            name = None  # a stale current-context is ignored
        else:
            ctx = dict(found)
    from artemis_cli.errors import parse_servers

    ctx_servers: list[str] = []
    if ctx.get("servers"):
        s = ctx["servers"]
        ctx_servers = parse_servers(s if isinstance(s, list) else str(s))
    servers = parse_servers(server) if server else (ctx_servers or parse_servers(DEFAULT_SERVER))
    tok = token
    from_context = False
    withheld = None
    stored = bool(ctx.get("token-file") or ctx.get("token"))
    if not tok and stored:
        # a context's token belongs to its servers: never hand it to a server named on the command line
        if server and not within(servers, ctx_servers):
            withheld = name
        elif ctx.get("token-file"):
            tok = read_token_file(str(ctx["token-file"]))
            from_context = True
        else:
            tok = str(ctx["token"])
            from_context = True
    return Settings(
        servers=servers,
        token=tok or None,
        timeout=timeout,
        context_name=name,
        context=ctx,
        config_file=path,
        config_doc=doc,
        token_from_context=from_context and bool(tok),
        token_withheld=withheld,
    )
