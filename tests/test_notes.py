"""The planner's notes: without the shared state, a clean planner keeps what it established in its
own plans, so a context window that drops the oldest tool results costs it nothing."""

from __future__ import annotations

import json

import pytest
from autogen_core.models import UserMessage

from scenarios import simulated
from sre_agent.config import load_config
from sre_agent.llm import notes as notes_mod
from sre_agent.llm import offline, reasoning
from sre_agent.llm.offline import OfflineReasoner, build_view, message_text, role_of
from sre_agent.llm.reasoning import Call, View, canonical
from sre_agent.runner import run_triage
from sre_agent.trace import read_trace


class _Spy(OfflineReasoner):
    """The offline reasoner, remembering every tool result its planner was ever shown."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, str] = {}
        self.checks: list[tuple[View, View]] = []

    def respond(self, messages, tools=()):  # type: ignore[no-untyped-def]
        if role_of(messages) == "planner":
            head = [m for m in messages if message_text(m).startswith(("INCIDENT TASK", "ALERT ANCHOR"))]
            for m in messages:
                for line in message_text(m).splitlines():
                    if line.startswith("TOOL RESULT "):
                        self.seen.setdefault(json.loads(line[len("TOOL RESULT "):])["call_id"], line)
            everything = head + [UserMessage(content="\n".join(self.seen.values()), source="investigator")]
            self.checks.append((build_view(messages), build_view(everything)))
        return super().respond(messages, tools)


@pytest.fixture(scope="module")
def scen(tmp_path_factory):
    return simulated(tmp_path_factory.mktemp("scen"), "Scenario-27")


def _transcript_run(scen, tmp_path, client, name="run"):
    cfg = load_config(None, fixes=["all=off"])
    res = run_triage(alert=scen / "alerts", output_dir=tmp_path / name, config=cfg, client=client)
    return res, list(read_trace(res.output_dir / "trace.jsonl"))


def _trimmed(events) -> bool:
    return any("context_trimmed" in (e.get("changes") or {}) for e in events if e["type"] == "state_update")


def test_notes_give_the_planner_the_same_picture_as_every_result(scen, tmp_path):
    spy = _Spy()
    _, events = _transcript_run(scen, tmp_path, spy)
    assert _trimmed(events), "the scenario must overflow the context for this test to mean anything"
    for noted, full in spy.checks:
        assert full.done <= noted.done
        got, want = reasoning.service_scores(noted), reasoning.service_scores(full)
        assert got.keys() == want.keys()
        assert all(abs(got[s] - want[s]) < 1e-3 for s in want)
        assert [c["entity"] for c in reasoning.mechanism_candidates(noted)] == \
            [c["entity"] for c in reasoning.mechanism_candidates(full)]
        roots = reasoning.root_causes(reasoning.hypotheses(full))
        assert reasoning.propagation(noted, roots) == reasoning.propagation(full, roots)


def test_a_clean_planner_without_state_never_plans_a_call_twice(scen, tmp_path, monkeypatch):
    res, events = _transcript_run(scen, tmp_path, OfflineReasoner(), "with-notes")
    keys = [canonical(e["tool"], e["args"]) for e in events if e["type"] == "tool_call"]
    assert _trimmed(events) and len(keys) == len(set(keys))
    assert res.agent_output["entities"], "a diagnosis is reached"
    # the same run without notes re-plans calls whose results scrolled out of its context
    monkeypatch.setattr(offline, "take_notes", lambda view: {})
    _, forgetful = _transcript_run(scen, tmp_path, OfflineReasoner(), "without-notes")
    keys = [canonical(e["tool"], e["args"]) for e in forgetful if e["type"] == "tool_call"]
    assert len(keys) > len(set(keys))


class _Plans(OfflineReasoner):
    def __init__(self) -> None:
        super().__init__()
        self.plans: list[dict] = []

    def respond(self, messages, tools=()):  # type: ignore[no-untyped-def]
        out = super().respond(messages, tools)
        if role_of(messages) == "planner":
            self.plans.append(json.loads(out[len("PLAN"):]))
        return out


@pytest.mark.parametrize("fixes,kept", [(["all=on"], False), (["summarized_state=off"], True)])
def test_notes_are_only_kept_without_the_shared_state(scen, tmp_path, fixes, kept):
    client = _Plans()
    run_triage(alert=scen / "alerts", output_dir=tmp_path / "r", config=load_config(None, fixes=fixes), client=client)
    assert client.plans and all(("notes" in p) == kept for p in client.plans)


def test_recall_folds_notes_back_without_counting_a_result_twice():
    findings = [{"entity": "otel-demo/Service/cart", "signal": "error_rate", "weight": 0.8},
                {"entity": "otel-demo/Service/cart", "signal": "failing_callee", "weight": 1.0,
                 "related": ["otel-demo/Service/frontend"]},
                {"entity": "otel-demo/Service/frontend", "signal": "error_rate", "weight": 0.6},
                {"entity": "otel-demo/ConfigMap/flagd-config", "signal": "feature_flag_change", "weight": 0.7,
                 "related": ["otel-demo/Service/cart"], "time": 100}]
    full = View(calls=[Call("call_1", "service_health", {}, "", findings[:3]),
                       Call("call_2", "recent_changes", {}, "", findings[3:])])
    notes = notes_mod.take_notes(full)
    # the notes keep the change itself but only sums of the per-service readings
    assert [f["signal"] for f in notes["findings"]] == ["feature_flag_change"]
    line = "TOOL RESULT " + json.dumps({"call_id": "call_1", "tool": "service_health", "args": {}, "findings": findings[:3]})
    plan = "PLAN\n" + json.dumps({"action": "investigate", "notes": notes})
    # the same result still in context next to the notes is not counted again
    view = build_view([UserMessage(content=line, source="investigator"), UserMessage(content=plan, source="planner")])
    assert reasoning.service_scores(view) == pytest.approx(reasoning.service_scores(full))
    assert reasoning.service_scores(full)["frontend"] < 0.6 * 0.5 + 1e-9  # its errors pass through from cart
    assert reasoning.propagation(view, [{"entity": "otel-demo/ConfigMap/flagd-config", "related": ["cart"]}]) == \
        reasoning.propagation(full, [{"entity": "otel-demo/ConfigMap/flagd-config", "related": ["cart"]}])
    assert canonical("recent_changes", {}) in view.done
