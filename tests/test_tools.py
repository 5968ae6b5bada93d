"""Tools: schemas an LLM can call, explicit truncation, and findings on crafted data."""

from __future__ import annotations

import json

from memory_backend import MemoryBackend
from sre_agent.analysis.analyzer import Analyzer
from sre_agent.models import Alert, K8sEvent, K8sObject, Span
from sre_agent.tools import ToolContext, all_tools, execute
from sre_agent.tools.base import cut_list, render_output, ToolOutput
from sre_agent.state import Finding

TOOLS = {t.name: t for t in all_tools()}


def _ctx(backend, alerts=(), max_items=25, max_chars=6000):
    return ToolContext(backend, Analyzer(backend, list(alerts)), max_items, max_chars)


def test_every_tool_has_a_json_schema_and_a_description():
    for t in all_tools():
        schema = t.schema()
        assert schema["name"] == t.name and len(t.description) > 20
        assert schema["parameters"]["type"] == "object"
        json.dumps(schema)


def test_cut_list_names_what_it_left_out():
    head, marker = cut_list(list(range(30)), 25)
    assert head == list(range(25)) and marker == "… 5 more"


def test_render_output_truncates_lists_with_marker_never_silently():
    out = ToolOutput(summary="s", data={"rows": [{"i": i} for i in range(100)]},
                     findings=[Finding(entity=f"ns/Pod/p{i}", signal="restarts") for i in range(40)])
    text, cut = render_output("call_1", "x", out, max_items=10, max_chars=100_000)
    payload = json.loads(text)
    assert cut is True
    assert payload["untrusted_data"]["rows"][-1] == "… 90 more"
    assert len(payload["findings"]) == 10 and payload["findings_truncated"] == "… 30 more"


def test_render_output_respects_max_chars_and_says_so():
    out = ToolOutput(summary="s", data={"rows": ["x" * 300 for _ in range(20)]})
    text, cut = render_output("call_1", "x", out, max_items=20, max_chars=1500)
    assert len(text) <= 1500 and cut
    assert "more" in text


def test_execute_rejects_bad_arguments_without_raising():
    backend = MemoryBackend()
    res = execute(TOOLS["call_graph"], _ctx(backend), {"nope": 1}, "call_9")
    assert not res.ok and "invalid arguments" in res.error and json.loads(res.text)["call_id"] == "call_9"


def _span(i, svc, parent, start, err=False, kind="Server"):
    return Span(start=start, trace_id=f"t{i}", span_id=f"{svc}{i}", parent_span_id=parent, name="op", kind=kind,
                service=svc, duration_ns=1_000_000, status="Error" if err else "Unset")


def test_trace_errors_finds_the_originating_service():
    spans = []
    for i in range(200):
        t = 100.0 + i * 10
        late = t > 1500
        spans.append(_span(i, "frontend", "", t, err=late))
        spans.append(_span(i, "checkout", f"frontend{i}", t, err=late))
        spans.append(_span(i, "payment", f"checkout{i}", t, err=late))
    backend = MemoryBackend(span_list=spans, end=2200)
    alerts = [Alert(name="RequestErrorRate", labels={"service_name": "frontend", "namespace": "otel-demo"}, active_at=1700.0)]
    ctx = _ctx(backend, alerts)
    res = execute(TOOLS["trace_errors"], ctx, {"service": "frontend"}, "c1")
    data = json.loads(res.text)["untrusted_data"]
    assert data["originating_here"] == 0 and "checkout" in data["downstream_errors"]
    res = execute(TOOLS["trace_errors"], ctx, {"service": "payment"}, "c2")
    assert any(f.signal == "error_origin" and f.entity.endswith("payment") for f in res.findings)


def test_events_tool_surfaces_chaos_experiments_with_their_targets():
    ev = K8sEvent(time=1000.0, type="Normal", reason="Applied", message="Successfully apply chaos for otel-demo/checkout-8546fdc74d-d68cn",
                  involved_kind="NetworkChaos", involved_namespace="chaos-mesh", involved_name="otel-demo-checkout-delay")
    backend = MemoryBackend(event_list=[ev])
    res = execute(TOOLS["get_events"], _ctx(backend), {}, "c1")
    chaos = [f for f in res.findings if f.signal == "chaos_experiment"]
    assert chaos and chaos[0].entity == "chaos-mesh/NetworkChaos/otel-demo-checkout-delay"
    assert chaos[0].related == ["otel-demo/Pod/checkout-8546fdc74d-d68cn"]


def test_recent_changes_reports_flag_level_diff_of_flagd_config():
    def cm(t, variant, rv):
        flags = {"flags": {"cartFailure": {"state": "ENABLED", "defaultVariant": variant, "variants": {"on": True, "off": False}}}}
        return K8sObject(observed=t, kind="ConfigMap", namespace="otel-demo", name="flagd-config",
                         body={"kind": "ConfigMap", "metadata": {"name": "flagd-config", "namespace": "otel-demo", "resourceVersion": rv,
                                                                 "creationTimestamp": "2020-01-01T00:00:00Z"},
                               "data": {"demo.flagd.json": json.dumps(flags)}})
    objects = [cm(300.0, "off", "1"), cm(600.0, "off", "2"), cm(900.0, "on", "3")]
    res = execute(TOOLS["recent_changes"], _ctx(MemoryBackend(objects=objects)), {}, "c1")
    flag = [f for f in res.findings if f.signal == "feature_flag_change"]
    assert flag and flag[0].entity == "otel-demo/ConfigMap/flagd-config" and "cartFailure" in flag[0].detail
    assert flag[0].related == []  # nothing shows who evaluates the flag: a change without a known target
    # the service seen evaluating the flag (a feature_flag.evaluation span event) is its target
    evaluated = Span(800.0, "t", "s", "", "EmptyCart", "Server", "cart", 1_000_000, event_names="['feature_flag.evaluation']",
                     event_attributes="[{'feature_flag.key': 'cartFailure', 'feature_flag.result.variant': 'on'}]")
    res = execute(TOOLS["recent_changes"], _ctx(MemoryBackend(objects=objects, span_list=[evaluated])), {}, "c1")
    flag = [f for f in res.findings if f.signal == "feature_flag_change"]
    assert flag[0].related == ["otel-demo/Service/cart"]
    assert "flag_targets" in res.text and "telemetry" in res.text, res.text
