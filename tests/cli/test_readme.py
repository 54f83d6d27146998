"""Every `artemis` example of README.md runs against a live node, so the README cannot rot.

Each ```sh block is a sequence of shell lines; a line may chain commands with `&&` and end with `&` or a
`# comment`. Every `artemis ...` command in them runs in README order against one node (ARTEMIS_SERVER points
at it; each block starts with an empty client config) and must exit 0. Examples that cannot run in a test are
listed in SKIP with the reason; a SKIP entry that no longer matches anything fails the test too, so the list
stays small and true. A `--keep-alive` registration runs once without it (it would heartbeat until Ctrl-C).
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.cli.conftest import run_inproc
from tests.helpers import ROOT, LiveServer

SKIP = {
    "artemis server start": "runs a node in the foreground until Ctrl-C (tests/cli/test_server_start.py)",
    "artemis tui": "a full-screen dashboard (tests/tui)",
    "artemis instance watch": "streams changes until Ctrl-C (tests/cli/test_watch_cmd.py)",
    "--server http://10.0.0.": "needs a cluster at 10.0.0.x; tests send nothing beyond 127.0.0.1",
}


def readme_blocks(path: Path = ROOT / "README.md") -> list[list[list[str]]]:
    """The `artemis` commands of each ```sh block: block -> command -> argv (without `artemis`)."""
    blocks = re.findall(r"^```sh\n(.*?)^```", path.read_text(), flags=re.S | re.M)
    out = []
    for block in blocks:
        commands = []
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[-1] == "&":
                words = words[:-1]
            command: list[str] = []
            for w in [*words, "&&"]:
                if w != "&&":
                    command.append(w)
                    continue
                if command and command[0] == "artemis":
                    commands.append(command[1:])
                command = []
        out.append(commands)
    return out


def skip_reason(argv: list[str]) -> str | None:
    text = " ".join(["artemis", *argv])
    return next((k for k in SKIP if k in text), None)


def test_every_readme_example_runs(make_server: Callable[..., LiveServer], tmp_path: Path) -> None:
    """All README `artemis` examples exit 0 against a live node, and the routing example really splits
    discovery traffic 70/30 between the groups it binds."""
    srv = make_server(lease={"ttl_secs": 600})  # the walkthrough's registrations outlive the test
    used: Counter[str] = Counter()
    ran = 0
    for n, block in enumerate(readme_blocks()):
        env = {"ARTEMIS_SERVER": srv.url, "ARTEMIS_CLIENT_CONFIG": str(tmp_path / f"client-{n}.toml")}
        for argv in block:
            reason = skip_reason(argv)
            if reason is not None:
                used[reason] += 1
                continue
            args = [a for a in argv if a != "--keep-alive"]
            r = run_inproc(*args, env=env)
            assert r.code == 0, (f"README: artemis {shlex.join(argv)}", r.stdout, r.stderr)
            ran += 1
    assert ran >= 25, f"only {ran} README examples found: did the block format change?"
    assert set(used) == set(SKIP), f"SKIP entries that match no README example: {set(SKIP) - set(used)}"

    blue, green = {"i-17", "i-18"}, {"i-19", "i-20"}
    picks: Counter[str] = Counter()
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        for _ in range(100):
            doc = http.post(
                "/api/discovery/service.json",
                json={"discoveryConfig": {"serviceId": "payments", "regionId": "eu"}},
            ).json()
            ids = {i["instanceId"] for i in doc["service"]["instances"]}
            picks["blue" if ids <= blue else "green" if ids <= green else "other"] += 1
    assert picks == Counter({"blue": 70, "green": 30})
