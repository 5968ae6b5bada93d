"""Over hard variants (every hard switch on): no run re-issues a refused stop unchanged, no run
has more than ``MAX_REFUSED_STOPS`` refused stops, and no run where an anomaly exists answers
without a root cause.  (The full 29 x seeds 0-2 audit: ``python tests/test_hard_suite.py RUNS_DIR``
over the traces an ``eval`` wrote.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from data_paths import GROUND_TRUTHS
from sre_agent.fixes._termination_fsm import MAX_REFUSED_STOPS
from sre_agent.runner import run_triage
from sre_agent.simulator import simulate
from test_refused_stops import refusal_audit

SAMPLE = ["Scenario-2", "Scenario-20", "Scenario-27", "Scenario-31", "Scenario-38", "Scenario-80"]


@pytest.mark.parametrize("name", SAMPLE)
def test_hard_variant_runs_do_not_loop_on_refused_stops(name: str, tmp_path: Path) -> None:
    base = tmp_path
    folder = simulate(GROUND_TRUTHS / f"{name}.yaml", base / "sim", seed=0, scale=0.12, variant="hard")
    result = run_triage(alert=folder / "alerts", output_dir=base / "run")
    events = [json.loads(x) for x in (result.output_dir / "trace.jsonl").read_text().splitlines()]
    audit = refusal_audit(events)
    assert audit["refused"] <= MAX_REFUSED_STOPS and audit["repeats"] == 0, audit
    assert [e for e in result.agent_output["entities"] if e["contributing_factor"]], "an anomaly exists: never empty"


if __name__ == "__main__":  # audit every trace under a folder of runs
    worst = {"runs": 0, "max_refused": 0, "repeats": 0, "empty": 0}
    for trace in sorted(Path(sys.argv[1]).rglob("trace.jsonl")):
        a = refusal_audit([json.loads(x) for x in trace.read_text().splitlines()])
        out = json.loads((trace.parent / "agent_output.json").read_text()) if (trace.parent / "agent_output.json").exists() else {}
        worst["runs"] += 1
        worst["max_refused"] = max(worst["max_refused"], a["refused"])
        worst["repeats"] += a["repeats"]
        worst["empty"] += not any(e.get("contributing_factor") for e in out.get("entities", []))
    print(json.dumps(worst))
