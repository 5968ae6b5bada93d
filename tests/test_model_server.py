"""The OpenAI-compatible server backed by the offline reasoner: a triage through autogen-ext's
OpenAIChatCompletionClient against it writes the same agent_output.json, byte for byte, as the
in-process client; each injected fault ends the run cleanly or is survived by retries."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from robust_helpers import run_cli
from scenarios import simulated

from sre_agent.config import load_config
from sre_agent.modelserver import FaultPlan, ModelServer
from sre_agent.runner import run_triage

KEY_ENV = "SRE_AGENT_MODEL_SERVER_KEY"
MODEL_INFO = "{vision: false, function_calling: true, json_output: true, structured_output: false, family: unknown, multiple_system_messages: true}"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory.mktemp("scen"), "Scenario-27")


@pytest.fixture(scope="module")
def in_process(scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("inproc")
    run_triage(alert=scenario / "alerts", output_dir=out, config=load_config())
    return out


def endpoint_config(tmp: Path, base_url: str, timeout: float = 30, retries: int = 0, extra: str = "") -> Path:
    cfg = tmp / "endpoint.yaml"
    cfg.write_text(f"""model:
  kind: openai
  openai:
    model: sre-agent-offline
    base_url: {base_url}
    api_key_env: {KEY_ENV}
    timeout_seconds: {timeout}
    max_retries: {retries}
    max_tokens: null  # the offline reasoner's summaries run past the 512-token default cap
    model_info: {MODEL_INFO}
{extra}""", encoding="utf-8")
    return cfg


def through_server(scenario: Path, out: Path, server: ModelServer, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> Any:
    monkeypatch.setenv(KEY_ENV, "not-a-real-key")
    config = load_config(endpoint_config(out.parent, server.base_url, **kw))
    return run_triage(alert=scenario / "alerts", output_dir=out, config=config)


def test_same_agent_output_byte_for_byte(scenario: Path, in_process: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with ModelServer() as server:
        result = through_server(scenario, tmp_path / "out", server, monkeypatch)
        served = server.requests
    expected = (in_process / "agent_output.json").read_bytes()
    assert json.loads(expected)["entities"], "the in-process run found no root cause: a vacuous comparison"
    assert (tmp_path / "out" / "agent_output.json").read_bytes() == expected
    stats = json.loads((in_process / "stats.json").read_text())
    assert result.stats["model_calls"] == stats["model_calls"] == served
    assert result.stats["tool_calls"] == stats["tool_calls"] > 0
    assert result.stats["stop_reason"] == stats["stop_reason"]


def test_survives_rate_limits_with_retries(scenario: Path, in_process: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Faulted requests never reach the reasoner: a client that retries them gets the same run."""
    plan = FaultPlan(rates={"429": 0.2, "5xx": 0.1}, seed=3, retry_after=0)
    with ModelServer(faults=plan) as server:
        result = through_server(scenario, tmp_path / "out", server, monkeypatch, retries=8)
        faults = dict(server.served_faults)
    assert faults.get("429") and faults.get("5xx"), faults
    assert result.stats["stop_reason"] != "model_error"
    assert (tmp_path / "out" / "agent_output.json").read_bytes() == (in_process / "agent_output.json").read_bytes()


@pytest.mark.parametrize("kind", ["429", "5xx", "timeout", "truncated"])
def test_each_fault_ends_the_run_cleanly(kind: str, scenario: Path, tmp_path: Path) -> None:
    """Every request faulted, no client retries: exit 0, flagged incomplete, stop_reason
    model_error, the error in the trace, no traceback."""
    with ModelServer(faults=FaultPlan(rates={kind: 1.0}, retry_after=1, stall_seconds=10)) as server:
        cfg = endpoint_config(tmp_path, server.base_url, timeout=1.5)
        out = tmp_path / "out"
        proc = run_cli("triage", "--alert", scenario / "alerts", "--config", cfg, "--output-dir", out, "--format", "json",
                       env={KEY_ENV: "not-a-real-key"}, timeout=120)
        served = server.served_faults.get(kind, 0)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert served >= 1
    assert json.loads(proc.stdout)["incomplete"] is True
    events = [json.loads(x) for x in (out / "trace.jsonl").read_text().splitlines()]
    assert events[-1]["type"] == "run_end" and events[-1]["stop_reason"] == "model_error"
    errors = [e["changes"]["model_error"] for e in events if e["type"] == "state_update" and "model_error" in e["changes"]]
    assert len(errors) == 1 and "\n" not in errors[0]


def _post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_protocol_tool_calls_usage_and_errors() -> None:
    tools = [{"type": "function", "function": {"name": "get_alerts", "description": "alerts",
                                                 "parameters": {"type": "object", "properties": {}}}}]
    plan = 'PLAN\n{"action":"investigate","hypotheses":[],"steps":[{"tool":"get_alerts","args":{},"why":"x"}]}'
    body = {"model": "m", "tools": tools, "messages": [
        {"role": "system", "content": "ROLE: investigator"},
        {"role": "assistant", "content": plan, "name": "planner"}]}
    with ModelServer() as server:
        status, answer = _post(server.base_url + "/chat/completions", json.dumps(body).encode())
        assert status == 200
        choice = answer["choices"][0]
        assert choice["finish_reason"] == "tool_calls"
        assert [(c["id"], c["function"]["name"]) for c in choice["message"]["tool_calls"]] == [("call_1", "get_alerts")]
        assert answer["usage"]["total_tokens"] == answer["usage"]["prompt_tokens"] + answer["usage"]["completion_tokens"] > 0
        # a text answer over the request's max_tokens is cut, finish_reason length
        summ = {"model": "m", "max_tokens": 3, "messages": [{"role": "system", "content": "ROLE: summarizer"},
                                                           {"role": "user", "content": "x"}]}
        status, answer = _post(server.base_url + "/chat/completions", json.dumps(summ).encode())
        assert status == 200 and answer["choices"][0]["finish_reason"] == "length"
        assert answer["usage"]["completion_tokens"] == 3 and len(answer["choices"][0]["message"]["content"]) <= 12
        status, err = _post(server.base_url + "/chat/completions", b"{not json")
        assert status == 400 and err["error"]["type"] == "invalid_request_error"
        status, err = _post(server.base_url + "/chat/completions", json.dumps({"messages": [{"role": "robot"}]}).encode())
        assert status == 400 and "robot" in err["error"]["message"]
        with urllib.request.urlopen(server.base_url + "/models", timeout=10) as resp:
            assert json.load(resp)["data"][0]["id"] == "sre-agent-offline"
        assert server.requests == 3  # the unparseable body was refused before it was counted


def test_cli_serves_and_refuses_bad_flags(tmp_path: Path) -> None:
    import subprocess
    import sys

    from data_paths import PROJECT_ROOT

    proc = run_cli("model-server", "--port", "0", "--fault-rate", "teapot=0.5")
    assert proc.returncode == 2 and "teapot" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("model-server", "--port", "0", "--profile", "openai")
    assert proc.returncode == 2 and "offline" in proc.stderr
    server = subprocess.Popen([sys.executable, "-m", "sre_agent", "model-server", "--port", "0", "--fault-rate", "429=1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT)
    try:
        line = server.stdout.readline() if server.stdout else ""
        assert line.startswith("listening on http://127.0.0.1:"), line
        url = line.split()[-1]
        status, err = _post(url + "/chat/completions", json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode())
        assert status == 429 and err["error"]["type"] == "rate_limit_error"
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert server.returncode == 0
    assert "served 1 chat-completion request(s)" in (server.stderr.read() if server.stderr else "")


def test_endpoint_profile_reads_base_url_from_the_environment(scenario: Path, in_process: Path, tmp_path: Path) -> None:
    """base_url_env (a local server's port is known only at start): set, the run goes there;
    unset, one line naming the variable, exit 2."""
    cfg = tmp_path / "env.yaml"
    cfg.write_text(f"""model:
  kind: openai
  openai:
    model: sre-agent-offline
    base_url_env: SRE_AGENT_TEST_BASE_URL
    api_key_env: {KEY_ENV}
    max_retries: 0
    max_tokens: 100000
    model_info: {MODEL_INFO}
""", encoding="utf-8")
    proc = run_cli("triage", "--alert", scenario / "alerts", "--config", cfg, "--output-dir", tmp_path / "none",
                   env={KEY_ENV: "x", "SRE_AGENT_TEST_BASE_URL": ""})
    assert proc.returncode == 2 and "SRE_AGENT_TEST_BASE_URL" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    with ModelServer(record=True) as server:
        proc = run_cli("triage", "--alert", scenario / "alerts", "--config", cfg, "--output-dir", tmp_path / "out",
                       env={KEY_ENV: "x", "SRE_AGENT_TEST_BASE_URL": server.base_url}, timeout=300)
        recorded = list(server.recorded or [])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert recorded and all(body.get("max_tokens") == 100000 for body in recorded)  # the profile's cap is sent
    assert (tmp_path / "out" / "agent_output.json").read_bytes() == (in_process / "agent_output.json").read_bytes()
