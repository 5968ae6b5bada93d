"""No refused-stop loop (issue 11: 40 turns of the same refused "conclude").

After the termination state machine refuses a stop, the planner must change course; a plan
re-issued unchanged is a repeated step for the loop breaker; no run has more than
``MAX_REFUSED_STOPS`` refused stops.  Checked on crafted runs here and on the hard variants in
tests/test_hard_suite.py (same audit)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from robust_helpers import simulated
from sre_agent.config import load_config
from sre_agent.fixes._termination_fsm import MAX_REFUSED_STOPS
from sre_agent.llm.offline import OfflineReasoner, build_view, message_text, role_of
from sre_agent.llm.reasoning import hypotheses
from sre_agent.runner import run_triage


def refusal_audit(events: list[dict[str, Any]]) -> dict[str, int]:
    """From a trace: refused stops, and plans re-issued unchanged right after a refusal (same
    action and steps as the refused plan: the verifier's verdicts may change, the ask did not)."""
    refused = repeats = 0
    last_plan: tuple[Any, ...] | None = None
    refused_plan: tuple[Any, ...] | None = None
    for e in events:
        if e["type"] == "plan":
            key = (e.get("action"), json.dumps(sorted(json.dumps([s["tool"], s["args"]], sort_keys=True) for s in e.get("steps", []))))
            if refused_plan is not None and key == refused_plan:
                repeats += 1
            refused_plan = None
            last_plan = key
        elif e["type"] == "fix" and e.get("fix") == "termination_fsm" and e.get("target") == "stop":
            refused += 1
            refused_plan = last_plan
    return {"refused": refused, "repeats": repeats}


def _events(result: Any) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (result.output_dir / "trace.jsonl").read_text().splitlines()]


class Stubborn(OfflineReasoner):
    """A planner that asks to stop with the same claim-less plan, whatever it is told (the LLM
    behaviour of issue 11)."""

    def __init__(self) -> None:
        super().__init__()
        self.notices: list[dict[str, Any]] = []

    def respond(self, messages: Any, tools: Any = ()) -> Any:
        if role_of(messages) != "planner":
            return super().respond(messages, tools)
        for m in messages:
            text = message_text(m)
            if text.startswith("STOP REFUSED"):
                self.notices.append(json.loads(text.split("\n", 1)[1]))
        done = build_view(messages).done
        if not any(k.startswith("service_health") for k in done):
            return "PLAN\n" + json.dumps({"action": "investigate", "hypotheses": [], "steps": [
                {"tool": "service_health", "args": {}, "why": "survey"}, {"tool": "recent_changes", "args": {}, "why": "survey"}]})
        return "PLAN\n" + json.dumps({"action": "conclude", "hypotheses": [], "steps": [], "root_causes": []})


class RejectsAll(OfflineReasoner):
    """A verifier that rejects every claim: the offline planner runs out of hypotheses."""

    def respond(self, messages: Any, tools: Any = ()) -> Any:
        if role_of(messages) != "verifier":
            return super().respond(messages, tools)
        view = build_view(messages)
        claims = [h["entity"] for h in view.hypotheses if h.get("status") == "supported"] or view.claims \
            or [h["entity"] for h in hypotheses(view)[:1]]
        return "VERDICTS\n" + json.dumps({"verdicts": [{"entity": e, "verdict": "rejected", "checks": []} for e in claims]})


def _run(tmp_path: Path, client: Any, fixes: list[str] | None = None, name: str = "Scenario-2") -> Any:
    config = load_config(fixes=fixes or ())
    return run_triage(alert=simulated(name) / "alerts", output_dir=tmp_path / "out", config=config, client=client)


def test_a_stubborn_stop_is_ended_after_the_refusal_limit(tmp_path: Path) -> None:
    result = _run(tmp_path, Stubborn())
    events = _events(result)
    audit = refusal_audit(events)
    assert audit["refused"] == MAX_REFUSED_STOPS
    assert result.stats["stop_reason"] == "refused_stops" and result.agent_output["incomplete"] is True
    # every unchanged re-issue was caught by the loop breaker as a repeated step
    repeats = [e for e in events if e["type"] == "fix" and e["fix"] == "loop_breaker" and e["target"] == "plan"]
    assert len(repeats) == MAX_REFUSED_STOPS - 1 == audit["repeats"]
    assert result.stats["steps"] < 20  # not 40 turns of the same stop
    assert [e for e in result.agent_output["entities"] if e["contributing_factor"]], "never an empty answer"


def test_the_offline_planner_changes_course_instead_of_asking_to_stop(tmp_path: Path) -> None:
    result = _run(tmp_path, RejectsAll(), fixes=["verification_gate=off"])
    events = _events(result)
    audit = refusal_audit(events)
    assert audit == {"refused": 0, "repeats": 0}, audit
    # it ends by giving up or on a budget, never on refused stops; flagged, candidates unverified
    assert result.stats["stop_reason"] in ("exhausted", "max_turns", "max_tool_calls")
    assert result.agent_output["incomplete"] is True
    assert [e for e in result.agent_output["entities"] if e["contributing_factor"] and e["verified"] is False]
    widened = [s for e in events if e["type"] == "plan" for s in e["steps"] if s["why"].startswith("no confirmed cause yet")]
    assert widened, "after every hypothesis was rejected the planner widened the search"
    assert {s["tool"] for s in widened} >= {"get_events", "search_logs"}
    assert not [e for e in events if e["type"] == "fix" and e["fix"] == "loop_breaker" and e["target"] == "plan"]


def test_each_refusal_tells_the_planner_to_change_course(tmp_path: Path) -> None:
    client = Stubborn()
    _run(tmp_path, client)
    assert [n["refused_stops"] for n in client.notices] == list(range(1, MAX_REFUSED_STOPS))
    assert all("change_course" in n and n["max_refused_stops"] == MAX_REFUSED_STOPS for n in client.notices)


def test_with_nothing_left_to_try_the_planner_gives_up() -> None:
    from sre_agent.llm.change_course import widening_steps
    from sre_agent.llm.reasoning import SURVEY, View, canonical, plan

    view = View(alerts=[{"key": "a", "subject": "cart", "namespace": "shop"}], namespace="shop")
    view.done = {canonical(t, a) for t, a in SURVEY} | {canonical("trace_errors", {"service": "cart"}),
                                                         canonical("call_graph", {"service": "cart"})}
    # the alerting service the traces said nothing about has been drilled too (logs, metrics, its Service)
    view.done |= {canonical("search_logs", {"service": "cart"}), canonical("metric_anomalies", {"entity": "cart"}),
                  canonical("describe", {"entity": "shop/Service/cart"})}
    first = plan(view)
    assert first["action"] == "investigate" and all(s["why"].startswith("no confirmed cause") for s in first["steps"])
    view.done |= {canonical(t, a) for t, a, _ in widening_steps(view)}
    assert plan(view)["action"] == "give_up"
