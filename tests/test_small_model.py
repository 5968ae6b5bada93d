"""One triage driven by a real small language model (SmolLM2-135M-Instruct) behind llama-cpp-python's
OpenAI-compatible server on 127.0.0.1, with decisions it can make (the smollm2-decisions profile:
each turn's choices as a JSON-schema grammar, issue 23): it acts (at least one tool call), ends
within its budgets, exit 0, every planner answer is either applied or counted unusable, and a
diagnosis without a confirmed cause is flagged incomplete.

Needs the optional extra ``llm`` (``pip install -e '.[llm]'``); skipped without it, unless
``SRE_AGENT_REQUIRE_LLM=1`` (CI), where a missing package fails the test.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from robust_helpers import run_cli
from scenarios import simulated

from sre_agent.modelserver.llama import LlamaCppServer, missing_llm_packages, smollm2_gguf

MISSING = missing_llm_packages()
REQUIRED = os.environ.get("SRE_AGENT_REQUIRE_LLM") == "1"

pytestmark = [pytest.mark.llm, pytest.mark.slow,
              pytest.mark.skipif(bool(MISSING) and not REQUIRED,
                                 reason=f"{', '.join(MISSING)} not installed (pip install -e '.[llm]')")]

MAX_WALL = 420
#: the run's own limits (as configs/small-model-decisions.yaml): the tools travel in the answer's schema,
#: so a call is ~1k tokens and the server's 4096-token context holds it
RUN_CONFIG = f"""model: smollm2-decisions
budgets:
  max_turns: 6
  max_tool_calls: 12
  max_wall_seconds: {MAX_WALL}
  max_tokens_per_call: 2600
context:
  own_messages: 1
  max_state_tokens: 700
"""


def test_small_real_model_triage_ends_within_budget_and_flagged(tmp_path: Path) -> None:
    assert not MISSING, f"SRE_AGENT_REQUIRE_LLM=1 but not installed: {', '.join(MISSING)}"
    scenario = simulated(tmp_path / "scen", "Scenario-27")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(RUN_CONFIG, encoding="utf-8")
    out = tmp_path / "out"
    with LlamaCppServer(smollm2_gguf(), chat_format="chatml", n_ctx=4096, log=tmp_path / "llama.log") as server:
        proc = run_cli("triage", "--alert", scenario / "alerts", "--config", cfg, "--output-dir", out, "--format", "json",
                       env={"SRE_AGENT_LLM_BASE_URL": server.base_url, "SRE_AGENT_LLM_KEY": "unused"},
                       timeout=MAX_WALL + 240)
        assert server.proc is not None and server.proc.poll() is None, "the model server died during the run"
    assert server.proc.poll() is not None  # stopped
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = json.loads((out / "stats.json").read_text())
    agent_output = json.loads((out / "agent_output.json").read_text())
    events = [json.loads(x) for x in (out / "trace.jsonl").read_text().splitlines()]
    # a real model was asked, it acted, and the run stayed within its budgets
    assert stats["model_calls"] >= 1, stats
    calls = [e for e in events if e["type"] == "tool_call" and e["agent"] == "investigator"]
    assert stats["tool_calls"] >= 1 and calls, (stats, [e.get("output") for e in events if e["type"] == "model_call"])
    assert stats["steps"] <= 6 and stats["tool_calls"] <= 12, stats
    assert stats["wall_s"] <= MAX_WALL + 60, stats  # a call in flight is cancelled at the wall budget
    assert events[-1]["type"] == "run_end" and events[-1]["stop_reason"] == stats["stop_reason"]
    assert stats["stop_reason"] != "model_error", [e for e in events if "model_error" in str(e.get("changes", ""))]
    # every planner answer is accounted for: applied as a usable plan, or recorded as unusable
    # (an unusable answer is re-asked once, so a turn may hold two calls)
    planner_calls = [e for e in events if e["type"] == "model_call" and e["agent"] == "planner"]
    usable_plans = [e for e in events if e["type"] == "plan" and not e.get("error")]
    unusable = [e for e in events if e["type"] == "unusable_answer"]
    planner_unusable = [e for e in unusable if e["role"] == "planner"]
    assert len(planner_calls) == len(usable_plans) + len(planner_unusable), \
        (len(planner_calls), len(usable_plans), len(planner_unusable))
    assert stats["unusable_answers"] == len(unusable), (stats, len(unusable))
    if stats["stop_reason"] == "model_unusable":
        assert agent_output["incomplete"] is True and "unusable" in agent_output["incomplete_reason"]
    print(f"small model: {stats}; {len(planner_unusable)} of {len(planner_calls)} planner answer(s) unusable")
    # no confirmed cause -> flagged incomplete, with a reason
    if not any(e["contributing_factor"] for e in agent_output["entities"]):
        assert agent_output["incomplete"] is True and agent_output["incomplete_reason"], agent_output
