"""Decisions a small model can make: each turn's answer schema built from the current state.

A profile with ``decision_mode: constrained`` asks every role for one JSON object whose schema
leaves only the choices the state offers (grammar-constrained decoding on servers that honour
``response_format`` with a schema, such as llama-cpp-python's):

* tool names are an enum of the tools the role was handed, each step or call one ``anyOf``
  branch per tool with its own arguments (services and entities as enums of the neighbourhood
  and of the entities in the state, namespaces as an enum of the incident's);
* hypothesis references (the verifier's verdicts, the planner's root causes) are enums of the
  open hypotheses and the state's entities; evidence references are enums of the call ids made;
* every free-text field has ``maxLength`` and every list ``maxItems``, so decoding cannot run on
  until ``max_tokens``.

The answer is still read by the same parsers and fixes: the schema narrows what can be written,
it fills in nothing.  The investigator's answer (``{"calls": [{"tool": ..., "args": ...}]}``) is
turned into the tool calls it names by :func:`as_function_calls`, as the server would have done
with its own tool-call grammar.

Example:
    >>> c = Choices(namespace="otel-demo", services=("cart",), entities=("otel-demo/Service/cart",),
    ...             tools=("trace_errors", "get_alerts"))
    >>> fmt = decision_format("investigator", c)
    >>> fmt["type"], fmt["schema"]["title"]
    ('json_object', 'tool_calls')
    >>> step = fmt["schema"]["properties"]["calls"]["items"]["anyOf"][0]
    >>> step["properties"]["tool"], step["properties"]["args"]["properties"]["service"]["enum"]
    ({'const': 'trace_errors'}, ['cart'])
    >>> [f.name for f in as_function_calls('{"calls": [{"tool": "get_alerts", "args": {}}]}')]
    ['get_alerts']
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from autogen_core import FunctionCall
from autogen_core.models import AssistantMessage, FunctionExecutionResultMessage, LLMMessage, SystemMessage, UserMessage

#: schema title of the investigator's constrained answer (read back into tool calls)
TOOL_CALLS = "tool_calls"
#: caps on every list and free-text field of a constrained answer
MAX_STEPS, MAX_HYPOTHESES, MAX_REFS, MAX_FINDINGS, MAX_TEXT = 3, 3, 3, 6, 80
#: object kinds a constrained step may name (list_objects, analyze_cluster)
KINDS = ("Pod", "Deployment", "Service", "ConfigMap", "NetworkPolicy", "HorizontalPodAutoscaler", "StatefulSet")
CHECKS = ("entity_exists", "anomaly_observed", "upstream_of_alerts")


@dataclass(frozen=True)
class Choices:
    """What the state offers a role this turn (each tuple becomes an enum)."""

    namespace: str = "default"
    services: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    open_hypotheses: tuple[str, ...] = ()
    call_ids: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    alert_keys: tuple[str, ...] = ()
    #: call id -> the signals its tool result found (the summarizer keeps a subset)
    signals: dict[str, tuple[str, ...]] = field(default_factory=dict)


def choices_from(state: Any, tools: tuple[str, ...] = (), results: dict[str, Any] | None = None) -> Choices:
    """The choices of an :class:`~sre_agent.state.IncidentState` (read only) and the tools handed
    to the role; ``results`` (call id -> tool result) gives the summarizer its signals."""
    ns = state.namespace
    services = tuple(dict.fromkeys(state.neighbourhood))
    found = [f.entity for e in state.evidence for f in e.findings]
    held = [h.entity for h in state.hypotheses]
    entities = tuple(dict.fromkeys([*held, *found, *(f"{ns}/Service/{s}" for s in services)]))
    open_h = tuple(h.entity for h in state.hypotheses if h.status not in ("confirmed", "rejected"))
    calls = tuple(c["call_id"] for c in state.calls_made if not c.get("blocked"))
    summarized = {e.call_id for e in state.evidence}
    signals = {cid: tuple(dict.fromkeys(f.signal for f in r.findings))
               for cid, r in (results or {}).items() if cid not in summarized}
    for r in (results or {}).values():
        entities += tuple(f.entity for f in r.findings if f.entity not in entities)
    return Choices(namespace=ns, services=services, entities=tuple(dict.fromkeys(entities)), open_hypotheses=open_h,
                   call_ids=calls, tools=tuple(tools), alert_keys=tuple(a.key for a in state.alerts), signals=signals)


def _text(limit: int = MAX_TEXT) -> dict[str, Any]:
    return {"type": "string", "maxLength": limit}


def _enum(values: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """A string enum; with no value to choose, a string no answer can hold (the list stays empty)."""
    return {"type": "string", "enum": list(values)} if values else {"type": "string", "maxLength": 0}


def _list(item: dict[str, Any], values: tuple[str, ...] | None = None, limit: int = MAX_REFS) -> dict[str, Any]:
    """An array of ``item`` with at most ``limit`` entries (none when ``values`` is empty)."""
    if values is not None and not values:
        return {"type": "array", "items": item, "maxItems": 0}
    return {"type": "array", "items": item, "maxItems": limit}


def _obj(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def _tool_args(tool: str, c: Choices) -> dict[str, Any]:
    """The arguments of one tool, each a choice from the state (optional filters left out)."""
    service = _enum(c.services)
    target = _enum(tuple(dict.fromkeys([*c.services, *c.entities])))
    ns = _enum((c.namespace,))
    args: dict[str, dict[str, Any]] = {
        "call_graph": {"service": service}, "trace_errors": {"service": service}, "search_logs": {"service": service},
        "list_objects": {"kind": _enum(KINDS), "namespace": ns}, "describe": {"entity": target},
        "recent_changes": {"namespace": ns}, "get_events": {"namespace": ns, "warnings_only": {"type": "boolean"}},
        "metric_anomalies": {"entity": target}, "analyze_cluster": {"namespace": ns},
        "query_metric": {"metric": _text(60)},
    }
    return _obj(args.get(tool, {}))


def _steps(c: Choices, why: bool) -> dict[str, Any]:
    branches = []
    for tool in c.tools:
        props: dict[str, Any] = {"tool": {"const": tool}, "args": _tool_args(tool, c)}
        if why:
            props["why"] = _text(40)
        branches.append(_obj(props))
    return _list({"anyOf": branches}, tuple(c.tools), MAX_STEPS)


def plan_schema(c: Choices) -> dict[str, Any]:
    """The planner's answer: the action first, then hypotheses, steps and root causes (the
    grammar writes keys as listed: with the action last, small models wrote ``"steps": []`` out of
    habit and were then held to verifying with no evidence).

    Each action is a branch with what it needs: "investigate" names at least one step, "verify"
    and "conclude" at least one root cause and no step, "give_up" neither -- and giving up is a
    choice only once a call was made (before that there is nothing it could rest on).  Which
    branch, which steps and which entities stay the model's choice; an empty plan that would end
    the run without a decision ("investigate" with nothing to investigate) cannot be written.
    """
    hyp = _obj({"entity": _enum(c.entities), "mechanism": _text(40), "score": {"type": "number"},
                "evidence": _list(_enum(c.call_ids), c.call_ids)})
    hyps = _list(hyp, c.entities, MAX_HYPOTHESES)
    roots = _list(_enum(c.entities), c.entities, 2)
    none = {"type": "array", "items": {"type": "string", "maxLength": 0}, "maxItems": 0}  # items: else the grammar ignores maxItems
    branches = [
        _obj({"action": {"const": "investigate"}, "hypotheses": hyps, "steps": {**_steps(c, why=True), "minItems": 1},
              "root_causes": roots}),
        _obj({"action": _enum(("verify", "conclude")), "hypotheses": hyps, "steps": none,
              "root_causes": {**roots, "minItems": 1}}),
    ]
    if c.call_ids:
        branches.append(_obj({"action": {"const": "give_up"}, "hypotheses": hyps, "steps": none, "root_causes": none}))
    return {"title": "plan", "anyOf": branches}


def verdicts_schema(c: Choices) -> dict[str, Any]:
    """The verifier's answer: one verdict per open hypothesis at most, checks from the fixed list."""
    check = _obj({"check": _enum(CHECKS), "passed": {"type": "boolean"}, "evidence": _list(_enum(c.call_ids), c.call_ids)})
    verdict = _obj({"entity": _enum(c.open_hypotheses), "verdict": _enum(("confirmed", "rejected")),
                    "checks": _list(check, None, len(CHECKS)), "reason": _text()})
    return {"title": "verdicts", **_obj({"verdicts": _list(verdict, c.open_hypotheses, MAX_HYPOTHESES)})}


def summary_schema(c: Choices) -> dict[str, Any]:
    """The summarizer's answer: per new call id, a short summary and findings the tool made."""
    signals = tuple(dict.fromkeys(s for v in c.signals.values() for s in v))
    finding = _obj({"entity": _enum(c.entities), "signal": _enum(signals)})
    item = _obj({"call_id": _enum(tuple(c.signals)), "summary": _text(),
                 "findings": _list(finding, signals, MAX_FINDINGS)})
    return {"title": "summary", **_obj({"evidence": _list(item, tuple(c.signals), max(1, len(c.signals)))})}


def calls_schema(c: Choices) -> dict[str, Any]:
    """The investigator's answer: the tool calls it makes, one branch per tool it was handed."""
    return {"title": TOOL_CALLS, **_obj({"calls": {**_steps(c, why=False), "minItems": 1}})}


SCHEMA_OF = {"planner": plan_schema, "verifier": verdicts_schema, "summarizer": summary_schema,
             "investigator": calls_schema}


def decision_format(role: str, choices: Choices) -> dict[str, Any] | None:
    """The ``response_format`` of ``role``'s constrained answer this turn (None: no such role)."""
    build = SCHEMA_OF.get(role)
    return None if build is None else {"type": "json_object", "schema": build(choices)}


@lru_cache(maxsize=None)
def decision_prompt(role: str) -> str | None:
    """The short system prompt of ``role`` for constrained profiles (``prompts/decide-<role>.md``:
    the schema carries the answer's shape, so the prompt says only what to choose), or None.

    >>> decision_prompt("planner").splitlines()[0], decision_prompt("summarizer")
    ('ROLE: planner', None)
    """
    path = resources.files("sre_agent.prompts").joinpath(f"decide-{role}.md")
    return path.read_text(encoding="utf-8") if path.is_file() else None


def with_decision_prompt(messages: Sequence[LLMMessage], role: str) -> list[LLMMessage]:
    """``messages`` with ``role``'s system prompt replaced by its :func:`decision_prompt`."""
    short = decision_prompt(role)
    head = f"ROLE: {role}"
    return [SystemMessage(content=short) if short and isinstance(m, SystemMessage) and m.content.startswith(head) else m
            for m in messages]


def as_text_history(messages: Sequence[LLMMessage]) -> list[LLMMessage]:
    """``messages`` with tool calls and tool results written as text, for a request that carries
    no tool schemas (a server then refuses tool-call messages): an assistant's calls become the
    ``{"calls": [...]}`` object it answered, their results a ``TOOL RESULT`` message per call."""
    out: list[LLMMessage] = []
    for m in messages:
        if isinstance(m, AssistantMessage) and not isinstance(m.content, str):
            calls = [{"tool": c.name, "args": _args(c.arguments), "id": c.id} for c in m.content]
            out.append(AssistantMessage(content=json.dumps({"calls": calls}, sort_keys=True), source=m.source))
        elif isinstance(m, FunctionExecutionResultMessage):
            text = "\n".join(f"TOOL RESULT {r.call_id} {r.name}: {r.content}" for r in m.content)
            out.append(UserMessage(content=text, source="tools"))
        else:
            out.append(m)
    return out


def _args(text: str) -> Any:
    try:
        return json.loads(text or "{}")
    except json.JSONDecodeError:
        return text


def as_function_calls(content: str, first_id: int = 1) -> list[FunctionCall] | None:
    """The tool calls a constrained investigator answer names (None: not such an answer;
    the usability check then reads the text as it is)."""
    try:
        doc = json.loads(content)
    except (json.JSONDecodeError, TypeError):
        return None
    calls = doc.get("calls") if isinstance(doc, dict) else None
    if not isinstance(calls, list) or not calls or not all(isinstance(x, dict) for x in calls):
        return None
    return [FunctionCall(id=f"call_{first_id + i}", name=str(x.get("tool", "")),
                         arguments=json.dumps(x.get("args", {}), sort_keys=True)) for i, x in enumerate(calls)]


__all__ = ["Choices", "TOOL_CALLS", "as_function_calls", "calls_schema", "choices_from", "decision_format",
           "decision_prompt", "as_text_history", "plan_schema", "summary_schema", "verdicts_schema", "with_decision_prompt"]
