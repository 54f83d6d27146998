"""THE settings model of a registry node (spec/semantics.md S20).

Precedence: defaults < TOML file < ``ARTEMIS_<SECTION>__<KEY>`` environment variables < command-line flags.
The TOML layout is the Rust rewrite's (``[server]``, ``[cluster]``, ``[lease]`` ...). Unknown keys are
returned as warnings (a likely typo; the node still starts); a value of the wrong type or out of range is a
:class:`ConfigError` whose message is one line naming the key. ``config.example.toml`` documents every key.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

ENV_PREFIX = "ARTEMIS_"
ENV_CONFIG = "ARTEMIS_CONFIG"


class ConfigError(Exception):
    """A configuration value is invalid; the message is one line naming the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_default=True)


class ServerSettings(_Section):
    node_id: str = ""
    """Node id reported in status; empty means a random UUID chosen on first start, kept in the data dir."""
    listen_addr: str = "127.0.0.1:8080"
    """HTTP + WebSocket listen address. Loopback by default; `0.0.0.0:8080` serves the network."""
    peer_port: int = Field(9090, ge=0, le=65535)
    """Accepted for compatibility with the Rust rewrite; unused."""
    region: str = Field("default", min_length=1)
    """Region of this node; default region of instances registered without one."""
    zone: str = Field("default", min_length=1)
    """Zone of this node; default zone of instances registered without one."""
    url: str = ""
    """Advertised URL of this node; empty means derived from listen_addr (S16.5)."""
    context_aliases: list[str] = []
    """Extra path prefixes served as aliases, e.g. ["/artemis"] (api.md T9)."""
    data_dir: str = ""
    """Directory for the SQLite database, the node id and its lock; empty means the platform default."""
    tls_cert: str = ""
    """PEM certificate file; with tls_key, serve HTTPS and WSS."""
    tls_key: str = ""
    """PEM private key file for tls_cert."""
    graceful_shutdown_secs: float = Field(10.0, ge=0)
    """How long in-flight requests may take to finish on SIGINT/SIGTERM."""
    cors_origins: list[str] = []
    """Browser origins (scheme://host[:port], or "*") allowed to call management, routing, audit and auth
    endpoints cross-origin (api.md T5); registry, discovery and status stay open to any origin."""
    max_header_bytes: int = Field(64 * 1024, ge=1024, le=16 * 1024 * 1024)
    """Largest request line plus headers in bytes (api.md T11); more: 431 or the connection is closed."""
    request_timeout_secs: float = Field(30.0, gt=0)
    """A request whose headers or body have not fully arrived after this long is dropped (api.md T11)."""

    @field_validator("listen_addr")
    @classmethod
    def _check_addr(cls, v: str) -> str:
        split_addr(v)
        return v

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, v: list[str]) -> list[str]:
        from urllib.parse import urlsplit

        out = []
        for entry in v:
            o = entry.strip().rstrip("/").lower()
            if o == "*":
                out.append(o)
                continue
            parts = urlsplit(o)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
                raise ValueError(f"{entry!r} is not an origin: expected scheme://host[:port] or *")
            out.append(o)
        return out


class LimitsSettings(_Section):
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024)
    """Largest accepted request body (after gzip inflation), in bytes."""
    max_batch_instances: int = Field(10_000, ge=1)
    """Most instances or keys accepted in one register / heartbeat / unregister request."""
    max_metadata_entries: int = Field(128, ge=0)
    """Most metadata entries per instance."""
    max_metadata_bytes: int = Field(16 * 1024, ge=0)
    """Largest total size of one instance's metadata keys and values, in bytes."""


class ClusterSettings(_Section):
    enabled: bool = False
    """Replicate to peers."""
    peers: list[str] = []
    """Peer addresses ("host:port" or URLs); this node's own address is ignored."""
    peer_token: SecretStr | None = None
    """Shared secret peers present on replication calls (Bearer); none means replication is open."""
    health_check_initial_delay_secs: float = Field(10.0, ge=0)
    """First peer health check (GET /health) this long after start; every peer counts as up until then."""
    health_check_interval_secs: float = Field(5.0, gt=0)
    """Period of the peer health checks (S14.6)."""
    health_check_timeout_secs: float = Field(2.0, gt=0)
    """Timeout of one peer health check; no 2xx answer in time marks the peer down."""
    sync_timeout_secs: float = Field(5.0, gt=0)
    """Timeout of the start-up registry copy from a peer (S14.8)."""
    ca_file: str = ""
    """PEM CA bundle that signs the peers' certificates (https:// peers); empty means the system store."""
    tls_verify: bool = True
    """Verify the certificates of https:// peers. Turn off only on a test bench."""


class ReplicationSettings(_Section):
    enabled: bool = True
    timeout_secs: float = Field(5.0, gt=0)
    batch_size: int = Field(100, ge=1, le=10_000)
    batch_interval_ms: int = Field(100, ge=1)
    heartbeat_batch_size: int = Field(1000, ge=1, le=10_000)
    """Renewed keys per heartbeat batch to a peer (registers and unregisters keep ``batch_size``): leases
    last 20 s, so heartbeats wait for a full batch as long as registers do (``batch_interval_ms``) and a
    peer absorbs them in fewer, larger requests. A peer that refuses a batch this large (HTTP 413, its
    ``limits.max_batch_instances``) gets batches of ``batch_size`` from then on."""
    max_retries: int = Field(3, ge=0)
    """Retry attempts for retryable failures (timeout, connection error, 429, 503), back-off 2^n s."""
    retry_interval_secs: float = Field(1.0, gt=0)
    """Period of the timer that re-sends due retries, one item per request (S14.5)."""
    queue_size: int = Field(100_000, ge=1)
    """Items queued per peer; beyond it the oldest batches are dropped (a peer that cannot keep up)."""
    lean_heartbeats: bool = True
    """Send heartbeat batches to peers as identity keys in plain text (a path only nodes of this version
    serve); a peer that answers 404 there (an older node, Java Artemis) gets JSON keys from then on."""


class LeaseSettings(_Section):
    ttl_secs: float = Field(20.0, gt=0)
    """Lease TTL: an instance disappears this long after its last heartbeat (S3.3)."""
    legacy_ttl_secs: float = Field(90.0, gt=0)
    """TTL of legacy leases (metadata java_registry), S3.6."""
    cleanup_interval_secs: float = Field(1.0, gt=0)
    """Sweeper period."""
    safe_check_enabled: bool = True
    """Self-preservation (S3.7): stop evicting when renewals collapse."""


class CacheSettings(_Section):
    enabled: bool = True
    expiry_secs: int = Field(300, ge=0)
    snapshot_interval_secs: float = Field(30.0, gt=0)
    snapshot_initial_delay_secs: float = Field(60.0, ge=0)
    snapshot_count: int = Field(3, ge=1)
    # Bytes of heartbeat request bodies remembered with the leases they renewed (0 turns the cache off).
    heartbeat_cache_bytes: int = Field(32 * 1024 * 1024, ge=0)
    # Bytes of encoded discovery answers (service.json) kept per service version (0 turns the cache off).
    discovery_cache_bytes: int = Field(16 * 1024 * 1024, ge=0)


class TracingSettings(_Section):
    """OpenTelemetry traces (artemis_server/tracing.py); needs the `otel` extra when enabled."""

    enabled: bool = False
    """Record OpenTelemetry spans (needs the `otel` extra: pip install 'artemis-registry[otel]')."""
    exporter: Literal["otlp", "console"] = "otlp"
    """Where spans go: "otlp" (OTLP over HTTP/protobuf) or "console" (each span as JSON on stdout)."""
    endpoint: str = ""
    """OTLP traces URL, e.g. "http://127.0.0.1:4318/v1/traces"; empty: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT /
    OTEL_EXPORTER_OTLP_ENDPOINT, else the exporter's default (localhost:4318). Headers such as an API key
    come from OTEL_EXPORTER_OTLP_HEADERS, never from this file."""
    sampler_ratio: float = Field(1.0, ge=0.0, le=1.0)
    """Share of traces started on this node that are recorded (0.01 = 1%); a trace started on a peer keeps
    the peer's decision."""
    service_name: str = Field("artemis", min_length=1)
    """service.name of every span (OTEL_SERVICE_NAME, when set, wins)."""

    @field_validator("endpoint")
    @classmethod
    def _check_endpoint(cls, v: str) -> str:
        from urllib.parse import urlsplit

        v = v.strip()
        if v:
            parts = urlsplit(v)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"must be an http:// or https:// URL, got {v!r}")
        return v

    @field_validator("enabled")
    @classmethod
    def _check_installed(cls, v: bool) -> bool:
        import importlib.util

        if not v:
            return v
        try:
            found = importlib.util.find_spec("opentelemetry.sdk") is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise ValueError("tracing needs the OpenTelemetry SDK: pip install 'artemis-registry[otel]'")
        return v


class RateLimitSettings(_Section):
    enabled: bool = True
    requests_per_second: float = Field(10_000, gt=0)
    burst_size: float = Field(5_000, ge=1)


class LoggingSettings(_Section):
    level: Literal["trace", "debug", "info", "warn", "warning", "error"] = "info"
    format: Literal["pretty", "json", "text"] = "pretty"

    @field_validator("level", "format", mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        return v.lower() if isinstance(v, str) else v


class DatabaseSettings(_Section):
    url: str = ""
    """SQLAlchemy URL; empty means sqlite file artemis.db in the data dir. PostgreSQL: postgresql+psycopg://..."""
    max_connections: int = Field(10, ge=1)
    db_type: str = ""
    """Accepted for compatibility with the Rust rewrite and ignored: the URL names the back end."""
    busy_timeout_ms: int = Field(5000, ge=0, le=600_000)
    """How long a management write waits for a locked database before failing (SQLite busy timeout)."""
    reload_interval_secs: float = Field(0, ge=0)
    """Re-read the management state this often (0 = never); for Java nodes writing the same database."""


class RegistrySettings(_Section):
    enforce_same_region: bool = False
    allow_from_other_zone: bool = True
    # The Rust rewrite's optional [registry] keys: accepted and ignored (S20).
    lease_ttl: str | None = None
    eviction_interval: str | None = None
    rate_limit_rps: int | None = None


class DiscoverySettings(_Section):
    allow_from_other_zone: bool = True
    only_up: bool = True
    emit_route_rules: bool = False


class WireSettings(_Section):
    naming: Literal["camel", "snake"] = "camel"


class AuthSettings(_Section):
    protect_management: bool = False
    """When true, state-changing management, zone, canary and routing calls need a token (api.md A2)."""
    min_password_length: int = Field(1, ge=1, le=1024)
    """Shortest password for new users, changes and resets (the API lists no such 400; raise it, e.g. 12)."""
    login_max_failures: int = Field(10, ge=1)
    """Failed logins for one user name within login_failure_window_secs before logins are refused (429)."""
    login_failure_window_secs: float = Field(60.0, gt=0)
    """Window of the failed-login counter."""


class AuditSettings(_Section):
    retention_days: int = Field(0, ge=0)
    """Drop audit entries older than this many days (0 = keep forever)."""


class PushSettings(_Section):
    max_subscriptions_per_session: int = Field(10_000, ge=1)
    """Most services one WebSocket session may subscribe to (api.md T11); more gets an error frame."""


class WebSocketSettings(_Section):
    queue_size: int = Field(1000, ge=1)
    """Messages buffered per push session; a session that overflows is closed (1008, reason given)."""
    max_sessions: int = Field(10_000, ge=1)
    session_ttl_secs: float = Field(0, ge=0)
    """Close push sessions after this long so clients reconnect (0 = never; Java used 360)."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    server: ServerSettings = Field(default_factory=ServerSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    replication: ReplicationSettings = Field(default_factory=ReplicationSettings)
    lease: LeaseSettings = Field(default_factory=LeaseSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    ratelimit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    discovery: DiscoverySettings = Field(default_factory=DiscoverySettings)
    wire: WireSettings = Field(default_factory=WireSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    websocket: WebSocketSettings = Field(default_factory=WebSocketSettings)
    push: PushSettings = Field(default_factory=PushSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)

    # -- derived values -----------------------------------------------------------------------------
    def node_id(self) -> str:
        return self.server.node_id

    def data_dir(self) -> Path:
        if self.server.data_dir:
            return Path(self.server.data_dir).expanduser()
        import platformdirs

        return Path(platformdirs.user_data_dir("artemis", appauthor=False))

    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir() / 'artemis.db').resolve()}"

    def listen(self) -> tuple[str, int]:
        return split_addr(self.server.listen_addr)

    def node_url(self, bound_port: int | None = None) -> str:
        """S16.5: server.url, else http(s)://<listen host>:<port> with 0.0.0.0 replaced by a real address."""
        if self.server.url:
            return self.server.url.rstrip("/")
        host, port = self.listen()
        if bound_port:
            port = bound_port
        if host in ("0.0.0.0", "::", ""):
            host = primary_address()
        scheme = "https" if self.server.tls_cert else "http"
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{port}"


def split_addr(addr: str) -> tuple[str, int]:
    addr = addr.strip()
    if addr.startswith("["):
        host, _, rest = addr[1:].partition("]")
        port_s = rest.lstrip(":")
    else:
        host, sep, port_s = addr.rpartition(":")
        if not sep:
            raise ValueError(f"expected HOST:PORT, got {addr!r}")
    try:
        port = int(port_s)
    except ValueError:
        raise ValueError(f"port of {addr!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is out of range 0..65535")
    return host or "127.0.0.1", port


def primary_address() -> str:
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            # No packet is sent: connect() on UDP only selects the outgoing interface.
            s.connect(("10.255.255.255", 1))
            return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"


# -- loading ---------------------------------------------------------------------------------------


def _known_keys() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, field in Settings.model_fields.items():
        section = field.annotation
        assert isinstance(section, type)
        assert issubclass(section, BaseModel)
        out[name] = dict(section.model_fields)
    return out


def _env_value(raw: str, annotation: Any) -> Any:
    text = str(annotation)
    if "list" in text:
        raw = raw.strip()
        if raw.startswith("["):
            try:
                return json.loads(raw)
            except json.JSONDecodeError:
                pass
        return [p.strip() for p in raw.split(",") if p.strip()]
    return raw


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def default_config_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("artemis", appauthor=False)) / "server.toml"


def load_settings(
    config_path: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[Settings, list[str]]:
    """Build Settings from file, env and flag overrides. Returns (settings, warnings).

    Raises ConfigError (one line, naming the key) on an unreadable file or an invalid value.
    """
    env = os.environ if env is None else env
    warnings: list[str] = []
    known = _known_keys()
    data: dict[str, Any] = {}

    path: Path | None = None
    if config_path:
        path = Path(config_path).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
    elif env.get(ENV_CONFIG):
        path = Path(env[ENV_CONFIG]).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file not found: {path} (from {ENV_CONFIG})")
    elif default_config_path().is_file():
        path = default_config_path()
    if path is not None:
        try:
            with path.open("rb") as fh:
                file_data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
        for section, values in file_data.items():
            if section not in known:
                warnings.append(f"unknown config key '{section}' in {path} (ignored)")
                continue
            if not isinstance(values, dict):
                raise ConfigError(f"config key '{section}' in {path} must be a table")
            for key in values:
                if key not in known[section]:
                    warnings.append(f"unknown config key '{section}.{key}' in {path} (ignored)")
        data = {k: v for k, v in file_data.items() if k in known}

    env_data: dict[str, dict[str, Any]] = {}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        if section not in known or key not in known[section]:
            warnings.append(f"unknown environment variable {name} (ignored)")
            continue
        env_data.setdefault(section, {})[key] = _env_value(raw, known[section][key].annotation)
    data = _deep_merge(data, env_data)
    if overrides:
        data = _deep_merge(data, {k: dict(v) for k, v in overrides.items()})

    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        value = err.get("input")
        field = known.get(str(err["loc"][0]), {}).get(str(err["loc"][1])) if len(err["loc"]) > 1 else None
        secret = field is not None and "SecretStr" in str(field.annotation)
        # A secret typed wrong is still a secret: never echo it to the terminal or a log.
        shown = "" if isinstance(value, dict) or secret else f" (got {value!r})"
        raise ConfigError(f"invalid config value for '{loc}': {err['msg']}{shown}") from None
    if settings.cluster.peers and not settings.cluster.enabled and overrides and "cluster" in overrides:
        settings.cluster.enabled = True
    return settings, warnings
