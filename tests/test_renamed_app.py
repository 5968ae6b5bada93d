"""Any application: the same incidents with every service and the namespace renamed (the
transform in sre_agent.eval.rename) must give the same recall (within 0.02).

The reasoner knows no application by name (issue 11, "Any application"): the call graph comes
from traces, ownership from objects, flag targets from the flag definitions and the services
seen evaluating them.  The scenarios cover two flag faults (cartFailure; imageSlowLoad, evaluated
by the proxy), a spec change, a chaos experiment, a port misconfiguration and an HPA change."""

from __future__ import annotations

from pathlib import Path


from data_paths import GROUND_TRUTHS
from sre_agent.eval.rename import main, rename_scenario, rewrite
from sre_agent.eval.scoring import load_ground_truth, score
from sre_agent.runner import run_triage
from sre_agent.simulator import simulate

SCENARIOS = ["Scenario-2", "Scenario-9", "Scenario-24", "Scenario-27", "Scenario-30", "Scenario-38"]


def _recall(folder: Path, out: Path) -> float:
    result = run_triage(alert=folder / "alerts", output_dir=out)
    return score(result.agent_output, load_ground_truth(folder / "ground_truth.yaml")).recall


def test_the_transform_leaves_no_old_name_behind(tmp_path: Path) -> None:
    src = simulate(GROUND_TRUTHS / "Scenario-2.yaml", tmp_path / "sim", seed=0, scale=0.12)
    mapping = rename_scenario(src, tmp_path / "renamed" / src.name)
    assert "otel-demo" in mapping and "cart" in mapping and len(set(mapping.values())) == len(mapping)
    text = (tmp_path / "renamed" / src.name / "k8s_objects_raw.tsv").read_text()
    assert rewrite(text, mapping) == text  # nothing left to rename: every old name is gone
    assert '"otel-demo"' not in text and "/cart-" not in text


def test_the_rename_command_renames_every_scenario_folder_and_refuses_bad_input(tmp_path: Path, capsys) -> None:
    src = simulate(GROUND_TRUTHS / "Scenario-24.yaml", tmp_path / "sim" / "suite", seed=0, scale=0.12)
    assert main([str(tmp_path / "sim"), str(tmp_path / "out"), "--salt", "s1"]) == 0
    renamed = tmp_path / "out" / "suite" / src.name
    assert (renamed / "ground_truth.yaml").is_file() and "checkout" not in (renamed / "ground_truth.yaml").read_text()
    assert main([str(tmp_path / "missing"), str(tmp_path / "o2")]) == 2
    assert main([str(tmp_path / "sim"), str(tmp_path / "sim" / "inside")]) == 2
    assert main([str(tmp_path / "out" / "suite" / src.name / "metrics"), str(tmp_path / "o3")]) == 2  # no scenario there
    err = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(err) == 3 and all(line.startswith("rename: error:") for line in err)


def test_renamed_application_gives_the_same_recall(tmp_path: Path) -> None:
    base = tmp_path
    original, renamed = [], []
    for name in SCENARIOS:
        src = simulate(GROUND_TRUTHS / f"{name}.yaml", base / "sim", seed=0, scale=0.12)
        dst = base / "renamed" / name
        rename_scenario(src, dst)
        original.append(_recall(src, base / "run" / name))
        renamed.append(_recall(dst, base / "run-renamed" / name))
    assert abs(sum(original) / len(original) - sum(renamed) / len(renamed)) <= 0.02, (original, renamed)
    assert sum(original) / len(original) >= 0.8, original  # the same, and not the same failure
