"""Failure draws are independent across scenarios and seeds and common across fix settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios import simulated
from sre_agent.ablation.draw_check import check, run_signatures
from sre_agent.config import load_config
from sre_agent.llm.draws import Draws
from sre_agent.llm.profiles import FaultyReasoner
from sre_agent.runner import run_triage
from sre_agent.trace import read_trace

SIX = ("Scenario-1", "Scenario-2", "Scenario-4", "Scenario-23", "Scenario-27", "Scenario-31")
DECISIONS = [(role, code, i) for role, code in (("planner", "3.2"), ("planner", "3.1"), ("investigator", "2.6"),
                                                 ("verifier", "3.3")) for i in range(5)]


def _draws(scenario: str, seed: int, profile: str = "loses-exit") -> list[float]:
    d = Draws(scenario, seed, profile)
    return [d.uniform(*k) for k in DECISIONS]


def test_different_scenarios_and_seeds_draw_differently_the_same_key_draws_the_same() -> None:
    base = _draws("Scenario-27", 0)
    assert _draws("Scenario-27", 0) == base
    assert all(a != b for a, b in zip(base, _draws("Scenario-2", 0)))
    assert all(a != b for a, b in zip(base, _draws("Scenario-27", 1)))
    assert all(a != b for a, b in zip(base, _draws("Scenario-27", 0, "forgets")))
    assert all(0.0 <= u < 1.0 for u in base)
    # the role is part of the key: the planner's and the verifier's first draws of one code differ
    d = Draws("Scenario-27", 0, "loses-exit")
    assert d.uniform("planner", "2.6", 0) != d.uniform("investigator", "2.6", 0)


def _drawn(scen: Path, out: Path, fixes: list[str]) -> tuple[dict[tuple[str, str, int], float], list[dict]]:
    client = FaultyReasoner("forgets", load_config(model="forgets").model.failure_rates, seed=1)
    res = run_triage(alert=scen / "alerts", output_dir=out, config=load_config(model="forgets", fixes=fixes, seed=1),
                     client=client)
    return client.drawn, list(read_trace(res.output_dir / "trace.jsonl"))


def test_every_fix_setting_sees_the_same_draws(tmp_path: Path) -> None:
    scen = simulated(tmp_path, "Scenario-27")
    off, off_trace = _drawn(scen, tmp_path / "off", ["all=off"])
    on, on_trace = _drawn(scen, tmp_path / "on", ["all=on"])
    common = set(off) & set(on)
    assert len(common) >= 5, "both settings reach several of the same opportunities"
    assert {k: off[k] for k in common} == {k: on[k] for k in common}
    # the fixes change how many model calls happen, so a draw keyed by call number would differ
    calls = [sum(e["type"] == "model_call" for e in t) for t in (off_trace, on_trace)]
    assert calls[0] != calls[1]


def test_derailment_targets_come_from_the_incident(tmp_path: Path) -> None:
    scen = simulated(tmp_path, "Scenario-27")
    derailed = 0
    for seed in range(4):
        res = run_triage(alert=scen / "alerts", output_dir=tmp_path / str(seed),
                         config=load_config(model="forgets", fixes=["all=off"], seed=seed))
        events = list(read_trace(res.output_dir / "trace.jsonl"))
        start = next(e for e in events if e["type"] == "run_start")
        for e in events:
            if e["type"] == "injected_failure" and e["mast"] == "2.3":
                derailed += 1
                ns, _kind, name = e["what"].split("derailed to ", 1)[1].split(",", 1)[0].split("/")
                assert name in start["neighbourhood"] and ns != start["namespace"]
    assert derailed >= 1


@pytest.fixture(scope="module")
def six_by_four(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("six")
    scens = [simulated(root, s) for s in SIX]
    return check(run_signatures(scens, ["verifies-poorly", "loses-exit"], range(4), root / "runs"))


def test_no_first_injection_shared_by_every_scenario_and_no_identical_seeds(six_by_four) -> None:
    assert six_by_four.n_scenarios == 6 and len(six_by_four.distinct_first) == 8
    assert six_by_four.shared_first == []
    assert six_by_four.identical_seeds == []
