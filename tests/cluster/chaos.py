"""Randomized fault injection for management state, checked like a database (issue 14, S14.2).

Three `artemis server start` processes on 127.0.0.1 (their own SQLite files, or one shared PostgreSQL) take
management writes from concurrent writer threads aimed at random live nodes - the same entities from several
writers and entities of their own - while a seeded scheduler SIGKILLs and restarts nodes, the one taking the
writes included. After every round all nodes are brought up and the checker requires:

* convergence: every node serves the same management state (all management read endpoints, row ids aside)
  within ``CONVERGE_SECS`` of all nodes being up;
* durability and order: for every entity, the value all nodes hold is the value of a write that was not
  followed, strictly later in real time, by an acknowledged write to the same entity. So every acknowledged
  write is either present or superseded by a later acknowledged write; writes whose answer was lost with a
  killed node may or may not have happened, and writes that overlap in time may land in either order.

The seed fixes the schedule and every writer's choices (not the threads' exact interleaving); a failure names
the seed and the command that replays it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from tests.cluster import mgmt_state as ms
from tests.helpers import ServerProcess, wait_for

FAST_ENV = {
    "ARTEMIS_CLUSTER__HEALTH_CHECK_INITIAL_DELAY_SECS": "0.5",
    "ARTEMIS_CLUSTER__HEALTH_CHECK_INTERVAL_SECS": "0.5",
    "ARTEMIS_CLUSTER__HEALTH_CHECK_TIMEOUT_SECS": "0.5",
    "ARTEMIS_REPLICATION__TIMEOUT_SECS": "1",
    "ARTEMIS_LOGGING__LEVEL": "error",
}
CONVERGE_SECS = 15.0
TOLERANCE = 0.002  # stamps have millisecond resolution: writes closer than this are concurrent
GROUPS = ("chaos-svc:default:z1:g1", "chaos-svc:default:z1:g2")
RULE = "chaos-rule"
UNSET = object()


@dataclass(slots=True)
class Write:
    entity: tuple[str, ...]
    value: Any
    node: int
    start: float
    end: float = 0.0
    outcome: str = "pending"  # ack | fail | unknown


@dataclass
class Report:
    seed: int
    rounds: int = 0
    writes: int = 0
    acked: int = 0
    unknown: int = 0
    kills: int = 0
    restarts: int = 0
    convergence: list[float] = field(default_factory=list)

    def line(self) -> str:
        worst = max(self.convergence) if self.convergence else 0.0
        mean = sum(self.convergence) / len(self.convergence) if self.convergence else 0.0
        return (
            f"seed {self.seed}: {self.rounds} rounds, {self.writes} writes ({self.acked} acknowledged, "
            f"{self.unknown} unknown), {self.kills} SIGKILLs, {self.restarts} restarts, convergence after "
            f"all nodes up: mean {mean:.2f} s, max {worst:.2f} s"
        )


class Cluster:
    def __init__(self, base: Path, n: int, env: dict[str, str]) -> None:
        self.nodes = [ServerProcess(base / f"n{i}", env={**FAST_ENV, **env}) for i in range(n)]
        for node in self.nodes:
            node.args = [a for m in self.nodes for a in ("--peer", m.url)]
        self.alive = [False] * n
        self.lock = threading.Lock()

    def start_all(self) -> None:
        for i, node in enumerate(self.nodes):
            if not self.alive[i]:
                node.start(wait=False)
        for i, node in enumerate(self.nodes):
            if not self.alive[i]:
                node.wait_healthy(timeout=30)
                with self.lock:
                    self.alive[i] = True

    def kill(self, i: int) -> None:
        with self.lock:
            self.alive[i] = False
        self.nodes[i].kill()

    def live(self) -> list[int]:
        with self.lock:
            return [i for i, a in enumerate(self.alive) if a]

    def stop(self) -> None:
        for node in self.nodes:
            node.kill()


class Writer(threading.Thread):
    """Sends random management writes to random live nodes and records what each answer said."""

    def __init__(
        self, wid: int, cluster: Cluster, rng: random.Random, log: list[Write], stop: threading.Event
    ):
        super().__init__(daemon=True, name=f"chaos-writer-{wid}")
        self.wid, self.cluster, self.rng, self.log, self.stop_event = wid, cluster, rng, log, stop
        self.seq = 0

    def run(self) -> None:
        with httpx.Client(timeout=3.0) as http:
            while not self.stop_event.is_set():
                live = self.cluster.live()
                if not live:
                    time.sleep(0.01)
                    continue
                node = self.rng.choice(live)
                self.seq += 1
                self.one(http, node)

    def one(self, http: httpx.Client, node: int) -> None:
        url = self.cluster.nodes[node].url
        token = f"w{self.wid}-{self.seq}"
        ip = f"10.{self.wid}.{self.seq // 250 % 250}.{self.seq % 250 + 1}"
        rng = self.rng
        shared = rng.random() < 0.5  # half the writes hit entities every writer writes
        slot = rng.randrange(3)
        svc = f"shared-{slot}" if shared else f"own-{self.wid}-{slot}"
        kind = rng.choices(
            ["canary", "canary-del", "instance", "server", "zone", "group", "tag", "tag-del", "weight"],
            weights=[30, 5, 15, 8, 8, 8, 10, 4, 8],
        )[0]
        call: Callable[[], httpx.Response]
        if kind == "canary":
            entity, value = ("canary", svc), (ip,)
            call = lambda: ms.canary_set(http, url, svc, [ip])  # noqa: E731
        elif kind == "canary-del":
            entity, value = ("canary", svc), None
            call = lambda: ms.canary_delete(http, url, svc)  # noqa: E731
        elif kind == "instance":
            op = rng.choice(["pullout", "pullin"])
            entity, value = ("instance", svc, f"i{slot}"), op == "pullout"
            call = lambda: ms.instance_op(http, url, svc, f"i{slot}", op)  # noqa: E731
        elif kind == "server":
            op = rng.choice(["pullout", "pullin"])
            server = f"10.200.{0 if shared else self.wid + 1}.{slot}"
            entity, value = ("server", server), op == "pullout"
            call = lambda: ms.server_op(http, url, server, op)  # noqa: E731
        elif kind == "zone":
            op = rng.choice(["pullout", "pullin"])
            zone = f"zone-{'s' if shared else self.wid}-{slot}"
            entity, value = ("zone", zone), op == "pullout"
            call = lambda: ms.zone_op(http, url, zone, op)  # noqa: E731
        elif kind == "group":
            key = rng.choice(GROUPS)
            entity, value = ("group", key), token
            call = lambda: http.put(  # noqa: E731
                url + "/api/routing/groups/" + quote(key, safe=""), json={"description": token}
            )
        elif kind in ("tag", "tag-del"):
            key = rng.choice(GROUPS)
            tag = f"t-{'s' if shared else self.wid}-{slot}"
            path = url + "/api/routing/groups/" + quote(key, safe="") + "/tags"
            if kind == "tag":
                entity, value = ("tag", key, tag), token
                call = lambda: http.post(path, json={"tags": [{"key": tag, "value": token}]})  # noqa: E731
            else:
                entity, value = ("tag", key, tag), None
                call = lambda: http.delete(path + "/" + tag)  # noqa: E731
        else:
            key = rng.choice(GROUPS)
            weight = rng.randint(1, 100)
            entity, value = ("rulegroup", key), weight
            call = lambda: http.put(  # noqa: E731
                f"{url}/api/routing/rules/{RULE}/groups/{quote(key, safe='')}", json={"weight": weight}
            )
        w = Write(entity, value, node, time.time())
        try:
            r = call()
        except httpx.ConnectError:
            w.outcome = "fail"  # refused before anything was sent: the node was down
        except httpx.HTTPError:
            w.outcome = "unknown"  # sent; the answer was lost (the node was killed meanwhile)
        else:
            if r.status_code >= 500 and r.status_code != 503:
                raise AssertionError(f"{kind} on node {node} answered {r.status_code}: {r.text}")
            w.outcome = "ack" if ms.ok(r) else "fail"  # 404 (a tag already gone here), 503 (database busy)
        w.end = time.time()
        self.log.append(w)


def observed(snapshot: dict[str, Any], entity: tuple[str, ...]) -> Any:
    """The value an entity has in a node's snapshot, in the writers' terms."""
    kind = entity[0]
    if kind == "canary":
        for svc, ips, _ in snapshot["canary"]:
            if svc == entity[1].casefold():
                return tuple(ips)
        return None
    if kind == "instance":
        return any(
            i[1] == entity[1].casefold() and i[2] == entity[2].casefold() for i in snapshot["instances"]
        )
    if kind == "server":
        return any(s[1] == entity[1] for s in snapshot["servers"])
    if kind == "zone":
        return any(z[1] == entity[1] for z in snapshot["zones"])
    groups = {g["groupKey"]: g for g in snapshot["groups"]}
    if kind == "group":
        return groups[entity[1]].get("description")
    if kind == "tag":
        tags = {t["key"]: t["value"] for t in groups[entity[1]].get("tags") or []}
        return tags.get(entity[2])
    (rule,) = [r for r in snapshot["rules"] if r["routeId"] == RULE]
    (rg,) = [g for g in rule["ruleGroups"] if g["groupId"] == entity[1]]
    return rg["weight"]


def check_entity(entity: tuple[str, ...], writes: list[Write], value: Any, initial: Any) -> str | None:
    """None when ``value`` is allowed, else why not (see the module docstring for the rule)."""
    acked = [w for w in writes if w.outcome == "ack"]
    candidates = [w for w in writes if w.outcome in ("ack", "unknown") and w.value == value]
    ends = [w.end for w in candidates]
    if value == initial:
        ends.append(float("-inf"))  # the state before any write
    for end in ends:
        if not any(w.start > end + TOLERANCE for w in acked):
            return None
    later = [w for w in acked if not ends or w.start > max(ends) + TOLERANCE]
    return f"{entity} holds {value!r}, but acknowledged write(s) came strictly later: " + ", ".join(
        f"{w.value!r} on n{w.node} at {w.start:.3f}-{w.end:.3f}" for w in later[:5]
    )


def setup_routing(url: str) -> None:
    with httpx.Client(base_url=url, timeout=10) as http:
        for key in GROUPS:
            name = key.rsplit(":", 1)[1]
            assert ms.ok(ms.group_create(http, "", "chaos-svc", name)), key
        rule = {"routeId": RULE, "serviceId": "chaos-svc", "name": RULE, "strategy": "weighted-round-robin"}
        assert ms.ok(http.post("/api/routing/rules", json=rule))
        for key in GROUPS:
            r = http.post(f"/api/routing/rules/{RULE}/groups", json={"groupId": key, "weight": 50})
            assert ms.ok(r), r.text


def initial_value(entity: tuple[str, ...]) -> Any:
    return {
        "canary": None,
        "instance": False,
        "server": False,
        "zone": False,
        "group": None,
        "tag": None,
    }.get(entity[0], 50)


def run(
    base: Path,
    *,
    seed: int,
    rounds: int,
    env: dict[str, str] | None = None,
    writers: int = 3,
    round_secs: tuple[float, float] = (1.0, 2.5),
    progress: Callable[[str], None] | None = None,
) -> Report:
    rng = random.Random(seed)
    report = Report(seed)
    cluster = Cluster(base, 3, env or {})
    log: list[Write] = []
    try:
        cluster.start_all()
        setup_routing(cluster.nodes[0].url)
        first = ms.snapshot(cluster.nodes[0].url)
        for node in cluster.nodes[1:]:
            wait_for(lambda node=node: ms.snapshot(node.url) == first, timeout=CONVERGE_SECS, what="setup")
        for rnd in range(rounds):
            stop = threading.Event()
            threads = [Writer(i, cluster, random.Random(rng.random()), log, stop) for i in range(writers)]
            for t in threads:
                t.start()
            # the fault schedule of this round: kill one or two nodes at random moments, restart some at once
            deadline = time.monotonic() + rng.uniform(*round_secs)
            while time.monotonic() < deadline:
                time.sleep(rng.uniform(0.1, 0.6))
                live = cluster.live()
                if len(live) > 1 and rng.random() < 0.6:
                    victim = rng.choice(live)
                    cluster.kill(victim)
                    report.kills += 1
                    if rng.random() < 0.3:  # straight back up while the others keep writing
                        cluster.nodes[victim].start(wait=False)
                        cluster.nodes[victim].wait_healthy(timeout=30)
                        with cluster.lock:
                            cluster.alive[victim] = True
                        report.restarts += 1
            stop.set()
            for t in threads:
                t.join(timeout=30)
            down = len(cluster.nodes) - len(cluster.live())
            cluster.start_all()
            report.restarts += down
            up = time.monotonic()
            snaps = converge(cluster)
            report.convergence.append(time.monotonic() - up)
            report.rounds += 1
            verify(log, snaps[0])
            if progress is not None:
                progress(
                    f"round {rnd + 1}/{rounds}: {len(log)} writes, converged in {report.convergence[-1]:.2f} s"
                )
        report.writes = len(log)
        report.acked = sum(1 for w in log if w.outcome == "ack")
        report.unknown = sum(1 for w in log if w.outcome == "unknown")
        return report
    finally:
        cluster.stop()


def converge(cluster: Cluster) -> list[dict[str, Any]]:
    """Wait until every node serves the same management state; fail with the difference."""
    deadline = time.monotonic() + CONVERGE_SECS
    while True:
        snaps = [ms.snapshot(n.url) for n in cluster.nodes]
        if all(s == snaps[0] for s in snaps[1:]):
            return snaps
        if time.monotonic() > deadline:
            diff = {k: [s[k] for s in snaps] for k in snaps[0] if any(s[k] != snaps[0][k] for s in snaps[1:])}
            raise AssertionError(f"nodes still differ {CONVERGE_SECS} s after all were up: {diff}")
        time.sleep(0.1)


def verify(log: list[Write], snapshot: dict[str, Any]) -> None:
    by_entity: dict[tuple[str, ...], list[Write]] = {}
    for w in log:
        by_entity.setdefault(w.entity, []).append(w)
    problems = []
    for entity, writes in by_entity.items():
        why = check_entity(entity, writes, observed(snapshot, entity), initial_value(entity))
        if why:
            problems.append(why)
    if problems:
        raise AssertionError(
            f"{len(problems)} entit(ies) lost an acknowledged write:\n" + "\n".join(problems[:20])
        )
