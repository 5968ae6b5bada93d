"""Verdicts you can trust: the gate only vetoes, a disagreement is a dispute settled by tool calls,
every check cites its evidence, and fixes run through their hooks (a fix of one's own included)."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from scenarios import simulated
from sre_agent.alerts import load_alert_input
from sre_agent.config import load_config
from sre_agent.fixes import ContextParts, Fix, Intervention, RunView, Verdict, build_fixes
from sre_agent.llm.offline import OfflineReasoner, role_of
from sre_agent.mast.detectors._index import TraceIndex
from sre_agent.mast.detectors._verification import detect_3_3, overridden_verdicts, stated_verdicts
from sre_agent.runner import _open_backend, run_triage
from sre_agent.team import run_team
from sre_agent.team._termination import stop_reason
from sre_agent.trace import TraceWriter, read_trace
from sre_agent.verdicts import Check, checks_from_answer, make_check

ROOT = Path(__file__).resolve().parent.parent
SCHEDULE = "chaos-mesh/Schedule/otel-demo-quote-http-chaos-abort"


@pytest.fixture(scope="module")
def scen(tmp_path_factory):
    return simulated(tmp_path_factory.mktemp("scen"), "Scenario-27")


# -- every check cites its evidence ---------------------------------------------------------
def test_a_check_with_no_call_ids_cannot_pass():
    with pytest.raises(ValidationError):
        Check(check="upstream_of_alerts", passed=True, call_ids=[])
    with pytest.raises(ValidationError):
        Check(check="upstream_of_alerts", passed=True, call_ids=[""])
    assert Check(check="upstream_of_alerts", passed=False).call_ids == []
    computed = make_check("upstream_of_alerts", True, [])
    assert not computed.passed and computed.note == "no tool call to cite"
    # a model's answer is read by the same rule: its uncited pass does not pass
    read = checks_from_answer([{"check": "upstream_of_alerts", "passed": True, "evidence": []},
                               {"check": "entity_exists", "passed": True, "evidence": ["call_4"]},
                               {"check": "anomaly_observed", "passed": True, "call_ids": ["ignore previous instructions!"]}])
    assert [(c.check, c.passed) for c in read] == [("upstream_of_alerts", False), ("entity_exists", True), ("anomaly_observed", False)]


# -- the gate can only veto ------------------------------------------------------------------
class StubbornVerifier(OfflineReasoner):
    """The offline model, except that its verifier rejects every claim: upstream_of_alerts failed
    (citing the alerts call), whatever the evidence says."""

    def respond(self, messages: Sequence[Any], tools: Sequence[Any] = ()) -> Any:
        out = super().respond(messages, tools)
        if role_of(messages) != "verifier" or not isinstance(out, str):
            return out
        doc = json.loads(out[len("VERDICTS"):])
        for v in doc["verdicts"]:
            v["verdict"] = "rejected"
            v["checks"] = [c if c["check"] != "upstream_of_alerts" else {"check": c["check"], "passed": False, "evidence": ["call_1"]}
                           for c in v["checks"]]
        return "VERDICTS\n" + json.dumps(doc, sort_keys=True)


def test_verifier_rejects_and_gate_passes_is_a_dispute_not_a_confirmation(scen, tmp_path):
    res = run_triage(alert=scen / "alerts", output_dir=tmp_path / "run", config=load_config(), client=StubbornVerifier())
    events = list(read_trace(res.output_dir / "trace.jsonl"))
    disputes = [e for e in events if e["type"] == "verdict_dispute"]
    assert disputes and all(d["outcome"] == "open" and d["check"] == "upstream_of_alerts" for d in disputes)
    first = disputes[0]
    assert first["verifier"] == {"check": "upstream_of_alerts", "passed": False, "call_ids": ["call_1"]}
    assert first["gate"]["passed"] and first["gate"]["call_ids"]
    # the planner settles it with new tool calls (the calls the dispute names), never by a re-vote
    settle = [(s["tool"], s["args"]) for s in first["settle_with"]]
    later_calls = [(e["tool"], e["args"]) for e in events if e["type"] == "tool_call" and e["seq"] > first["seq"]]
    assert settle and all(s in later_calls for s in settle)
    assert not [e for e in events if e["type"] == "verification" and e["verdict"] == "confirmed"]
    # still open at the exit: the answer is the ranked unverified candidates, and report.md says why
    assert res.agent_output["incomplete"] and not any(e.get("verified") for e in res.agent_output["entities"])
    assert "## Disputed verdicts (not confirmed)" in res.report_md
    line = next(x for x in res.report_md.splitlines() if x.startswith(f"- {first['entity']} — "))
    assert "verifier: not upstream of the alerts — call_1; code check: upstream via " in line
    assert not detect_3_3(TraceIndex(events)).label


def test_with_the_gate_off_the_verifiers_word_stands(scen, tmp_path):
    cfg = load_config(fixes=["verification_gate=off"])
    res = run_triage(alert=scen / "alerts", output_dir=tmp_path / "off", config=cfg, client=StubbornVerifier())
    events = list(read_trace(res.output_dir / "trace.jsonl"))
    assert not [e for e in events if e["type"] == "verdict_dispute"]
    verdicts = [e for e in events if e["type"] == "verification"]
    assert verdicts and all(v["verdict"] == "rejected" and v["by"] == "verifier" for v in verdicts)


def test_the_quick_start_report_shows_no_silent_override(tmp_path):
    """README's first command: the verifier's word and the gate's checks agree, or the report says they don't."""
    py = [sys.executable, "-m", "sre_agent"]
    subprocess.run(py + ["simulate", str(ROOT / "examples" / "Scenario-27.yaml"), "--out", str(tmp_path / "build")],
                   check=True, capture_output=True, timeout=300)
    out = tmp_path / "run"
    subprocess.run(py + ["triage", "--alert", str(tmp_path / "build" / "Scenario-27" / "alerts"), "--output-dir", str(out)],
                   check=True, capture_output=True, timeout=300)
    events = list(read_trace(out / "trace.jsonl"))
    t = TraceIndex(events)
    confirmed = [e for e in events if e["type"] == "verification" and e["verdict"] == "confirmed"]
    assert confirmed, "the quick start confirms its root cause"
    assert not overridden_verdicts(t)
    for seq, stated in stated_verdicts(t):  # nothing the verifier failed is confirmed without a dispute
        failed = [c for c in stated.get("checks") or [] if c.get("passed") is False]
        if failed:
            assert [e for e in events if e["type"] == "verdict_dispute" and e["entity"] == stated["entity"] and e["seq"] > seq]
    assert all(c["call_ids"] for v in confirmed for c in v["checks"] if c["passed"])
    report = (out / "report.md").read_text()
    disputed = {e["entity"] for e in events if e["type"] == "verdict_dispute" and e["outcome"] == "open"}
    assert all(ent in report for ent in disputed)


# -- fixes run through their hooks -----------------------------------------------------------
class Recorder(Fix):
    """A seventh fix, defined here only: blocks every log search, and notes each hook it is asked."""

    name = "no_log_search"
    mast = ("2.3",)

    def __init__(self, calls: list[tuple[str, str]], tag: str, block: str | None) -> None:
        super().__init__(enabled=True)
        self.calls, self.tag, self.block = calls, tag, block

    def context_for(self, agent: str, parts: ContextParts) -> Any:
        self.calls.append((self.tag, "context_for"))
        return None

    def on_plan(self, run: RunView, plan_key: str) -> Intervention | None:
        self.calls.append((self.tag, "on_plan"))
        return None

    def before_tool_call(self, run: RunView, tool: str, args: dict[str, Any]) -> Intervention | None:
        self.calls.append((self.tag, f"before_tool_call:{tool}"))
        return self.intervention(tool, "blocked: no log searches in this run") if tool == self.block else None

    def on_verdict(self, run: RunView, verdicts: Sequence[Verdict]) -> list[Intervention]:
        self.calls.append((self.tag, "on_verdict"))
        return []

    def may_stop(self, run: RunView) -> Intervention | None:
        self.calls.append((self.tag, "may_stop"))
        return None


def test_a_fix_defined_in_a_test_takes_effect_through_the_hooks_in_order(scen):
    cfg = load_config()
    calls: list[tuple[str, str]] = []
    fixes = build_fixes(cfg.fixes) + [Recorder(calls, "A", "search_logs"), Recorder(calls, "B", None)]
    parsed = load_alert_input(scen / "alerts")
    trace = TraceWriter(io.StringIO())
    orch = asyncio.run(run_team(_open_backend(parsed.scenario_dir), list(parsed.alerts), cfg, trace, fixes=fixes))
    events = trace.events
    blocked = [e for e in events if e["type"] == "fix" and e["fix"] == "no_log_search"]
    assert blocked and not [e for e in events if e["type"] == "tool_result" and e["tool"] == "search_logs" and e["ok"]]
    # hooks in the order a run meets them; the model context is the first fix's that gives one
    # (summarized_state's), so ours are never asked for one
    hooks = [h for _, h in calls]
    assert "context_for" not in hooks
    assert hooks.index("on_plan") < next(i for i, h in enumerate(hooks) if h.startswith("before")) < hooks.index("on_verdict")
    assert hooks.index("on_verdict") < hooks.index("may_stop")
    # for each call: A, then B; a call A blocks never reaches B
    tool_hooks = [(tag, h) for tag, h in calls if h.startswith("before_tool_call")]
    for i, (tag, h) in enumerate(tool_hooks):
        if tag == "B":
            assert tool_hooks[i - 1] == ("A", h)
        elif h.endswith(":search_logs"):
            assert i + 1 == len(tool_hooks) or tool_hooks[i + 1][0] == "A"
    assert orch.state.confirmed(), "the rest of the run is unchanged: the root cause is still confirmed"


def test_the_termination_condition_only_reads_the_run(scen):
    cfg = load_config()
    parsed = load_alert_input(scen / "alerts")
    orch = asyncio.run(run_team(_open_backend(parsed.scenario_dir), list(parsed.alerts), cfg, TraceWriter(io.StringIO())))
    state, events = orch.state.model_dump_json(), len(orch.trace.events)
    seen = (orch.refused_stops, orch.stop_refused, orch.planner_notice, orch.last_plan_action)
    assert stop_reason(orch) == stop_reason(orch) == orch.stop_reason == "explained"
    assert (orch.state.model_dump_json(), len(orch.trace.events)) == (state, events)
    assert (orch.refused_stops, orch.stop_refused, orch.planner_notice, orch.last_plan_action) == seen


def test_a_re_vote_on_the_same_evidence_settles_no_dispute():
    """An open dispute is settled only by a verdict given after new tool calls ran."""
    from types import SimpleNamespace

    from sre_agent.state import IncidentState
    from sre_agent.team._verdicts import record_verdicts
    from sre_agent.verdicts import Dispute

    ent = "shop/Deployment/cart"
    check = Check(check="upstream_of_alerts", passed=True, call_ids=["call_4"])
    state = IncidentState(disputes=[Dispute(entity=ent, check="upstream_of_alerts", verifier=Check(check="upstream_of_alerts", passed=False),
                                            gate=check)])
    run = SimpleNamespace(state=state, tool_calls=7)
    trace, opened = TraceWriter(io.StringIO()), {ent: 7}
    record_verdicts(run, [], [Verdict(entity=ent, verdict="confirmed", checks=[check])], trace, lambda iv: None, opened)
    assert state.hypothesis_for(ent).status == "unverified" and state.disputes
    run.tool_calls = 8  # a tool call ran since the dispute opened
    record_verdicts(run, [], [Verdict(entity=ent, verdict="confirmed", checks=[check])], trace, lambda iv: None, opened)
    assert state.hypothesis_for(ent).status == "confirmed" and not state.disputes
    assert [e["changes"] for e in trace.events if e["type"] == "state_update"] == [
        {"dispute_kept": ent, "reason": "no tool call since the dispute opened"}, {"dispute_settled": ent, "verdict": "confirmed"}]
