"""ITBench-Evaluations' metrics and result file (sre_agent.eval.itbench), and the LLM judge of
root-cause reasoning (sre_agent.eval.judge) through a replay model profile."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from data_paths import GROUND_TRUTHS, PROJECT_ROOT
from scenarios import simulated
from sre_agent.eval.itbench import propagation_chain, statistics, trial_scores
from sre_agent.eval.judge import ground_truth_condition, parse_grade
from sre_agent.eval.scoring import GroundTruth, load_ground_truth, score

GT = GroundTruth.model_validate({
    "groups": [
        {"id": "flag", "kind": "ConfigMap", "namespace": "d", "name": "flags", "root_cause": True},
        {"id": "hpa", "kind": "HorizontalPodAutoscaler", "namespace": "d", "name": "ad", "root_cause": True},
        {"id": "cart-svc", "kind": "Service", "namespace": "d", "filter": ["cart\\b"]},
        {"id": "cart-pod", "kind": "Pod", "namespace": "d", "filter": ["cart-.*"]},
        {"id": "fe", "kind": "Service", "namespace": "d", "filter": ["frontend\\b"]},
        {"id": "proxy", "kind": "Service", "namespace": "d", "filter": ["proxy\\b"]},
    ],
    "aliases": [["cart-svc", "cart-pod"]],
    "propagations": [{"source": "flag", "target": "cart-pod", "condition": "flag X on makes cart fail"},
                     {"source": "cart-svc", "target": "fe"}, {"source": "fe", "target": "proxy"}],
    "fault": [{"condition": "cartFailure flag set", "entity": {"group_id": "flag"}}],
})


def _answer(entities: list[str], edges: list[tuple[str, str]]) -> dict:
    return {"entities": [{"id": e, "contributing_factor": True, "reasoning": f"because {e}"} for e in entities],
            "propagations": [{"source": s, "target": t} for s, t in edges], "alerts_explained": []}


def test_entity_at_k_counts_only_the_first_k_predictions() -> None:
    out = _answer(["d/Service/frontend", "d/ConfigMap/flags", "d/Deployment/x", "d/HorizontalPodAutoscaler/ad"], [])
    m = trial_scores(score(out, GT), out, GT)
    assert m["root_cause_entity"]["calculation_recall"] == 1.0
    assert m["root_cause_entity"]["calculation_precision"] == 0.5
    at = {k: m[f"root_cause_entity_k@{k}"] for k in range(1, 6)}
    assert (at[1]["calculation_recall"], at[1]["calculation_precision"]) == (0.0, 0.0)
    assert (at[2]["calculation_recall"], at[2]["calculation_precision"]) == (0.5, 0.5)
    assert (at[3]["calculation_recall"], at[3]["calculation_precision"]) == (0.5, pytest.approx(1 / 3))
    assert (at[4]["calculation_recall"], at[4]["calculation_precision"]) == (1.0, 0.5)
    assert at[5] == at[4]  # only four predictions: k = 5 sees the same ones
    assert m["root_cause_entity_k"] == at[3]  # the evaluator's default k
    assert at[4]["calculation_f1"] == pytest.approx(2 * 0.5 * 1.0 / 1.5)
    assert [p["matches_gt"] for p in m["root_cause_entity"]["predicted_entities"]] == [False, True, False, True]


def test_propagation_chain_is_the_lcs_of_contracted_paths() -> None:
    # ground-truth path: flag -> cart -> fe -> proxy (4 components, cart pod and service are one)
    full = _answer([], [("d/ConfigMap/flags", "d/Pod/cart-1"), ("d/Service/cart", "d/Service/frontend"),
                        ("d/Service/frontend", "d/Service/proxy")])
    m = propagation_chain(full, GT)
    assert m["details"]["contracted_gt_path"] == ["flag", "cart-svc", "fe", "proxy"]
    assert m["calculation"] == 1.0
    # a chain that skips the frontend and adds an unknown hop (dropped: it matches no component)
    partial = _answer([], [("d/ConfigMap/flags", "d/Service/cart"), ("d/Service/cart", "d/Service/proxy"),
                           ("d/Service/proxy", "d/Service/unknown")])
    m = propagation_chain(partial, GT)
    assert m["details"]["contracted_model_path"] == ["flag", "cart-svc", "proxy"]
    assert m["details"]["true_positives_TP"] == 3
    assert (m["precision"], m["recall"]) == (1.0, 0.75)
    assert m["calculation"] == pytest.approx(2 * 0.75 / 1.75)
    assert propagation_chain(_answer([], []), GT)["calculation"] == 0.0
    no_edges = GroundTruth.model_validate({"groups": [{"id": "a", "kind": "Pod", "name": "a", "root_cause": True}]})
    assert propagation_chain(full, no_edges)["calculation"] is None


def test_statistics_follow_the_evaluators_aggregator() -> None:
    def trial(incident: str, recall: float) -> dict:
        return {"incident_id": incident, "trial_id": "1",
                "scores": {"root_cause_entity": {"calculation_precision": recall, "calculation_recall": recall,
                                                 "calculation_f1": recall}}}

    raw = [trial("1", 1.0), trial("1", 0.0), trial("1", 1.0), trial("2", 0.5)]
    st = statistics(raw)
    one = st["per_incident"]["1"]["root_cause_entity_recall"]
    assert one["mean"] == pytest.approx(2 / 3) and one["n"] == 3
    assert one["stderr"] == pytest.approx(math.sqrt(2 / 9) / math.sqrt(3))  # population std / sqrt(n)
    assert one["pass@1"] == pytest.approx(2 / 3)
    overall = st["overall"]["root_cause_entity_recall"]
    means = [2 / 3, 0.5]
    assert overall["mean"] == pytest.approx(sum(means) / 2) and overall["n_incidents"] == 2
    assert overall["stderr"] == pytest.approx(math.sqrt(((means[0] - means[1]) ** 2) / 2) / math.sqrt(2))
    assert overall["pass@1"] == pytest.approx((2 / 3 + 0.0) / 2)
    assert overall["ci95"][0] <= overall["mean"] <= overall["ci95"][1]


def test_judge_grades_parse_strictly_and_conditions_come_from_the_fault() -> None:
    assert parse_grade("score: 1") == 1.0 and parse_grade("score: 0.5\nok") == 0.5
    assert parse_grade("score: 1\nscore: 0") is None and parse_grade("I think 1") is None
    assert ground_truth_condition(GT, ["flag"]) == "cartFailure flag set"
    assert ground_truth_condition(GT, ["cart-svc", "cart-pod"]) == ""


def _eval(scen: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sre_agent", "eval", "--scenarios", str(scen), "--jobs", "1",
                           "--no-progress", "--out", str(out), *extra],
                          capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=600)


@pytest.fixture(scope="module")
def two_scenarios(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("itb")
    for name in ("Scenario-27", "Scenario-2"):
        src = simulated(root / "build", name, 0)
        (root / "flat").mkdir(exist_ok=True)
        (root / "flat" / name).symlink_to(src, target_is_directory=True)
    return root / "flat"


def test_eval_format_itbench_writes_the_evaluators_shape(two_scenarios: Path, tmp_path: Path) -> None:
    res = _eval(two_scenarios, tmp_path / "runs", "--format", "itbench", "--json", str(tmp_path / "ev.json"))
    assert res.returncode == 0, res.stderr
    assert "ITBench-Evaluations metrics" in res.stdout and "root_cause_entity_k@1_recall" in res.stdout
    doc = json.loads((tmp_path / "ev.json").read_text())
    assert set(doc) == {"raw_results", "statistics", "config"}
    assert {r["incident_id"] for r in doc["raw_results"]} == {"Scenario-27", "Scenario-2"}
    for r in doc["raw_results"]:
        answer = json.loads((tmp_path / "runs" / r["incident_id"] / "seed-0" / "agent_output.json").read_text())
        gt = load_ground_truth(GROUND_TRUTHS / f"{r['incident_id']}.yaml")
        s = score(answer, gt)
        assert r["scores"]["root_cause_entity"]["calculation_recall"] == s.recall
        assert r["scores"]["root_cause_entity_k@1"]["calculation_recall"] == s.recall_at(1)
    overall = doc["statistics"]["overall"]
    expected = sum(r["scores"]["root_cause_entity"]["calculation_recall"] for r in doc["raw_results"]) / 2
    assert overall["root_cause_entity_recall"]["mean"] == pytest.approx(expected)
    assert "root_cause_reasoning" not in overall  # no judge asked for


@pytest.mark.parametrize("answer, grade", [("score: 0.5", 0.5), ("the reasoning looks fine", None)])
def test_eval_judge_llm_through_a_replay_profile(two_scenarios: Path, tmp_path: Path, answer: str,
                                                 grade: float | None) -> None:
    (tmp_path / "models").mkdir()
    replay = tmp_path / "answers.json"
    # each run asks a fresh client, so every run gets the first recorded answer
    replay.write_text(json.dumps({"answers": [answer, "score: 0"]}))
    (tmp_path / "models" / "judge.yaml").write_text(f"kind: replay\nreplay_file: {replay}\n")
    (tmp_path / "run.yaml").write_text("{}\n")
    res = _eval(two_scenarios, tmp_path / "runs", "--config", str(tmp_path / "run.yaml"), "--judge", "llm",
                "--judge-model", "judge", "--format", "itbench")
    assert res.returncode == 0, res.stderr
    doc = json.loads((tmp_path / "runs" / "evaluation_results.json").read_text())
    for r in doc["raw_results"]:
        reasoning = r["scores"]["root_cause_reasoning"]
        assert r["scores"]["root_cause_entity"]["calculation_recall"] == 1.0
        assert reasoning["calculation"] == grade
        details = list(reasoning["details"].values())
        assert details and all(d["gt_condition"] and d["grade"] == grade for d in details)
        assert all(("note" in d) == (grade is None) for d in details)
    overall = doc["statistics"]["overall"]
    if grade is None:
        assert "root_cause_reasoning" not in overall  # undetermined, never counted as 0
    else:
        assert overall["root_cause_reasoning"]["mean"] == grade


def test_eval_judge_needs_a_profile(two_scenarios: Path, tmp_path: Path) -> None:
    res = _eval(two_scenarios, tmp_path / "runs", "--judge", "llm")
    assert res.returncode == 2 and "--judge-model" in res.stderr and "Traceback" not in res.stderr
