"""Which answers are usable by their role, how the give-up rule counts them (with a replayed model
through the real team), and how the MAST annotator reads them (format -> FM-1.1, role -> FM-1.2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from autogen_core import FunctionCall

from sre_agent.config import load_config
from sre_agent.llm.usable import check_answer
from sre_agent.mast import StructuralAnnotator
from sre_agent.trace import read_trace

from scenarios import simulated

TOOLS = ["get_alerts", "search_logs"]


@pytest.mark.parametrize("role, content, finish, kind, needle", [
    ("planner", "The cart service looks broken.", "stop", "format", "no PLAN marker"),
    ("planner", 'PLAN\n{"action": "investigate", "hypotheses": [', "length", "format", "cut off at max_tokens"),
    ("planner", "PLAN\n[1, 2]", "stop", "format", "no JSON object"),
    ("planner", 'VERDICTS\n{"verdicts": []}', "stop", "role", "VERDICTS block instead of PLAN"),
    ("verifier", "Looks confirmed to me.", "stop", "format", "no VERDICTS marker"),
    ("summarizer", 'PLAN\n{"action": "verify"}', "stop", "role", "PLAN block instead of SUMMARY"),
    ("investigator", "I will now look at the logs.", "stop", "format", "no tool call"),
    ("investigator", 'PLAN\n{"action": "verify"}', "stop", "role", "PLAN instead of tool calls"),
])
def test_unusable_answers_and_why(role: str, content: str, finish: str, kind: str, needle: str) -> None:
    problem = check_answer(role, content, TOOLS, finish)
    assert problem is not None and problem.kind == kind and needle in problem.reason
    assert problem.mast == {"format": "1.1", "role": "1.2"}[kind]


def test_tool_calls_are_checked_against_the_offered_tools_and_json_args() -> None:
    ok = [FunctionCall(id="1", name="search_logs", arguments='{"service": "cart"}')]
    assert check_answer("investigator", ok, TOOLS) is None
    assert check_answer("investigator", "NO STEPS: nothing pending", TOOLS) is None
    bad_name = [FunctionCall(id="1", name="rm_rf", arguments="{}")]
    assert "not one of the tools" in check_answer("investigator", bad_name, TOOLS).reason
    bad_args = [FunctionCall(id="1", name="search_logs", arguments='{"service": ')]
    assert "not JSON" in check_answer("investigator", bad_args, TOOLS).reason
    assert check_answer("planner", ok, TOOLS).kind == "role"  # the planner may not call tools
    assert check_answer("planner", 'PLAN\n{"action": "conclude"} and some words', TOOLS) is None


def _replay_file(tmp_path: Path, answers: list) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"answers": answers}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scen27(tmp_path_factory):
    return simulated(tmp_path_factory.mktemp("scen"), "Scenario-27")


def test_a_usable_answer_resets_the_streak_and_a_role_violation_reads_as_fm_1_2(scen27: Path, tmp_path: Path) -> None:
    """Replayed answers through the real team: prose (re-asked), then a good plan (streak reset),
    then the investigator writes a plan instead of calling tools (role), re-asked, then prose ...
    the run ends after three unusable answers in a row, not at the first three overall."""
    from sre_agent.runner import run_triage

    step = {"tool": "get_alerts", "args": {}, "why": "survey"}
    plan = "PLAN\n" + json.dumps({"action": "investigate", "hypotheses": [], "steps": [step], "root_causes": []})
    answers = ["prose one", plan, 'PLAN\n{"action": "verify"}', "still prose", "more prose"]
    profile = tmp_path / "models"
    profile.mkdir()
    (profile / "replayed.yaml").write_text(f"kind: replay\nreplay_file: {_replay_file(tmp_path, answers)}\n")
    (tmp_path / "config.yaml").write_text("budgets: {max_unusable_answers: 3}\n")
    config = load_config(tmp_path / "config.yaml", (), "replayed")
    result = run_triage(alert=scen27 / "alerts", output_dir=tmp_path / "run", config=config)
    events = list(read_trace(tmp_path / "run" / "trace.jsonl"))
    unusable = [(e["role"], e["kind"], e["streak"]) for e in events if e["type"] == "unusable_answer"]
    assert unusable == [("planner", "format", 1), ("investigator", "role", 1), ("investigator", "format", 2),
                        ("planner", "format", 3)]
    assert result.stats["stop_reason"] == "model_unusable" and result.stats["model_calls"] == 5
    assert result.agent_output["incomplete"] and "3 unusable answers in a row" in result.agent_output["incomplete_reason"]
    ann = StructuralAnnotator().annotate(events)
    assert ann.labels["1.2"] == 1 and ann.labels["1.1"] == 1
    role_seq = next(e["seq"] for e in events if e["type"] == "unusable_answer" and e["kind"] == "role")
    assert role_seq in ann.evidence["1.2"] and role_seq not in ann.evidence["1.1"]
