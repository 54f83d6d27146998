"""Randomized fault injection: no acknowledged management write is lost, all nodes converge (issue 14).

The engine and the checker are in tests/cluster/chaos.py. In CI a short run (a few rounds) on each topology;
``--long`` runs hundreds of rounds (docs/cluster.md records the figures). ``--seed N`` (or
``ARTEMIS_CHAOS_SEED``) replays a schedule; a failure prints the seed and the command that replays it.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

from tests.cluster import chaos

pytestmark = pytest.mark.slow

SHORT_ROUNDS = 4
LONG_ROUNDS = 200


def _seed(config: pytest.Config) -> int:
    value = config.getoption("--seed")
    if value is None and os.environ.get("ARTEMIS_CHAOS_SEED"):
        value = int(os.environ["ARTEMIS_CHAOS_SEED"])
    return int(value) if value is not None else random.SystemRandom().randrange(1, 2**31)


@pytest.mark.timeout(4 * 3600)  # --long; every wait inside is bounded on its own
@pytest.mark.parametrize("topology", ["own-sqlite", "shared-postgres"])
def test_random_kills_lose_no_acknowledged_write(
    tmp_path: Path, request: pytest.FixtureRequest, topology: str
) -> None:
    """Writers on random live nodes, random SIGKILL/restart of any node: after every round all nodes hold the
    same management state, and it keeps every acknowledged write unless a later one superseded it."""
    config = request.config
    seed = _seed(config)
    long = bool(config.getoption("--long"))
    env = (
        {"ARTEMIS_DATABASE__URL": request.getfixturevalue("pg_url")} if topology == "shared-postgres" else {}
    )
    replay = f"python -m pytest '{request.node.nodeid}' --seed {seed}" + (" --long" if long else "")
    progress = (lambda line: print(line, file=sys.stderr, flush=True)) if long else None
    try:
        report = chaos.run(
            tmp_path,
            seed=seed,
            rounds=LONG_ROUNDS if long else SHORT_ROUNDS,
            env=env,
            progress=progress,
        )
    except Exception as exc:
        raise AssertionError(f"{exc}\n\nseed {seed}; replay with: {replay}") from exc
    print(f"\n{topology}: {report.line()}", file=sys.stderr)
    assert report.acked > 0
