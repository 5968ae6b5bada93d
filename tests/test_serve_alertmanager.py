"""A real Alertmanager posting to serve: the credentials its ``http_config`` sends are accepted
(bearer token from ``credentials_file``, basic auth), wrong ones refused, and its re-sends of an
unchanged group (every ``repeat_interval``) are triaged once."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from serve_helpers import Recorder, free_port, running, session
from sre_agent.serve import Authenticator, WebhookService, authenticator_from_options

pytestmark = pytest.mark.live

ALERTMANAGER = os.environ.get("SRE_AGENT_ALERTMANAGER_BIN", "/usr/bin/prometheus-alertmanager")
needs_am = pytest.mark.skipif(not (shutil.which(ALERTMANAGER) or os.path.exists(ALERTMANAGER))
                              and not os.environ.get("SRE_AGENT_REQUIRE_LIVE"),
                              reason="prometheus-alertmanager not installed (run .ci/install-servers.sh)")

ALERTS = [{"labels": {"alertname": "RequestErrorRate", "namespace": "otel-demo", "service_name": s},
           "annotations": {"description": f"{s} error rate above 5%"}} for s in ("cart", "frontend")]


@contextmanager
def alertmanager(workdir: Path, webhook_url: str, http_config: str) -> Iterator[str]:
    """``prometheus-alertmanager`` routing everything to ``webhook_url``, re-sending every ~2 s."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cfg = workdir / "alertmanager.yml"
    cfg.write_text("route:\n  receiver: sre-agent\n  group_by: ['alertname']\n  group_wait: 500ms\n"
                   "  group_interval: 1s\n  repeat_interval: 2s\n"
                   "receivers:\n  - name: sre-agent\n    webhook_configs:\n"
                   f"      - url: '{webhook_url}'\n        send_resolved: false\n        http_config:\n"
                   + "".join(f"          {line}\n" for line in http_config.strip().splitlines()))
    log = open(workdir / "alertmanager.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([ALERTMANAGER, f"--config.file={cfg}", f"--storage.path={workdir / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        with session() as s:
            while True:
                assert proc.poll() is None, (workdir / "alertmanager.log").read_text()
                try:
                    if s.get(url + "/-/ready", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, "alertmanager did not come up"
                time.sleep(0.1)
            s.post(url + "/api/v2/alerts", json=ALERTS, timeout=5).raise_for_status()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def _count(service: WebhookService, name: str, **labels: str) -> float:
    return service.metrics.registry.get_sample_value(f"sre_agent_{name}_total", labels) or 0.0


@needs_am
@pytest.mark.parametrize("kind", ["bearer", "basic"])
def test_alertmanager_credentials_are_accepted_and_resends_triaged_once(tmp_path: Path, kind: str) -> None:
    secret = tmp_path / "secret"
    if kind == "bearer":
        secret.write_text("am-token-0123456789\n")
        auth = authenticator_from_options(token_file=secret)
        http_config = f"authorization:\n  type: Bearer\n  credentials_file: {secret}"
    else:
        secret.write_text("alertmanager:pass-0123456789\n")
        auth = authenticator_from_options(basic_auth_file=secret)
        (tmp_path / "password").write_text("pass-0123456789")
        http_config = f"basic_auth:\n  username: alertmanager\n  password_file: {tmp_path / 'password'}"
    recorder = Recorder()
    service = WebhookService(tmp_path / "out", recorder, lambda: None)
    with running(service, auth=auth) as url, alertmanager(tmp_path / "am", url + "/", http_config):
        deadline = time.monotonic() + 30
        while _count(service, "webhooks", result="duplicate") < 2:  # the first post and at least two re-sends
            assert time.monotonic() < deadline, "alertmanager did not re-send"
            time.sleep(0.2)
        assert service.wait_idle(10)
    assert _count(service, "webhooks", result="accepted") == 1.0
    assert len(recorder.calls) == 1 and recorder.services() == [["cart", "frontend"]]
    assert _count(service, "auth_failures") == 0


@needs_am
def test_alertmanager_with_a_wrong_token_queues_nothing(tmp_path: Path) -> None:
    (tmp_path / "wrong").write_text("not-the-token-0000")
    recorder = Recorder()
    service = WebhookService(tmp_path / "out", recorder, lambda: None)
    http_config = f"authorization:\n  type: Bearer\n  credentials_file: {tmp_path / 'wrong'}"
    with running(service, auth=Authenticator(bearer_token="the-real-token-1234")) as url, \
            alertmanager(tmp_path / "am", url + "/", http_config):
        deadline = time.monotonic() + 30
        while _count(service, "auth_failures") < 1:
            assert time.monotonic() < deadline, "alertmanager never posted"
            time.sleep(0.2)
        assert service.stats()["queued"] == 0 and service.store.counts() == {"deduplicated": 0}
    assert recorder.calls == []
    assert [p for p in (tmp_path / "out").iterdir() if p.is_dir()] == []
