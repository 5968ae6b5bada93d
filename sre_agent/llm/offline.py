"""The offline model: a deterministic ``ChatCompletionClient`` that plays every role.

It reads exactly what an LLM would read — the system prompt (which names the role), the
rendered incident state or the transcript, and tool results — and answers in the same formats
the prompts ask an LLM for.  Same input, same output, byte for byte.  It never opens a file,
a backend or a ground truth.

Example:
    >>> import asyncio
    >>> from autogen_core.models import SystemMessage, UserMessage
    >>> client = OfflineReasoner()
    >>> msgs = [SystemMessage(content="ROLE: summarizer"),
    ...         UserMessage(content='TOOL RESULT {"call_id": "call_1", "tool": "get_alerts", "summary": "1 alert", "findings": []}', source="investigator")]
    >>> out = asyncio.run(client.create(msgs))
    >>> out.content.splitlines()[0]
    'SUMMARY'
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from autogen_core import CancellationToken, FunctionCall
from autogen_core.models import (
    AssistantMessage, ChatCompletionClient, CreateResult, FunctionExecutionResultMessage, LLMMessage,
    ModelCapabilities, ModelFamily, ModelInfo, RequestUsage, SystemMessage, UserMessage,
)
from autogen_core.tools import Tool, ToolSchema

from ..state import approx_tokens, parse_state
from . import reasoning
from .alert_rulings import rule_out_reasons
from .notes import noted_call_ids, recall, take_notes
from .timing import distractors
from .reasoning import Call, View, canonical

ROLE_RE = re.compile(r"^ROLE:\s*(\w+)", re.M)
MARKERS = ("PLAN", "VERDICTS", "SUMMARY", "TOOL RESULT", "INCIDENT TASK", "INCIDENT STATE", "ALERT ANCHOR",
           "STOP REFUSED")


def message_text(msg: LLMMessage) -> str:
    content = getattr(msg, "content", "")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for c in content:
            if isinstance(c, str):
                parts.append(c)
            elif isinstance(c, FunctionCall):
                parts.append(f"CALL {c.name} {c.arguments}")
            elif hasattr(c, "content"):
                parts.append(str(c.content))
        return "\n".join(parts)
    return str(content)


def count_message_tokens(messages: Sequence[LLMMessage], tools: Sequence[Tool | ToolSchema] = ()) -> int:
    """Approximate context size: every message's text plus 4 per message, plus tool schemas."""
    n = sum(approx_tokens(message_text(m)) + 4 for m in messages)
    for t in tools:
        schema = t.schema if isinstance(t, Tool) else t
        n += approx_tokens(json.dumps(schema, sort_keys=True))
    return n


def role_of(messages: Sequence[LLMMessage]) -> str:
    for m in messages:
        if isinstance(m, SystemMessage):
            found = ROLE_RE.search(m.content)
            if found:
                return found.group(1).lower()
    return "planner"


def _json_after(text: str, marker: str) -> Any:
    body = text[len(marker):].strip() if text.startswith(marker) else None
    if body is None:
        return None
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return None


def build_view(messages: Sequence[LLMMessage]) -> View:
    """Reconstruct the investigation from a context: the state message, else the transcript."""
    view = View()
    plans: list[dict[str, Any]] = []
    notes = _last_notes(messages)
    recall(view, notes)
    seen_calls: set[str] = noted_call_ids(notes)  # results the notes already hold are not counted twice
    for m in messages:
        if isinstance(m, SystemMessage):
            continue
        text = message_text(m)
        if text.startswith("INCIDENT STATE"):
            st = parse_state(text) or {}
            view.alerts = [_alert_view(a, st.get("namespace_hint")) for a in st.get("alerts", [])] or view.alerts
            view.neighbourhood = st.get("neighbourhood", view.neighbourhood)
            view.hypotheses = st.get("hypotheses", [])
            view.disputes = [d for d in st.get("disputes") or [] if isinstance(d, dict)]
            view.ruled_out = st.get("ruled_out", [])
            for h in view.hypotheses:
                if h.get("status") in ("confirmed", "rejected"):
                    view.verdicts[h["entity"]] = h["status"]
            for ev in (st.get("untrusted_data") or {}).get("evidence", []):
                if ev.get("call_id") in seen_calls:
                    continue
                seen_calls.add(ev.get("call_id"))
                view.calls.append(Call(ev.get("call_id", ""), ev.get("tool", ""), ev.get("args", {}), ev.get("summary", ""), ev.get("findings", [])))
            for c in st.get("calls_made", []):
                parts = c.split(" ", 2) if isinstance(c, str) else []
                if len(parts) == 3:
                    try:
                        args, _ = json.JSONDecoder().raw_decode(parts[2])
                    except json.JSONDecodeError:
                        continue
                    view.done.add(canonical(parts[1], args))
            view.pending.extend(st.get("pending_steps", []))
        elif text.startswith("INCIDENT TASK") or text.startswith("ALERT ANCHOR"):
            task = _json_after(text.split("\n", 1)[0] + "\n" + text.split("\n", 1)[-1], text.split("\n", 1)[0]) or {}
            if not view.alerts:
                view.alerts = [_alert_view(a) for a in task.get("alerts", [])]
            if task.get("namespace"):
                view.namespace = task["namespace"]
            if task.get("neighbourhood") and not view.neighbourhood:
                view.neighbourhood = task["neighbourhood"]
        elif text.startswith("STOP REFUSED"):  # the FSM names the alerts that still block the exit
            refused = _json_after(text, "STOP REFUSED") or {}
            by_key = {a["key"]: a for a in view.alerts}
            for a in refused.get("unexplained_alerts", []):
                if isinstance(a, dict) and a.get("key"):
                    if a["key"] in by_key:
                        by_key[a["key"]]["explained"] = False
                    else:
                        view.alerts.append(_alert_view(a))
        else:
            for line in text.splitlines():
                if line.startswith("TOOL RESULT "):
                    try:
                        r = json.loads(line[len("TOOL RESULT "):])
                    except json.JSONDecodeError:
                        continue
                    cid = r.get("call_id", "")
                    view.done.add(canonical(r.get("tool", ""), r.get("args", {})))
                    if cid in seen_calls:
                        continue
                    seen_calls.add(cid)
                    view.calls.append(Call(cid, r.get("tool", ""), r.get("args", {}), r.get("summary", r.get("error", "")), r.get("findings", [])))
            if text.startswith("PLAN"):
                p = _json_after(text, "PLAN")
                if isinstance(p, dict):
                    plans.append(p)
            elif text.startswith("VERDICTS"):
                v = _json_after(text, "VERDICTS") or {}
                for item in v.get("verdicts", []):
                    view.verdicts[item.get("entity", "")] = item.get("verdict", "")
                    if item.get("verdict") == "rejected":
                        view.ruled_out.append(item.get("entity", ""))
            elif isinstance(m, FunctionExecutionResultMessage):
                for r in m.content:
                    try:
                        rr = json.loads(r.content)
                    except (json.JSONDecodeError, TypeError):
                        continue
                    if isinstance(rr, dict) and rr.get("call_id") and rr["call_id"] not in seen_calls:
                        seen_calls.add(rr["call_id"])
                        view.calls.append(Call(rr["call_id"], rr.get("tool", r.name), {}, rr.get("summary", ""), rr.get("findings", [])))
    for c in view.calls:
        view.done.add(canonical(c.tool, c.args))
    if plans:
        view.claims = [c for c in plans[-1].get("root_causes", []) if isinstance(c, str)]
        view.last_hypotheses = [h for h in plans[-1].get("hypotheses", []) if isinstance(h, dict)]
    if not view.pending and plans:
        last = plans[-1]
        view.pending = [s for s in last.get("steps", []) if canonical(s.get("tool", ""), s.get("args", {})) not in view.done]
    if view.alerts:
        ns = next((a.get("namespace") for a in view.alerts if a.get("namespace")), None)
        if ns:
            view.namespace = ns
    return view


def _last_notes(messages: Sequence[LLMMessage]) -> dict[str, Any] | None:
    """The notes of the newest plan in context that has them (transcript mode only)."""
    for m in reversed(messages):
        text = message_text(m)
        if text.startswith("PLAN"):
            p = _json_after(text, "PLAN")
            if isinstance(p, dict) and isinstance(p.get("notes"), dict):
                return p["notes"]
    return None


def has_state(messages: Sequence[LLMMessage]) -> bool:
    """Whether the context carries the shared incident state (the summarized_state fix)."""
    return any(message_text(m).startswith("INCIDENT STATE") for m in messages if not isinstance(m, SystemMessage))


def compact_plan(plan: dict[str, Any]) -> dict[str, Any]:
    """A plan as short as it can be without losing what the team acts on (contexts are finite)."""
    out = dict(plan)
    out["hypotheses"] = [{k: v for k, v in h.items() if k in ("entity", "mechanism", "score", "related", "owners")}
                         | {"evidence": h.get("evidence", [])[:3]} for h in plan.get("hypotheses", [])[:4]]
    if "propagation" in out:
        out["propagation"] = [{k: e[k] for k in ("source", "target", "condition", "effect") if k in e}
                              for e in out["propagation"][:12]]
    return out


def _alert_view(a: dict[str, Any], _hint: Any = None) -> dict[str, Any]:
    subject = a.get("subject", "")
    ns = a.get("namespace", "")
    return {"key": a.get("key", ""), "name": a.get("name", ""), "subject": subject, "namespace": ns,
            "explained": bool(a.get("explained")) or bool(a.get("ruled_out")),
            "active_at": a.get("active_at"), "namespace_level": (not subject) or subject == ns}


class OfflineReasoner(ChatCompletionClient):
    """Deterministic stand-in for an LLM in every role (planner, investigator, verifier, summarizer)."""

    component_type = "model"

    def __init__(self, max_calls_per_turn: int = 6) -> None:
        self._max_calls = max_calls_per_turn
        self._calls = 0
        self._usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._last = RequestUsage(prompt_tokens=0, completion_tokens=0)

    # -- the roles -------------------------------------------------------------------------
    def respond(self, messages: Sequence[LLMMessage], tools: Sequence[Tool | ToolSchema] = ()) -> str | list[FunctionCall]:
        """The answer for a context: text for planner/verifier/summarizer, calls for the investigator."""
        role = role_of(messages)
        if role == "summarizer":
            results = []
            for m in messages:
                for line in message_text(m).splitlines():
                    if line.startswith("TOOL RESULT "):
                        try:
                            results.append(json.loads(line[len("TOOL RESULT "):]))
                        except json.JSONDecodeError:
                            continue
            return "SUMMARY\n" + json.dumps(reasoning.summarize(results), sort_keys=True)
        view = build_view(messages)
        if role == "investigator":
            calls = []
            allowed = {(t.name if isinstance(t, Tool) else t["name"]) for t in tools}
            for step in view.pending[: self._max_calls]:
                if allowed and step.get("tool") not in allowed:
                    continue
                self._calls += 1
                calls.append(FunctionCall(id=f"call_{self._calls}", name=step["tool"],
                                          arguments=json.dumps(step.get("args", {}), sort_keys=True)))
            return calls or "NO STEPS: nothing pending"
        if role == "verifier":
            claims = [h for h in view.hypotheses if h.get("status") == "supported"]
            if not claims and view.claims:  # no state in context: the claims are the last plan's root causes
                claims = [{"entity": e, "related": next((h.get("related", []) for h in view.last_hypotheses
                                                          if h.get("entity") == e), [])}
                          for e in view.claims if view.verdicts.get(e) not in ("confirmed", "rejected")]
            if not claims:
                claims = reasoning.root_causes(reasoning.hypotheses(view), set(reasoning.alert_services(view)))
            return "VERDICTS\n" + json.dumps({"verdicts": reasoning.verify(view, claims)}, sort_keys=True)
        ended = distractors(view)  # trouble over before the onset: not a cause (timing.py)
        view.ruled_out = view.ruled_out + [d["entity"] for d in ended if d["entity"] not in view.ruled_out]
        ended += reasoning.unreached(view)  # no alert reaches them: not a cause either (reach.py)
        view.ruled_out = view.ruled_out + [d["entity"] for d in ended if d["entity"] not in view.ruled_out]
        out = reasoning.plan(view)
        if ended:
            out["ruled_out_candidates"] = [{"entity": d["entity"], "reason": d["reason"]} for d in ended[:10]]
        if out["action"] in ("verify", "conclude"):
            roots = reasoning.root_causes(out["hypotheses"], set(reasoning.alert_services(view)))
            out["propagation"] = reasoning.propagation(view, roots)
        if out["action"] == "conclude":
            out["rule_out_alerts"] = rule_out_reasons(view, out.get("propagation", []),
                                                      [a for a in view.alerts if not a.get("explained")])
        if not has_state(messages):  # no shared state: keep what was established in the plan itself
            out["notes"] = take_notes(view)
        return "PLAN\n" + json.dumps(compact_plan(out), sort_keys=True, separators=(",", ":"))

    # -- ChatCompletionClient --------------------------------------------------------------
    async def create(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = (),
        tool_choice: Any = "auto", json_output: Any = None, extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        answer = self.respond(messages, tools)
        prompt = count_message_tokens(messages, tools)
        completion = approx_tokens(answer if isinstance(answer, str) else json.dumps([dataclasses.asdict(c) for c in answer]))
        self._last = RequestUsage(prompt_tokens=prompt, completion_tokens=completion)
        self._usage = RequestUsage(prompt_tokens=self._usage.prompt_tokens + prompt,
                                   completion_tokens=self._usage.completion_tokens + completion)
        return CreateResult(finish_reason="function_calls" if isinstance(answer, list) else "stop",
                            content=answer, usage=self._last, cached=False)

    async def create_stream(self, messages: Sequence[LLMMessage], **kwargs: Any) -> AsyncGenerator[str | CreateResult, None]:
        result = await self.create(messages, **kwargs)
        yield result

    async def close(self) -> None:
        return None

    def actual_usage(self) -> RequestUsage:
        return self._last

    def total_usage(self) -> RequestUsage:
        return self._usage

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return count_message_tokens(messages, tools)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return 128_000 - count_message_tokens(messages, tools)

    @property
    def capabilities(self) -> ModelCapabilities:  # type: ignore[override]
        return {"vision": False, "function_calling": True, "json_output": True}  # type: ignore[return-value]

    @property
    def model_info(self) -> ModelInfo:
        return {"vision": False, "function_calling": True, "json_output": True, "family": ModelFamily.UNKNOWN,
                "structured_output": False, "multiple_system_messages": True}


__all__ = ["OfflineReasoner", "build_view", "count_message_tokens", "message_text", "role_of",
           "AssistantMessage", "UserMessage"]
