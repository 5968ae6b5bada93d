"""The analyze_cluster tool: on a simulated scenario, read-only, cut with markers, and its findings
scored by the reasoner and accepted by the verification gate as observed anomalies."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from memory_backend import MemoryBackend
from scenarios import simulated
from sre_agent.analysis.analyzer import Analyzer
from sre_agent.fixes._verification_gate import recheck
from sre_agent.llm import reasoning
from sre_agent.llm.reasoning import Call, View
from sre_agent.models import Alert, K8sObject
from sre_agent.snapshot import SnapshotBackend
from sre_agent.state import IncidentState
from sre_agent.tools import ToolContext, all_tools, execute

TOOL = {t.name: t for t in all_tools()}["analyze_cluster"]
NS = "otel-demo"


class ReadSpy:
    """Wraps a backend and records every attribute the tool touches."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.touched: set[str] = set()

    def __getattr__(self, attr: str) -> Any:
        self.touched.add(attr)
        return getattr(self._inner, attr)


def _run(backend: Any, args: dict, max_items: int = 25) -> tuple[Any, dict]:
    res = execute(TOOL, ToolContext(backend, Analyzer(backend, []), max_items, 20000), args, "call_1")
    return res, json.loads(res.text)


@pytest.fixture(scope="module")
def netpol_scenario(tmp_path_factory: pytest.TempPathFactory):
    return simulated(tmp_path_factory.mktemp("state"), "Scenario-31")


def test_on_a_simulated_scenario_the_blocking_policy_is_found_and_only_reads(netpol_scenario):
    spy = ReadSpy(SnapshotBackend(netpol_scenario))
    res, payload = _run(spy, {})
    assert res.ok
    hits = [f for f in res.findings if f.signal == "denies_ingress"]
    assert [f.entity for f in hits] == [f"{NS}/NetworkPolicy/frontend-block-all-ports"]
    assert f"{NS}/Service/frontend" in hits[0].related
    assert spy.touched <= {"list_objects", "events", "now"}
    # one kind only: the Service analyzer does not report the policy
    res2, _ = _run(SnapshotBackend(netpol_scenario), {"kind": "Service"})
    assert not [f for f in res2.findings if f.signal == "denies_ingress"]


def test_unknown_kind_is_answered_not_raised():
    res, payload = _run(MemoryBackend(), {"kind": "Frobnicator"})
    assert res.ok and "no analyzer for kind" in payload["summary"]


def test_rows_are_cut_with_an_explicit_marker():
    objs = [K8sObject(0.0, "Service", NS, f"s{i}", {"spec": {"selector": {"app": f"none{i}"}}}) for i in range(8)]
    objs.append(K8sObject(0.0, "Pod", NS, "p-1", {"metadata": {"labels": {"app": "x"}}}))
    res, payload = _run(MemoryBackend(objects=objs), {"namespace": NS}, max_items=5)
    rows = payload["untrusted_data"]["findings"]
    assert rows[-1] == "… 3 more" and len(rows) == 6
    assert payload["findings_truncated"] == "… 3 more" and len(res.findings) == 8


def _broken_cart() -> tuple[MemoryBackend, list[Alert]]:
    objs = [K8sObject(0.0, "Service", NS, "cart", {"spec": {"selector": {"app": "kart"}}}),
            K8sObject(0.0, "Service", NS, "frontend", {"spec": {"selector": {"app": "frontend"}}}),
            K8sObject(0.0, "Pod", NS, "cart-1", {"metadata": {"labels": {"app": "cart"}}}),
            K8sObject(0.0, "Pod", NS, "frontend-1", {"metadata": {"labels": {"app": "frontend"}}})]
    alerts = [Alert(name="HighErrorRate", labels={"service_name": "frontend", "namespace": NS}, active_at=3000.0)]
    return MemoryBackend(objects=objs, alert_list=alerts), alerts


def test_the_reasoner_scores_an_analyzer_finding_as_the_mechanism():
    backend, alerts = _broken_cart()
    res, _ = _run(backend, {})
    findings = [f.model_dump() for f in res.findings]
    health = [{"entity": f"{NS}/Service/cart", "signal": "unreachable_peer", "weight": 0.9, "related": [f"{NS}/Service/frontend"]}]
    view = View(alerts=[{"key": "a", "subject": "frontend", "namespace": NS, "active_at": 3000.0}],
                calls=[Call("call_1", "service_health", {}, "", health), Call("call_2", "analyze_cluster", {}, "", findings)],
                namespace=NS)
    top = reasoning.hypotheses(view)[0]
    assert top["entity"] == f"{NS}/Service/cart" and "selector_no_match" in top["mechanism"]
    verdict = reasoning.verify(view, [top])[0]
    assert verdict["verdict"] == "confirmed", verdict
    # without the analyzer's finding, the Service has no mechanism: it cannot be the confirmed cause
    bare = View(alerts=view.alerts, calls=view.calls[:1], namespace=NS)
    assert all("selector_no_match" not in h["mechanism"] for h in reasoning.hypotheses(bare))


def test_summarizer_keeps_the_findings_and_the_gate_sees_an_observed_anomaly():
    backend, alerts = _broken_cart()
    res, payload = _run(backend, {})
    summary = reasoning.summarize([payload])
    assert {(f["entity"], f["signal"]) for f in summary["evidence"][0]["findings"]} >= {(f"{NS}/Service/cart", "selector_no_match")}
    state = IncidentState(namespace=NS)
    state.add_evidence("call_1", "analyze_cluster", res.summary, res.findings, {})
    orch = SimpleNamespace(analyzer=Analyzer(backend, alerts), state=state)
    checks = {c.check: c.passed for c in recheck(orch, f"{NS}/Service/cart")}
    assert checks["anomaly_observed"] and checks["entity_exists"]
    empty = SimpleNamespace(analyzer=Analyzer(backend, alerts), state=IncidentState(namespace=NS))
    assert not {c.check: c.passed for c in recheck(empty, f"{NS}/Service/cart")}["anomaly_observed"]


def test_the_survey_calls_the_analyzer_tool():
    steps = reasoning.next_steps(View())
    assert ("analyze_cluster", {}) in [(t, a) for t, a, _ in steps]
