"""config.example.toml and the settings loader (S20): documented keys, precedence, warnings and errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from artemis_server.settings import ConfigError, Settings, load_settings
from tests.helpers import ROOT

EXAMPLE = ROOT / "config.example.toml"
# Keys whose default is "none": TOML cannot write it, so the example shows them commented out.
_KEY_LINE = re.compile(r"^(#\s*)?([a-z_][a-z0-9_]*)\s*=")


def _sections() -> dict[str, type[BaseModel]]:
    out: dict[str, type[BaseModel]] = {}
    for name, field in Settings.model_fields.items():
        assert isinstance(field.annotation, type)
        assert issubclass(field.annotation, BaseModel)
        out[name] = field.annotation
    return out


def _documented_keys() -> dict[str, dict[str, tuple[bool, str]]]:
    """section -> key -> (commented out, the comment line right above it)."""
    out: dict[str, dict[str, tuple[bool, str]]] = {}
    section = ""
    previous = ""
    for raw in EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        header = re.match(r"^\[([a-z_]+)\]$", line)
        if header:
            section = header.group(1)
            out.setdefault(section, {})
        elif section and (m := _KEY_LINE.match(line)):
            out[section][m.group(2)] = (bool(m.group(1)), previous)
        previous = line
    return out


def test_example_loads_without_warnings_and_equals_defaults() -> None:
    """The example file loads with zero warnings and every value in it is the default."""
    settings, warnings = load_settings(EXAMPLE, env={})
    assert warnings == []
    defaults = Settings()
    for name in Settings.model_fields:
        got = getattr(settings, name).model_dump()
        want = getattr(defaults, name).model_dump()
        assert got == want, f"[{name}] in config.example.toml differs from the defaults"


def test_example_documents_every_setting() -> None:
    """Every field of every section appears in the example, each under its own comment (stale-proof)."""
    documented = _documented_keys()
    for name, section in _sections().items():
        assert name in documented, f"config.example.toml has no [{name}] table"
        for key, field in section.model_fields.items():
            assert key in documented[name], f"config.example.toml does not document {name}.{key}"
            commented, comment = documented[name][key]
            assert comment.startswith("#"), f"{name}.{key} has no comment line above it"
            if commented:
                assert field.default is None, f"{name}.{key} has a default, so it must be written out"
        extra = set(documented[name]) - set(section.model_fields)
        assert not extra, f"config.example.toml documents unknown keys [{name}] {sorted(extra)}"


def test_no_default_secret() -> None:
    """The peer token has no default and the example sets none (no well-known secret, S19.1)."""
    settings, _ = load_settings(EXAMPLE, env={})
    assert settings.cluster.peer_token is None
    assert Settings().cluster.peer_token is None


def test_unknown_keys_are_warnings_naming_them(tmp_path: Path) -> None:
    """Unknown tables and keys are warnings naming the key and file; the known values still apply."""
    cfg = tmp_path / "c.toml"
    cfg.write_text('[lease]\nttl_secs = 7\nttl_sec = 3\n[bogus]\nx = 1\n[registry]\nlease_ttl = "30s"\n')
    settings, warnings = load_settings(cfg, env={})
    assert settings.lease.ttl_secs == 7
    assert any("'lease.ttl_sec'" in w and str(cfg) in w for w in warnings)
    assert any("'bogus'" in w for w in warnings)
    assert len(warnings) == 2  # the Rust [registry] keys are accepted silently


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[lease]\nttl_secs = "soon"\n', "lease.ttl_secs"),
        ("[lease]\nttl_secs = -1\n", "lease.ttl_secs"),
        ("[server]\npeer_port = 70000\n", "server.peer_port"),
        ('[server]\nlisten_addr = "nope"\n', "server.listen_addr"),
        ('[logging]\nlevel = "loud"\n', "logging.level"),
        ("[cluster]\npeers = 5\n", "cluster.peers"),
        ("lease = 3\n", "lease"),
    ],
)
def test_bad_values_are_one_line_errors_naming_the_key(tmp_path: Path, toml: str, key: str) -> None:
    """A wrong type or an out-of-range value is a ConfigError whose one-line message names the key."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env={})
    msg = str(info.value)
    assert f"'{key}'" in msg
    assert "\n" not in msg


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    """Unparsable TOML and a missing file are one-line ConfigErrors."""
    cfg = tmp_path / "c.toml"
    cfg.write_text("[lease\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(cfg, env={})
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml", env={})


def test_precedence_file_env_flags(tmp_path: Path) -> None:
    """Env ARTEMIS_<SECTION>__<KEY> beats the file, flags beat env; lists parse from JSON or commas."""
    cfg = tmp_path / "c.toml"
    cfg.write_text('[lease]\nttl_secs = 7\n[server]\nregion = "file"\nzone = "file"\n')
    env = {
        "ARTEMIS_LEASE__TTL_SECS": "9",
        "ARTEMIS_SERVER__REGION": "env",
        "ARTEMIS_CLUSTER__PEERS": "a:1, b:2",
        "ARTEMIS_SERVER__CONTEXT_ALIASES": '["/artemis"]',
        "ARTEMIS_LEASE__TTL": "1",
    }
    settings, warnings = load_settings(cfg, env=env, overrides={"server": {"region": "flag"}})
    assert settings.lease.ttl_secs == 9
    assert settings.server.region == "flag"
    assert settings.server.zone == "file"
    assert settings.cluster.peers == ["a:1", "b:2"]
    assert settings.server.context_aliases == ["/artemis"]
    assert warnings == ["unknown environment variable ARTEMIS_LEASE__TTL (ignored)"]


def test_env_values_are_validated(tmp_path: Path) -> None:
    """A bad environment value is a one-line error naming the key."""
    with pytest.raises(ConfigError, match=r"'lease\.cleanup_interval_secs'"):
        load_settings(None, env={"ARTEMIS_LEASE__CLEANUP_INTERVAL_SECS": "0"})


def test_config_path_from_env(tmp_path: Path) -> None:
    """ARTEMIS_CONFIG names the file when no --config is given."""
    cfg = tmp_path / "c.toml"
    cfg.write_text('[server]\nzone = "z9"\n')
    settings, _ = load_settings(None, env={"ARTEMIS_CONFIG": str(cfg)})
    assert settings.server.zone == "z9"


def test_default_config_path_is_used(tmp_path: Path) -> None:
    """Without --config or ARTEMIS_CONFIG the platform config file (XDG) is read when it exists."""
    cfg = tmp_path / "xdg-config" / "artemis" / "server.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[server]\nregion = "from-xdg"\n')
    settings, _ = load_settings(None, env={})
    assert settings.server.region == "from-xdg"
    assert Path(settings.data_dir()).is_relative_to(tmp_path / "xdg-data")


def test_node_url_derivation() -> None:
    """S16.5: server.url wins; else the listen address, with 0.0.0.0 replaced by a usable address."""
    wildcard, _ = load_settings(None, env={}, overrides={"server": {"listen_addr": "0.0.0.0:8123"}})
    url = wildcard.node_url()
    assert url.startswith("http://")
    assert url.endswith(":8123")
    assert "0.0.0.0" not in url
    bound, _ = load_settings(None, env={}, overrides={"server": {"listen_addr": "127.0.0.1:0"}})
    assert bound.node_url(bound_port=4321) == "http://127.0.0.1:4321"
    v6, _ = load_settings(None, env={}, overrides={"server": {"listen_addr": "[::1]:9000"}})
    assert v6.node_url() == "http://[::1]:9000"
    tls, _ = load_settings(None, env={}, overrides={"server": {"tls_cert": "c.pem", "tls_key": "k.pem"}})
    assert tls.node_url() == "https://127.0.0.1:8080"
    fixed, _ = load_settings(None, env={}, overrides={"server": {"url": "http://registry.example:80/"}})
    assert fixed.node_url() == "http://registry.example:80"


def test_secret_values_are_not_echoed(tmp_path: Path) -> None:
    """A mistyped peer_token is reported by name without printing its value."""
    cfg = tmp_path / "c.toml"
    cfg.write_text("[cluster]\npeer_token = 123456789\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env={})
    assert "'cluster.peer_token'" in str(info.value)
    assert "123456789" not in str(info.value)
