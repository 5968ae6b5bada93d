"""Self-tracing with OpenTelemetry: the agent's own turns, model calls and tool calls as spans.

Only ``opentelemetry-api`` is used here; without an SDK installed and configured every span is
a no-op.  :func:`setup_tracing` installs the SDK (``--otel-console``, or the standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` variables) when it is importable.

Span tree of one triage::

    sre_agent.triage                       (runner, one per triage)
    └── sre_agent.turn  agent=planner      (one per agent message the orchestrator ingests)
        ├── sre_agent.model_call           (the agent's model call; agent, context tokens)
        └── sre_agent.tool_call            (investigator turns: tool, call_id, ok)
            ...                            fix interventions are span events ("fix")

Attributes never hold credentials or raw data (log lines, tool outputs): names, ids, counts,
and tool arguments with free-text values (``pattern``) left out, all passed through the
backends' redaction.

Example::

    from sre_agent import telemetry
    with telemetry.span("sre_agent.triage", alerts=3):
        ...
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

tracer = trace.get_tracer("sre_agent")

#: tool arguments whose values are free text (may quote log lines): their values are left out
FREE_TEXT_ARGS = {"pattern"}
_installed = False


def _clean(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes OpenTelemetry accepts: ``None`` dropped, strings redacted and cut to 200 chars."""
    from .backends._redact import redact

    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if value is None:
            continue
        name = key if key.startswith(("sre_agent.", "gen_ai.")) else f"sre_agent.{key}"
        if isinstance(value, (bool, int, float)):
            out[name] = value
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            out[name] = [redact(v)[:200] for v in value]
        else:
            out[name] = redact(str(value))[:200]
    return out


def tool_args_text(args: Mapping[str, Any]) -> str:
    """Tool arguments as JSON with free-text values left out (for a span attribute)."""
    safe = {k: ("<omitted>" if k in FREE_TEXT_ARGS else v) for k, v in (args or {}).items()}
    return json.dumps(safe, sort_keys=True, default=str)[:200]


@contextmanager
def span(name: str, parent: trace.Span | None = None, **attrs: Any) -> Iterator[trace.Span]:
    """A span (current inside the block); ``parent`` makes it that span's child explicitly."""
    ctx = trace.set_span_in_context(parent) if parent is not None else None
    with tracer.start_as_current_span(name, context=ctx, attributes=_clean(attrs)) as sp:
        yield sp


def set_attributes(sp: trace.Span, **attrs: Any) -> None:
    if sp.is_recording():
        sp.set_attributes(_clean(attrs))


def add_event(sp: trace.Span | None, name: str, **attrs: Any) -> None:
    sp = sp if sp is not None else trace.get_current_span()
    if sp.is_recording():
        sp.add_event(name, _clean(attrs))


class TurnSpans:
    """The open ``sre_agent.turn`` span of the agent speaking now.

    An agent's turn starts with its first model or tool call (or when its message is ingested, if
    it made none) and ends when the orchestrator has ingested its message.  Spans are parented
    explicitly on the span current when this object was made (the triage span), so the tree does
    not depend on which asyncio task autogen runs an agent in.
    """

    def __init__(self) -> None:
        self._parent = trace.get_current_span()
        self._agent = ""
        self._span: trace.Span | None = None

    def current(self, agent: str) -> trace.Span:
        """The turn span of ``agent``, starting one (and ending another agent's) if needed."""
        if self._span is not None and self._agent != agent:
            self._span.end()
            self._span = None
        if self._span is None:
            self._agent = agent
            self._span = tracer.start_span("sre_agent.turn", context=trace.set_span_in_context(self._parent),
                                           attributes=_clean({"agent": agent}))
        return self._span

    def open(self) -> trace.Span | None:
        return self._span

    @contextmanager
    def ingesting(self, agent: str, turn: int) -> Iterator[trace.Span]:
        """The block that ingests ``agent``'s message: inside its turn span, which ends after it."""
        sp = self.current(agent)
        set_attributes(sp, turn=turn)
        token = otel_context.attach(trace.set_span_in_context(sp))
        try:
            yield sp
        finally:
            otel_context.detach(token)
            sp.end()
            self._span = None

    def close(self) -> None:
        if self._span is not None:
            self._span.end()
            self._span = None


def setup_tracing(console: bool = False) -> None:
    """Install the OpenTelemetry SDK for this process, once: a console exporter (``console``),
    and an OTLP exporter when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) is set.

    Raises :class:`~sre_agent.errors.InputError` for ``console`` without the SDK; a missing OTLP
    exporter package is said once on stderr and tracing goes on without it.
    """
    global _installed
    otlp = bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
    if _installed or not (console or otlp):
        return
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor
    except ImportError:
        if console:
            from .errors import InputError
            raise InputError("--otel-console needs opentelemetry-sdk (pip install 'sre-agent[otel]')") from None
        print("sre-agent: OTEL_EXPORTER_OTLP_ENDPOINT is set but opentelemetry-sdk is not installed: "
              "no spans are exported (pip install 'sre-agent[otel]' opentelemetry-exporter-otlp)", file=sys.stderr)
        _installed = True
        return
    provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "sre-agent")}))
    if console:
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    if otlp:
        exporter = _otlp_exporter()
        if exporter is None:
            print("sre-agent: OTEL_EXPORTER_OTLP_ENDPOINT is set but opentelemetry-exporter-otlp is not installed: "
                  "spans are not exported over OTLP", file=sys.stderr)
        else:
            provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _installed = True


def _otlp_exporter() -> Any:
    """The OTLP span exporter for ``OTEL_EXPORTER_OTLP_PROTOCOL`` (grpc by default), or ``None``."""
    protocol = (os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
                or "grpc").strip().lower()
    try:
        if protocol.startswith("http"):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        else:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter  # type: ignore[no-redef]
    except ImportError:
        return None
    return OTLPSpanExporter()  # endpoint, headers, timeout: from the standard OTEL_* variables


__all__ = ["TurnSpans", "add_event", "set_attributes", "setup_tracing", "span", "tool_args_text", "tracer"]
