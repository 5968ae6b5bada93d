"""Budgets: every limit of ``BudgetsConfig`` ends the run with a flagged partial diagnosis.

Each budget is set tiny and met by a model that never stops on its own (the ``loses-exit``
profile, a scripted planner that always plans more work, a model call that hangs).  The run must
end (never hang), with ``agent_output["incomplete"]`` true and the budget named in the reason,
and no model call may exceed the per-call token budget.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from robust_helpers import RecordingReasoner, simulated
from sre_agent.config import BudgetsConfig, load_config
from sre_agent.llm.offline import role_of
from sre_agent.runner import run_triage

import sre_agent.team as team


class NeverStops(RecordingReasoner):
    """A planner that always plans one more (never repeated) step and never concludes."""

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def respond(self, messages: Any, tools: Any = ()) -> Any:
        out = super().respond(messages, tools)
        if role_of(messages) == "planner":
            self.n += 1
            kinds = ["Pod", "Service", "ConfigMap", "Deployment", "ReplicaSet", "Endpoints", "Secret", "Node"]
            return "PLAN\n" + json.dumps({"action": "investigate", "hypotheses": [], "steps": [
                {"tool": "list_objects", "args": {"kind": kinds[self.n % len(kinds)], "namespace": f"ns-{self.n}"}, "why": "more"}]})
        return out


class Hangs(RecordingReasoner):
    """Answers the first ``ok`` calls, then every model call hangs (a stuck endpoint)."""

    def __init__(self, ok: int = 3) -> None:
        super().__init__()
        self.ok = ok
        self.calls = 0

    async def create(self, messages: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls > self.ok:
            await asyncio.sleep(3600)
        return await super().create(messages, **kwargs)


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: Any = None, model: str | None = None,
         **budgets: Any) -> Any:
    config = load_config(model=model)
    config = config.model_copy(update={"budgets": config.budgets.model_copy(update=budgets)})
    if client is not None:
        monkeypatch.setattr(team, "make_client", lambda profile, seed=0: client)
    started = time.monotonic()
    result = run_triage(alert=simulated() / "alerts", output_dir=tmp_path / "out", config=config)
    result.stats["test_wall"] = time.monotonic() - started
    result.events = [json.loads(x) for x in (tmp_path / "out" / "trace.jsonl").read_text().splitlines()]
    return result


def _assert_flagged(result: Any, reason: str) -> None:
    out = result.agent_output
    assert result.stats["stop_reason"] == reason, result.stats
    assert out["incomplete"] is True
    assert reason in out["incomplete_reason"], out["incomplete_reason"]
    assert "Incomplete diagnosis" in result.report_md
    end = result.events[-1]
    assert end["type"] == "run_end" and end["stop_reason"] == reason and end["incomplete"] is True
    saved = json.loads((result.output_dir / "agent_output.json").read_text())
    assert saved["incomplete"] is True


def test_every_budget_is_in_the_config() -> None:
    # max_unusable_answers (model_unusable) is exercised in test_usable.py and test_endpoint.py
    assert set(BudgetsConfig.model_fields) == {"max_turns", "max_tool_calls", "max_wall_seconds", "max_tokens_per_call",
                                                "max_tokens_per_run", "max_unusable_answers"}


@pytest.mark.parametrize("client", ["loses-exit", "never-stops"])
def test_max_turns(client: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if client == "loses-exit":
        result = _run(tmp_path, monkeypatch, model="loses-exit", max_turns=3)
    else:
        result = _run(tmp_path, monkeypatch, client=NeverStops(), max_turns=5)
    _assert_flagged(result, "max_turns")
    assert result.stats["steps"] <= 6


def test_max_tool_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(tmp_path, monkeypatch, client=NeverStops(), max_tool_calls=2)
    _assert_flagged(result, "max_tool_calls")
    executed = [e for e in result.events if e["type"] == "tool_result" and e["ok"]]
    assert len(executed) <= 2 and result.stats["tool_calls"] <= 2


def test_max_wall_seconds_with_a_model_that_never_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(tmp_path, monkeypatch, client=NeverStops(), max_wall_seconds=0.3, max_turns=100000,
                  max_tool_calls=100000, max_tokens_per_run=10**9)
    _assert_flagged(result, "max_wall_seconds")
    assert result.stats["test_wall"] < 20


def test_max_wall_seconds_with_a_hanging_model_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(tmp_path, monkeypatch, client=Hangs(ok=3), max_wall_seconds=1.0)
    _assert_flagged(result, "max_wall_seconds")
    assert result.stats["test_wall"] < 15


def test_max_tokens_per_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = RecordingReasoner()
    result = _run(tmp_path, monkeypatch, client=client, max_tokens_per_call=1500)
    from sre_agent.state import approx_tokens

    for _role, msgs in client.contexts:  # what the model actually received
        assert sum(approx_tokens(text) + 4 for _, text in msgs) <= 1500 + 600  # + tool schemas counted apart
    for e in result.events:
        if e["type"] == "model_call":
            assert e["context_tokens"] <= 1500, e
    assert result.stats["max_context_tokens"] <= 1500
    if result.stats["stop_reason"] == "max_tokens_per_call":
        _assert_flagged(result, "max_tokens_per_call")
    else:  # the contexts were cut to fit instead (recorded in the trace)
        assert any("max_tokens_per_call" in json.dumps(e) or e["type"] == "fix" and e.get("fix") == "summarized_state"
                   for e in result.events)


def test_max_tokens_per_call_that_cannot_be_met(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At the minimum per-call budget even the pinned state does not fit: the call is not made, the run ends."""
    client = RecordingReasoner()
    result = _run(tmp_path, monkeypatch, client=client, max_tokens_per_call=256)
    _assert_flagged(result, "max_tokens_per_call")
    assert result.stats["max_context_tokens"] <= 256


@pytest.mark.parametrize("client", ["loses-exit", "never-stops"])
def test_max_tokens_per_run(client: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kwargs: dict[str, Any] = {"model": "loses-exit"} if client == "loses-exit" else {"client": NeverStops()}
    result = _run(tmp_path, monkeypatch, max_tokens_per_run=12000, max_turns=1000, max_tool_calls=1000, **kwargs)
    _assert_flagged(result, "max_tokens_per_run")
    assert result.stats["counted_context_tokens"] <= 12000
