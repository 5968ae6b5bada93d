"""Self-tracing: a triage produces OpenTelemetry spans for the run, each agent turn, model call and
tool call, in the right tree, with call ids (checked with the SDK's in-memory exporter)."""

from __future__ import annotations

import json

import pytest

from data_paths import GROUND_TRUTHS

sdk = pytest.importorskip("opentelemetry.sdk.trace")
from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402


@pytest.fixture(scope="module")
def exporter():
    provider = trace.get_tracer_provider()
    if not isinstance(provider, sdk.TracerProvider):
        provider = sdk.TracerProvider()
        trace.set_tracer_provider(provider)
    if not isinstance(trace.get_tracer_provider(), sdk.TracerProvider):
        pytest.skip("another tracer provider is installed in this process")
    exp = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exp))
    return exp


@pytest.fixture(scope="module")
def run(exporter, tmp_path_factory):
    from sre_agent.runner import run_triage
    from sre_agent.simulator import simulate

    truth = GROUND_TRUTHS / "Scenario-27.yaml"
    folder = simulate(truth, tmp_path_factory.mktemp("sim"), scale=0.3)
    exporter.clear()
    out = tmp_path_factory.mktemp("run")
    result = run_triage(alert=folder / "alerts", output_dir=out)
    spans = [s for s in exporter.get_finished_spans() if s.name.startswith("sre_agent.")]
    events = [json.loads(line) for line in (out / "trace.jsonl").read_text().splitlines()]
    return result, spans, events


def test_span_tree(run):
    result, spans, events = run
    by_id = {s.context.span_id: s for s in spans}
    roots = [s for s in spans if s.name == "sre_agent.triage"]
    assert len(roots) == 1 and roots[0].parent is None
    root = roots[0]
    assert root.attributes["sre_agent.tool_calls"] == result.stats["tool_calls"]
    assert root.attributes["sre_agent.model_calls"] == result.stats["model_calls"]
    turns = [s for s in spans if s.name == "sre_agent.turn"]
    assert turns and all(t.parent.span_id == root.context.span_id for t in turns)
    assert all(t.context.trace_id == root.context.trace_id for t in spans)
    assert {t.attributes["sre_agent.agent"] for t in turns} == {"planner", "investigator", "verifier"}
    assert sorted(t.attributes["sre_agent.turn"] for t in turns) == list(range(1, result.stats["steps"] + 1))
    turn_ids = {t.context.span_id: t for t in turns}
    models = [s for s in spans if s.name == "sre_agent.model_call"]
    assert len(models) == result.stats["model_calls"]
    for m in models:  # every model call sits in a turn; an agent's own calls in its own turn
        parent = turn_ids[m.parent.span_id]
        agent = m.attributes["sre_agent.agent"]
        assert agent == parent.attributes["sre_agent.agent"] or (agent, parent.attributes["sre_agent.agent"]) == \
            ("summarizer", "investigator")
        assert m.attributes["sre_agent.context_tokens"] > 0
    tools = [s for s in spans if s.name == "sre_agent.tool_call"]
    calls = [e for e in events if e["type"] == "tool_call"]
    assert [t.attributes["sre_agent.call_id"] for t in sorted(tools, key=lambda s: s.start_time)] == \
        [e["call_id"] for e in calls]
    for t in tools:
        parent = turn_ids[t.parent.span_id]
        assert parent.attributes["sre_agent.agent"] == "investigator" == t.attributes["sre_agent.agent"]
        assert "sre_agent.tool" in t.attributes and isinstance(t.attributes["sre_agent.ok"], bool)


def test_no_raw_data_in_attributes(run):
    _, spans, _ = run
    for s in spans:
        for key, value in s.attributes.items():
            assert len(str(value)) <= 200 + 4 * 200, key  # names, ids, counts: nothing bulky
            assert "Bearer" not in str(value)


def test_fix_interventions_are_span_events(tmp_path, exporter):
    from sre_agent import telemetry
    from sre_agent.fixes import Intervention

    class Orch:
        trace = type("T", (), {"emit": staticmethod(lambda *a, **k: None)})()

    exporter.clear()
    from sre_agent.team._orchestrator import Orchestrator
    with telemetry.span("sre_agent.turn") as sp:
        Orchestrator.record_fix(Orch(), Intervention(fix="loop_breaker", mast=("1.3",), target="investigator",
                                                     action="blocked a repeated call"))
    finished = [s for s in exporter.get_finished_spans() if s.context.span_id == sp.get_span_context().span_id]
    assert [(e.name, e.attributes["sre_agent.fix"]) for e in finished[0].events] == [("fix", "loop_breaker")]


def test_setup_tracing_without_anything_is_a_no_op(monkeypatch):
    from sre_agent import telemetry
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    telemetry.setup_tracing(console=False)  # nothing configured: nothing installed, no output


def test_tool_args_leave_free_text_out():
    from sre_agent import telemetry
    text = telemetry.tool_args_text({"service": "cart", "pattern": "password=hunter2"})
    assert "hunter2" not in text and '"service": "cart"' in text
