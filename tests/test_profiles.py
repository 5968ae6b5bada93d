"""Failure profiles inject what they say: the structural annotator, which never reads the
injection events, names each injected failure by the same MAST code."""

from __future__ import annotations

import pytest

from scenarios import simulated
from sre_agent.config import load_config
from sre_agent.mast import StructuralAnnotator
from sre_agent.mast.validate import validate
from sre_agent.runner import run_triage
from sre_agent.trace import read_trace


@pytest.fixture(scope="module")
def forgets_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("forgets")
    runs = []
    for scenario in ("Scenario-27", "Scenario-2"):
        scen = simulated(root, scenario)
        for seed in range(3):
            cfg = load_config(model="forgets", fixes=["all=off"], seed=seed)
            res = run_triage(alert=scen / "alerts", output_dir=root / f"{scenario}-{seed}", config=cfg)
            runs.append(list(read_trace(res.output_dir / "trace.jsonl")))
    return runs


def test_forgetting_a_rejection_is_labelled_loss_of_history_and_ignored_input(forgets_runs):
    injected = [r for r in forgets_runs if any(e["type"] == "injected_failure" and e["mast"] == "1.4" for e in r)]
    assert injected, "the crafted condition: the forgets profile re-proposed a rejected entity"
    table = validate(forgets_runs)
    forgot = table.row("1.4")
    assert forgot.tp == len(injected) and forgot.fn == 0 and forgot.fp == 0
    # the gold set labels a re-proposal of a verifier-rejected entity both 1.4 (the drop was
    # forgotten) and 2.5 (the verifier's verdict was disregarded): 2.5 fires on exactly the runs
    # where the profile forgot a verifier rejection, and on no other run
    ignored = [r for r in forgets_runs if StructuralAnnotator().annotate(r).labels["2.5"] == 1]
    assert {id(r) for r in ignored} == {id(r) for r in injected}


def test_a_derailed_planner_is_labelled_derailment(forgets_runs):
    row = validate(forgets_runs).row("2.3")
    assert row.tp >= 1 and row.fp == 0
