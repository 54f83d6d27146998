"""The optional OpenTelemetry layer (artemis_server/tracing.py) against the SDK's in-memory exporter."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import ValidationError

from artemis_server import tracing
from artemis_server.tracing import OFF, Tracing, TracingSettings


def node_tracing(node_id: str, ratio: float = 1.0) -> tuple[Tracing, InMemorySpanExporter]:
    """A node's tracing as setup() builds it, its spans also kept in memory."""
    tr = tracing.setup(
        TracingSettings(enabled=True, exporter="console", sampler_ratio=ratio),
        node_id=node_id,
        region="r1",
        zone="z1",
    )
    mem = InMemorySpanExporter()
    tr.provider.add_span_processor(SimpleSpanProcessor(mem))
    return tr, mem


@pytest.fixture
def two_nodes() -> Iterator[tuple[Tracing, InMemorySpanExporter, Tracing, InMemorySpanExporter]]:
    a, mem_a = node_tracing("node-a")
    b, mem_b = node_tracing("node-b")
    yield a, mem_a, b, mem_b
    a.shutdown()
    b.shutdown()


def test_off_is_one_shared_null_context() -> None:
    """Tracing off hands back the same null context manager, no headers and no contexts: nothing is built."""
    tr = tracing.setup(TracingSettings(), node_id="n")
    assert tr is OFF
    assert not tr.on
    assert tr.span("a") is tr.span("b", {"k": 1})
    with tr.span("x") as span:
        assert span is None
    assert tr.headers() == {}
    assert tr.current() is None
    assert tr.capture() is None
    assert tr.extract({"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}) is None
    assert tr.batch_parent([None]) == (None, [])


def test_spans_nest_and_name_the_node(
    two_nodes: tuple[Tracing, InMemorySpanExporter, Tracing, InMemorySpanExporter],
) -> None:
    """A span opened inside another is its child, and the resource names the node, its region and zone."""
    a, mem, _, _ = two_nodes
    with a.span("management.execute", {"artemis.command": "pullout"}), a.span("store.commit"):
        pass
    inner, outer = mem.get_finished_spans()
    assert (outer.name, inner.name) == ("management.execute", "store.commit")
    assert inner.parent is not None
    assert inner.parent.span_id == outer.context.span_id
    assert outer.attributes["artemis.command"] == "pullout"
    res = outer.resource.attributes
    assert (res["service.name"], res["service.instance.id"], res["artemis.region"], res["artemis.zone"]) == (
        "artemis",
        "node-a",
        "r1",
        "z1",
    )


def test_context_crosses_to_a_peer_in_headers(
    two_nodes: tuple[Tracing, InMemorySpanExporter, Tracing, InMemorySpanExporter],
) -> None:
    """Headers injected on one node and extracted on another put the peer's span in the same trace, as its child."""
    a, mem_a, b, mem_b = two_nodes
    with a.span("replication.send", kind="client"):
        sent = a.headers({"Content-Type": "application/json"})
    assert sent["traceparent"].startswith("00-")
    assert sent["Content-Type"] == "application/json"
    with b.span("replication.receive", parent=b.extract({"TraceParent": sent["traceparent"]}), kind="server"):
        pass
    (send,) = mem_a.get_finished_spans()
    (recv,) = mem_b.get_finished_spans()
    assert recv.context.trace_id == send.context.trace_id
    assert recv.parent is not None
    assert recv.parent.span_id == send.context.span_id
    assert recv.parent.is_remote
    assert b.extract({"content-type": "x"}) is None


def test_a_batch_joins_the_first_trace_and_links_the_others(
    two_nodes: tuple[Tracing, InMemorySpanExporter, Tracing, InMemorySpanExporter],
) -> None:
    """Work done once for items of several traces is a child of the first item's trace and links each other trace once."""
    a, mem, _, _ = two_nodes
    items = []
    for k in range(3):
        with a.span(f"client-{k}"):
            items.append(a.current())
    parent, links = a.batch_parent([items[0], None, items[1], items[0], items[2], items[1]])
    with a.span("replication.batch", parent=parent, links=links):
        pass
    batch = mem.get_finished_spans()[-1]
    assert batch.context.trace_id == items[0].trace_id
    assert [ln.context.trace_id for ln in batch.links] == [items[1].trace_id, items[2].trace_id]
    assert a.batch_parent([None, None]) == (None, [])


def test_a_peer_keeps_the_origins_sampling_decision(
    two_nodes: tuple[Tracing, InMemorySpanExporter, Tracing, InMemorySpanExporter],
) -> None:
    """A node sampling nothing of its own still records the spans of a trace a sampling peer started, and
    the reverse: a trace the origin dropped is not recorded by a peer that samples everything."""
    a, mem_a, _, _ = two_nodes
    silent, mem_s = node_tracing("node-s", ratio=0.0)
    try:
        with silent.span("own root"):
            assert silent.current() is None
            dropped = silent.headers()
        with a.span("origin"):
            sampled = a.headers()
        with silent.span("for a sampled trace", parent=silent.extract(sampled)):
            assert silent.current() is not None
        with a.span("for a dropped trace", parent=a.extract(dropped)):
            assert a.current() is None
        assert [s.name for s in mem_s.get_finished_spans()] == ["for a sampled trace"]
        assert [s.name for s in mem_a.get_finished_spans()] == ["origin"]
    finally:
        silent.shutdown()


def test_one_percent_sampler_records_about_one_in_a_hundred() -> None:
    """sampler_ratio = 0.01 records about 1% of the traces a node starts (10,000 roots: 100, well within 40-200)."""
    tr, mem = node_tracing("n", ratio=0.01)
    try:
        for _ in range(10_000):
            with tr.span("discovery"):
                pass
        assert 40 <= len(mem.get_finished_spans()) <= 200
    finally:
        tr.shutdown()


def test_an_exception_marks_the_span_and_propagates(
    two_nodes: tuple[Tracing, InMemorySpanExporter, Tracing, InMemorySpanExporter],
) -> None:
    """An exception inside a span sets its status to error, records the exception and is raised unchanged."""
    a, mem, _, _ = two_nodes
    with pytest.raises(KeyError), a.span("management.execute"):
        raise KeyError("gone")
    (span,) = mem.get_finished_spans()
    assert span.status.status_code.name == "ERROR"
    assert [e.name for e in span.events] == ["exception"]


def test_console_exporter_prints_each_span(capsys: pytest.CaptureFixture[str]) -> None:
    """The console exporter writes every finished span to stdout as JSON once flushed."""
    tr = tracing.setup(TracingSettings(enabled=True, exporter="console"), node_id="n")
    with tr.span("discovery.service", {"artemis.service": "svc-1"}):
        pass
    tr.shutdown()
    out = capsys.readouterr().out
    assert '"name": "discovery.service"' in out
    assert '"artemis.service": "svc-1"' in out


def test_otlp_exporter_takes_the_configured_endpoint() -> None:
    """exporter = "otlp" builds the standard OTLP/HTTP exporter aimed at the configured endpoint."""
    exp = tracing._exporter(TracingSettings(enabled=True, endpoint="http://127.0.0.1:4318/v1/traces"))
    assert isinstance(exp, OTLPSpanExporter)
    assert exp._endpoint == "http://127.0.0.1:4318/v1/traces"
    exp.shutdown()


def test_settings_refuse_bad_values() -> None:
    """An endpoint that is not an http(s) URL, a ratio outside 0-1 or an unknown exporter is refused by name."""
    for bad in ({"endpoint": "127.0.0.1:4318"}, {"sampler_ratio": 1.5}, {"exporter": "jaeger"}):
        with pytest.raises(ValidationError) as err:
            TracingSettings(**bad)  # type: ignore[arg-type]
        assert next(iter(bad)) in str(err.value)


def test_without_the_extra_off_works_and_on_is_one_clear_error() -> None:
    """Without OpenTelemetry installed the module imports and stays off; enabling it in the configuration is
    one ConfigError line naming the key and the extra, and setup() refuses it the same way."""
    script = textwrap.dedent(
        """
        import sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "opentelemetry" or name.startswith("opentelemetry."):
                    raise ImportError("blocked: " + name)

        sys.meta_path.insert(0, Block())
        from artemis_server import tracing
        from artemis_server.settings import ConfigError, load_settings

        assert tracing.setup(tracing.TracingSettings(), node_id="n") is tracing.OFF
        with tracing.OFF.span("x"):
            pass
        try:
            load_settings(None, env={}, overrides={"tracing": {"enabled": True}})
        except ConfigError as exc:
            print(exc)
        try:
            tracing.setup(tracing.TracingSettings.model_construct(enabled=True), node_id="n")
        except ConfigError as exc:
            print(exc)
        assert not any(m.startswith("opentelemetry") for m in sys.modules)
        """
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    config_line, setup_line = res.stdout.strip().splitlines()
    assert "tracing.enabled" in config_line
    assert "artemis-registry[otel]" in config_line
    assert "artemis-registry[otel]" in setup_line


async def test_a_dropped_root_records_nothing_under_it_and_dropped_roots_interleave() -> None:
    """A root the sampler drops records no span below it and sends an unsampled traceparent; dropped roots
    of concurrent tasks enter and leave in any order."""
    import asyncio

    tr, mem = node_tracing("n", ratio=0.0)

    async def task(k: int) -> None:
        with tr.span("root"):
            await asyncio.sleep(0.01 * (3 - k))
            with tr.span("child", parent=tr.capture()):
                assert tr.current() is None
            assert tr.headers()["traceparent"].endswith("-00")

    try:
        await asyncio.gather(*(task(k) for k in range(3)))
        assert mem.get_finished_spans() == ()
        assert tr.headers() == {}  # nothing left current after the blocks
    finally:
        tr.shutdown()
