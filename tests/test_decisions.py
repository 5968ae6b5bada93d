"""Decisions a small model can make (issue 23): each turn's answer schema is built from the state,
caps every text and list, and what a schema-following answer says is read by the same parsers;
a whole triage against a real HTTP server that answers with the schema's first choices acts
(tool calls from the investigator's constrained answer) and reaches the verifier."""

from __future__ import annotations

import importlib.util
import json

from pathlib import Path
from typing import Any

import pytest
from autogen_core.models import SystemMessage, UserMessage

from sre_agent.llm.decisions import (
    Choices, as_function_calls, as_text_history, choices_from, decision_format, with_decision_prompt,
)
from sre_agent.llm.schemas import with_marker
from sre_agent.llm.usable import check_answer, parse_block
from sre_agent.state import Finding, IncidentState

from openai_stub import StubServer, write_profile
from scenarios import simulated

TOOLS = ("get_alerts", "trace_errors", "search_logs", "describe", "list_objects", "get_events", "query_metric")


def _state() -> IncidentState:
    s = IncidentState(namespace="otel-demo", neighbourhood=["frontend", "cart"])
    s.add_evidence("call_1", "trace_errors", "cart errors", [Finding(entity="otel-demo/Deployment/cart", signal="error_spans")])
    s.upsert_hypothesis("otel-demo/Deployment/cart", status="proposed")
    s.upsert_hypothesis("otel-demo/Service/frontend", status="rejected")
    s.calls_made += [{"call_id": "call_1", "tool": "trace_errors", "args": {}},
                     {"call_id": "call_2", "tool": "trace_errors", "args": {}, "blocked": "loop_breaker"}]
    return s


def _walk(schema: Any, path: str = "$"):
    if isinstance(schema, dict):
        yield path, schema
        for key, value in schema.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from _walk(value, f"{path}[{i}]")


def test_choices_come_from_the_state() -> None:
    c = choices_from(_state(), TOOLS)
    assert c.services == ("frontend", "cart")
    assert c.open_hypotheses == ("otel-demo/Deployment/cart",)  # the rejected one is not open
    assert c.call_ids == ("call_1",)  # a blocked call made nothing to cite
    assert {"otel-demo/Deployment/cart", "otel-demo/Service/frontend", "otel-demo/Service/cart"} <= set(c.entities)


@pytest.mark.parametrize("role", ["planner", "investigator", "verifier", "summarizer"])
def test_every_text_and_list_is_capped(role: str) -> None:
    """Grammar-constrained decoding cannot run on: every free string has maxLength, every list maxItems."""
    c = choices_from(_state(), TOOLS)
    c = Choices(**{**c.__dict__, "signals": {"call_3": ("error_logs",)}})
    schema = decision_format(role, c)["schema"]
    for path, node in _walk(schema):
        if node.get("type") == "string":
            assert "enum" in node or "maxLength" in node, path
        if node.get("type") == "array":
            assert "maxItems" in node, path
        if node.get("type") == "object" and "properties" in node:
            assert node.get("additionalProperties") is False, path


def test_enums_hold_only_what_the_state_offers() -> None:
    c = choices_from(_state(), TOOLS)
    verdicts = decision_format("verifier", c)["schema"]
    entity = verdicts["properties"]["verdicts"]["items"]["properties"]["entity"]
    assert entity["enum"] == ["otel-demo/Deployment/cart"]
    calls = decision_format("investigator", c)["schema"]["properties"]["calls"]
    branches = {b["properties"]["tool"]["const"]: b["properties"]["args"] for b in calls["items"]["anyOf"]}
    assert sorted(branches) == sorted(TOOLS)
    assert branches["trace_errors"]["properties"]["service"]["enum"] == ["frontend", "cart"]
    assert branches["list_objects"]["properties"]["namespace"]["enum"] == ["otel-demo"]
    # nothing to choose from: the list must stay empty rather than offer a free string
    empty = decision_format("verifier", Choices(namespace="otel-demo"))["schema"]
    assert empty["properties"]["verdicts"]["maxItems"] == 0


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python (the llm extra) not installed")
@pytest.mark.parametrize("role", ["planner", "investigator", "verifier", "summarizer"])
def test_llama_cpp_turns_each_schema_into_a_grammar(role: str) -> None:
    """The server's own converter (llama-cpp-python) accepts every schema this module builds."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    c = Choices(**{**choices_from(_state(), TOOLS).__dict__, "signals": {"call_3": ("error_logs",)}})
    grammar = json_schema_to_gbnf(json.dumps(decision_format(role, c)["schema"]))
    assert "root ::=" in grammar and "otel-demo" in grammar  # an enum of the state's made it in
    # no free JSON anywhere (an array without items gets the generic rule, its maxItems ignored)
    assert "value ::=" not in grammar and "array ::=" not in grammar


def test_each_plan_action_carries_what_it_needs() -> None:
    """investigate names a step, verify/conclude a root cause and no step, give_up neither: an
    empty "investigate" plan, which would end the run undecided, is not in the grammar."""
    branches = decision_format("planner", choices_from(_state(), TOOLS))["schema"]["anyOf"]
    by_action = {json.dumps(b["properties"]["action"], sort_keys=True): b["properties"] for b in branches}
    investigate = by_action['{"const": "investigate"}']
    assert investigate["steps"]["minItems"] == 1 and "minItems" not in investigate["root_causes"]
    verify = next(p for a, p in by_action.items() if "verify" in a)
    assert verify["steps"]["maxItems"] == 0 and verify["root_causes"]["minItems"] == 1
    assert all(list(b["properties"])[0] == "action" for b in branches)  # chosen first, the rest follows it
    assert by_action['{"const": "give_up"}']["root_causes"]["maxItems"] == 0
    # before any call there is nothing to give up on
    first = decision_format("planner", Choices(namespace="otel-demo", services=("cart",), entities=("otel-demo/Service/cart",),
                                               tools=TOOLS))["schema"]["anyOf"]
    assert ["give_up" in json.dumps(b["properties"]["action"]) for b in first] == [False, False]


def test_a_schema_shaped_answer_is_read_by_the_same_parsers() -> None:
    plan = {"hypotheses": [{"entity": "otel-demo/Deployment/cart", "mechanism": "crash", "score": 0.7, "evidence": ["call_1"]}],
            "steps": [{"tool": "search_logs", "args": {"service": "cart"}, "why": "errors"}],
            "root_causes": ["otel-demo/Deployment/cart"], "action": "verify"}
    text = with_marker("plan", json.dumps(plan))
    assert check_answer("planner", text) is None and parse_block(text, "PLAN")[0] == plan
    calls = as_function_calls(json.dumps({"calls": [{"tool": "search_logs", "args": {"service": "cart"}}]}), 7)
    assert [(c.id, c.name, json.loads(c.arguments)) for c in calls] == [("call_7", "search_logs", {"service": "cart"})]
    assert check_answer("investigator", calls, TOOLS) is None
    assert as_function_calls("I would look at the logs") is None  # prose stays prose: judged unusable as before
    assert check_answer("investigator", "I would look at the logs", TOOLS).kind == "format"


def test_only_the_roles_own_system_prompt_is_shortened() -> None:
    msgs = [SystemMessage(content="ROLE: planner\nlong instructions"), UserMessage(content="ROLE: planner", source="x")]
    out = with_decision_prompt(msgs, "planner")
    assert out[0].content.startswith("ROLE: planner\n") and "long instructions" not in out[0].content
    assert out[1] is msgs[1]
    assert with_decision_prompt(msgs, "verifier")[0] is msgs[0]


def test_tool_history_is_written_as_text_for_a_request_without_tools() -> None:
    from autogen_core import FunctionCall
    from autogen_core.models import AssistantMessage, FunctionExecutionResult, FunctionExecutionResultMessage

    msgs = [UserMessage(content="task", source="user"),
            AssistantMessage(content=[FunctionCall(id="call_1", name="search_logs", arguments='{"service": "cart"}')], source="investigator"),
            FunctionExecutionResultMessage(content=[FunctionExecutionResult(call_id="call_1", name="search_logs", content="3 errors")])]
    out = as_text_history(msgs)
    assert out[0] is msgs[0] and isinstance(out[1].content, str) and isinstance(out[2], UserMessage)
    assert json.loads(out[1].content) == {"calls": [{"args": {"service": "cart"}, "id": "call_1", "tool": "search_logs"}]}
    assert out[2].content == "TOOL RESULT call_1 search_logs: 3 errors"


def _first_choice(node: dict[str, Any]) -> Any:
    """The answer a schema-following model that always takes the first choice would write."""
    if "const" in node:
        return node["const"]
    if "anyOf" in node:
        return _first_choice(node["anyOf"][0])
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object":
        return {k: _first_choice(v) for k, v in node.get("properties", {}).items()}
    if kind == "array":
        return [] if node.get("maxItems") == 0 else [_first_choice(node["items"])]
    return {"string": "x", "number": 0.5, "boolean": True, "integer": 1}[kind]


def _answer(body: dict[str, Any], n: int) -> str:
    schema = (body.get("response_format") or {}).get("schema") or {}
    doc = _first_choice(schema)
    if schema.get("title") == "plan" and doc["hypotheses"][0]["evidence"]:  # a call is cited: the verify branch
        doc = _first_choice(schema["anyOf"][1])
    return json.dumps(doc)


@pytest.mark.parametrize("fixes", [[], ["all=off"]])
def test_a_constrained_triage_acts_and_reaches_verification(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            fixes: list[str]) -> None:
    """Against a real HTTP server whose answers follow each request's schema: the investigator's
    request carries no tool schemas, its answer becomes tool calls that run, and a plan citing
    their ids reaches the verifier.  With the fixes off the agents see the raw transcript: its
    tool calls and results travel as text (a server refuses tool messages without tools)."""
    from sre_agent.config import load_config
    from sre_agent.runner import run_triage
    from sre_agent.trace import read_trace

    scen = simulated(tmp_path / "scen", "Scenario-27")
    monkeypatch.setenv("SRE_AGENT_LOCK_DIR", str(tmp_path / "locks"))
    with StubServer(answer=_answer) as srv:
        write_profile(tmp_path, "decide", srv.base_url, decision_mode="constrained", max_tokens=256)
        (tmp_path / "config.yaml").write_text("budgets:\n  max_turns: 8\n", encoding="utf-8")
        config = load_config(tmp_path / "config.yaml", fixes, "decide")
        result = run_triage(alert=scen / "alerts", output_dir=tmp_path / "run", config=config)
        requests = list(srv.requests)
    titles = [r["response_format"]["schema"]["title"] for r in requests]
    assert titles[:2] == ["plan", "tool_calls"] and "verdicts" in titles and "summary" in titles
    investigator = requests[titles.index("tool_calls")]
    assert not investigator.get("tools")  # the tools travel in the schema only
    sent = [m for r in requests for m in r["messages"]]
    assert not [m for m in sent if m["role"] == "tool" or m.get("tool_calls")]
    assert investigator["messages"][0]["content"].startswith("ROLE: investigator\n\nYou run the pending steps")
    events = list(read_trace(tmp_path / "run" / "trace.jsonl"))
    assert result.stats["tool_calls"] >= 1 and not [e for e in events if e["type"] == "unusable_answer"]
    verifier = [e for e in events if e["type"] == "model_call" and e["agent"] == "verifier"]
    assert verifier and '"verdict": "confirmed"' in verifier[0]["output"]  # the stub's first choice
    assert any(e["type"] == "verification" for e in events)  # recorded (re-checked by the gate, which is on)

