"""The offline reasoner on the shapes behind the hard-variant misses: a data store without spans
seen only through its callers' failed calls, an alerting service without spans, a namespace-wide
alarm with nothing but an unrelated rollout, and two independent troubles with their own alerts."""

from __future__ import annotations

from sre_agent.llm import reasoning
from sre_agent.llm.reasoning import Call, View


def _alert(subject: str, ns: str = "shop") -> dict:
    return {"key": subject or "spend", "name": "A", "subject": subject, "namespace": ns, "active_at": 1000.0,
            "namespace_level": not subject}


def test_a_workload_without_spans_is_verified_by_its_callers_failed_calls():
    view = View(alerts=[_alert("shop/Service/web")], calls=[
        Call("call_1", "call_graph", {"service": "cart"}, "", [
            {"entity": "shop/Service/db", "signal": "failing_callee", "weight": 1.0, "related": ["shop/Service/cart"]}]),
        Call("call_2", "trace_errors", {"service": "web"}, "", [
            {"entity": "shop/Service/web", "signal": "latency", "weight": 1.0}])])
    (v,) = reasoning.verify(view, [{"entity": "shop/Deployment/db", "related": ["db"]}])
    assert v["verdict"] == "confirmed", v
    # slowness alone as callers see it may be load, not a fault of the callee
    view.calls[0].findings[0]["signal"] = "slow_callee"
    (v,) = reasoning.verify(view, [{"entity": "shop/Deployment/db", "related": ["db"]}])
    assert v["verdict"] == "rejected"


def test_an_alerting_service_without_spans_is_drilled():
    view = View(alerts=[_alert("shop/Service/checkout")], namespace="shop")
    for tool, args in reasoning.SURVEY:
        view.done.add(reasoning.canonical(tool, args))
    for tool in ("trace_errors", "call_graph"):
        view.done.add(reasoning.canonical(tool, {"service": "checkout"}))
    steps = {(t, a.get("service") or a.get("entity")) for t, a, _ in reasoning.next_steps(view)}
    assert ("search_logs", "checkout") in steps and ("metric_anomalies", "checkout") in steps


def test_a_namespace_alarm_with_only_an_unaffected_rollout_blames_the_namespace():
    # a namespace-wide alert puts every service in the neighbourhood (Analyzer.neighbourhood)
    view = View(alerts=[_alert("")], namespace="shop", neighbourhood=["web"], calls=[
        Call("call_1", "recent_changes", {}, "", [
            {"entity": "shop/Deployment/web", "signal": "spec_changed", "weight": 0.5, "time": 900.0,
             "related": ["shop/Service/web"]}])])
    assert reasoning.hypotheses(view)[0]["entity"] == "shop/Namespace/shop"
    # a mechanism that can raise spend (a floor holding idle replicas) is not pre-empted
    view.calls[0].findings.append({"entity": "shop/HorizontalPodAutoscaler/web", "signal": "hpa_floor_over_demand",
                                   "weight": 0.6, "time": 900.0, "related": ["shop/Deployment/web"]})
    assert reasoning.hypotheses(view)[0]["entity"] == "shop/HorizontalPodAutoscaler/web"


def test_a_second_trouble_with_its_own_alerts_is_reported_too():
    hyps = [{"entity": "shop/Pod/worker-x7k2p", "score": 0.55, "related": ["worker"]},
            {"entity": "shop/Deployment/checkout", "score": 0.44, "related": ["checkout"]},
            {"entity": "shop/Deployment/email", "score": 0.43, "related": ["email"]}]
    roots = [h["entity"] for h in reasoning.root_causes(hyps, {"worker", "checkout"})]
    assert roots == ["shop/Pod/worker-x7k2p", "shop/Deployment/checkout"]  # email has no alert of its own
    assert [h["entity"] for h in reasoning.root_causes(hyps)] == ["shop/Pod/worker-x7k2p"]
