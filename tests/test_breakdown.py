"""Recall by suite and mechanism (``python -m sre_agent.eval.breakdown``) from ``eval --json`` files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from data_paths import GROUND_TRUTHS
from sre_agent.eval.breakdown import load_rows, main


def _result(tmp: Path, name: str, recalls: dict[str, float]) -> Path:
    runs = []
    for scen, recall in recalls.items():
        folder = tmp / name / scen
        folder.mkdir(parents=True)
        shutil.copyfile(GROUND_TRUTHS / f"{scen}.yaml", folder / "ground_truth.yaml")
        runs.append({"scenario": scen, "path": str(folder), "scored": True, "seed": 0,
                     "score": {"recall": recall, "n_predicted": 0 if recall == 0 else 1}})
    runs.append({"scenario": "Scenario-x", "path": str(tmp / "none"), "scored": False, "score": None})
    out = tmp / f"{name}.json"
    out.write_text(json.dumps({"runs": runs}))
    return out


def test_rows_carry_the_ground_truths_mechanism_and_root_cause_kinds(tmp_path: Path) -> None:
    path = _result(tmp_path, "hard3", {"Scenario-80": 0.0, "Scenario-38": 2 / 3})
    rows = {r.scenario: r for r in load_rows(path)}
    assert set(rows) == {"Scenario-80", "Scenario-38"}  # the unscored run is left out
    assert (rows["Scenario-80"].mechanism, rows["Scenario-80"].kind) == ("network_partition", "NetworkChaos")
    assert rows["Scenario-38"].kind == "HorizontalPodAutoscaler" and rows["Scenario-38"].suite == "hard3"


def test_tables_list_each_suite_its_misses_and_mechanisms(tmp_path: Path, capsys) -> None:
    a = _result(tmp_path, "normal3", {"Scenario-80": 1.0, "Scenario-2": 1.0})
    b = _result(tmp_path, "hard3", {"Scenario-80": 0.0, "Scenario-2": 1.0})
    assert main([str(a), str(b), "--json", str(tmp_path / "b.json")]) == 0
    out = capsys.readouterr().out
    assert "normal3" in out and "hard3" in out and "network_partition" in out
    hard_line = next(line for line in out.splitlines() if line.startswith("│ hard3"))
    assert "0.500" in hard_line and " 80 " in hard_line and hard_line.rstrip("│ ").endswith("1")  # one empty answer
    saved = json.loads((tmp_path / "b.json").read_text())
    assert saved["means"] == {"normal3": 1.0, "hard3": 0.5} and len(saved["rows"]) == 4


def test_unreadable_input_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main([str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("breakdown: error:")
