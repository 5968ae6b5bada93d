"""Secrets: API keys and bearer tokens never appear in traces, reports, logs, stdout/stderr or
exceptions — even when the server on the other end echoes them back in its error message.

* an ``openai`` model profile whose endpoint is a 127.0.0.1 stub answering 401 with the key it
  received (as OpenAI's "Incorrect API key provided: ..." does), and one whose port refuses;
* live sources (Prometheus, Jaeger, Alertmanager) whose bearer tokens come from env vars, pointed
  at a stub that answers 401/500 echoing the Authorization header.

Every file produced and all captured output are grepped for the secret.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from robust_helpers import run_cli, simulated

MODEL_KEY = "sk-test-R0bustSecretKey-9f8e7d6c5b4a"
LIVE_TOKEN = "live-bearer-T0ken-a1b2c3d4e5f6"


class _Echo(BaseHTTPRequestHandler):
    status = 401

    def _answer(self) -> None:
        auth = self.headers.get("Authorization", "")
        key = auth.split(" ", 1)[-1]
        body = json.dumps({"error": {"message": f"Incorrect API key provided: {key}; header was {auth!r}",
                                     "type": "invalid_request_error", "code": "invalid_api_key"},
                           "status": "error", "errorType": "unauthorized", "data": None}).encode()
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def echo_server(request: pytest.FixtureRequest) -> Iterator[int]:
    status = getattr(request, "param", 401)
    handler = type("H", (_Echo,), {"status": status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _grep_tree(root: Path, secret: str) -> list[str]:
    hits = []
    for p in root.rglob("*"):
        if p.is_file() and secret.encode() in p.read_bytes():
            hits.append(str(p))
    return hits


def _model_config(tmp: Path, port: int) -> Path:
    cfg = tmp / "run.yaml"
    cfg.write_text(f"""model:
  kind: openai
  openai:
    model: gpt-robust
    base_url: http://127.0.0.1:{port}/v1
    api_key_env: SRE_ROBUST_KEY
    max_retries: 0
    timeout_seconds: 3
    model_info: {{vision: false, function_calling: true, json_output: true, structured_output: false, family: unknown}}
""", encoding="utf-8")
    return cfg


@pytest.mark.parametrize("endpoint", ["401-echo", "refused"])
def test_model_key_never_leaks(endpoint: str, echo_server: int, tmp_path: Path) -> None:
    port = echo_server if endpoint == "401-echo" else _free_port()
    cfg = _model_config(tmp_path, port)
    out = tmp_path / "out"
    proc = run_cli("triage", "--alert", simulated() / "alerts", "--config", cfg, "--output-dir", out, "--format", "json",
                   env={"SRE_ROBUST_KEY": MODEL_KEY, "SRE_AGENT_LOG": "debug"}, timeout=120)
    assert MODEL_KEY not in proc.stdout and MODEL_KEY not in proc.stderr, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 0, proc.stderr
    assert _grep_tree(tmp_path, MODEL_KEY) == []
    out_json = json.loads(proc.stdout)
    assert out_json["incomplete"] is True
    events = [json.loads(x) for x in (out / "trace.jsonl").read_text().splitlines()]
    errors = [e for e in events if e["type"] == "state_update" and "model_error" in e["changes"]]
    assert errors, "the endpoint failure is not in the trace"
    if endpoint == "401-echo":
        assert "***" in errors[0]["changes"]["model_error"]  # the echoed key was masked, not dropped silently
    assert events[-1]["type"] == "run_end" and events[-1]["stop_reason"] == "model_error"


def test_mast_llm_judge_key_never_leaks(echo_server: int, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "trace.jsonl").write_text(json.dumps({"seq": 0, "type": "run_start", "config": {}}) + "\n", encoding="utf-8")
    cfg = _model_config(tmp_path, echo_server)
    proc = run_cli("mast", run, "--judge", "llm", "--config", cfg, env={"SRE_ROBUST_KEY": MODEL_KEY}, timeout=120)
    assert MODEL_KEY not in proc.stdout + proc.stderr, (proc.stdout + proc.stderr)[-2000:]
    assert _grep_tree(tmp_path, MODEL_KEY) == []


@pytest.mark.parametrize("echo_server", [401, 500], indirect=True)
def test_live_tokens_never_leak(echo_server: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    from sre_agent.alerts import load_alert_input
    from sre_agent.backends.live import LiveBackend
    from sre_agent.backends.live_config import load_live_config
    from sre_agent.config import load_config
    from sre_agent.runner import run_triage

    for var in ("PROM_ROBUST_TOKEN", "JAEGER_ROBUST_TOKEN", "AM_ROBUST_TOKEN"):
        monkeypatch.setenv(var, LIVE_TOKEN)
    url = f"http://127.0.0.1:{echo_server}"
    live = tmp_path / "live.yaml"
    live.write_text(f"""kubernetes: {{enabled: false}}
prometheus: {{url: "{url}", token_env: PROM_ROBUST_TOKEN}}
jaeger: {{url: "{url}", token_env: JAEGER_ROBUST_TOKEN}}
alertmanager: {{url: "{url}", token_env: AM_ROBUST_TOKEN}}
timeouts: {{timeout_s: 1, attempts: 2, backoff_initial_s: 0.01, backoff_max_s: 0.02, jitter_s: 0, deadline_s: 3}}
""", encoding="utf-8")
    caplog.set_level(logging.DEBUG)
    backend = LiveBackend.from_config(load_live_config(live))
    alerts = list(load_alert_input(simulated() / "alerts").alerts)
    config = load_config()
    config = config.model_copy(update={"budgets": config.budgets.model_copy(update={"max_wall_seconds": 60})})
    result = run_triage(alerts=alerts, backend=backend, output_dir=tmp_path / "out", config=config)
    captured = capsys.readouterr()
    logs = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert LIVE_TOKEN not in captured.out + captured.err
    assert LIVE_TOKEN not in logs
    assert _grep_tree(tmp_path, LIVE_TOKEN) == []
    assert result.agent_output["missing_sources"], result.agent_output
    for p in backend.problems():
        assert LIVE_TOKEN not in p.problem
