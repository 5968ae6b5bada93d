"""``triage --from-alertmanager URL``: firing alerts pulled from a real Alertmanager on loopback."""

from __future__ import annotations

import json

import pytest

from live_servers import (ALERTMANAGER, AlertmanagerServer, StubHTTPServer, alerts_to_alertmanager,
                                             binaries_present, free_port)
from sre_agent.cli import main
from data_paths import GROUND_TRUTHS

pytestmark = pytest.mark.live
if not binaries_present(ALERTMANAGER):
    pytest.skip("prometheus-alertmanager not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    from sre_agent.simulator import simulate
    from sre_agent.snapshot import SnapshotBackend

    truth = GROUND_TRUTHS / "Scenario-27.yaml"
    folder = simulate(truth, tmp_path_factory.mktemp("sim"), scale=0.3)
    with StubHTTPServer(routes={"/hook": (200, {})}) as hook, \
            AlertmanagerServer(f"{hook.url}/hook", tmp_path_factory.mktemp("am")) as am:
        am.post_alerts(alerts_to_alertmanager(SnapshotBackend(folder).alerts()))
        yield folder, am


def _keys(out):
    return sorted(a["key"] for a in json.loads((out / "agent_output.json").read_text())["alerts_explained"])


def test_triage_alerts_from_alertmanager_over_a_snapshot(scenario, tmp_path, capsys):
    folder, am = scenario
    code = main(["triage", "--from-alertmanager", am.url, "--snapshot", str(folder), "--output-dir",
                 str(tmp_path / "am"), "--format", "json"])
    assert code == 0
    pulled = json.loads(capsys.readouterr().out)
    from sre_agent.snapshot import SnapshotBackend
    firing = SnapshotBackend(folder).alerts()
    assert len(pulled["alerts_explained"]) == len(firing) >= 1
    assert {a["alert"] for a in pulled["alerts_explained"]} == {a.name for a in firing}
    roots = [e["id"] for e in pulled["entities"] if e.get("contributing_factor")]
    assert roots == ["chaos-mesh/Schedule/otel-demo-quote-http-chaos-abort"]


def test_triage_alerts_from_alertmanager_live(scenario, tmp_path, capsys):
    folder, am = scenario
    cfg = tmp_path / "live.yaml"
    cfg.write_text(f"alertmanager: {{enabled: true, url: '{am.url}'}}\n")  # the only live source
    code = main(["triage", "--from-alertmanager", am.url, "--live-config", str(cfg), "--output-dir",
                 str(tmp_path / "live"), "--format", "json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["alerts_explained"]) >= 1  # triaged with the sources it has; the rest reported missing
    assert (tmp_path / "live" / "trace.jsonl").is_file()


@pytest.mark.parametrize("argv, message", [
    (["--from-alertmanager", "http://127.0.0.1:{port}", "--snapshot", "{folder}"], "--from-alertmanager http://127.0.0.1:"),
    (["--from-alertmanager", "not a url", "--snapshot", "{folder}"], "not an http(s) URL"),
    (["--from-alertmanager", "http://127.0.0.1:{port}"], "needs --live-config FILE"),
    (["--from-alertmanager", "http://127.0.0.1:{port}", "--alert", "{folder}/alerts"], "not allowed with"),
    (["--alert", "{folder}/alerts", "--live-config", "x.yaml"], "--live-config goes with --from-alertmanager"),
])
def test_bad_input_is_one_line_and_exit_2(scenario, tmp_path, capsys, argv, message):
    folder, _ = scenario
    port = free_port()
    argv = [a.format(port=port, folder=folder) for a in argv]
    try:
        code = main(["triage", *argv, "--output-dir", str(tmp_path / "x")])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
