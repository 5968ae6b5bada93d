"""/readyz is about the service (queue, folder, worker, config), never the sources; the sources'
health is a background gauge in /metrics: every source unreachable, one that hangs."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from serve_helpers import Recorder, ServeProcess, running, session
from sre_agent.backends.live import LiveBackend
from sre_agent.backends.live_config import load_live_config
from sre_agent.localhttp import free_port
from sre_agent.serve import WebhookService
from sre_agent.serve._probes import SourceProber


def _source_up(text: str) -> dict[str, float]:
    out = {}
    for family in text_string_to_metric_families(text):
        if family.name == "sre_agent_source_up":
            out.update({s.labels["source"]: s.value for s in family.samples})
    return out


def _checked(text: str) -> dict[str, float]:
    out = {}
    for family in text_string_to_metric_families(text):
        if family.name == "sre_agent_source_last_check_timestamp_seconds":
            out.update({s.labels["source"]: s.value for s in family.samples})
    return out


def _unreachable_config(path: Path, kubeconfig: Path) -> Path:
    """Every source configured, none there: closed ports and a kubeconfig naming a closed port."""
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: k, cluster: {{server: 'http://127.0.0.1:{free_port()}'}}}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\nusers: [{name: u, user: {}}]\n")
    path.write_text(
        f"kubernetes: {{kubeconfig: '{kubeconfig}', namespaces: [otel-demo]}}\n"
        f"prometheus: {{url: 'http://127.0.0.1:{free_port()}'}}\n"
        f"jaeger: {{url: 'http://127.0.0.1:{free_port()}'}}\n"
        f"alertmanager: {{url: 'http://127.0.0.1:{free_port()}'}}\n"
        "timeouts: {timeout_s: 5, attempts: 3, backoff_initial_s: 1, backoff_max_s: 2, deadline_s: 20}\n")
    return path


def test_every_source_unreachable_serve_is_ready_and_metrics_name_each_source_down(tmp_path: Path) -> None:
    config = _unreachable_config(tmp_path / "live.yaml", tmp_path / "kubeconfig")
    proc = ServeProcess("--live-config", config, "--out", tmp_path / "runs", "--no-auth",
                        "--source-check-interval", "1", "--source-check-timeout", "1", log=tmp_path / "serve.log")
    try:
        proc.wait_up()
        with session() as s:
            started = time.monotonic()
            ready = s.get(proc.url + "/readyz", timeout=5)
            took = time.monotonic() - started
            deadline = time.monotonic() + 15
            while True:
                text = s.get(proc.url + "/metrics", timeout=5).text
                if len(_source_up(text)) == 4 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            again = s.get(proc.url + "/readyz", timeout=5).json()
    finally:
        proc.signal(15)
        proc.stop()
    assert ready.status_code == 200 and took < 2.0, (ready.text, took)
    body = ready.json()
    assert body["ready"] is True and body["checks"] == {"config": "loaded", "queue": "ok", "folder": "ok",
                                                        "worker": "alive"}
    assert _source_up(text) == {"kubernetes": 0.0, "prometheus": 0.0, "jaeger": 0.0, "alertmanager": 0.0}
    assert all(abs(t - time.time()) < 60 for t in _checked(text).values()) and len(_checked(text)) == 4
    assert set(again["sources"]) == {"kubernetes", "prometheus", "jaeger", "alertmanager"}
    assert all(answer != "ok" and "\n" not in answer for answer in again["sources"].values())
    log = (tmp_path / "serve.log").read_text()
    assert "source prometheus:" in log and "WARNING" in log


def test_a_source_that_accepts_and_never_answers_is_down_within_its_own_timeout(tmp_path: Path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel completes each handshake; nothing ever reads or answers
    cfg = tmp_path / "live.yaml"
    cfg.write_text(f"prometheus: {{url: 'http://127.0.0.1:{silent.getsockname()[1]}'}}\n"
                   "timeouts: {timeout_s: 10, attempts: 3, deadline_s: 60}\n")
    config = load_live_config(cfg)
    factory = lambda: LiveBackend.from_config(config)  # noqa: E731
    service = WebhookService(tmp_path / "out", Recorder(), factory)
    prober = SourceProber(factory, service.metrics, interval=0.5, timeout=1.0)
    service.sources = prober.status
    try:
        with running(service) as url, session() as s:
            prober.start()
            started = time.monotonic()
            ready = s.get(url + "/readyz", timeout=5)
            took = time.monotonic() - started
            deadline = time.monotonic() + 10
            while "prometheus" not in _source_up(s.get(url + "/metrics", timeout=5).text):
                assert time.monotonic() < deadline, "no source check within 10 s"
                time.sleep(0.1)
            first_answer = time.monotonic() - started
            time.sleep(1.5)  # a second round while the first check still hangs
            text = s.get(url + "/metrics", timeout=5).text
            later = s.get(url + "/readyz", timeout=5)
    finally:
        prober.stop()
        silent.close()
    assert ready.status_code == 200 and took < 1.0
    assert first_answer < 3.0  # the probe's own 1 s, not the source's 3 x 10 s
    assert _source_up(text) == {"prometheus": 0.0}
    assert later.status_code == 200 and later.json()["ready"] is True
    assert later.json()["sources"]["prometheus"].startswith("prometheus: ")


def test_a_source_that_comes_back_is_up_again(tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Prometheus(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = b'{"status": "success", "data": {"resultType": "vector", "result": []}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    port = free_port()
    cfg = tmp_path / "live.yaml"
    cfg.write_text(f"prometheus: {{url: 'http://127.0.0.1:{port}'}}\n"
                   "timeouts: {timeout_s: 1, attempts: 1, deadline_s: 2}\n")
    config = load_live_config(cfg)
    service = WebhookService(tmp_path / "out", Recorder(), lambda: None)
    prober = SourceProber(lambda: LiveBackend.from_config(config), service.metrics, timeout=2.0)
    try:
        down = prober.probe_once()["prometheus"]
        up_before = service.metrics.registry.get_sample_value("sre_agent_source_up", {"source": "prometheus"})
        server = ThreadingHTTPServer(("127.0.0.1", port), Prometheus)
        import threading
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        try:
            up = prober.probe_once()["prometheus"]
        finally:
            server.shutdown()
            server.server_close()
        up_after = service.metrics.registry.get_sample_value("sre_agent_source_up", {"source": "prometheus"})
    finally:
        service.stop()
    assert down != "ok" and up_before == 0.0
    assert up == "ok" and up_after == 1.0


def test_readyz_is_about_the_service_worker_and_queue(tmp_path: Path) -> None:
    service = WebhookService(tmp_path / "out", Recorder(), lambda: None)
    with running(service) as url, session() as s:
        fine = s.get(url + "/readyz", timeout=5)
        service.worker.stop(0)  # the triage thread ends: nothing would be triaged
        dead = s.get(url + "/readyz", timeout=5)
        service.stopping = True
        stopping = s.get(url + "/readyz", timeout=5)
        alive = s.get(url + "/healthz", timeout=5)
    assert fine.status_code == 200 and "sources" not in fine.json()  # a snapshot has no sources
    assert dead.status_code == 503 and dead.json()["checks"]["worker"] == "dead"
    assert stopping.status_code == 503 and stopping.json()["status"] == "stopping"
    assert alive.status_code == 200
