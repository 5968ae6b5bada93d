"""``sre-agent dataset check`` / ``list``: the loader's verdict per scenario folder, in process."""

from __future__ import annotations

import shutil

from scenarios import simulated
from sre_agent.cli import main
from sre_agent.dataset import check_scenario


def test_check_names_missing_and_damaged_parts_only_when_asked_to_parse(tmp_path, capsys):
    src = simulated(tmp_path / "sim", "Scenario-2", seed=0, scale=0.05)
    root = tmp_path / "snapshots" / "sre" / "v0.2-X"
    good, bad = shutil.copytree(src, root / "Scenario-2"), shutil.copytree(src, root / "Scenario-3")
    with open(bad / "k8s_events_raw.tsv", "a", encoding="utf-8") as fh:
        fh.write("not-a-time\t{not json\n")
    (bad / "otel_traces_raw.tsv").unlink()
    (bad / "ground_truth.yaml").write_text("groups: [unclosed\n")

    c = check_scenario(good)
    assert c.complete and c.alert_dumps > 0 and c.alerts_firing > 0 and c.metric_files > 0
    assert c.ground_truth == "yes" and all(size for size in c.sources.values())
    shallow, deep = check_scenario(bad), check_scenario(bad, deep=True)
    assert shallow.lacks == ["traces", "ground truth"] and shallow.ground_truth.startswith("unreadable")
    assert shallow.damaged == []  # nothing parsed but the alert dumps
    assert [p.source for p in deep.damaged] == ["k8s_events_raw.tsv"]

    assert main(["dataset", "check", str(tmp_path / "snapshots"), "--deep"]) == 0
    out, err = capsys.readouterr()
    rows = {name: [ln for ln in out.splitlines() if f" {name} " in ln] for name in ("Scenario-2", "Scenario-3")}
    assert "complete" in rows["Scenario-2"][0]
    assert "lacks traces, ground truth" in rows["Scenario-3"][0] and "unreadable" in rows["Scenario-3"][0]
    assert "k8s_events_raw.tsv" in out
    assert "2 scenario folder(s)" in err and "1 complete" in err


def test_check_and_list_input_errors(tmp_path, capsys):
    assert main(["dataset", "check", str(tmp_path / "missing")]) == 2
    assert main(["dataset", "check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no such folder" in err and "no scenario folder found" in err
    assert main(["dataset", "fetch", "no-such-dataset"]) == 2
    assert "known datasets are itbench-lite" in capsys.readouterr().err
    assert main(["dataset", "list"]) == 0
    assert "ibm-research/ITBench-Lite@d0916b08ba421ce5e672e9ad68aa947d938dfef0" in capsys.readouterr().out
