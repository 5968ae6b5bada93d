"""``sre-agent eval`` and ``sre-agent bench``: input errors, and one real offline run end to end."""

from __future__ import annotations

import json

import pytest

from fixtures_itbench import write_scenario
from sre_agent.cli import main

GT = "groups:\n- {id: co, kind: Deployment, namespace: otel-demo, filter: ['checkout-.*'], root_cause: true}\n"


@pytest.mark.parametrize("command", ["eval", "bench"])
def test_missing_and_empty_folders_are_input_errors(command, tmp_path, capsys):
    assert main([command, "--scenarios", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main([command, "--scenarios", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no scenario folder found" in err and len(err.strip().splitlines()) == 1
    assert main([command, "--scenarios", str(tmp_path), "--jobs", "0"]) == 2


def test_eval_bad_seeds_and_model(tmp_path, capsys):
    write_scenario(tmp_path / "sc")
    assert main(["eval", "--scenarios", str(tmp_path / "sc"), "--seeds", "0"]) == 2
    assert main(["eval", "--scenarios", str(tmp_path / "sc"), "--model", "no-such-profile"]) == 2
    assert "no-such-profile" in capsys.readouterr().err


def test_eval_and_bench_run_the_offline_agent(tmp_path, capsys):
    d = write_scenario(tmp_path / "sc")
    (d / "ground_truth.yaml").write_text(GT)
    out_json = tmp_path / "eval.json"
    rc = main(["eval", "--scenarios", str(tmp_path / "sc"), "--jobs", "1", "--out", str(tmp_path / "runs"),
               "--json", str(out_json), "--no-progress"])
    assert rc == 0, capsys.readouterr().err
    data = json.loads(out_json.read_text())
    (run,) = data["runs"]
    assert run["ok"], run["error"]
    assert run["scored"] and 0.0 <= run["score"]["recall"] <= 1.0
    assert (tmp_path / "runs" / "Scenario-1" / "seed-0" / "agent_output.json").is_file()
    assert "recall" in capsys.readouterr().out

    bench_json = tmp_path / "bench.json"
    assert main(["bench", "--scenarios", str(tmp_path / "sc"), "--jobs", "1", "--out", str(tmp_path / "b"),
                 "--json", str(bench_json), "--no-progress"]) == 0
    b = json.loads(bench_json.read_text())
    assert b["runs"] == 1 and b["failed"] == 0
    assert b["median_triage_s"] > 0 and b["peak_rss_mib"] > 0 and b["max_context_tokens"] > 0
    assert set(b["pass"]) == {"median_triage_s", "suite_s", "max_context_tokens"}
    assert "median wall time per triage" in capsys.readouterr().out
