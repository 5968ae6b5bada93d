"""Chaos experiments in a busy recording: the running experiment is seen and named, finished ones
are not blamed, and a peer the logs show unreachable counts as downstream of the alerts.

The hard variants list finished experiments of an earlier run with all their events (eight or so
each); before, every event was a finding of its own and the running experiment fell behind the
ten findings a model's context keeps of one tool result.  The same recordings lose the spans of
the root-cause service: a peer named in its failed-connection log lines is the only trace of the
call that fails."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from data_paths import GROUND_TRUTHS
from memory_backend import MemoryBackend
from sre_agent.analysis.analyzer import Analyzer
from sre_agent.analysis.chaos_events import END_REASONS, START_REASONS
from sre_agent.fixes._verification_gate import recheck
from sre_agent.models import Alert, K8sEvent, K8sObject, LogRecord
from sre_agent.runner import run_triage
from sre_agent.simulator import simulate
from sre_agent.simulator.hard import SWITCHES
from sre_agent.state import AlertSummary, Finding, Hypothesis, IncidentState, PropagationEdge, parse_state
from sre_agent.analysis.explain import explain_alerts
from sre_agent.tools import ToolContext, all_tools, execute

TOOLS = {t.name: t for t in all_tools()}
#: every hard switch but the late event watch: the experiments' own events are all recorded
EVENTS_KEPT = ",".join(s for s in SWITCHES if s != "late-event-watch")


def _ev(t: float, kind: str, name: str, reason: str, message: str = "") -> K8sEvent:
    return K8sEvent(time=t, type="Normal", reason=reason, message=message or reason, involved_kind=kind,
                    involved_namespace="chaos-mesh", involved_name=name)


def _finished(t: float, kind: str, name: str, pod: str) -> list[K8sEvent]:
    """An experiment of an earlier run: begun, bookkept, recovered and timed up (eight events)."""
    return [_ev(t, kind, name, "FinalizerInited"), _ev(t, kind, name, "Started", "Experiment has started"),
            _ev(t + 1, kind, name, "Applied", f"Successfully apply chaos for shop/{pod}"),
            _ev(t + 1, kind, name, "Updated", "Successfully update records of resource"),
            _ev(t + 2, kind, name, "Updated", "Successfully update desiredPhase of resource"),
            _ev(t + 200, kind, name, "Recovered", f"Successfully recover chaos for shop/{pod}"),
            _ev(t + 200, kind, name, "TimeUp", "Time up according to the duration"),
            _ev(t + 201, kind, name, "Updated", "Successfully update desiredPhase of resource")]


def _busy_events() -> list[K8sEvent]:
    old = []
    for i, svc in enumerate(("ads", "pay", "mail", "ship")):
        old += _finished(100.0 + 300 * i, "PodChaos", f"{svc}-kill-{i}", f"{svc}-7d9f8c6b5-x2x9z")
    running = [_ev(2000.0, "Schedule", "quote-abort", "Spawned", "Create new object: quote-abort"),
               _ev(2000.5, "HTTPChaos", "quote-abort", "Started", "Experiment has started"),
               _ev(2001.0, "HTTPChaos", "quote-abort", "Applied", "Successfully apply chaos for shop/quote-5c4b9f7d8-k2m4p")]
    return old + running


def test_a_running_experiment_is_not_crowded_out_by_finished_ones() -> None:
    backend = MemoryBackend(event_list=_busy_events(), end=2400.0)
    ctx = ToolContext(backend, Analyzer(backend, []), 25, 6000)
    res = execute(TOOLS["get_events"], ctx, {}, "call_4")
    chaos = [f for f in res.findings if f.signal == "chaos_experiment"]
    # the running ones come first, the Applied event's pod as their target
    assert {f.entity for f in chaos[:2]} == {"chaos-mesh/HTTPChaos/quote-abort", "chaos-mesh/Schedule/quote-abort"}
    assert next(f for f in chaos if f.entity.endswith("HTTPChaos/quote-abort")).related == ["shop/Pod/quote-5c4b9f7d8-k2m4p"]
    # a finished experiment is its end and its start, the end first (a cut list never shows it running)
    for i, svc in enumerate(("ads", "pay", "mail", "ship")):
        own = [f for f in chaos if f.entity == f"chaos-mesh/PodChaos/{svc}-kill-{i}"]
        assert [f.detail.split(":")[0] in reasons for f, reasons in zip(own, (END_REASONS, START_REASONS))] == [True, True]
        assert len(own) == 2 and own[0].time == 300.0 * i + 300.0 and own[1].time == 300.0 * i + 100.0
    # what a model's context keeps of the result still holds the running experiment
    state = IncidentState()
    state.add_evidence(res.call_id, "get_events", res.summary, res.findings)
    shown = parse_state(state.render(100_000))["untrusted_data"]["evidence"][0]["findings"]
    assert "chaos-mesh/HTTPChaos/quote-abort" in {f["entity"] for f in shown}


def test_the_evidence_a_live_hypothesis_rests_on_stays_in_the_context() -> None:
    state = IncidentState()
    for i in range(30):
        state.add_evidence(f"call_{i + 1}", "service_health", "x" * 100,
                           [Finding(entity=f"shop/Service/s{i}-{j}", signal="error_rate", weight=1.0, detail="y" * 80) for j in range(4)])
    state.add_evidence("call_31", "get_events", "the running experiment",
                       [Finding(entity="chaos-mesh/NetworkChaos/partition", signal="chaos_experiment", weight=0.5)])
    budget = 2500
    state.hypotheses.append(Hypothesis(id="H1", entity="chaos-mesh/NetworkChaos/partition", evidence=["call_31"]))
    kept = [e["call_id"] for e in parse_state(state.render(budget))["untrusted_data"]["evidence"]]
    assert "call_31" in kept and len(kept) < 31
    state.hypotheses[0].status = "rejected"  # a rejected one no longer holds its evidence in place
    assert "call_31" not in [e["call_id"] for e in parse_state(state.render(budget))["untrusted_data"]["evidence"]]


def _partitioned_mailer() -> tuple[MemoryBackend, list[Alert]]:
    """checkout (alerting, no spans) cannot reach mailer, which a NetworkChaos partitions."""
    objects = [_service(n, f"10.96.0.{i + 2}") for i, n in enumerate(("checkout", "mailer", "queue", "frontend"))]
    logs = [LogRecord(1000.0 + i, "checkout", 'send_confirmation failed: Post "http://mailer:8080/send": context deadline exceeded',
                      severity_text="ERROR", namespace="shop") for i in range(6)]
    logs += [LogRecord(1100.0 + i, "checkout", "dial tcp 10.96.0.4:9092: connect: connection refused", severity_text="ERROR",
                       namespace="shop") for i in range(4)]
    logs += [LogRecord(1200.0 + i, "checkout", "retrying checkout:5050 after connection reset by peer", severity_text="ERROR",
                       namespace="shop") for i in range(4)]  # its own address is never a peer
    events = [_ev(950.0, "NetworkChaos", "mailer-partition", "Applied", "Successfully apply chaos for shop/mailer-5c4b9f7d8-k2m4p")]
    alerts = [Alert(name="RequestLatency", labels={"service_name": "checkout", "namespace": "shop"}, active_at=900.0)]
    return MemoryBackend(objects=objects, log_list=logs, event_list=events, end=2000.0), alerts


def _service(name: str, ip: str) -> K8sObject:
    return K8sObject(0.0, "Service", "shop", name, {"metadata": {"name": name, "namespace": "shop"},
                                                     "spec": {"clusterIP": ip, "selector": {"app": name}}})


def test_failed_connection_logs_name_the_unreachable_peer_by_host_or_cluster_ip() -> None:
    backend, alerts = _partitioned_mailer()
    res = execute(TOOLS["search_logs"], ToolContext(backend, Analyzer(backend, alerts), 25, 6000), {"service": "checkout"}, "c1")
    peers = [f for f in res.findings if f.signal == "unreachable_peer"]
    assert [f.entity for f in peers] == ["shop/Service/mailer", "shop/Service/queue"]
    assert all(f.related == ["shop/Service/checkout"] for f in peers)


def test_the_gate_takes_a_peer_the_logs_show_unreachable_as_downstream_of_the_alert() -> None:
    backend, alerts = _partitioned_mailer()
    ctx = ToolContext(backend, Analyzer(backend, alerts), 25, 6000)
    state = IncidentState(namespace="shop")
    events = execute(TOOLS["get_events"], ctx, {}, "call_4")
    state.add_evidence("call_4", "get_events", events.summary, events.findings)
    orch = SimpleNamespace(analyzer=Analyzer(backend, alerts), state=state)
    chaos = "chaos-mesh/NetworkChaos/mailer-partition"
    upstream = {c.check: c.passed for c in recheck(orch, chaos)}["upstream_of_alerts"]
    assert not upstream  # no span shows checkout calling mailer: nothing ties the experiment to the alert
    logs = execute(TOOLS["search_logs"], ctx, {"service": "checkout"}, "call_12")
    state.add_evidence("call_12", "search_logs", logs.summary, logs.findings)
    assert all(c.passed for c in recheck(orch, chaos))


def test_an_alert_the_propagation_chain_reaches_is_explained_without_a_span_of_the_call() -> None:
    backend, alerts = _partitioned_mailer()
    chaos = "chaos-mesh/NetworkChaos/mailer-partition"
    state = IncidentState(namespace="shop", alerts=[AlertSummary(key="a1", name="RequestLatency", subject="shop/Service/checkout",
                                                                 namespace="shop", active_at=900.0)])
    events = execute(TOOLS["get_events"], ToolContext(backend, Analyzer(backend, alerts), 25, 6000), {}, "call_4")
    state.add_evidence("call_4", "get_events", events.summary, events.findings)
    state.hypotheses.append(Hypothesis(id="H1", entity=chaos, status="confirmed", mechanism="chaos_experiment", evidence=["call_4"]))
    analyzer = Analyzer(backend, alerts)
    explain_alerts(analyzer, state)
    assert not state.alerts[0].explained  # no span shows checkout calling mailer
    state.propagation = [PropagationEdge(source=chaos, target="shop/Service/mailer"),
                         PropagationEdge(source="shop/Service/mailer", target="shop/Service/checkout")]
    explain_alerts(analyzer, state)
    assert state.alerts[0].explained and chaos in state.alerts[0].explanation


@pytest.mark.parametrize("name", ["Scenario-27", "Scenario-35"])
def test_the_running_experiment_is_named_among_finished_ones_and_other_distractors(name: str) -> None:
    """Scenario-27 (an HTTPChaos spawned by a Schedule: the Schedule is the root cause) and
    Scenario-35 (a JVMChaos), every hard switch but the late event watch, at test scale."""
    base = Path(tempfile.mkdtemp(prefix="chaos-rank-"))
    folder = simulate(GROUND_TRUTHS / f"{name}.yaml", base / "sim", seed=0, scale=0.12, variant=EVENTS_KEPT)
    result = run_triage(alert=folder / "alerts", output_dir=base / "run")
    roots = [e["id"] for e in result.agent_output["entities"] if e["contributing_factor"]]
    want = {"Scenario-27": "chaos-mesh/Schedule/otel-demo-quote-http-chaos-abort",
            "Scenario-35": "chaos-mesh/JVMChaos/otel-demo-ad-jvm-chaos"}[name]
    assert roots[:1] == [want], roots
    events = [json.loads(x) for x in (result.output_dir / "trace.jsonl").read_text().splitlines()]
    assert not any(e.get("type") == "run_end" and e.get("incomplete") for e in events)
