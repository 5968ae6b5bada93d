"""Alerts are explained along call direction: a message consumer's failure never reaches the
producer's callers; a candidate that explains no alert ranks below and is ruled out with a
reason; no Service is made up from a pod's or ReplicaSet's generated name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from data_paths import GROUND_TRUTHS
from sre_agent.analysis.traces import analyse_spans
from sre_agent.llm import reasoning
from sre_agent.llm.reasoning import Call, View
from sre_agent.models import Span
from sre_agent.runner import run_triage
from sre_agent.simulator import simulate
from test_simulator_hard import events_of


def _span(sid: str, parent: str, service: str, kind: str, start: float = 100.0, attrs: str = "") -> Span:
    return Span(start, "t1", sid, parent, f"{service} op", kind, service, 1_000_000, attributes_text=attrs)


def test_a_producer_to_consumer_edge_is_asynchronous_and_a_client_call_is_not():
    spans = [_span("a", "", "frontend", "Server"), _span("b", "a", "frontend", "Client"),
             _span("c", "b", "checkout", "Server"), _span("d", "c", "checkout", "Producer"),
             _span("e", "d", "accounting", "Consumer", attrs="{'messaging.operation': 'process'}")]
    ta = analyse_spans(spans, onset=0.0)
    assert ("frontend", "checkout") in ta.edges and ("checkout", "accounting") in ta.edges
    assert ta.async_edges == frozenset({("checkout", "accounting")})
    assert ta.sync_callees("checkout") == [] and ta.sync_callees("frontend") == ["checkout"]


def _view(*findings: dict) -> View:
    v = View(alerts=[{"key": "k1", "subject": "frontend", "namespace": "shop", "active_at": 1000.0}], namespace="shop",
             neighbourhood=["frontend", "checkout", "ad", "accounting"])
    v.calls = [Call(f"call_{i + 1}", "get_events", {}, "", [f]) for i, f in enumerate(findings)]
    v.done = {reasoning.canonical(t, a) for t, a in reasoning.SURVEY}
    return v


CRASH = {"entity": "shop/Pod/accounting-7c9d5f8b4-xk2vq", "signal": "oomkilled", "weight": 1.0, "time": 1100.0,
         "related": ["shop/ReplicaSet/accounting-7c9d5f8b4", "shop/Deployment/accounting"]}
FLAG = {"entity": "shop/ConfigMap/flags", "signal": "feature_flag_change", "weight": 0.6, "time": 900.0,
        "related": ["shop/Service/ad"]}
OFF = {"entity": "shop/Service/accounting", "signal": "off_alert_path", "weight": 0.0,
       "detail": "accounting is reached only by messages (from checkout); its failure does not reach frontend"}


def test_a_consumer_crash_no_alert_reaches_ranks_below_the_change_and_is_ruled_out_with_the_reason():
    before = reasoning.mechanism_candidates(_view(CRASH, FLAG))
    assert before[0]["entity"] == CRASH["entity"]  # without call direction the crash outranks the flag
    view = _view(CRASH, FLAG, OFF)
    after = reasoning.mechanism_candidates(view)
    assert after[0]["entity"] == FLAG["entity"]
    crash = next(c for c in after if c["entity"] == CRASH["entity"])
    assert crash["related"] == ["accounting"]  # the ReplicaSet is not a service of its own
    assert reasoning.unreached(view) == [{"entity": CRASH["entity"], "reason": OFF["detail"]}]


def test_an_unreached_candidate_is_only_demoted_when_nothing_else_explains_the_alerts():
    view = _view(CRASH, OFF)
    assert [c["entity"] for c in reasoning.mechanism_candidates(view)] == [CRASH["entity"]]
    assert reasoning.unreached(view) == []  # ruled out only in favour of a candidate that does explain


def test_a_candidate_on_a_service_the_tools_say_nothing_about_is_never_judged():
    other = dict(CRASH, entity="shop/Pod/ad-7c9d5f8b4-xk2vq", related=["shop/Deployment/ad"])
    assert reasoning.unreached(_view(other, FLAG, OFF)) == []


def test_no_service_is_made_up_from_a_pod_or_replicaset_name():
    view = _view(CRASH)
    roots = reasoning.root_causes(reasoning.hypotheses(view))
    targets = {e["target"] for e in reasoning.propagation(view, roots)}
    assert targets == {"shop/Service/accounting"}
    assert reasoning.service_of("shop/ReplicaSet/fraud-detection-bcdfghjkl") == "fraud-detection"
    assert reasoning.service_of("shop/Pod/fraud-detection-bcdfghjkl-zh5tl") == "fraud-detection"


@pytest.fixture(scope="module")
def consumer_crash_run(tmp_path_factory: pytest.TempPathFactory):
    """A flag change (Scenario-4) with a leaf Kafka consumer crash-looping OOMKilled meanwhile."""
    base = tmp_path_factory.mktemp("reach")
    folder = simulate(GROUND_TRUTHS / "Scenario-4.yaml", base / "sim", seed=0, scale=0.12, variant="second-anomaly")
    result = run_triage(alert=folder / "alerts", output_dir=base / "run")
    return folder, result


def test_the_consumer_crash_loop_is_ruled_out_with_a_reason_and_the_real_cause_wins(consumer_crash_run):
    folder, result = consumer_crash_run
    crashed = {e["name"] for e in events_of(folder) if e["reason"] == "BackOff"}
    assert crashed, "the switch makes a consumer crash-loop"
    out = result.agent_output
    roots = [e["id"] for e in out["entities"] if e["contributing_factor"]]
    assert roots and all("ConfigMap" in r for r in roots[:1]), roots
    report = (result.output_dir / "report.md").read_text()
    ruled = report.split("## Ruled out")[1]
    assert any(name in ruled for name in crashed) and "reached only by messages" in ruled
    assert "/Service/" not in "".join(r for r in roots if any(n.rsplit("-", 2)[0] + "-" in r for n in crashed))


def test_one_failing_pod_does_not_explain_namespace_wide_alerts_but_a_change_may():
    v = View(alerts=[{"key": "k1", "name": "CPUSpend", "subject": "", "namespace": "shop", "active_at": 1000.0,
                      "namespace_level": True}], namespace="shop", neighbourhood=["cart", "accounting"])
    hpa = {"entity": "shop/HorizontalPodAutoscaler/cart", "signal": "spec_changed", "weight": 1.0, "time": 900.0,
           "related": ["shop/Deployment/cart"]}
    v.calls = [Call("call_1", "get_events", {}, "", [CRASH]), Call("call_2", "recent_changes", {}, "", [hpa])]
    cands = reasoning.mechanism_candidates(v)
    assert cands[0]["entity"] == hpa["entity"]
    ruled = reasoning.unreached(v)
    assert [r["entity"] for r in ruled] == [CRASH["entity"]] and "namespace-wide" in ruled[0]["reason"]


def test_nothing_is_judged_without_an_alert_in_view():
    """A trimmed transcript may hold no alert: a candidate is then never demoted for explaining none."""
    view = _view(CRASH, FLAG, OFF)
    view.alerts = []
    assert all("unreached" not in c for c in reasoning.mechanism_candidates(view))
