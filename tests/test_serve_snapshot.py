"""serve --snapshot: an alert stamped now (months after the recording) gets the recorded root cause
and a plain "outside the recording" statement in report.md and the serve log; a --snapshot that is
not a scenario folder is refused at start-up, as triage refuses it."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from robust_helpers import assert_input_error, run_main, simulated
from serve_helpers import ServeProcess, alert, session, webhook
from sre_agent.runner import run_triage


def _roots(agent_output: dict) -> list[str]:
    return [e["id"] for e in agent_output["entities"] if e["contributing_factor"]]


def test_an_alert_stamped_now_gets_the_recorded_root_cause_and_says_it_lies_outside(tmp_path: Path) -> None:
    scenario = simulated()
    recorded = run_triage(alert=scenario / "alerts", output_dir=tmp_path / "recorded")
    steps = [ln for ln in recorded.report_md.split("## Next steps")[1].splitlines() if ln.startswith("- `")]
    assert steps and all("(" not in ln.split("`")[1] for ln in steps), steps  # a code span pastes into a shell
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = webhook(("cart", "frontend"))
    for item in payload["alerts"]:
        item["startsAt"] = now
    proc = ServeProcess("--snapshot", scenario, "--out", tmp_path / "runs", "--no-auth", log=tmp_path / "serve.log")
    try:
        proc.wait_up()
        with session() as s:
            posted = s.post(proc.url + "/", json=payload, timeout=5)
            assert posted.status_code == 202, posted.text
            folder = tmp_path / "runs" / posted.json()["id"]
            deadline = time.monotonic() + 120
            while not (folder / "status.json").exists():
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
    finally:
        proc.signal(15)
        proc.wait(30)
        proc.stop()
    assert json.loads((folder / "status.json").read_text())["state"] == "done"
    report = (folder / "report.md").read_text()
    statement = report.split("\n")[2]
    assert statement.startswith("> **Outside the recording: 2 alerts (RequestErrorRate) are stamped " + now[:10])
    assert "days after the recording" in statement and "anchored on its own alerts" in statement
    assert "before the incident's onset" not in report  # the recorded changes are not measured against "now"
    served = json.loads((folder / "agent_output.json").read_text())
    assert _roots(served) and _roots(served)[0] == _roots(recorded.agent_output)[0]
    log = (tmp_path / "serve.log").read_text()
    assert "Outside the recording" in log and "WARNING" in log


def test_an_alert_inside_the_recording_is_left_alone(tmp_path: Path) -> None:
    from sre_agent.alerts import load_alert_input
    from sre_agent.snapshot import SnapshotBackend
    from sre_agent.snapshot.anchor import anchor_alerts

    (tmp_path / "alerts.json").write_text(json.dumps(webhook(("cart",))))  # STARTS_AT lies in the recording
    alerts = list(load_alert_input(tmp_path / "alerts.json").alerts)
    anchored, note = anchor_alerts(alerts, SnapshotBackend(simulated()))
    assert note is None and anchored == alerts


@pytest.mark.parametrize("which, expect", [
    ("alerts", "the alerts/ folder of a scenario: give the scenario folder"),
    ("parent", "not an ITBench-Lite scenario folder"),
])
def test_a_snapshot_that_is_not_a_scenario_folder_is_refused_at_start(tmp_path: Path, which: str, expect: str) -> None:
    path = simulated() / "alerts" if which == "alerts" else simulated().parent.parent
    proc = run_main("serve", "--port", "0", "--snapshot", path, "--no-auth", "--out", tmp_path / "runs")
    line = assert_input_error(proc, expect)
    assert line.startswith("sre-agent serve: error: --snapshot ")
    triage = run_main("triage", "--alert", simulated() / "alerts", "--snapshot", path, "--output-dir", tmp_path / "t")
    assert_input_error(triage, expect)  # the same words as triage


def test_the_alert_helper_is_inside_the_recording() -> None:
    """The other serve tests post STARTS_AT: it must stay inside the simulated recording."""
    from sre_agent.snapshot import SnapshotBackend
    start, end = SnapshotBackend(simulated()).window()
    stamp = datetime.strptime(alert("cart")["startsAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert start <= stamp.timestamp() <= end
