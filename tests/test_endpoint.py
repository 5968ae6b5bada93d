"""The OpenAI-compatible path on the client side, against a real HTTP server on 127.0.0.1 and
autogen-ext's real OpenAIChatCompletionClient: completion caps and call parameters, giving up on
an endpoint that answers only prose, retries honouring Retry-After, the concurrency limit, the
JSON-schema response format and the disk response cache."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from autogen_core.models import SystemMessage, UserMessage

from sre_agent.config import OpenAIConfig, load_config
from sre_agent.llm.endpoint import build_endpoint_client
from sre_agent.mast import StructuralAnnotator
from sre_agent.trace import read_trace

from data_paths import PROJECT_ROOT
from openai_stub import MODEL_INFO, StubServer, write_profile
from scenarios import simulated


@pytest.fixture(scope="module")
def scen2(tmp_path_factory):
    return simulated(tmp_path_factory.mktemp("scen"), "Scenario-2")


def _config(folder: Path, **budgets: object) -> Path:
    import yaml

    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump({"budgets": budgets} if budgets else {}), encoding="utf-8")
    return path


def test_prose_endpoint_ends_model_unusable_in_few_calls(scen2: Path, tmp_path: Path) -> None:
    """The issue's case: an endpoint answering every request with prose.  Before, 40 model calls;
    now the planner is re-asked once and the third unusable answer ends the run."""
    with StubServer() as srv:
        write_profile(tmp_path, "prose", srv.base_url, max_tokens=64, stop=["</answer>"])
        out = tmp_path / "run"
        env = {**os.environ, "SRE_AGENT_LOCK_DIR": str(tmp_path / "locks")}
        proc = subprocess.run([sys.executable, "-m", "sre_agent", "triage", "--alert", str(scen2 / "alerts"),
                               "--config", str(_config(tmp_path)), "--model", "prose", "--output-dir", str(out),
                               "--format", "json"], capture_output=True, text=True, timeout=120, env=env,
                              cwd=PROJECT_ROOT)
        n_requests = len(srv.requests)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    why = [line for line in proc.stderr.splitlines() if "model_unusable" in line]
    assert len(why) == 1 and "3 unusable answers in a row" in why[0], proc.stderr
    output = json.loads(proc.stdout)
    assert output["incomplete"] is True and "model_unusable" in output["incomplete_reason"]
    stats = json.loads((out / "stats.json").read_text())
    assert stats["stop_reason"] == "model_unusable" and stats["unusable_answers"] == 3
    assert stats["model_calls"] == n_requests <= 10
    assert stats["prompt_tokens"] > 0 and stats["completion_tokens"] > 0
    assert stats["total_tokens"] == stats["prompt_tokens"] + stats["completion_tokens"]  # in and out
    assert "model_unusable" in (out / "report.md").read_text()
    # every request carried the profile's completion cap, stop sequences and a timeout
    assert all(r["max_tokens"] == 64 and r["stop"] == ["</answer>"] for r in srv.requests)
    events = list(read_trace(out / "trace.jsonl"))
    unusable = [e for e in events if e["type"] == "unusable_answer"]
    assert [(e["role"], e["kind"], e["mast"], e["streak"]) for e in unusable] == \
        [("planner", "format", "1.1", 1), ("planner", "format", "1.1", 2), ("planner", "format", "1.1", 3)]
    assert "no PLAN marker" in unusable[0]["reason"] and "answer 1" in unusable[0]["excerpt"]
    # the re-ask carried the parse error back to the model
    assert "ANSWER NOT USABLE: no PLAN marker" in json.dumps(srv.requests[1]["messages"])
    calls = [e for e in events if e["type"] == "model_call"]
    assert all(c["max_tokens"] == 64 and c["finish_reason"] == "stop" and c["usage"]["completion_tokens"] > 0
               for c in calls)
    ann = StructuralAnnotator().annotate(events)
    assert ann.labels["1.1"] == 1 and set(unusable[i]["seq"] for i in range(3)) <= set(ann.evidence["1.1"])


def test_retry_honours_retry_after_then_succeeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRE_AGENT_LOCK_DIR", str(tmp_path / "locks"))
    with StubServer(faults=[(429, {"Retry-After": "1"}), (503, {"retry-after-ms": "200"})]) as srv:
        cfg = OpenAIConfig(model="stub-model", base_url=srv.base_url, api_key_env="", model_info=MODEL_INFO,
                           max_retries=2)
        client = build_endpoint_client(cfg, "none")
        result = asyncio.run(client.create([SystemMessage(content="ROLE: planner"), UserMessage(content="hi", source="u")],
                                           extra_create_args=client.call_args("planner")))
        times = srv.times
    assert len(times) == 3 and "answer 3" in result.content
    assert times[1] - times[0] >= 0.95  # Retry-After: 1 (seconds)
    assert 0.18 <= times[2] - times[1] < 0.9  # retry-after-ms: 200


def test_retries_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import openai

    monkeypatch.setenv("SRE_AGENT_LOCK_DIR", str(tmp_path / "locks"))
    with StubServer(faults=[(500, {"Retry-After": "0"})] * 5) as srv:
        cfg = OpenAIConfig(model="stub-model", base_url=srv.base_url, api_key_env="", model_info=MODEL_INFO,
                           max_retries=1)
        client = build_endpoint_client(cfg, "none")
        with pytest.raises(openai.InternalServerError):
            asyncio.run(client.create([UserMessage(content="hi", source="u")]))
        assert len(srv.requests) == 2


def _burst(base_url: str, lock_dir: str, n: int) -> None:
    os.environ["SRE_AGENT_LOCK_DIR"] = lock_dir
    cfg = OpenAIConfig(model="stub-model", base_url=base_url, api_key_env="", model_info=MODEL_INFO, max_concurrency=2)
    client = build_endpoint_client(cfg, "none")

    async def many() -> None:
        await asyncio.gather(*[client.create([UserMessage(content=f"q{i}", source="u")]) for i in range(n)])

    asyncio.run(many())


def test_concurrency_limit_holds_across_processes(tmp_path: Path) -> None:
    """Two processes, four concurrent calls each, max_concurrency 2: never more than 2 in flight."""
    with StubServer(delay=0.15) as srv:
        ctx = multiprocessing.get_context("fork")
        procs = [ctx.Process(target=_burst, args=(srv.base_url, str(tmp_path / "locks"), 4)) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=60)
        assert all(p.exitcode == 0 for p in procs)
        assert len(srv.requests) == 8
        assert srv.max_in_flight == 2


def _plan_or_verdict(body: dict, n: int) -> str:
    fmt = body.get("response_format") or {}
    name = (fmt.get("json_schema") or {}).get("name") or (fmt.get("schema") or {}).get("title")
    if name == "plan":
        return json.dumps({"action": "conclude", "hypotheses": [], "steps": [], "root_causes": []})
    if name == "verdicts":
        return json.dumps({"verdicts": []})
    return "prose"


@pytest.mark.parametrize("dialect", ["json_schema", "json_object_schema"])
def test_json_schema_response_format_is_sent_and_parsed(scen2: Path, tmp_path: Path, dialect: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``response_format: json_schema`` the planner's call carries the PLAN schema and its
    bare-JSON answer is read as a plan (the marker is put back)."""
    from sre_agent.runner import run_triage

    monkeypatch.setenv("SRE_AGENT_LOCK_DIR", str(tmp_path / "locks"))
    with StubServer(answer=_plan_or_verdict) as srv:
        write_profile(tmp_path, "schema", srv.base_url, response_format=dialect)
        config = load_config(_config(tmp_path, max_turns=6), ["termination_fsm=off"], "schema")
        result = run_triage(alert=scen2 / "alerts", output_dir=tmp_path / "run", config=config)
        first = srv.requests[0]
    fmt = first["response_format"]
    schema = fmt["json_schema"]["schema"] if dialect == "json_schema" else fmt["schema"]
    assert fmt["type"] == {"json_schema": "json_schema", "json_object_schema": "json_object"}[dialect]
    assert schema["title"] == "plan" and "root_causes" in schema["properties"]
    events = list(read_trace(tmp_path / "run" / "trace.jsonl"))
    assert not [e for e in events if e["type"] == "unusable_answer"]
    assert [e.get("action") for e in events if e["type"] == "plan"][0] == "conclude"
    assert result.stats["stop_reason"] == "model_stop"


def test_a_second_sweep_is_answered_from_the_response_cache(scen2: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """ablate twice (fresh --out each time) with an endpoint profile that caches: the second
    sweep makes no request and writes the same results; the answers are numbered by the server,
    so a request the cache missed would change them."""
    import yaml

    from sre_agent.ablation import run_ablation

    monkeypatch.setenv("SRE_AGENT_LOCK_DIR", str(tmp_path / "locks"))
    with StubServer() as srv:
        write_profile(tmp_path, "cached", srv.base_url, cache=str(tmp_path / "response-cache"),
                      price_per_1k_prompt=0.5, price_per_1k_completion=2.0)
        config = _config(tmp_path)
        spec = tmp_path / "sweep.yaml"
        spec.write_text(yaml.safe_dump({
            "name": "cached-sweep", "profiles": ["cached"], "design": "explicit", "seeds": 2, "config": str(config),
            "settings": {"all-off": {"all": "off"}, "all-on": {"all": "on"}},
            "scenarios": [str(scen2)]}), encoding="utf-8")
        first = run_ablation(spec, tmp_path / "out1", jobs=1, progress=False, plots=False)
        n_first = len(srv.requests)
        second = run_ablation(spec, tmp_path / "out2", jobs=1, progress=False, plots=False)
        n_second = len(srv.requests) - n_first
    assert first.executed == second.executed == 4 and first.errors == 0
    assert n_first > 0 and n_second == 0
    csv1 = (tmp_path / "out1" / "results.csv").read_text()
    assert csv1 == (tmp_path / "out2" / "results.csv").read_text()
    for row in first.rows:
        a = (tmp_path / "out1" / "runs" / row["run_id"] / "agent_output.json").read_bytes()
        assert a == (tmp_path / "out2" / "runs" / row["run_id"] / "agent_output.json").read_bytes()
        assert float(row["cost_usd"]) > 0 and int(row["completion_tokens"]) > 0
    report = (tmp_path / "out2" / "report.md").read_text()
    assert "cost" in report and "tokens" in report


def test_eval_json_sums_tokens_and_cost(scen2: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sre_agent.eval.suite import run_suite

    monkeypatch.setenv("SRE_AGENT_LOCK_DIR", str(tmp_path / "locks"))
    with StubServer() as srv:
        write_profile(tmp_path, "priced", srv.base_url, price_per_1k_prompt=1.0, price_per_1k_completion=4.0)
        result = run_suite([scen2], config_args={"path": str(_config(tmp_path)), "model": "priced"}, seeds=1, jobs=1,
                           out_dir=tmp_path / "eval", progress=False)
        result.write_json(tmp_path / "eval.json")
        n_requests = len(srv.requests)
    usage = json.loads((tmp_path / "eval.json").read_text())["usage"]
    run = result.runs[0].stats
    assert usage["model_calls"] == n_requests == run["model_calls"] and usage["unusable_answers"] == 3
    expected = run["prompt_tokens"] / 1000 * 1.0 + run["completion_tokens"] / 1000 * 4.0
    assert usage["cost_usd"] == pytest.approx(expected, abs=1e-6) and usage["cost_usd"] > 0


def test_call_timeout_is_clipped_to_the_run_deadline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow endpoint, a profile timeout of 30 s, 0.5 s left of the run: the call gives up at
    the deadline and is not retried past it."""
    import openai

    from sre_agent.llm.endpoint import CALL_DEADLINE

    monkeypatch.setenv("SRE_AGENT_LOCK_DIR", str(tmp_path / "locks"))
    with StubServer(delay=10.0) as srv:
        cfg = OpenAIConfig(model="stub-model", base_url=srv.base_url, api_key_env="", model_info=MODEL_INFO,
                           timeout_seconds=30, max_retries=3)
        client = build_endpoint_client(cfg, "none")

        async def call() -> None:
            CALL_DEADLINE.set(time.monotonic() + 0.5)
            await client.create([UserMessage(content="hi", source="u")])

        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            asyncio.run(call())
        elapsed = time.monotonic() - started
        assert len(srv.requests) == 1
    assert 0.4 < elapsed < 6.0  # the deadline (0.5 s), far from the server's 10 s or the profile's 30 s


def test_semaphore_slots_are_released_by_their_holder(tmp_path: Path) -> None:
    """Calls finishing out of order release their own slot: never more than ``slots`` in flight."""
    from sre_agent.llm.limits import EndpointSemaphore

    sem = EndpointSemaphore("endpoint", 2, tmp_path)
    seen = {"now": 0, "max": 0}

    async def call(d: float) -> None:
        async with sem.slot():
            seen["now"] += 1
            seen["max"] = max(seen["max"], seen["now"])
            await asyncio.sleep(d)
            seen["now"] -= 1

    async def many() -> None:
        await asyncio.gather(*[call(d) for d in (0.01, 0.2, 0.15, 0.02, 0.1, 0.03, 0.05)])

    asyncio.run(many())
    assert seen["max"] == 2 and sem.held() == 0
