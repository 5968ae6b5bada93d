"""``eval --scenarios DIR`` finds scenario folders at any depth (the dataset nests them as
``snapshots/sre/v0.2-<id>/Scenario-N/``) and scores them exactly as the same folders laid flat."""

from __future__ import annotations

import json
import shutil

import pytest

from scenarios import simulated
from sre_agent.cli import main
from sre_agent.eval.suite import find_scenarios, scenario_names

SRE = "snapshots/sre/v0.2-B96DF826-4BB2-4B62-97AB-6D84254C53D7"
NAMES = ("Scenario-2", "Scenario-5")


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """The same simulated scenarios twice: flat, and nested like a ``dataset fetch --dest`` download
    (with its ``.cache/`` bookkeeping, which mirrors the paths, and files of other kinds)."""
    base = tmp_path_factory.mktemp("nested")
    flat, nested = base / "flat", base / "nested"
    for name in NAMES:
        src = simulated(base / "sim", name, seed=0, scale=0.05)
        shutil.copytree(src, flat / name)
        shutil.copytree(src, nested / SRE / name)
    mirror = nested / ".cache" / "huggingface" / "download" / SRE / "Scenario-2" / "alerts"
    mirror.mkdir(parents=True)
    (mirror / "alerts_at_2025-01-01T00-00-00.000000.json.metadata").write_text("d0916b08\n")
    (nested / "snapshots" / "finops" / "v0.1" / "Scenario-1").mkdir(parents=True)
    (nested / "snapshots" / "finops" / "v0.1" / "Scenario-1" / "notes.txt").write_text("not an SRE scenario\n")
    (nested / "README.md").write_text("# ITBench-Lite\n")
    return flat, nested


def _eval(root, tmp_path, tag):
    out = tmp_path / f"{tag}.json"
    rc = main(["eval", "--scenarios", str(root), "--jobs", "1", "--out", str(tmp_path / f"runs-{tag}"),
               "--json", str(out), "--no-progress"])
    assert rc == 0
    return json.loads(out.read_text())


def test_eval_on_a_nested_tree_scores_like_the_flat_folders(trees, tmp_path, capsys):
    flat, nested = trees
    assert [p.relative_to(nested).as_posix() for p in find_scenarios(nested)] == [f"{SRE}/{n}" for n in NAMES]
    a, b = _eval(flat, tmp_path, "flat"), _eval(nested, tmp_path, "nested")

    def scores(data):
        return [(r["scenario"], r["seed"], r["ok"], r["scored"], r["score"]) for r in data["runs"]]

    assert [s[0] for s in scores(b)] == list(NAMES)  # readable ids, not paths
    assert all(ok and scored for _n, _s, ok, scored, _sc in scores(b))
    assert scores(a) == scores(b)
    assert a["summary"] == b["summary"]
    assert (tmp_path / "runs-nested" / "Scenario-5" / "seed-0" / "agent_output.json").is_file()
    assert "Scenario-5" in capsys.readouterr().out


def test_discovery_uses_the_loaders_notion_and_names_only_colliding_folders_by_path(tmp_path):
    for version in ("v0.2-A", "v0.2-B"):
        (tmp_path / "sre" / version / "Scenario-2" / "alerts").mkdir(parents=True)
    (tmp_path / "sre" / "v0.2-B" / "Scenario-10").mkdir()
    (tmp_path / "sre" / "v0.2-B" / "Scenario-10" / "k8s_events_raw.tsv").write_text("Timestamp\tBody\n")
    (tmp_path / "sre" / "v0.2-B" / "Scenario-11").mkdir()  # the data is missing: still a scenario, scored as a miss
    (tmp_path / "sre" / "v0.2-B" / "Scenario-11" / "ground_truth.yaml").write_text("groups: []\n")
    (tmp_path / "sre" / "v0.2-B" / "notes").mkdir()
    (tmp_path / "sre" / "v0.2-B" / "notes" / "alerts_at_2025-01-01T00-00-00.000000.json.txt").write_text("[]")
    found = find_scenarios(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "sre/v0.2-A/Scenario-2", "sre/v0.2-B/Scenario-2", "sre/v0.2-B/Scenario-10", "sre/v0.2-B/Scenario-11"]
    assert scenario_names(found) == ["v0.2-A/Scenario-2", "v0.2-B/Scenario-2", "Scenario-10", "Scenario-11"]
