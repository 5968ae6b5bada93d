"""A real Alertmanager routing to our `serve` webhook; AlertmanagerBackend reading alerts back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from sre_agent.backends.alertmanager import AlertmanagerBackend, alerts_from_webhook
from live_servers import ALERTMANAGER, AlertmanagerServer, binaries_present, free_port, wait_http
from sre_agent.commands.serve import WebhookService, make_server, validate_webhook

pytestmark = pytest.mark.live

needs_am = pytest.mark.skipif(not binaries_present(ALERTMANAGER) and not os.environ.get("SRE_AGENT_REQUIRE_LIVE"),
                              reason="prometheus-alertmanager not installed (run .ci/install-servers.sh)")

ALERTS = [
    {"labels": {"alertname": "RequestErrorRate", "severity": "critical", "namespace": "otel-demo", "service_name": "checkout"},
     "annotations": {"description": "checkout error rate above 5%"}},
    {"labels": {"alertname": "RequestErrorRate", "severity": "critical", "namespace": "otel-demo", "service_name": "frontend"},
     "annotations": {"description": "frontend error rate above 5%"}},
]


class Recorder:
    def __init__(self, fail: bool = False):
        self.calls: list[tuple[Path, object, Path, dict]] = []
        self.fail = fail

    def __call__(self, alert: Path, backend, output_dir: Path):
        payload = json.loads(alert.read_text())
        self.calls.append((alert, backend, output_dir, payload))
        if self.fail:
            raise RuntimeError("runner exploded\nwith a second line")
        (output_dir / "agent_output.json").write_text(json.dumps({"entities": [], "propagations": [], "alerts_explained": []}))


@pytest.fixture
def webhook(tmp_path):
    recorder = Recorder()
    backend = object()
    service = WebhookService(tmp_path / "out", recorder, lambda: backend)
    server = make_server("127.0.0.1", 0, service)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield url, service, recorder, backend
    finally:
        server.shutdown()
        server.server_close()
        service.stop()
        thread.join(5)


def _session():
    s = requests.Session()
    s.trust_env = False
    return s


@needs_am
def test_alertmanager_delivers_the_group_and_triage_runs(webhook, tmp_path):
    url, service, recorder, backend = webhook
    with AlertmanagerServer(url + "/", tmp_path / "am") as am:
        am.post_alerts(ALERTS)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not recorder.calls:
            time.sleep(0.1)
        assert service.wait_idle(10)
        # the pull API gives the same alerts back
        pulled = AlertmanagerBackend(am.url).alerts()
    assert len(recorder.calls) == 1, "one group (alertname+namespace) -> one triage"
    alert_file, got_backend, out_dir, payload = recorder.calls[0]
    assert got_backend is backend and alert_file.parent == out_dir and out_dir.parent == tmp_path / "out"
    assert payload["version"] == "4" and payload["receiver"] == "sre-agent"
    received = sorted(a.labels["service_name"] for a in alerts_from_webhook(payload))
    assert received == ["checkout", "frontend"]
    assert json.loads((out_dir / "status.json").read_text())["state"] == "done"
    assert (out_dir / "agent_output.json").exists()
    assert sorted(a.labels["service_name"] for a in pulled) == received
    assert all(a.state == "firing" and a.name == "RequestErrorRate" and a.fingerprint and a.active_at for a in pulled)
    assert pulled[0].annotations["description"].endswith("above 5%")
    health = _session().get(url + "/healthz", timeout=5).json()
    assert health["status"] == "ok" and health["done"] == 1 and health["failed"] == 0


def _payload(**over):
    base = {"version": "4", "groupKey": '{}:{alertname="X"}', "status": "firing", "receiver": "r",
            "alerts": [{"status": "firing", "labels": {"alertname": "X", "service_name": "cart"}, "annotations": {}}]}
    return base | over


@pytest.mark.parametrize("body, reason", [
    (b"{not json", "not valid JSON"),
    (b"[]", "JSON object"),
    (json.dumps(_payload(version="3")).encode(), "version"),
    (json.dumps(_payload(groupKey=None)).encode(), "groupKey"),
    (json.dumps(_payload(alerts=[])).encode(), "non-empty"),
    (json.dumps(_payload(alerts=[{"labels": {"severity": "x"}}])).encode(), "alertname"),
    (json.dumps(_payload(alerts=[{"labels": {"alertname": 3}}])).encode(), "strings"),
    ("\udcff".encode("utf-8", "surrogatepass"), "not valid JSON"),
])
def test_bad_payload_is_400_with_one_line(webhook, body, reason):
    url, service, recorder, _ = webhook
    r = _session().post(url + "/", data=body, headers={"Content-Type": "application/json"}, timeout=5)
    assert r.status_code == 400
    err = r.json()["error"]
    assert reason in err and "\n" not in err
    assert _session().get(url + "/healthz", timeout=5).status_code == 200  # still serving
    assert recorder.calls == []


def test_resolved_only_group_is_not_triaged_and_failures_are_recorded(webhook, tmp_path):
    url, service, recorder, _ = webhook
    resolved = _payload(alerts=[{"status": "resolved", "labels": {"alertname": "X"}}])
    r = _session().post(url + "/", json=resolved, timeout=5)
    assert r.status_code == 200 and r.json()["queued"] is False
    recorder.fail = True
    r = _session().post(url + "/webhook", json=_payload(), timeout=5)
    assert r.status_code == 202
    assert service.wait_idle(10)
    folder = tmp_path / "out" / r.json()["id"]
    status = json.loads((folder / "status.json").read_text())
    assert status["state"] == "failed" and "runner exploded" in status["error"] and "\n" not in status["error"]
    assert _session().get(url + "/nope", timeout=5).status_code == 404
    assert service.stats()["failed"] == 1


def test_validate_keeps_only_firing_alerts():
    p = _payload(alerts=[{"status": "firing", "labels": {"alertname": "A"}}, {"status": "resolved", "labels": {"alertname": "B"}}])
    assert [a["labels"]["alertname"] for a in validate_webhook(p)["alerts"]] == ["A"]


def test_serve_command_line(tmp_path):
    port = free_port()
    cfg = tmp_path / "live.yaml"
    cfg.write_text("prometheus:\n  url: http://127.0.0.1:1\n")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "sre_agent", "serve", "--port", str(port), "--out", str(tmp_path / "o"),
                             "--live-config", str(cfg), "--no-auth"], stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", 20, proc)
        r = _session().post(f"http://127.0.0.1:{port}/", data=b"nope", timeout=5)
        assert r.status_code == 400
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "listening on http://127.0.0.1:" in err
    bad = subprocess.run([sys.executable, "-m", "sre_agent", "serve", "--port", "70000"], capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    bad = subprocess.run([sys.executable, "-m", "sre_agent", "serve", "--port", "0", "--live-config", str(tmp_path / "none.yaml"),
                          "--out", str(tmp_path / "o2")], capture_output=True, text=True)
    assert bad.returncode == 2 and "no such file" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
