"""The installed package must hold every module: tests import from the checkout, so check the layout here."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_source_directory_is_a_package() -> None:
    """setuptools' find_packages skips directories without __init__.py (they would be missing once installed);
    the Alembic scripts are shipped as package data instead."""
    missing = []
    for top in ("artemis_server", "artemis_cli", "artemis_client"):
        for d in (ROOT / top).rglob("*"):
            if not d.is_dir() or d.name == "__pycache__" or "migrations" in d.parts:
                continue
            if any(d.glob("*.py")) and not (d / "__init__.py").exists():
                missing.append(str(d.relative_to(ROOT)))
    assert not missing, f"directories with modules but no __init__.py: {missing}"


def test_migrations_are_package_data() -> None:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = cfg["tool"]["setuptools"]["package-data"]["artemis_server"]
    base = ROOT / "artemis_server"
    scripts = [p.relative_to(base).as_posix() for p in (base / "store" / "migrations").rglob("*.py")]
    assert scripts
    uncovered = [s for s in scripts if not any(fnmatch(s, pat) for pat in patterns)]
    assert not uncovered, f"migration scripts not shipped in the wheel: {uncovered}"


def test_tui_assets_are_package_data() -> None:
    """The dashboard's stylesheet and the web console's page template ship in the wheel (a missing one only
    shows once installed: no styles, or `artemis tui --web` answering 500)."""
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = cfg["tool"]["setuptools"]["package-data"]["artemis_cli"]
    base = ROOT / "artemis_cli"
    assets = [
        p.relative_to(base).as_posix()
        for p in (base / "tui").rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]
    assert any(a.endswith(".html") for a in assets)
    uncovered = [a for a in assets if not any(fnmatch(a, pat) for pat in patterns)]
    assert not uncovered, f"TUI files not shipped in the wheel: {uncovered}"
