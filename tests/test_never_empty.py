"""Never an empty answer: a run cut short before any root cause is confirmed still names the
ranked candidates, marked unverified, with lowered confidence, flagged incomplete, and its
report says so plainly.  Empty only when no anomaly was seen at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from robust_helpers import simulated
from sre_agent.candidates import MAX_UNVERIFIED_CONFIDENCE, unverified_candidates
from sre_agent.config import load_config
from sre_agent.llm.offline import OfflineReasoner, role_of
from sre_agent.runner import run_triage
from sre_agent.state import IncidentState


class NeverConcludes(OfflineReasoner):
    """A planner that keeps surveying other namespaces and never names a hypothesis."""

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def respond(self, messages: Any, tools: Any = ()) -> Any:
        if role_of(messages) != "planner":
            return super().respond(messages, tools)
        self.n += 1
        steps = [{"tool": "service_health", "args": {}, "why": "survey"}] if self.n == 1 else \
            [{"tool": "list_objects", "args": {"kind": "Pod", "namespace": f"ns-{self.n}"}, "why": "look elsewhere"}]
        return "PLAN\n" + json.dumps({"action": "investigate", "hypotheses": [], "steps": steps})


def _run(tmp_path: Path, name: str, client: Any = None, **budgets: int):
    config = load_config()
    config = config.model_copy(update={"budgets": config.budgets.model_copy(update=budgets)})
    return run_triage(alert=simulated(name) / "alerts", output_dir=tmp_path / "out", config=config, client=client)


@pytest.mark.parametrize("name,max_turns,client", [("Scenario-2", 2, None), ("Scenario-27", 2, None),
                                                   ("Scenario-2", 8, NeverConcludes)])
def test_a_run_cut_short_reports_unverified_candidates(tmp_path: Path, name: str, max_turns: int, client: Any) -> None:
    result = _run(tmp_path, name, client() if client else None, max_turns=max_turns)
    out = result.agent_output
    assert result.stats["stop_reason"] == "max_turns"
    roots = [e for e in out["entities"] if e["contributing_factor"]]
    assert roots, "an anomaly was seen: the answer must name candidates"
    assert all(e["verified"] is False for e in roots)
    assert all(e["confidence"] <= MAX_UNVERIFIED_CONFIDENCE for e in roots)
    assert out["incomplete"] is True and "unverified" in out["incomplete_reason"]
    assert "**Unverified:**" in result.report_md and "not verified" in result.report_md
    saved = json.loads((result.output_dir / "agent_output.json").read_text())
    assert saved["entities"][0]["verified"] is False
    diag = [json.loads(x) for x in (result.output_dir / "trace.jsonl").read_text().splitlines() if '"diagnosis"' in x]
    named = {e["id"] for e in roots} | {a["id"] for a in out["alternatives"]}  # one per cause, the rest ranked
    assert diag[-1]["entities"] == [] and {e["id"] for e in roots} <= set(diag[-1]["unverified"]) <= named


def test_a_complete_run_reports_verified_causes(tmp_path: Path) -> None:
    result = _run(tmp_path, "Scenario-2")
    roots = [e for e in result.agent_output["entities"] if e["contributing_factor"]]
    assert roots and all(e["verified"] is True for e in roots)
    assert "**Unverified:**" not in result.report_md


def test_no_anomaly_no_answer() -> None:
    assert unverified_candidates(IncidentState()) == []
