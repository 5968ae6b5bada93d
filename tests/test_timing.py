"""Timing: a candidate whose own trouble started and ended before the onset (a finished chaos
experiment still listed, the hard variant ``old-chaos``) is a distractor, not a cause, and the
report's ruled-out list says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_paths import GROUND_TRUTHS
from sre_agent.llm.reasoning import Call, View
from sre_agent.llm.timing import distractors, onset
from sre_agent.runner import run_triage
from sre_agent.simulator import simulate


@pytest.mark.parametrize("name", ["Scenario-27", "Scenario-80"])
def test_a_finished_chaos_experiment_is_ruled_out_as_a_distractor(name: str, tmp_path: Path) -> None:
    base = tmp_path
    folder = simulate(GROUND_TRUTHS / f"{name}.yaml", base / "sim", seed=0, scale=0.12, variant="old-chaos")
    result = run_triage(alert=folder / "alerts", output_dir=base / "run")
    roots = [e["id"] for e in result.agent_output["entities"] if e["contributing_factor"]]
    ruled = result.report_md.split("## Ruled out")[1].split("## Next steps")[0]
    old = [line for line in ruled.splitlines() if "Chaos/" in line and "before the incident's onset" in line]
    assert old, ruled
    assert not any(line.split("**")[0] and line[2:].split(":")[0] in roots for line in old)
    assert not any(r.startswith("chaos-mesh/PodChaos/") for r in roots), roots


def test_a_pod_that_recovered_long_before_the_onset_is_a_distractor_but_a_change_is_not() -> None:
    v = View(alerts=[{"key": "a", "active_at": 10_000.0}])
    v.calls = [Call("call_1", "recent_changes", {}, "", [
        {"entity": "ns/Pod/web-1", "signal": "pod_restarted", "time": 8_000.0},
        {"entity": "ns/Pod/web-1", "signal": "container_terminated", "time": None},  # its last state, kept
        {"entity": "ns/Pod/db-1", "signal": "pod_restarted", "time": 9_950.0},
        {"entity": "ns/ConfigMap/flags", "signal": "feature_flag_change", "time": 2_000.0}])]
    assert onset(v) == 10_000.0
    assert [d["entity"] for d in distractors(v)] == ["ns/Pod/web-1"]
    v.calls.append(Call("call_2", "analyze_cluster", {}, "", [{"entity": "ns/Pod/web-1", "signal": "crash_loop", "time": 7_000.0}]))
    assert distractors(v) == []  # the state analyzers see it failing now: not over
