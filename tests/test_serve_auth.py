"""Who may post: bearer token or basic auth (as Alertmanager's http_config sends them), 401 and
nothing queued without; a per-sender rate limit (429); --no-auth only on loopback; the token
never appears in anything serve writes or answers."""

from __future__ import annotations

import base64
import http.client
import json
import secrets
import signal
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from robust_helpers import assert_input_error, run_cli, run_main, simulated
from serve_helpers import Recorder, ServeProcess, running, session, webhook
from sre_agent.serve import Authenticator, RateLimiter, WebhookService

TOKEN = "tok-" + secrets.token_hex(16)
PASSWORD = "pw-" + secrets.token_hex(12)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _nothing_queued(service: WebhookService, out: Path, recorder: Recorder) -> None:
    assert service.store.counts() == {"deduplicated": 0}
    assert [p for p in out.iterdir() if p.is_dir()] == []
    assert recorder.calls == []


def test_missing_or_wrong_token_is_401_and_nothing_is_queued(tmp_path: Path) -> None:
    recorder = Recorder()
    service = WebhookService(tmp_path / "out", recorder, lambda: None)
    wrong = [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Bearer {TOKEN}x"},
             {"Authorization": f"Bearer {TOKEN[:-1]}"}, {"Authorization": TOKEN}, {"Authorization": f"Token {TOKEN}"},
             {"Authorization": _basic("alertmanager", TOKEN)}, {"Authorization": "Bearer"}]
    with running(service, auth=Authenticator(bearer_token=TOKEN)) as url, session() as s:
        answers = [s.post(url + "/", json=webhook(), headers=h, timeout=5) for h in wrong]
        time.sleep(0.3)
        _nothing_queued(service, tmp_path / "out", recorder)
        ok = s.post(url + "/", json=webhook(), headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        assert service.wait_idle(10)
        metrics = s.get(url + "/metrics", timeout=5).text
    assert [a.status_code for a in answers] == [401] * len(wrong)
    assert all(a.headers["WWW-Authenticate"].startswith("Bearer") for a in answers)
    assert all(TOKEN not in a.text for a in answers)
    assert ok.status_code == 202 and len(recorder.calls) == 1
    assert f"sre_agent_auth_failures_total {float(len(wrong))}" in metrics


def test_basic_auth(tmp_path: Path) -> None:
    recorder = Recorder()
    service = WebhookService(tmp_path / "out", recorder, lambda: None)
    with running(service, auth=Authenticator(basic=("alertmanager", PASSWORD))) as url, session() as s:
        refused = [s.post(url + "/", json=webhook(), headers={"Authorization": h}, timeout=5).status_code
                   for h in (_basic("alertmanager", "wrong-password"), _basic("other", PASSWORD), f"Bearer {PASSWORD}",
                             "Basic !!!not-base64")]
        refused.append(s.post(url + "/", json=webhook(), auth=("alertmanager", PASSWORD + "x"), timeout=5).status_code)
        _nothing_queued(service, tmp_path / "out", recorder)
        ok = s.post(url + "/", json=webhook(), auth=("alertmanager", PASSWORD), timeout=5)
        assert service.wait_idle(10)
    assert refused == [401] * 5
    assert ok.status_code == 202 and len(recorder.calls) == 1


def test_a_flood_from_one_sender_gets_429_and_others_still_pass(tmp_path: Path) -> None:
    recorder = Recorder()
    service = WebhookService(tmp_path / "out", recorder, lambda: None)
    with running(service, limiter=RateLimiter(rate=0.2, burst=3)) as url, session() as s:
        answers = [s.post(url + "/", json=webhook([f"svc{i}"], group=f"g{i}"), timeout=5) for i in range(6)]
        port = int(url.rsplit(":", 1)[1])
        other = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=("127.0.0.2", 0))
        other.request("POST", "/", body=json.dumps(webhook(["x"], group="x")), headers={"Content-Type": "application/json"})
        other_status = other.getresponse().status
        other.close()
        assert service.wait_idle(10)
        metrics = s.get(url + "/metrics", timeout=5).text
    assert [a.status_code for a in answers] == [202, 202, 202, 429, 429, 429]
    assert all(1 <= int(a.headers["Retry-After"]) <= 5 for a in answers[3:])
    assert other_status == 202  # the limit is per sender
    assert len(recorder.calls) == 4  # nothing of the refused posts was queued
    assert "sre_agent_rate_limited_total 3.0" in metrics


# -- the command line ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def token_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "token"
    path.write_text(TOKEN + "\n", encoding="utf-8")
    return path


def test_serve_refuses_to_start_open(tmp_path: Path, token_file: Path) -> None:
    base = ["serve", "--port", "0", "--snapshot", simulated(), "--out", tmp_path / "runs"]
    short = tmp_path / "short"
    short.write_text("abc\n")
    basic = tmp_path / "basic"
    basic.write_text("no-colon-here\n")
    assert_input_error(run_main(*base), "no credentials configured")
    assert_input_error(run_main(*base, "--no-auth", "--host", "0.0.0.0"), "loopback")
    assert_input_error(run_main(*base, "--no-auth", "--auth-token-file", token_file), "cannot be combined")
    assert_input_error(run_main(*base, "--auth-token-file", tmp_path / "missing"), "no such file")
    assert_input_error(run_main(*base, "--auth-token-file", short), "at least 8")
    assert_input_error(run_main(*base, "--auth-token-env", "SRE_AGENT_NO_SUCH_VAR"), "not set")
    assert_input_error(run_main(*base, "--basic-auth-file", basic), "user:password")
    assert_input_error(run_main(*base, "--auth-token-file", token_file, "--auth-token-env", "X"), "only one")
    assert_input_error(run_main(*base, "--auth-token-file", token_file, "--rate-limit", "fast"), "--rate-limit")
    # the same contract through a real process, on an address other hosts can reach
    line = assert_input_error(run_cli(*base, "--no-auth", "--host", "0.0.0.0", timeout=60), "loopback")
    assert TOKEN not in line


@pytest.mark.parametrize("via", ["file", "env"])
def test_the_token_never_appears_in_logs_or_outputs(tmp_path: Path, token_file: Path, via: str) -> None:
    out = tmp_path / "runs"
    auth = ["--auth-token-file", token_file] if via == "file" else ["--auth-token-env", "SRE_AGENT_TEST_TOKEN"]
    proc = ServeProcess("--snapshot", simulated(), "--out", out, *auth, log=tmp_path / "serve.log",
                        env={"SRE_AGENT_TEST_TOKEN": TOKEN})
    bodies: list[str] = []
    try:
        proc.wait_up()
        with session() as s:
            good = {"Authorization": f"Bearer {TOKEN}"}
            accepted = s.post(proc.url + "/", json=webhook(["cart", "frontend"]), headers=good, timeout=10)
            refused = s.post(proc.url + "/", json=webhook(), headers={"Authorization": f"Bearer {TOKEN[:-2]}"}, timeout=10)
            bad = s.post(proc.url + "/", data=b"{broken", headers=good, timeout=10)
            deadline = time.monotonic() + 90
            while s.get(proc.url + "/healthz", timeout=5).json()["done"] < 1:
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
            bodies = [r.text for r in (accepted, refused, bad)]
            bodies += [s.get(proc.url + p, timeout=5).text for p in ("/healthz", "/readyz", "/metrics")]
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0
    finally:
        proc.stop()
    assert (accepted.status_code, refused.status_code, bad.status_code) == (202, 401, 400)  # the token was used
    families = {f.name for f in text_string_to_metric_families(bodies[-1])}
    assert {"sre_agent_triages", "sre_agent_auth_failures"} <= families
    written = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.name == "report.md" for p in written) and any(p.name.startswith("queue.sqlite3") for p in written)
    needle = TOKEN.encode()
    for path in written + [tmp_path / "serve.log"]:
        assert needle not in path.read_bytes(), path
    assert all(TOKEN not in body for body in bodies)
    start = next(ln for ln in (tmp_path / "serve.log").read_text().splitlines() if "listening on" in ln)
    assert start.endswith("auth: bearer token") and "Authenticator(" not in start and "PosixPath(" not in start
