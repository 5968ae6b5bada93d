"""The eval suite runner on tiny hand-made scenario folders with stand-in triage functions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sre_agent.eval.suite import bootstrap_mean, find_scenarios, print_table, run_suite, summarize

GT_RIGHT = """apiVersion: itbench.io/v1
kind: GroundTruth
spec:
  id: '{n}'
  groups:
  - {{id: cm, kind: ConfigMap, namespace: otel-demo, name: flagd-config, root_cause: true}}
  - {{id: cart, kind: Service, namespace: otel-demo, filter: ['cart\\b']}}
  propagations:
  - {{source: cm, target: cart, condition: c, effect: e}}
"""


def make_scenario(root: Path, name: str, *, gt: bool = True, root_dumps: bool = False) -> Path:
    d = root / name
    if root_dumps:
        d.mkdir(parents=True)
        (d / "alerts_in_alerting_state_2025-01-01T10-00-00.000000Z.json").write_text('{"data": {"alerts": []}}')
    else:
        (d / "alerts").mkdir(parents=True)
        (d / "alerts" / "alerts_at_2025-01-01T10-00-00.000000.json").write_text("[]")
    (d / "metrics").mkdir()
    if gt:
        (d / "ground_truth.yaml").write_text(GT_RIGHT.format(n=name))
    return d


# -- stand-in triage functions (module level: picklable for the process pool) --------------------

def triage_by_name(alert, snapshot, output_dir, config_args, seed):
    """Right answer on scenarios whose name ends in an even number, wrong otherwise; fails on 'bad'."""
    name = Path(snapshot).name
    if "bad" in name:
        raise RuntimeError("snapshot unreadable\nsecond line never shown")
    assert Path(alert).name in ("alerts",) or Path(alert).name.startswith("alerts_")
    right = int(name.rsplit("-", 1)[-1]) % 2 == 0 if name[-1].isdigit() else False
    root = "otel-demo/ConfigMap/flagd-config" if right else "otel-demo/Service/cart"
    out = {"entities": [{"id": root, "contributing_factor": True}],
           "propagations": [{"source": "otel-demo/ConfigMap/flagd-config", "target": "otel-demo/Service/cart"}],
           "alerts_explained": []}
    (Path(output_dir) / "agent_output.json").write_text(json.dumps(out))
    return {"agent_output": out, "stats": {"wall_s": 0.01, "max_context_tokens": 100 + seed,
                                           "model": config_args.get("model")}}


def triage_malformed(alert, snapshot, output_dir, config_args, seed):
    return {"agent_output": {"entities": "nope"}, "stats": {}}


# -- tests ------------------------------------------------------------------------------------------

def test_find_scenarios_natural_order_nested_and_root(tmp_path):
    base = tmp_path / "snapshots" / "sre" / "v0.2-X"
    for n in ("Scenario-10", "Scenario-2", "Scenario-1"):
        make_scenario(base, n)
    make_scenario(base, "Scenario-3", gt=False, root_dumps=True)
    (base / "README").mkdir()
    found = find_scenarios(tmp_path)
    assert [p.name for p in found] == ["Scenario-1", "Scenario-2", "Scenario-3", "Scenario-10"]
    assert find_scenarios(base / "Scenario-2") == [base / "Scenario-2"]
    assert find_scenarios(tmp_path / "missing") == []


def test_run_suite_scores_reports_failures_and_is_sorted(tmp_path):
    for n in ("Scenario-2", "Scenario-3", "Scenario-4", "Scenario-bad"):
        make_scenario(tmp_path / "sc", n)
    make_scenario(tmp_path / "sc", "Scenario-6", gt=False)
    scenarios = find_scenarios(tmp_path / "sc")
    res = run_suite(scenarios, config_args={"model": "clean"}, seeds=2, jobs=2, out_dir=tmp_path / "out",
                    triage_fn=triage_by_name, progress=False)
    assert [(r.scenario, r.seed) for r in res.runs] == [
        (s, k) for s in ("Scenario-2", "Scenario-3", "Scenario-4", "Scenario-6", "Scenario-bad") for k in (0, 1)]
    by = {(r.scenario, r.seed): r for r in res.runs}
    assert by[("Scenario-2", 0)].metric("recall") == 1.0
    assert by[("Scenario-3", 1)].metric("recall") == 0.0
    assert by[("Scenario-2", 1)].stats["max_context_tokens"] == 101
    assert by[("Scenario-2", 0)].stats["model"] == "clean"
    assert not by[("Scenario-6", 0)].scored and by[("Scenario-6", 0)].ok
    bad = by[("Scenario-bad", 0)]
    assert not bad.ok and bad.error == "triage: RuntimeError: snapshot unreadable"
    assert bad.scored and bad.metric("recall") == 0.0          # a failure counts as the empty answer
    assert (tmp_path / "out" / "Scenario-2" / "seed-1" / "score.json").is_file()
    # scenarios 2, 4 right, 3 and bad wrong -> mean recall 0.5 over 4 scored scenarios
    assert res.summary["recall"].mean == 0.5 and res.summary["recall"].n == 4
    assert res.summary["propagation_recall"].mean == 0.75
    assert res.summary["itbench_aa"].mean == 0.5          # one entity each: 1 where right, 0 where wrong
    assert by[("Scenario-2", 0)].itbench["itbench_aa"] == 1.0 and by[("Scenario-3", 0)].itbench["itbench_aa"] == 0.0
    assert len(res.failures) == 2
    out = tmp_path / "suite.json"
    res.write_json(out)
    data = json.loads(out.read_text())
    assert data["summary"]["recall"]["mean"] == 0.5 and len(data["runs"]) == 10
    assert data["failures"][0]["error"].startswith("triage: RuntimeError")


def test_malformed_answer_is_reported(tmp_path):
    scenarios = [make_scenario(tmp_path, "Scenario-2")]
    res = run_suite(scenarios, seeds=1, jobs=1, out_dir=tmp_path / "o", triage_fn=triage_malformed, progress=False)
    (r,) = res.runs
    assert not r.ok and r.error.startswith("answer: AgentOutputError") and r.metric("recall") == 0.0


def test_bootstrap_is_deterministic_and_summary_averages_seeds_first(tmp_path):
    vals = [0.0, 1.0, 1.0, 0.5, 0.25]
    assert bootstrap_mean(vals) == bootstrap_mean(vals)
    iv = bootstrap_mean(vals)
    assert iv.low <= iv.mean <= iv.high and iv.n == 5
    from sre_agent.eval.suite import RunResult
    runs = [RunResult("a", 0, "", "", True, scored=True, score={"recall": 1.0}),
            RunResult("a", 1, "", "", True, scored=True, score={"recall": 0.0}),
            RunResult("b", 0, "", "", True, scored=True, score={"recall": 1.0})]
    assert summarize(runs)["recall"].mean == 0.75


def test_print_table_renders(tmp_path):
    from rich.console import Console
    scenarios = [make_scenario(tmp_path, "Scenario-2"), make_scenario(tmp_path, "Scenario-bad")]
    res = run_suite(scenarios, seeds=1, jobs=2, out_dir=tmp_path / "o", triage_fn=triage_by_name, progress=False)
    console = Console(record=True, width=160)
    print_table(res, console)
    text = console.export_text()
    assert "Scenario-2" in text and "RuntimeError" in text and "recall" in text


def test_bad_seed_count(tmp_path):
    with pytest.raises(ValueError):
        run_suite([], seeds=0, out_dir=tmp_path, progress=False)
