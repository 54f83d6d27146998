"""The examples of docs/sdk.md run as written against a real node, as a new user would run them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, LiveServer

DOC = ROOT / "docs" / "sdk.md"
EXPECTED = {
    "asyncio_register": ["registered orders-1", "unregistered on the way out"],
    "wsgi": ["inventory is at http://127.0.0.1:"],
    "discover_call": ["picked payments-1 of 1", "200 hello from payments"],
    "watch": ["new search-7"],
    "shutdown": ["drained and closed"],
    "metrics": ['artemis_client_heartbeats_total{result="ok"}', "artemis_client_registered_instances 1.0"],
}


def examples() -> dict[str, str]:
    text = DOC.read_text()
    return dict(re.findall(r"<!-- example: (\w+) -->\n```python\n(.*?)```", text, flags=re.S))


def test_the_doc_has_the_examples() -> None:
    """docs/sdk.md carries exactly the examples this test runs."""
    assert set(examples()) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_against_a_node(name: str, server: LiveServer, tmp_path: Path) -> None:
    """The example exits 0 and prints what the doc says it does."""
    script = tmp_path / f"{name}.py"
    script.write_text(examples()[name])
    env = {**os.environ, "ARTEMIS_SERVER": server.url, "RUN_SECONDS": "0.5", "DRAIN_SECONDS": "0.2"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for line in EXPECTED[name]:
        assert line in proc.stdout, proc.stdout
