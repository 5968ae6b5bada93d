"""The whole spine on a simulated incident: CLI in, diagnosis with cited evidence out."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from scenarios import simulated
from sre_agent.config import load_config
from sre_agent.eval.scoring import load_ground_truth, score
from sre_agent.llm import make_client
from sre_agent.llm.replay import RecordingClient, save_recording
from sre_agent.runner import run_triage
from sre_agent.trace import read_trace, strip_wall


@pytest.fixture(scope="module")
def scen27(tmp_path_factory):
    return simulated(tmp_path_factory.mktemp("scen"), "Scenario-27")


def test_cli_triage_names_the_root_cause_with_cited_evidence(scen27, tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "sre_agent", "triage", "--alert", str(scen27 / "alerts"), "--output-dir", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = proc.stdout
    assert "chaos-mesh/Schedule/otel-demo-quote-http-chaos-abort" in report.split("## Propagation")[0]
    assert re.search(r"\[call_\d+\] get_events", report), "root cause must cite a tool call id"
    answer = json.loads((out / "agent_output.json").read_text())
    assert set(answer) >= {"entities", "propagations", "alerts_explained"}
    roots = [e for e in answer["entities"] if e["contributing_factor"]]
    assert roots and all(e["id"].count("/") == 2 and e["evidence"] for e in roots)
    assert score(answer, load_ground_truth(scen27 / "ground_truth.yaml")).recall == 1.0
    events = list(read_trace(out / "trace.jsonl"))
    cited = {m for e in roots for line in e["evidence"] for m in re.findall(r"\[(call_\d+)\]", line)}
    executed = {e["call_id"] for e in events if e["type"] == "tool_result" and e["ok"]}
    assert cited and cited <= executed, "every cited call id must be a tool call that ran"
    assert events[0]["type"] == "run_start" and events[-1]["type"] == "run_end"


def test_format_json_prints_the_answer(scen27, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sre_agent", "triage", "--alert", str(scen27 / "alerts"),
                           "--output-dir", str(tmp_path / "r"), "--format", "json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["entities"]


def test_triage_is_deterministic(scen27, tmp_path):
    runs = [run_triage(alert=scen27 / "alerts", output_dir=tmp_path / f"r{i}") for i in range(2)]
    assert runs[0].agent_output == runs[1].agent_output
    traces = [[strip_wall(e) for e in read_trace(r.output_dir / "trace.jsonl")] for r in runs]
    assert traces[0] == traces[1]


def test_replayed_model_client_runs_the_same_team_path(scen27, tmp_path):
    """The path a real LLM takes (answers from a ChatCompletionClient that is not the offline
    reasoner: autogen-ext's ReplayChatCompletionClient) gives the recorded diagnosis."""
    cfg = load_config()
    recorder = RecordingClient(make_client(cfg.model))
    first = run_triage(alert=scen27 / "alerts", output_dir=tmp_path / "rec", config=cfg, client=recorder)
    rec = tmp_path / "answers.json"
    save_recording(recorder, rec)
    profile_dir = tmp_path / "cfg" / "models"
    profile_dir.mkdir(parents=True)
    (profile_dir / "replayed.yaml").write_text(f"kind: replay\nreplay_file: {rec}\n")
    (tmp_path / "cfg" / "run.yaml").write_text("model: replayed\n")
    replay_cfg = load_config(tmp_path / "cfg" / "run.yaml")
    assert replay_cfg.model.kind == "replay"
    second = run_triage(alert=scen27 / "alerts", output_dir=tmp_path / "replay", config=replay_cfg)
    assert [e["id"] for e in second.agent_output["entities"]] == [e["id"] for e in first.agent_output["entities"]]
    assert second.stats["model_calls"] == first.stats["model_calls"] == len(recorder.answers)


def test_openai_profile_builds_autogen_ext_client_without_calling_it(monkeypatch):
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    client = make_client(load_config(model="openai").model)
    stack = [type(client).__name__]
    while not isinstance(client, OpenAIChatCompletionClient):  # the endpoint stack wraps autogen-ext's client
        client = getattr(client, "_inner", None) or getattr(client, "client", None)
        assert client is not None, stack
        stack.append(type(client).__name__)
    assert stack == ["EndpointClient", "Transport", "OpenAIChatCompletionClient"]


def test_openai_profile_without_key_is_a_config_error(monkeypatch):
    from sre_agent.errors import ConfigError

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_client(load_config(model="openai").model)
