"""Optional OpenTelemetry traces of a node (the ``otel`` extra; issue 20 item 4).

A node owns one :class:`Tracing`. With ``[tracing] enabled = false`` (the default) or without the extra
installed it is :data:`OFF`: ``on`` is False, :meth:`Tracing.span` hands back one shared null context
manager, :meth:`Tracing.headers` an empty dict, and nothing of OpenTelemetry is imported. Callers on a hot
path test ``tracing.on`` before they build a name or attributes, so the cost when off is one attribute read.

When on, each node has its own ``TracerProvider`` (never the process-global one: tests run several nodes in
one process, and an embedding application keeps its own), its resource naming the node
(``service.instance.id`` = node id, region, zone), roots sampled at ``sampler_ratio`` by one random draw
before any span is built, everything else following its parent (a peer follows the decision of the node
that started the trace, so a sampled trace is complete on every node), and one exporter behind a batch
processor: the standard OTLP/HTTP exporter (``endpoint`` or the ``OTEL_EXPORTER_OTLP_*`` variables it
reads itself, headers included) or the console exporter. Context crosses nodes as W3C ``traceparent`` /
``tracestate`` headers.
"""

from __future__ import annotations

import contextlib
import random
import sys
from collections.abc import Iterable, Mapping
from typing import IO, Any, cast

from artemis_server.settings import ConfigError, TracingSettings

INSTALL_HINT = "pip install 'artemis-registry[otel]'"
_NULL: contextlib.nullcontext[None] = contextlib.nullcontext()
_MAX_LINKS = 64  # a replicated batch links at most this many other traces (the SDK's own limit is 128)

__all__ = ["INSTALL_HINT", "OFF", "Tracing", "TracingSettings", "setup"]


class Tracing:
    """One node's tracer, or nothing (``on`` False)."""

    __slots__ = ("_dropped", "_links", "_propagator", "_ratio", "_trace", "_tracer", "on", "provider")

    def __init__(self, tracer: Any = None, provider: Any = None, ratio: float = 1.0) -> None:
        self._tracer = tracer
        self.provider = provider
        self.on = tracer is not None
        self._ratio = ratio
        self._trace: Any = None
        self._propagator: Any = None
        self._links: Any = None
        self._dropped: Any = None
        if self.on:
            from opentelemetry import context, trace
            from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

            self._trace = trace
            self._propagator = TraceContextTextMapPropagator()
            self._links = trace.Link
            # The context of a root this node decided not to record: a valid, unsampled span, so that the
            # spans under it and the peers it calls (traceparent flags 00) record nothing either.
            unsampled = trace.SpanContext(1, 1, is_remote=False, trace_flags=trace.TraceFlags(0))
            self._dropped = (context, trace.set_span_in_context(trace.NonRecordingSpan(unsampled)))

    def span(
        self,
        name: str,
        attributes: Mapping[str, Any] | None = None,
        *,
        parent: Any = None,
        links: Iterable[Any] = (),
        kind: str = "internal",
    ) -> contextlib.AbstractContextManager[Any]:
        """A span made current for the ``with`` block (the shared null context when off). ``parent`` is a
        context from :meth:`extract` or :meth:`capture` (None: the current one); ``links`` span contexts
        from :meth:`current`; ``kind`` "internal", "server", "client", "producer" or "consumer"."""
        if self._tracer is None:
            return _NULL
        trace = self._trace
        if (
            parent is None
            and self._ratio < 1.0
            and not trace.get_current_span().get_span_context().is_valid
            and random.random() >= self._ratio
        ):
            # A root this node does not record, decided here: the SDK would draw ids, build a sampling
            # result and a span only to drop it (~9 us against ~1 us on a discovery call).
            return _Attached(*self._dropped)
        return self._tracer.start_as_current_span(
            name,
            context=parent,
            kind=getattr(trace.SpanKind, kind.upper()),
            attributes=attributes,
            links=[self._links(sc) for sc in links],
        )

    def current(self) -> Any:
        """The current span's context when it is recorded (to carry with queued work), else None."""
        if self._trace is None:
            return None
        sc = self._trace.get_current_span().get_span_context()
        return sc if sc.is_valid and sc.trace_flags.sampled else None

    def capture(self) -> Any:
        """The whole current context (to parent a span made in another thread or task), else None."""
        if self._trace is None:
            return None
        from opentelemetry import context

        return context.get_current()

    def headers(self, into: dict[str, str] | None = None) -> dict[str, str]:
        """``traceparent`` (and ``tracestate``) of the current span added to ``into`` (a new dict by
        default); nothing when off or when no span is current."""
        out = {} if into is None else into
        if self._propagator is not None:
            self._propagator.inject(out)
        return out

    def extract(self, headers: Mapping[str, str]) -> Any:
        """The remote context a peer sent in ``headers`` (a case-insensitive mapping, or a dict in any case)
        as a parent for :meth:`span`; None when off or when it sent none."""
        if self._propagator is None:
            return None
        tp, ts = headers.get("traceparent"), headers.get("tracestate")
        if tp is None and type(headers) is dict:
            low = {k.lower(): v for k, v in headers.items()}
            tp, ts = low.get("traceparent"), low.get("tracestate")
        if tp is None:
            return None
        return self._propagator.extract(
            {"traceparent": tp} if ts is None else {"traceparent": tp, "tracestate": ts}
        )

    def batch_parent(self, contexts: Iterable[Any]) -> tuple[Any, list[Any]]:
        """For work done once for many traced items (a replicated batch): the first item's trace as the
        parent and links to the other traces, without repeats."""
        if self._trace is None:
            return None, []
        seen: set[int] = set()
        parent_sc = None
        links: list[Any] = []
        for sc in contexts:
            if sc is None or sc.trace_id in seen:
                continue
            seen.add(sc.trace_id)
            if parent_sc is None:
                parent_sc = sc
            elif len(links) < _MAX_LINKS:
                links.append(sc)
        if parent_sc is None:
            return None, []
        return self._trace.set_span_in_context(self._trace.NonRecordingSpan(parent_sc)), links

    def force_flush(self, timeout_ms: int = 5_000) -> bool:
        return bool(self.provider.force_flush(timeout_ms)) if self.provider is not None else True

    def shutdown(self) -> None:
        """Export what is pending and stop the exporter (at node stop)."""
        if self.provider is not None:
            self.provider.shutdown()


class _Attached:
    """Makes a context current for one ``with`` block (one per block: blocks of concurrent tasks
    interleave, and each must detach its own token)."""

    __slots__ = ("_context", "_ctx", "_token")

    def __init__(self, context: Any, ctx: Any) -> None:
        self._context, self._ctx, self._token = context, ctx, None

    def __enter__(self) -> None:
        self._token = self._context.attach(self._ctx)

    def __exit__(self, *exc: object) -> None:
        self._context.detach(self._token)


OFF = Tracing()


def setup(settings: TracingSettings, *, node_id: str, region: str = "", zone: str = "") -> Tracing:
    """The node's :class:`Tracing` from its ``[tracing]`` settings: :data:`OFF` unless enabled; a
    :class:`ConfigError` naming the extra when enabled without it installed."""
    if not settings.enabled:
        return OFF
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased
    except ImportError as exc:
        raise ConfigError(
            f"tracing.enabled = true needs the OpenTelemetry SDK ({INSTALL_HINT}): {exc}"
        ) from None
    from artemis_server import __version__

    resource = Resource.create(
        {
            "service.name": settings.service_name,
            "service.version": __version__,
            "service.instance.id": node_id,
            "artemis.region": region,
            "artemis.zone": zone,
        }
    )
    # Roots are sampled by Tracing.span (sampler_ratio, decided before any span is built); everything under
    # a root or a peer's context follows that parent's decision.
    provider = TracerProvider(resource=resource, sampler=ParentBased(ALWAYS_ON))
    provider.add_span_processor(BatchSpanProcessor(_exporter(settings)))
    return Tracing(provider.get_tracer("artemis_server", __version__), provider, settings.sampler_ratio)


class _CurrentStdout:
    """``sys.stdout`` as it is when a batch is written, not when the exporter was built (a replaced stream,
    e.g. a test's capture, may be closed by the time the last batch is flushed)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def _exporter(settings: TracingSettings) -> Any:
    if settings.exporter == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter(service_name=settings.service_name, out=cast("IO[str]", _CurrentStdout()))
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as exc:
        raise ConfigError(
            f"tracing.exporter = 'otlp' needs the OTLP exporter ({INSTALL_HINT}): {exc}"
        ) from None
    return OTLPSpanExporter(endpoint=settings.endpoint or None)
