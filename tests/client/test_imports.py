"""``artemis_client`` stays light: importing it loads the standard library and msgspec, nothing else."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import artemis_client


def _submodules() -> list[str]:
    names = ["artemis_client"]
    for mod in pkgutil.walk_packages(artemis_client.__path__, "artemis_client."):
        names.append(mod.name)
    return names


def test_importing_every_module_loads_only_stdlib_and_msgspec() -> None:
    """A fresh interpreter that imports every artemis_client module gains no third-party module but msgspec
    (no httpx, Litestar, SQLAlchemy, Typer, Textual, Rich, pydantic) and nothing from the server or the CLI."""
    modules = _submodules()
    assert "artemis_client.wire.codec" in modules
    # msgspec and what msgspec itself loads (typing_extensions when installed) are the baseline.
    code = (
        "import sys, json\n"
        "import msgspec, msgspec.inspect, msgspec.json, msgspec.structs\n"
        "before = set(sys.modules)\n"
        f"for name in {modules!r}: __import__(name)\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = {name.split(".")[0] for name in json.loads(out)}
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
