"""/metrics (Prometheus text, ``sre_agent_`` series), /healthz and /readyz over real HTTP
(the readiness and source-health tests are in test_serve_readiness.py)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from serve_helpers import Recorder, running, session, webhook
from sre_agent.serve import Authenticator, RateLimiter, WebhookService

TOKEN = "metrics-test-token"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        assert family.name.startswith("sre_agent_"), family.name
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


class GatedRecorder(Recorder):
    """A triage that waits for the test to let it finish."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.gate = threading.Event()

    def __call__(self, alerts, backend, output_dir):
        self.gate.wait(30)
        super().__call__(alerts, backend, output_dir)
        self.incomplete = True  # the next run ends with a partial diagnosis


def test_metrics_parse_as_prometheus_text_and_count_what_happened(tmp_path: Path) -> None:
    recorder = GatedRecorder()
    service = WebhookService(tmp_path / "out", recorder, lambda: None)
    good = {"Authorization": f"Bearer {TOKEN}"}
    with running(service, auth=Authenticator(bearer_token=TOKEN), limiter=RateLimiter(rate=0.01, burst=7)) as url, \
            session() as s:
        for group in ("a", "b", "c"):
            assert s.post(url + "/", json=webhook(group=group), headers=good, timeout=5).status_code == 202
        deadline = time.monotonic() + 10
        while not service.stats()["running"]:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        waiting = _samples(s.get(url + "/metrics", timeout=5).text)
        assert s.post(url + "/", json=webhook(group="a"), headers=good, timeout=5).status_code == 200  # a repeat
        assert s.post(url + "/", json=webhook(group="d"), timeout=5).status_code == 401
        assert s.post(url + "/", data=b"{", headers=good, timeout=5).status_code == 400
        assert s.post(url + "/", json=webhook(group="e"), headers=good, timeout=5).status_code == 202
        assert s.post(url + "/", json=webhook(group="f"), headers=good, timeout=5).status_code == 429  # the 8th post
        recorder.gate.set()
        assert service.wait_idle(10)
        response = s.get(url + "/metrics", timeout=5)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    m = _samples(response.text)
    assert waiting[("sre_agent_queue_depth", ())] == 2.0  # one running, two waiting
    assert m[("sre_agent_queue_depth", ())] == 0.0
    assert m[("sre_agent_triages_total", (("outcome", "complete"),))] == 1.0
    assert m[("sre_agent_triages_total", (("outcome", "incomplete"),))] == 3.0
    assert m[("sre_agent_triages_total", (("outcome", "failed"),))] == 0.0
    assert m[("sre_agent_triage_duration_seconds_count", ())] == 4.0
    assert m[("sre_agent_triage_duration_seconds_sum", ())] > 0
    assert m[("sre_agent_model_calls_total", ())] == 20.0 and m[("sre_agent_tool_calls_total", ())] == 28.0
    assert m[("sre_agent_dedupes_total", ())] == 1.0
    assert m[("sre_agent_auth_failures_total", ())] == 1.0
    assert m[("sre_agent_rate_limited_total", ())] == 1.0
    assert m[("sre_agent_webhooks_total", (("result", "accepted"),))] == 4.0
    assert m[("sre_agent_webhooks_total", (("result", "invalid"),))] == 1.0


def test_failed_triages_are_counted_and_health_reports_them(tmp_path: Path) -> None:
    service = WebhookService(tmp_path / "out", Recorder(fail=True), lambda: None)
    with running(service) as url, session() as s:
        s.post(url + "/", json=webhook(), timeout=5)
        assert service.wait_idle(10)
        m = _samples(s.get(url + "/metrics", timeout=5).text)
        health = s.get(url + "/healthz", timeout=5)
        ready = s.get(url + "/readyz", timeout=5)
    assert m[("sre_agent_triages_total", (("outcome", "failed"),))] == 1.0
    assert m[("sre_agent_model_calls_total", ())] == 0.0
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "queued": 0, "running": False, "done": 0, "failed": 1, "deduplicated": 0,
                             "queue_totals": {"done": 0, "failed": 1, "deduplicated": 0}}
    assert ready.status_code == 200 and ready.json()["ready"] is True  # a recorded scenario is always there


def test_healthz_and_metrics_agree_after_a_restart(tmp_path: Path) -> None:
    """/healthz counts what this process did, as /metrics does; the queue's whole life is queue_totals."""
    first = WebhookService(tmp_path / "out", Recorder(), lambda: None)
    first.submit(webhook(group="a"))
    first.submit(webhook(group="a"))  # a repeat
    assert first.wait_idle(10)
    first.stop()
    second = WebhookService(tmp_path / "out", Recorder(), lambda: None)
    with running(second) as url, session() as s:
        s.post(url + "/", json=webhook(group="b"), timeout=5)
        assert second.wait_idle(10)
        health = s.get(url + "/healthz", timeout=5).json()
        m = _samples(s.get(url + "/metrics", timeout=5).text)
    done = m[("sre_agent_triages_total", (("outcome", "complete"),))] + \
        m[("sre_agent_triages_total", (("outcome", "incomplete"),))]
    assert health["done"] == done == 1
    assert health["deduplicated"] == m[("sre_agent_dedupes_total", ())] == 0
    assert health["failed"] == m[("sre_agent_triages_total", (("outcome", "failed"),))] == 0
    assert health["queue_totals"] == {"done": 2, "failed": 0, "deduplicated": 1}
