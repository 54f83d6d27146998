"""``artemis_client`` stays light: importing it loads the standard library and msgspec, nothing else; only its
HTTP runners (``artemis_client.transport`` and the SDK's clients) add httpx."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import artemis_client

# the httpx runners: the sans-I/O core's, and the SDK's clients on top of it (the SDK's cache, balancers,
# registration and discovery state machines stay in the light set)
RUNNERS = {
    "artemis_client.transport",
    "artemis_client.calls",
    "artemis_client.client",
    "artemis_client.following",
    "artemis_client.sync",
    "artemis_client.integrations",
}
# optional adapters, imported only by applications that want them
ADAPTERS = {"artemis_client.prometheus"}
FRAMEWORKS = {
    "litestar",
    "sqlalchemy",
    "typer",
    "textual",
    "pydantic",
    "uvicorn",
    "websockets",
    "prometheus_client",
}


def _submodules() -> list[str]:
    names = ["artemis_client"]
    for mod in pkgutil.walk_packages(artemis_client.__path__, "artemis_client."):
        names.append(mod.name)
    return names


def _loaded_by(modules: list[str]) -> set[str]:
    """Top-level packages a fresh interpreter gains by importing ``modules`` after msgspec."""
    code = (
        "import sys, json\n"
        "import msgspec, msgspec.inspect, msgspec.json, msgspec.structs\n"
        "before = set(sys.modules)\n"
        f"for name in {modules!r}: __import__(name)\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in json.loads(out)}


def test_the_http_runner_adds_only_httpx() -> None:
    """The transport module loads httpx (and whatever httpx loads itself), still no framework, server or
    CLI; the change-stream runners load websockets only when a stream opens."""
    loaded = _loaded_by([*sorted(RUNNERS), "artemis_client.stream"])
    assert "httpx" in loaded
    assert not loaded & (FRAMEWORKS | {"artemis_server", "artemis_cli"}), sorted(loaded)


def test_the_metrics_adapter_adds_only_prometheus_client() -> None:
    """artemis_client.prometheus (the one module allowed to) loads prometheus_client, and no framework,
    server or CLI module with it."""
    loaded = _loaded_by(sorted(ADAPTERS))
    assert "prometheus_client" in loaded
    assert not loaded & (FRAMEWORKS - {"prometheus_client"} | {"artemis_server", "artemis_cli"}), sorted(
        loaded
    )


def test_importing_every_module_loads_only_stdlib_and_msgspec() -> None:
    """A fresh interpreter that imports every artemis_client module but the HTTP runner gains no third-party
    module but msgspec (no httpx, websockets, Litestar, SQLAlchemy, Typer, Textual, Rich, pydantic) and
    nothing from the server or the CLI."""
    modules = [m for m in _submodules() if m not in RUNNERS | ADAPTERS]
    assert "artemis_client.wire.codec" in modules
    assert "artemis_client.changes" in modules
    assert "artemis_client._core" in modules
    # msgspec and what msgspec itself loads (typing_extensions when installed) are the baseline.
    loaded = _loaded_by(modules)
    foreign = {top for top in loaded if top not in sys.stdlib_module_names and top != "artemis_client"}
    assert not foreign, f"artemis_client pulled in {sorted(foreign)}"
    assert "artemis_client" in loaded


def test_the_package_is_typed_and_shipped() -> None:
    """py.typed sits next to the modules and pyproject ships the package with it (type checkers of SDK
    users read the annotations)."""
    root = Path(artemis_client.__path__[0])
    assert (root / "py.typed").is_file()
    cfg = tomllib.loads((root.parent / "pyproject.toml").read_text())
    assert "artemis_client*" in cfg["tool"]["setuptools"]["packages"]["find"]["include"]
    assert "py.typed" in cfg["tool"]["setuptools"]["package-data"]["artemis_client"]
