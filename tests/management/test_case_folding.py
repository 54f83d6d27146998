"""Ids that differ only by Unicode case are one id, in memory and in every store (S1.3, S17.2; issue 15 #1).

Generated ids (Ärger / ärger / ÄRGER, straße / STRASSE, ǅ / Ǆ / ǆ, ...) drive canary configs, instance, server
and zone pull-outs and pull-ins on SQLite and PostgreSQL; the node must agree with a Python model after every
call and again after a restart, and never answer 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import LiveServer

# the fi ligature folds to "fi"; capital, small and final sigma fold alike
BASES = ["ärger", "straße", "ǆemal", "σοφία", "ﬁle", "kelvin"]
OPS = ["canary-set", "canary-delete", "pullout", "pullin", "server-out", "server-in", "zone-out", "zone-in"]


def spell(base: str, flips: list[bool]) -> str:
    """One spelling of ``base``: each character upper- or lower-cased (ß upper-cases to SS)."""
    return "".join(c.upper() if f else c.lower() for c, f in zip(base, flips * len(base), strict=False))


@st.composite
def programs(draw: st.DrawFn) -> list[tuple[str, str, str, int]]:
    steps = []
    for _ in range(draw(st.integers(3, 12))):
        base = draw(st.sampled_from(BASES))
        flips = draw(st.lists(st.booleans(), min_size=1, max_size=8))
        steps.append((draw(st.sampled_from(OPS)), base, spell(base, flips), draw(st.integers(1, 3))))
    return steps


class Model:
    """What the node should hold, keyed by folded ids."""

    def __init__(self) -> None:
        self.canary: dict[str, list[str]] = {}
        self.down: set[str] = set()  # folded instance identities
        self.servers: set[str] = set()  # folded region + server ip
        self.zones: set[str] = set()  # folded region + zone id


def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code < 500, r.text
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    assert doc.get("success", (doc.get("responseStatus") or {}).get("status") == "success"), doc
    return doc


def run(http: httpx.Client, model: Model, prefix: str, step: tuple[str, str, str, int]) -> None:
    op, base, spelled, n = step
    service, folded = f"{prefix}-{spelled}", f"{prefix}-{base}".casefold()
    region = spelled  # regions compare folded too (S1.4)
    if op == "canary-set":
        ips = [f"10.0.0.{n}"]
        _ok(http.post("/api/management/canary/config", json={"serviceId": service, "ipWhitelist": ips}))
        model.canary[folded] = ips
    elif op == "canary-delete":
        _ok(http.delete(f"/api/management/canary/config/{service}"))
        model.canary.pop(folded, None)
    elif op in ("pullout", "pullin"):
        key = {"regionId": region, "serviceId": service, "instanceId": f"I-{spelled}"}
        body = {"instanceKey": key, "operation": op, "operationComplete": True}
        _ok(http.post("/api/management/instance/operate-instance.json", json=body))
        ident = f"{region}\x1f{service}\x1fI-{spelled}".casefold()
        (model.down.add if op == "pullout" else model.down.discard)(ident)
    elif op.startswith("server"):
        server = f"10.1.{BASES.index(base)}.{n}"
        operation = "pullout" if op == "server-out" else "pullin"
        body = {
            "serverId": server,
            "regionId": f"{prefix}-{region}",
            "operation": operation,
            "operationComplete": True,
        }
        _ok(http.post("/api/management/server/operate-server.json", json=body))
        ident = f"{prefix}-{region}".casefold() + "\x1f" + server
        (model.servers.add if operation == "pullout" else model.servers.discard)(ident)
    else:
        zone = f"z{n}"
        path = "/api/management/zone/pull-out" if op == "zone-out" else "/api/management/zone/pull-in"
        _ok(http.post(path, json={"zoneId": zone, "regionId": f"{prefix}-{region}"}))
        ident = f"{prefix}-{region}".casefold() + "\x1f" + zone
        (model.zones.add if op == "zone-out" else model.zones.discard)(ident)


def check(http: httpx.Client, model: Model, prefix: str) -> None:
    configs = _ok(http.get("/api/management/canary/configs"))["data"]
    mine = {
        c["serviceId"].casefold(): c["ipWhitelist"]
        for c in configs
        if c["serviceId"].startswith(prefix + "-")
    }
    assert mine == model.canary
    inst = _ok(http.get("/api/management/all-instance-operations.json"))["instanceOperationRecords"]
    down = {
        f"{d['instanceKey']['regionId']}\x1f{d['instanceKey']['serviceId']}\x1f{d['instanceKey']['instanceId']}".casefold()
        for d in inst
        if d["instanceKey"]["serviceId"].startswith(prefix + "-")
    }
    assert down == model.down
    servers = _ok(http.get("/api/management/all-server-operations.json"))["serverOperationRecords"]
    assert {
        d["regionId"].casefold() + "\x1f" + d["serverId"]
        for d in servers
        if d["regionId"].startswith(prefix + "-")
    } == model.servers
    zones = _ok(http.get("/api/management/zone/operations"))["data"]
    assert {
        d["regionId"].casefold() + "\x1f" + d["zoneId"]
        for d in zones
        if d["regionId"].startswith(prefix + "-")
    } == model.zones


def test_unicode_case_variants_are_one_id_across_a_restart(node_factory: Callable[..., LiveServer]) -> None:
    """Random programs over case variants of non-ASCII ids: state equals the model, before and after a
    restart, on SQLite and PostgreSQL, and no call answers 500."""
    node = node_factory()
    runs: list[tuple[str, Model]] = []

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(programs())
    def program(steps: list[tuple[str, str, str, int]]) -> None:
        prefix = f"p{len(runs)}"
        model = Model()
        runs.append((prefix, model))
        with httpx.Client(base_url=node.url, timeout=15) as http:
            for step in steps:
                run(http, model, prefix, step)
                check(http, model, prefix)

    program()
    node.stop()
    again = node_factory()
    with httpx.Client(base_url=again.url, timeout=15) as http:
        for prefix, model in runs:
            check(http, model, prefix)
