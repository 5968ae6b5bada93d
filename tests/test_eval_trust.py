"""``python -m sre_agent.eval.trust`` pools eval results: recall and ITBench-AA as eval scored
them, the top cause's confidence against the ground truth, and the verdict audit of the traces —
the figures issue 20's closing note quotes.  A silent override planted in a trace shows in the
audit column; a missing file is one error line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from robust_helpers import run_cli, simulated
from sre_agent.eval.trust import figures, main


def test_trust_pools_eval_results_and_audits_their_traces(tmp_path: Path, capsys) -> None:
    scen = tmp_path / "scen"
    scen.mkdir()
    shutil.copytree(simulated("Scenario-2"), scen / "Scenario-2")
    out, result = tmp_path / "runs", tmp_path / "r.json"
    proc = run_cli("eval", "--scenarios", scen, "--jobs", "1", "--no-progress", "--out", out, "--json", result, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(result.read_text())
    run = data["runs"][0]
    fig = figures([result, result])
    pooled, one = fig["pooled"], fig["files"]["r.json"]
    assert pooled["runs"] == 2 and one["runs"] == 1
    assert one["recall"] == run["score"]["recall"] and one["itbench_aa"] == run["score"]["itbench_aa"]
    assert one["confidence"]["n"] == 1 and one["audit"]["silent_overrides"] == 0
    assert one["audit"]["confirmations"] >= 1 and one["audit"]["uncited_confirmations"] == 0  # checks cite their calls
    # plant an override: the verifier failed a check, a later confirmation of the same entity, no dispute
    trace = Path(run["output_dir"]) / "trace.jsonl"
    events = [json.loads(x) for x in trace.read_text().splitlines()]
    confirmed = next(e for e in events if e["type"] == "verification" and e["verdict"] == "confirmed")
    seq = max(e["seq"] for e in events) + 1
    answer = {"verdicts": [{"entity": confirmed["entity"], "verdict": "rejected",
                            "checks": [{"check": "upstream_of_alerts", "passed": False}]}]}
    events.insert(events.index(confirmed), {"seq": confirmed["seq"] - 0.5, "type": "model_call", "agent": "verifier",
                                            "output": "VERDICTS " + json.dumps(answer)})
    events.append({**confirmed, "seq": seq})
    trace.write_text("".join(json.dumps(e) + "\n" for e in events))
    assert figures([result])["pooled"]["audit"]["silent_overrides"] >= 1
    assert main([str(result)]) == 0 and "| pooled | 1 |" in capsys.readouterr().out
    assert main([str(tmp_path / "absent.json")]) == 2
    assert "no such file" in capsys.readouterr().err
