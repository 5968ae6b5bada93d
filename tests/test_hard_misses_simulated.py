"""Simulated hard incidents (tuning seed 0, small scale) that the reasoner missed, each for a reason
of its own, now name their root cause:

* Scenario-9: a flag flip acting on a load source that emits no spans (its calls are declared in
  its environment);
* Scenario-34: a data store without spans, seen only in its callers' failed calls (its pod named);
* Scenario-37: a spend alarm over an even rise, with only an unrelated rollout to blame;
* Scenario-12 and -14 with the fault's events kept: the flag change stays in the planner's
  context under the louder event stream."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from data_paths import GROUND_TRUTHS
from sre_agent.eval.scoring import load_ground_truth, score
from sre_agent.runner import run_triage
from sre_agent.simulator import SWITCHES, simulate

#: every hard switch but the lost first events (the fault's events are kept)
EVENTS_KEPT = ",".join(s for s in SWITCHES if s != "late-event-watch")
CASES = [("Scenario-9", "hard"), ("Scenario-34", "hard"), ("Scenario-37", "hard"),
         ("Scenario-12", EVENTS_KEPT), ("Scenario-14", EVENTS_KEPT)]


@pytest.mark.parametrize(("name", "variant"), CASES, ids=[f"{n}-{'hard' if v == 'hard' else 'events-kept'}" for n, v in CASES])
def test_hard_miss_names_its_root_cause(name: str, variant: str) -> None:
    base = Path(tempfile.mkdtemp(prefix="hard-miss-"))
    try:
        folder = simulate(GROUND_TRUTHS / f"{name}.yaml", base / "sim", seed=0, scale=0.12, variant=variant)
        result = run_triage(alert=folder / "alerts", output_dir=base / "run")
        s = score(result.agent_output, load_ground_truth(GROUND_TRUTHS / f"{name}.yaml"))
        assert s.recall == 1.0, [e["id"] for e in result.agent_output["entities"] if e["contributing_factor"]]
    finally:
        shutil.rmtree(base, ignore_errors=True)
