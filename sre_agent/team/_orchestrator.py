"""The orchestrator: owns the IncidentState, the trace, the fixes and the turn order.

The team is an autogen-agentchat ``SelectorGroupChat`` whose next speaker is chosen by code
(:meth:`Orchestrator.select`), never by a model.  After each agent message the orchestrator
ingests it: a planner's plan becomes hypotheses and pending steps, an investigator's tool calls
(run through :class:`GuardedWorkbench`) are distilled into evidence by the summarizer step, and
a verifier's verdicts (re-checked by the verification gate when it is on) set hypothesis
statuses.  The diagnosis is read from the state at the end.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from autogen_agentchat.messages import BaseAgentEvent, BaseChatMessage, TextMessage, ToolCallSummaryMessage
from autogen_core import FunctionCall
from autogen_core.models import ChatCompletionClient, FunctionExecutionResult, SystemMessage, UserMessage

from .. import telemetry
from ..analysis.analyzer import Analyzer
from ..backends._redact import one_line
from ..config import RunConfig
from ..fixes import Intervention, build_fixes
from ..fixes._loop_breaker import plan_key
from ..llm.offline import count_message_tokens
from ..llm.reasoning import canonical
from ..models import Alert
from ..prompts_loader import load_prompt
from ..state import AlertSummary, IncidentState, PlannedStep, PropagationEdge, alert_annotations
from ..trace import TraceWriter
from ._own_call import own_model_call
from ._unusable import UnusableTracker
from sre_agent.tools import ToolContext, all_tools, execute

ROLES = ("planner", "investigator", "verifier")
#: the termination state machine moves to verification after this many planning rounds without one
FORCE_VERIFY_AFTER = 8


class BudgetExceeded(Exception):
    pass


class Orchestrator:
    """State, fixes, trace and turn order of one investigation."""

    def __init__(self, backend: Any, alerts: list[Alert], config: RunConfig, client: ChatCompletionClient,
                 trace: TraceWriter) -> None:
        self.backend = backend
        self.config = config
        self.client = client
        self.trace = trace
        self.analyzer = Analyzer(backend, alerts, config.app_profile)
        self.fixes = build_fixes(config.fixes)
        self.tools = {t.name: t for t in all_tools()}
        self.tool_ctx = ToolContext(backend, self.analyzer, config.tools.max_items, config.tools.max_chars)
        self.state = IncidentState(alerts=[self._alert_summary(a) for a in alerts], namespace=self.analyzer.namespace)
        self.state.neighbourhood = list(self.analyzer.neighbourhood)
        self.executed: dict[str, str] = {}
        self.results: dict[str, Any] = {}
        self._unsummarized: list[str] = []
        self._seen_ids: set[str] = set()
        self.tool_calls = 0
        self.model_calls = 0
        self.total_tokens = 0
        self.max_context_tokens = 0
        self.turns = 0
        self.stop_reason = ""
        self.started = time.monotonic()
        self.last_speaker = ""
        self.last_plan_action = ""
        self._step_counter = 0
        self.rounds_since_verify = 0
        self.root_claims: list[str] = []
        self.blocked_repeats: dict[str, str] = {}  # blocked call id -> the earlier call it repeated
        self.budget_stop = ""
        self.planner_notice: str | None = None  # a refused stop's notice, shown once to the planner
        self.refused_stops = 0
        self.refused_plans: set[str] = set()  # plan_key of every plan whose stop was refused
        self.last_plan_key = ""
        self.turn_spans = telemetry.TurnSpans()
        self.unusable = UnusableTracker(self)  # gives up on a model whose answers cannot be used
        self.stop_detail = ""  # one line saying why, when the run ended on model_unusable
        self.prompt_tokens = self.completion_tokens = self.cached_calls = 0  # as the endpoint reported them

    # -- setup -----------------------------------------------------------------------------
    def _alert_summary(self, a: Alert) -> AlertSummary:
        subject = a.labels.get("service_name") or a.labels.get("service") or a.labels.get("deployment") or a.labels.get("pod") or ""
        return AlertSummary(key=a.key, name=a.name, subject=subject, namespace=a.namespace, severity=a.severity,
                            description=(a.annotations.get("description") or a.annotations.get("summary") or "")[:300],
                            active_at=a.active_at)

    def _alerts_view(self) -> dict[str, Any]:
        """The alerts for a context; their annotation text (attacker-writable) only inside untrusted_data."""
        view: dict[str, Any] = {"alerts": [a.model_dump(exclude_defaults=True, exclude={"description"}) | {"key": a.key, "name": a.name}
                                           for a in self.state.alerts]}
        annotations = alert_annotations(self.state.alerts)
        if annotations:
            view["untrusted_data"] = {"alert_annotations": annotations}
        return view

    def task_text(self) -> str:
        body = {**self._alerts_view(), "namespace": self.state.namespace, "neighbourhood": self.state.neighbourhood,
                "goal": "find the root-cause entities (namespace/Kind/name), the propagation chain and the evidence"}
        return "INCIDENT TASK\n" + json.dumps(body, sort_keys=True)

    def anchor_text(self) -> str | None:
        if not self.fixes["task_anchoring"].enabled:
            return None
        return "ALERT ANCHOR\n" + json.dumps({**self._alerts_view(), "namespace": self.state.namespace,
                                             "neighbourhood": self.state.neighbourhood}, sort_keys=True)

    def state_view(self) -> str:
        return self.state.render(self.config.context.max_state_tokens)

    def on_trim(self, agent: str, dropped: int) -> None:
        self.trace.emit("fix" if self.fixes["summarized_state"].enabled else "state_update",
                        **({"fix": "summarized_state", "mast": ["1.4"], "target": agent,
                            "action": f"left out {dropped} oldest message(s) to stay under the per-call token budget"}
                           if self.fixes["summarized_state"].enabled else
                           {"changes": {"context_trimmed": f"{agent}: {dropped} oldest message(s) dropped (token budget)"},
                            "digest": ""}))

    def context_for(self, agent: str) -> Any:
        return self.fixes["summarized_state"].context(  # type: ignore[attr-defined]
            agent, self.state_view, self.anchor_text, self.config.budgets.max_tokens_per_call,
            self.config.context.own_messages, self.on_trim, self.notice_for)

    def notice_for(self, agent: str) -> str | None:
        """What the orchestrator has to tell ``agent`` in its next context (pinned, never trimmed)."""
        return self.planner_notice if agent == "planner" else None

    def refuse_stop(self, iv: Intervention) -> None:
        """The termination FSM refused the model's stop: record it, and tell the planner why."""
        self.record_fix(iv)
        self.refused_stops += 1
        self.refused_plans.add(self.last_plan_key)
        self.planner_notice = self.fixes["termination_fsm"].refusal_notice(self)  # type: ignore[attr-defined]

    def record_fix(self, iv: Intervention) -> None:
        self.trace.emit("fix", fix=iv.fix, mast=list(iv.mast), target=iv.target, action=iv.action)
        telemetry.add_event(None, "fix", fix=iv.fix, mast=list(iv.mast), target=iv.target, action=iv.action)

    def set_phase(self, phase: str, reason: str) -> None:
        if phase == self.state.phase:
            return
        if self.fixes["termination_fsm"].enabled:
            self.trace.emit("phase", **{"from": self.state.phase, "to": phase, "reason": reason})
        self.state.phase = phase  # type: ignore[assignment]

    # -- budgets ---------------------------------------------------------------------------
    def over_budget(self) -> str | None:
        b = self.config.budgets
        if self.budget_stop:  # a model call was refused (token budgets) or the run timed out
            return self.budget_stop
        if self.turns >= b.max_turns:
            return "max_turns"
        if self.tool_calls >= b.max_tool_calls:
            return "max_tool_calls"
        if time.monotonic() - self.started > b.max_wall_seconds:
            return "max_wall_seconds"
        if self.total_tokens >= b.max_tokens_per_run:
            return "max_tokens_per_run"
        return None

    def wall_left(self) -> float:
        """Seconds left of the wall-clock budget (a model call may not wait longer)."""
        return max(0.0, self.config.budgets.max_wall_seconds - (time.monotonic() - self.started))

    def timed_out(self, agent: str) -> None:
        """A model call outlived the wall-clock budget: it was cancelled; the run ends."""
        if not self.budget_stop:
            self.budget_stop = "max_wall_seconds"
            self.trace.emit("state_update", changes={"budget": f"{agent}: model call cancelled at the wall-clock budget "
                                                               f"({self.config.budgets.max_wall_seconds}s)"}, digest="")

    def model_failed(self, agent: str, exc: BaseException) -> None:
        """The model endpoint failed (after its client's own retries): the run ends at the next turn
        boundary with a flagged partial diagnosis; the error is kept as one redacted line."""
        if not self.budget_stop:
            self.budget_stop = "model_error"
            self.trace.emit("state_update", changes={"model_error": f"{agent}: {one_line(f'{type(exc).__name__}: {exc}', 240)}"},
                            digest="")

    def refuse_call(self, agent: str, tokens: int) -> str | None:
        """The token budget a model call of ``tokens`` context tokens would break (then it is not
        made, and the run ends at the next turn boundary), or None."""
        b = self.config.budgets
        reason = None
        if tokens > b.max_tokens_per_call:
            reason = "max_tokens_per_call"
        elif self.total_tokens + tokens > b.max_tokens_per_run:
            reason = "max_tokens_per_run"
        if reason and not self.budget_stop:
            self.budget_stop = reason
            self.trace.emit("state_update", changes={"budget": f"{agent}: a call of {tokens} context tokens was not made "
                                                               f"({reason}; {self.total_tokens} tokens used)"}, digest="")
        return reason

    # -- tool calls (through the workbench) ------------------------------------------------
    async def call_tool(self, agent: str, name: str, args: Mapping[str, Any] | None, call_id: str) -> tuple[str, bool]:
        with telemetry.span("sre_agent.tool_call", parent=self.turn_spans.current(agent), agent=agent, tool=name,
                            call_id=call_id, args=telemetry.tool_args_text(args or {})) as sp:
            text, is_error = await self._call_tool(agent, name, args, call_id)
            telemetry.set_attributes(sp, ok=not is_error)
            return text, is_error

    async def _call_tool(self, agent: str, name: str, args: Mapping[str, Any] | None, call_id: str) -> tuple[str, bool]:
        args = dict(args or {})
        step = next((s for s in self.state.pending_steps() if s.tool == name and canonical(s.tool, s.args) == canonical(name, args)), None)
        announced = self.state.pending_steps()[0] if self.state.pending_steps() else None
        self.trace.emit("tool_call", agent=agent, call_id=call_id, tool=name, args=args,
                        step_id=step.id if step else None,
                        announced={"tool": announced.tool, "args": announced.args} if (announced and not step) else None)
        for fix_name in ("loop_breaker", "action_consistency", "task_anchoring"):
            iv = self.fixes[fix_name].check_tool_call(self, name, args)
            if iv is not None:
                self.record_fix(iv)
                msg = f"BLOCKED by {iv.fix}: {iv.action}"
                earlier = self.results.get(self.executed.get(canonical(name, args), "")) if iv.fix == "loop_breaker" else None
                if earlier is not None:  # not run again, but what it found is handed back under its own call id
                    self.trace.emit("tool_result", call_id=call_id, tool=name, ok=False, summary=msg, entities=[], anomalies=[],
                                    truncated=False, error=msg)
                    self.blocked_repeats[call_id] = earlier.call_id
                    return json.dumps({"call_id": call_id, "tool": name, "args": args, "error": msg,
                                       "earlier_result": json.loads(earlier.text)}), True
                if iv.fix != "loop_breaker":  # a refused step is settled: it is not planned again
                    self.state.calls_made.append({"call_id": call_id, "tool": name, "args": args, "blocked": iv.fix})
                self.trace.emit("tool_result", call_id=call_id, tool=name, ok=False, summary=msg, entities=[], anomalies=[],
                                truncated=False, error=msg)
                return json.dumps({"call_id": call_id, "tool": name, "args": args, "error": msg}), True
        if name not in self.tools:
            msg = f"unknown tool {name!r}"
            self.trace.emit("tool_result", call_id=call_id, tool=name, ok=False, summary=msg, entities=[], anomalies=[], truncated=False, error=msg)
            return json.dumps({"call_id": call_id, "tool": name, "args": args, "error": msg}), True
        if self.tool_calls >= self.config.budgets.max_tool_calls:
            msg = "tool-call budget exhausted"
            self.trace.emit("tool_result", call_id=call_id, tool=name, ok=False, summary=msg, entities=[], anomalies=[], truncated=False, error=msg)
            return json.dumps({"call_id": call_id, "tool": name, "error": msg}), True
        self.tool_calls += 1
        result = execute(self.tools[name], self.tool_ctx, args, call_id)
        self.executed.setdefault(canonical(name, args), call_id)
        self.state.calls_made.append({"call_id": call_id, "tool": name, "args": args})
        self.results[call_id] = result
        self._unsummarized.append(call_id)
        if step is not None:
            step.status, step.call_id = "done", call_id
        self.trace.emit("tool_result", call_id=call_id, tool=name, ok=result.ok, summary=result.summary,
                        entities=sorted({f.entity for f in result.findings}),
                        anomalies=[f"{f.entity}:{f.signal}" for f in result.findings][:20],
                        truncated=result.truncated, error=result.error)
        return result.text, not result.ok

    def broadcast_line(self, call: FunctionCall, result: FunctionExecutionResult) -> str:
        """What the other agents see of one tool call: call id, summary and findings (no bulk data)."""
        r = self.results.get(call.id) or self.results.get(self.blocked_repeats.get(call.id, ""))
        try:
            args = json.loads(call.arguments or "{}")
        except json.JSONDecodeError:
            args = {}
        if r is None:
            try:
                err = json.loads(result.content).get("error", result.content)
            except (json.JSONDecodeError, AttributeError):
                err = str(result.content)[:200]
            return "TOOL RESULT " + json.dumps({"call_id": call.id, "tool": call.name, "args": args, "error": err}, sort_keys=True)
        return "TOOL RESULT " + json.dumps({"call_id": r.call_id, "tool": call.name, "args": args, "summary": r.summary,
                                            "findings": [f.model_dump(exclude_defaults=True) | {"entity": f.entity, "signal": f.signal}
                                                         for f in r.findings[:12]]}, sort_keys=True)

    # -- ingest agent messages -------------------------------------------------------------
    async def ingest(self, messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> None:
        for m in messages:
            if not isinstance(m, BaseChatMessage) or m.id in self._seen_ids:
                continue
            self._seen_ids.add(m.id)
            if m.source == "user":
                continue
            self.turns += 1
            self.trace.turn = self.turns
            self.last_speaker = m.source
            text = m.to_model_text() if hasattr(m, "to_model_text") else str(getattr(m, "content", ""))
            with self.turn_spans.ingesting(m.source, self.turns):
                if m.source == "planner":
                    self.apply_plan(text)
                elif m.source == "investigator":
                    await self.summarize()
                    self.set_phase("hypothesize", "evidence summarized")
                elif m.source == "verifier":
                    self.apply_verdicts(text)

    def apply_plan(self, text: str) -> None:
        self.planner_notice = None  # the planner has answered it
        plan = _parse_block(text, "PLAN")
        if plan is None:
            self.trace.emit("plan", agent="planner", hypotheses=[], steps=[], error="unparseable plan")
            self.last_plan_action = "invalid"
            return
        self.last_plan_key = plan_key(plan)
        repeat = self.fixes["loop_breaker"].check_plan(self, self.last_plan_key)  # type: ignore[attr-defined]
        if repeat is not None:
            self.record_fix(repeat)
        for s in self.state.pending_steps():
            s.status = "skipped"
        steps = []
        for raw in plan.get("steps", [])[:8]:
            if not isinstance(raw, dict) or not isinstance(raw.get("tool"), str):
                continue
            self._step_counter += 1
            step = PlannedStep(id=f"S{self._step_counter}", tool=raw["tool"], args=raw.get("args") or {}, why=str(raw.get("why", ""))[:200])
            self.state.steps.append(step)
            steps.append(step)
        roots = [r for r in plan.get("root_causes", []) if isinstance(r, str)]
        proposed = set()
        for h in plan.get("hypotheses", [])[:8]:
            if not isinstance(h, dict) or not isinstance(h.get("entity"), str) or h["entity"].count("/") != 2:
                continue
            proposed.add(h["entity"])
            existing = self.state.hypothesis_for(h["entity"])
            status = existing.status if existing and existing.status in ("confirmed", "rejected") else \
                "supported" if h["entity"] in roots else "proposed"
            if existing is not None and existing.status == "rejected":
                if self.fixes["summarized_state"].enabled:
                    # the state remembers the verdict: a re-proposal with no new evidence is not re-opened
                    self.record_fix(self.fixes["summarized_state"].intervention(
                        h["entity"], "kept the rejected verdict; the planner re-proposed it without new evidence"))
                else:  # nothing remembers the verdict: the claim is re-opened
                    status = "supported" if h["entity"] in roots else "proposed"
                    if h["entity"] in self.state.ruled_out:
                        self.state.ruled_out.remove(h["entity"])
            self.state.upsert_hypothesis(h["entity"], mechanism=str(h.get("mechanism", ""))[:120], status=status,
                                         score=float(h.get("score", 0) or 0), evidence=[str(e) for e in h.get("evidence", [])][:8],
                                         reason=str(h.get("reason", ""))[:200])
        for item in plan.get("ruled_out_candidates", [])[:10]:  # e.g. trouble over before the onset
            ent = str(item.get("entity", "")) if isinstance(item, dict) else ""
            if ent.count("/") == 2 and ent not in roots and getattr(self.state.hypothesis_for(ent), "status", "") != "confirmed":
                self.state.upsert_hypothesis(ent, status="rejected", mechanism="distractor", reason=str(item.get("reason", ""))[:300])
                self.state.ruled_out += [] if ent in self.state.ruled_out else [ent]
        for r in roots:
            h = self.state.hypothesis_for(r) if r.count("/") == 2 else None
            if r.count("/") == 2 and h is None:
                self.state.upsert_hypothesis(r, status="supported")
        # hypotheses the planner no longer holds are dropped, verdicts are kept
        self.state.hypotheses = [h for h in self.state.hypotheses
                                 if h.entity in proposed or h.entity in roots or h.status in ("confirmed", "rejected")]
        if plan.get("propagation"):
            self.state.propagation = [PropagationEdge(**{k: str(e.get(k, "")) for k in ("source", "target", "condition", "effect")})
                                      for e in plan["propagation"] if isinstance(e, dict)][:30]
        self.root_claims = roots
        for item in plan.get("rule_out_alerts", [])[:20]:
            if isinstance(item, dict):
                self.rule_out_alert(str(item.get("key", "")), str(item.get("reason", ""))[:400])
        self.last_plan_action = str(plan.get("action", "investigate"))
        self.state.rounds += 1
        self.rounds_since_verify += 1
        self.trace.emit("plan", agent="planner", action=self.last_plan_action,
                        hypotheses=[{"entity": h.entity, "mechanism": h.mechanism, "status": h.status, "score": h.score}
                                    for h in self.state.hypotheses],
                        steps=[{"id": s.id, "tool": s.tool, "args": s.args, "why": s.why} for s in steps])
        if steps:
            self.set_phase("investigate", f"{len(steps)} step(s) planned")
        elif self.last_plan_action in ("verify", "conclude", "stop"):
            self.set_phase("verify", "planner asks for verification")

    async def summarize(self) -> None:
        """The summarizer step: a model call turns new tool results into evidence items."""
        ids = [c for c in self._unsummarized if c in self.results]
        self._unsummarized = []
        if not ids:
            return
        lines = []
        for cid in ids:
            r = self.results[cid]
            lines.append("TOOL RESULT " + json.dumps({"call_id": cid, "tool": r.tool, "args": r.args, "summary": r.summary,
                                                      "findings": [f.model_dump() for f in r.findings]}, sort_keys=True))
        messages = [SystemMessage(content=load_prompt("summarizer"))]
        anchor = self.anchor_text()
        if anchor:
            messages.append(UserMessage(content=anchor, source="orchestrator"))
        messages.append(UserMessage(content="\n".join(lines), source="investigator"))
        out = await self.model_call("summarizer", messages)
        parsed = _parse_block(out, "SUMMARY") or {}
        by_id = {e.get("call_id"): e for e in parsed.get("evidence", []) if isinstance(e, dict)}
        added = []
        for cid in ids:
            r = self.results[cid]
            e = by_id.get(cid)
            if e is None:
                continue  # the summarizer dropped it: its findings do not reach the state
            # only findings the tool itself made enter the state, as the tool made them: a model
            # (or text it quoted) cannot invent tool-backed evidence for the verification gate
            wanted = {(f.get("entity"), f.get("signal")) for f in e.get("findings", [])[:40] if isinstance(f, dict)}
            findings = [f for f in r.findings if (f.entity, f.signal) in wanted]
            item = self.state.add_evidence(cid, r.tool, str(e.get("summary", r.summary))[:300], findings, r.args)
            added.append(item.id)
        for q in parsed.get("open_questions", [])[:5]:
            if isinstance(q, str) and q not in self.state.open_questions:
                self.state.open_questions.append(q[:200])
        for cid in ids:
            r = self.results[cid]
            if not r.ok and r.error:
                src = self.tools[r.tool].source if r.tool in self.tools else r.tool
                if src not in self.state.missing_sources:
                    self.state.missing_sources.append(src)
        self.trace.emit("state_update", changes={"evidence_added": added, "call_ids": [e.call_id for e in self.state.evidence if e.id in added],
                                                 "open_questions": len(self.state.open_questions)},
                        digest=f"{len(self.state.evidence)} evidence, {len(self.state.hypotheses)} hypotheses")

    def apply_verdicts(self, text: str) -> None:
        parsed = _parse_block(text, "VERDICTS") or {}
        verdicts = [v for v in parsed.get("verdicts", []) if isinstance(v, dict) and isinstance(v.get("entity"), str)]
        for v in verdicts:
            v.setdefault("by", "verifier")
        self._record_verdicts(verdicts)
        self.rounds_since_verify = 0
        self.explain_alerts()
        self.set_phase("hypothesize", "verdicts recorded")

    def open_claims(self) -> list[Any]:
        """The planner's claims as they stand: the root causes it named (not rejected), else its
        best hypothesis not rejected.  Without the verification gate they enter the diagnosis."""
        hyps = self.state.hypotheses
        named = [h for h in hyps if h.entity in self.root_claims and h.status != "rejected"]
        return named or sorted((h for h in hyps if h.status != "rejected"), key=lambda h: -h.score)[:1]

    def check_claims_at_exit(self) -> None:
        """With the verification gate on, claims nobody checked (the model stopped before asking
        for verification, or a budget ran out) are re-checked by the gate at the exit instead of
        entering the diagnosis unchecked or being dropped unseen."""
        if not self.fixes["verification_gate"].enabled:
            return
        unchecked = [h.entity for h in self.open_claims() if h.status not in ("confirmed", "rejected")]
        if unchecked:
            self._record_verdicts([{"entity": e, "verdict": "unchecked", "by": "gate"} for e in unchecked])

    def _record_verdicts(self, verdicts: list[dict[str, Any]]) -> None:
        for iv in self.fixes["verification_gate"].review_verdicts(self, verdicts):
            self.record_fix(iv)
        for v in verdicts:
            status = v.get("verdict")
            if status not in ("confirmed", "rejected", "unverified"):
                status = "unverified"
            h = self.state.upsert_hypothesis(v["entity"], status=status)
            if status == "rejected" and v["entity"] not in self.state.ruled_out:
                self.state.ruled_out.append(v["entity"])
            self.trace.emit("verification", entity=v["entity"], verdict=status,
                            checks=[{"check": c.get("check"), "passed": bool(c.get("passed")),
                                     "call_ids": c.get("call_ids", c.get("evidence", []))} for c in v.get("checks", [])
                                    if isinstance(c, dict)], by=v.get("by", "verifier"))
            del h

    def rule_out_alert(self, key: str, reason: str) -> None:
        """The planner rules an alert out as unrelated; accepted only if no confirmed root cause reaches it."""
        for a in self.state.alerts:
            if a.key == key and not a.explained:
                self.explain_alerts()
                if a.explained:
                    return
                a.ruled_out = True
                a.explanation = f"ruled out: {reason}" if reason else "ruled out as unrelated to the diagnosed root cause"
                self.trace.emit("state_update", changes={"alert_ruled_out": key, "reason": a.explanation}, digest="")

    def explain_alerts(self) -> None:
        """Mark each alert explained when a confirmed root cause reaches its service."""
        an = self.analyzer
        confirmed = self.state.confirmed()
        for a in self.state.alerts:
            if a.ruled_out:
                continue
            service = an.service_of(an.resolve(a.subject)) if a.subject else ""
            if not confirmed:
                a.explained = False
                continue
            for h in confirmed:
                kind = h.entity.split("/")[1]
                related = {an.service_of(h.entity)} | {e.target.split("/")[-1] for e in self.state.propagation if e.source == h.entity}
                for _, f in self.state.findings():
                    if f.entity == h.entity:
                        related |= {an.service_of(r) or r.split("/")[-1] for r in f.related}
                related.discard("")
                if not service or kind in ("Namespace", "HorizontalPodAutoscaler"):
                    ok = True
                else:
                    # errors travel to callers along synchronous calls, never back up a message queue;
                    # or the chain the evidence drew (failed calls a log names, when no span shows them)
                    ok = bool(an.sync_reach(service) & related) or service in self._chain_from(h.entity)
                if ok:
                    a.explained = True
                    a.explanation = f"{h.entity} ({h.mechanism}) reaches {service or 'the namespace'}"
                    break
            else:
                a.explained = False

    def _chain_from(self, root: str) -> set[str]:
        """The services the propagation chain reaches from ``root``, edge by edge."""
        out, frontier = set(), {root}
        while frontier:
            nxt = {e.target for e in self.state.propagation if e.source in frontier} - out
            out |= nxt
            frontier = nxt
        return {t.split("/")[-1] for t in out if "/Service/" in t}

    # -- turn order ------------------------------------------------------------------------
    async def select(self, thread: Sequence[BaseAgentEvent | BaseChatMessage]) -> str:
        await self.ingest(thread)
        last = self.last_speaker
        if last in ("", "user"):
            self.set_phase("hypothesize", "alerts read")
            return "planner"
        if last == "planner":
            fsm = self.fixes["termination_fsm"]
            if fsm.enabled and self.rounds_since_verify >= FORCE_VERIFY_AFTER and self.state.hypotheses:
                self.record_fix(fsm.intervention("phase", f"{self.rounds_since_verify} planning rounds without verification: "
                                                          "moved to verify"))
                for s in self.state.pending_steps():
                    s.status = "skipped"
                self.set_phase("verify", "round limit")
                return "verifier"
            if self.state.pending_steps():
                return "investigator"
            if self.last_plan_action in ("verify", "conclude", "stop"):
                return "verifier"
            return "planner"
        if last == "investigator":
            return "planner"
        return "planner"

    async def model_call(self, agent: str, messages: list[Any]) -> str:
        """A model call of the orchestrator's own (the summarizer), see :mod:`._own_call`."""
        return await own_model_call(self, agent, messages)


def _parse_block(text: str, marker: str) -> dict[str, Any] | None:
    text = (text or "").strip()
    idx = text.find(marker)
    if idx < 0:
        return None
    body = text[idx + len(marker):].strip()
    start = body.find("{")
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(body[start:])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


from ._termination import RunTermination  # noqa: E402  (re-exported: defined beside the orchestrator before)
from ._workbench import GuardedWorkbench  # noqa: E402

__all__ = ["GuardedWorkbench", "Orchestrator", "RunTermination", "TextMessage", "ToolCallSummaryMessage"]
