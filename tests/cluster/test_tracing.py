"""Traces across a real cluster (issue 20): one trace shows a change on every node (SDK in-memory exporter)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.cluster.conftest import instance, instance_ids
from tests.helpers import LiveServer, wait_for

TRACED = {"tracing": {"enabled": True, "exporter": "console"}}
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


def record(node: LiveServer) -> InMemorySpanExporter:
    mem = InMemorySpanExporter()
    node.node.tracing.provider.add_span_processor(SimpleSpanProcessor(mem))
    return mem


def named(mem: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in mem.get_finished_spans() if s.name == name]


def one_of(mem: InMemorySpanExporter, name: str, trace_id: int) -> ReadableSpan | None:
    return next((s for s in named(mem, name) if s.context.trace_id == trace_id), None)


def test_a_traced_write_and_a_management_change_are_one_trace_on_every_node(
    make_cluster: Callable[..., list[LiveServer]], capsys: pytest.CaptureFixture[str]
) -> None:
    """A client register carrying a traceparent is a span on A in the client's trace, replicated in a
    span whose context B continues; a pull-out on A (its store transaction a child span) reaches B as a
    pull and merge in the same trace; discovery on B is a span saying whether the answer was cached."""
    a, b = make_cluster(2, **TRACED)
    mem_a, mem_b = record(a), record(b)
    tid = int(TRACE_ID, 16)
    headers = {"traceparent": f"00-{TRACE_ID}-{CLIENT_SPAN}-01"}
    body = {"instances": [instance("svc-tr", "t1")]}
    r = httpx.post(a.url + "/api/registry/register.json", json=body, headers=headers, timeout=5)
    assert r.status_code == 200
    # A's send span ends when B's answer is back, after B's receive span: wait for both ends
    wait_for(
        lambda: one_of(mem_b, "replication.receive", tid) and one_of(mem_a, "replication.send", tid),
        timeout=5,
        what="the replication spans",
    )
    reg = one_of(mem_a, "registry.register", tid)
    send = one_of(mem_a, "replication.send", tid)
    recv = one_of(mem_b, "replication.receive", tid)
    assert reg is not None
    assert send is not None
    assert recv is not None
    assert reg.parent is not None
    assert f"{reg.parent.span_id:016x}" == CLIENT_SPAN
    assert recv.parent is not None
    assert recv.parent.span_id == send.context.span_id
    assert send.attributes["artemis.kind"] == "register"

    pull_out = {
        "instanceKey": {"regionId": "r1", "serviceId": "svc-tr", "instanceId": "t1"},
        "operation": "pullout",
        "operationComplete": True,
        "operatorId": "tracer",
    }
    r = httpx.post(a.url + "/api/management/instance/operate-instance.json", json=pull_out, timeout=5)
    assert r.status_code == 200
    (execute,) = named(mem_a, "management.execute")
    (tx,) = named(mem_a, "management.store.transaction")
    assert (
        execute.attributes["artemis.command"] == "instance.operate" or execute.attributes["artemis.command"]
    )
    assert tx.parent is not None
    assert tx.parent.span_id == execute.context.span_id
    mtid = execute.context.trace_id
    # A's poke span ends when B answers the poke, which may be after B's pull and merge: wait for all three
    wait_for(
        lambda: one_of(mem_b, "management.merge", mtid) and one_of(mem_a, "management.poke", mtid),
        timeout=5,
        what="B merged in trace",
    )
    pull = one_of(mem_b, "management.pull", mtid)
    merge = one_of(mem_b, "management.merge", mtid)
    assert pull is not None
    assert merge is not None
    assert merge.parent is not None
    assert merge.parent.span_id == pull.context.span_id
    poke = one_of(mem_a, "management.poke", mtid)
    assert poke is not None
    assert pull.parent is not None
    assert pull.parent.span_id == poke.context.span_id
    wait_for(lambda: instance_ids(b.url, "svc-tr") == [], timeout=5, what="pulled out on B")

    cached: list[Any] = []
    for _ in range(2):
        httpx.post(
            b.url + "/api/discovery/service.json",
            json={"discoveryConfig": {"serviceId": "svc-tr"}},
            timeout=5,
        )
        cached.append(named(mem_b, "discovery.service")[-1].attributes["artemis.cached"])
    assert cached[-1] is True
    capsys.readouterr()  # the console exporter's output


def test_start_up_sync_is_one_trace_on_the_joining_node_and_its_peer(
    make_cluster: Callable[..., list[LiveServer]], capsys: pytest.CaptureFixture[str]
) -> None:
    """A node joining a traced peer records its sync, the fetch and the copy, and the peer's answer is a
    span of the same trace."""
    (a,) = make_cluster(1, **TRACED)
    mem_a = record(a)
    httpx.post(
        a.url + "/api/registry/register.json",
        json={"instances": [instance("svc-sync", f"s{k}") for k in range(3)]},
        timeout=5,
    )
    (c,) = make_cluster(1, extra_peers=(a.url,), **TRACED)
    wait_for(lambda: instance_ids(c.url, "svc-sync") == ["s0", "s1", "s2"], timeout=10, what="C synced")
    # C's spans were exported before this test could attach a recorder: read them from its console output
    c.node.tracing.force_flush()
    out = capsys.readouterr().out
    assert '"name": "replication.startup_sync"' in out
    assert '"name": "replication.startup_sync.copy"' in out
    assert '"artemis.instances": 3' in out
    (served,) = named(mem_a, "replication.services")
    assert f"{served.context.trace_id:032x}" in out  # the peer's span is in the joining node's trace
