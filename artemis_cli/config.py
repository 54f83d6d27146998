"""Client config: named contexts (cluster profiles) in a TOML file, and the per-run settings they resolve to.

```toml
current-context = "prod"

[contexts.prod]
servers = ["http://10.0.0.1:8080", "http://10.0.0.2:8080"]
token-file = "~/.artemis/prod.token"   # or `token = "..."`, written by `artemis login`
user = "alice"                         # login user name, the default operator id
region = "eu"
zone = "eu-1"
```

The file is written with mode 0600 because it may hold a token. Tokens are never printed.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artemis_cli.errors import DEFAULT_SERVER, BadInput


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
        raise BadInput(f"client config {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise BadInput(f"cannot read client config {path}: {exc.strerror}") from None
    contexts = doc.get("contexts", {})
    if not isinstance(contexts, dict):
        raise BadInput(f"client config {path}: `contexts` must be a table")
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
        raise BadInput(f"cannot read token file {path}: {exc.strerror}") from None


@dataclass
class Settings:
    """What one run of the CLI talks to, after flags > env > context > defaults."""

    servers: list[str]
    token: str | None
    timeout: float
    context_name: str | None
    context: dict[str, Any] = field(default_factory=dict)
    config_file: Path = field(default_factory=default_config_path)
    config_doc: dict[str, Any] = field(default_factory=dict)

    @property
    def region(self) -> str | None:
        return self.context.get("region")

    @property
    def zone(self) -> str | None:
        return self.context.get("zone")

    @property
    def user(self) -> str | None:
        return self.context.get("user")


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
                raise BadInput(f"invalid value for '--context': no context named {name!r} in {path}")
            name = None  # a stale current-context is ignored
        else:
            ctx = dict(found)
    servers_raw: str | list[str]
    if server:
        servers_raw = server
    elif ctx.get("servers"):
        s = ctx["servers"]
        servers_raw = s if isinstance(s, list) else str(s)
    else:
        servers_raw = DEFAULT_SERVER
    from artemis_cli.errors import parse_servers

    servers = parse_servers(servers_raw)
    tok = token
    if not tok and ctx.get("token-file"):
        tok = read_token_file(str(ctx["token-file"]))
    if not tok and ctx.get("token"):
        tok = str(ctx["token"])
    return Settings(
        servers=servers,
        token=tok or None,
        timeout=timeout,
        context_name=name,
        context=ctx,
        config_file=path,
        config_doc=doc,
    )
