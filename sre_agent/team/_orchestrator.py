"""The orchestrator: owns the IncidentState, the trace, the fixes, the budgets and the turn order.

The team is an autogen-agentchat ``SelectorGroupChat`` whose next speaker is chosen by code
(:meth:`Orchestrator.select`), never by a model.  After each agent message the orchestrator
ingests it: a planner's plan becomes hypotheses and pending steps (:mod:`._plans`), an
investigator's tool calls (run through :class:`~._workbench.GuardedWorkbench`) are distilled into
evidence by the summarizer step (:mod:`._summarize`), and a verifier's verdicts set hypothesis
statuses (:mod:`._verdicts`).  Which alerts the confirmed causes explain is asked of
:mod:`sre_agent.analysis.explain`.  Every enabled fix is run through its hooks
(:mod:`sre_agent.fixes.base`), never called by name.  The diagnosis is read from the state at the end.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from autogen_agentchat.messages import BaseAgentEvent, BaseChatMessage
from autogen_core import FunctionCall
from autogen_core.model_context import ChatCompletionContext
from autogen_core.models import ChatCompletionClient, FunctionExecutionResult

from .. import telemetry
from ..analysis.analyzer import Analyzer
from ..analysis.explain import explain_alerts, rule_out_alert
from ..config import RunConfig
from ..fixes import ContextParts, Fix, Intervention, TranscriptContext, Verdict, build_fixes
from ..fixes._loop_breaker import plan_key
from ..llm.reasoning import canonical
from ..models import Alert
from ..state import IncidentState
from ..trace import TraceWriter
from ._broadcast import alert_summary, alerts_view, broadcast_line
from ._budgets import Budgets
from ._own_call import own_model_call
from ._parse import parse_block
from ._plans import read_plan
from ._summarize import summarize
from ._unusable import UnusableTracker
from ._verdicts import record_verdicts, verdicts_from_answer
from sre_agent.tools import ToolContext, all_tools, execute

ROLES = ("planner", "investigator", "verifier")
STOP_ACTIONS = ("conclude", "stop")


class Orchestrator(Budgets):
    """State, fixes, trace, budgets and turn order of one investigation."""

    def __init__(self, backend: Any, alerts: list[Alert], config: RunConfig, client: ChatCompletionClient,
                 trace: TraceWriter, fixes: Sequence[Fix] | None = None) -> None:
        super().__init__(config.budgets, trace)
        self.backend = backend
        self.config = config
        self.client = client
        self.analyzer = Analyzer(backend, alerts, config.app_profile)
        #: every fix, in hook order; only the enabled ones run (``fixes`` replaces the config's set)
        self.all_fixes: list[Fix] = list(fixes) if fixes is not None else build_fixes(config.fixes)
        self.fixes = [f for f in self.all_fixes if f.enabled]
        self.tools = {t.name: t for t in all_tools()}
        self.tool_ctx = ToolContext(backend, self.analyzer, config.tools.max_items, config.tools.max_chars)
        self.state = IncidentState(alerts=[alert_summary(a) for a in alerts], namespace=self.analyzer.namespace)
        self.state.neighbourhood = list(self.analyzer.neighbourhood)
        self.executed: dict[str, str] = {}
        self.results: dict[str, Any] = {}
        self._unsummarized: list[str] = []
        self._seen_ids: set[str] = set()
        self.stop_reason = ""
        self.last_speaker = ""
        self.last_plan_action = ""
        self._step_counter = 0
        self.rounds_since_verify = 0
        self.root_claims: list[str] = []
        self.blocked_repeats: dict[str, str] = {}  # blocked call id -> the earlier call it repeated
        self.planner_notice: str | None = None  # a refused stop's notice, shown once to the planner
        self.refused_stops = 0
        self.stop_refused = False  # the planner's last stop was refused (read by the termination condition)
        self.refused_plans: set[str] = set()  # plan_key of every plan whose stop was refused
        self.last_plan_key = ""
        self.route: Intervention | None = None  # a fix hands the next turn to ``route.route``
        self.dispute_opened: dict[str, int] = {}  # disputed entity -> tool calls made when it opened
        self.turn_spans = telemetry.TurnSpans()
        self.unusable = UnusableTracker(self)  # gives up on a model whose answers cannot be used

    # -- what the fixes change in the team's own behaviour ------------------------------------
    def has(self, capability: str) -> bool:
        """Whether an enabled fix has ``capability`` (``pins_alert``, ``owns_phases``, ...)."""
        return any(getattr(f, capability) for f in self.fixes)

    def _first(self, capability: str) -> Fix | None:
        return next((f for f in self.fixes if getattr(f, capability)), None)

    @property
    def needs_confirmation(self) -> bool:
        """Only confirmed claims enter the diagnosis (else the planner's claims pass on its word)."""
        return self.has("needs_confirmation")

    # -- setup -----------------------------------------------------------------------------
    def task_text(self) -> str:
        body = {**alerts_view(self.state.alerts), "namespace": self.state.namespace, "neighbourhood": self.state.neighbourhood,
                "goal": "find the root-cause entities (namespace/Kind/name), the propagation chain and the evidence"}
        return "INCIDENT TASK\n" + json.dumps(body, sort_keys=True)

    def anchor_text(self) -> str | None:
        if not self.has("pins_alert"):
            return None
        return "ALERT ANCHOR\n" + json.dumps({**alerts_view(self.state.alerts), "namespace": self.state.namespace,
                                             "neighbourhood": self.state.neighbourhood}, sort_keys=True)

    def state_view(self) -> str:
        return self.state.render(self.config.context.max_state_tokens)

    def context_for(self, agent: str) -> ChatCompletionContext:
        """The agent's model context: the first enabled fix's (``context_for`` hook), else the transcript."""
        for fix in self.fixes:
            parts = ContextParts(self.state_view, self.anchor_text, self.config.budgets.max_tokens_per_call,
                                 self.config.context.own_messages, lambda a, n, f=fix: self._trimmed(a, n, f), self.notice_for)
            ctx = fix.context_for(agent, parts)
            if ctx is not None:
                return ctx
        return TranscriptContext(agent, self.state_view, self.anchor_text, self.config.budgets.max_tokens_per_call,
                                 lambda a, n: self._trimmed(a, n, None), self.notice_for)

    def _trimmed(self, agent: str, dropped: int, fix: Fix | None) -> None:
        if fix is not None:
            self.trace.emit("fix", fix=fix.name, mast=[fix.mast[0]], target=agent,
                            action=f"left out {dropped} oldest message(s) to stay under the per-call token budget")
        else:
            self.trace.emit("state_update", changes={"context_trimmed": f"{agent}: {dropped} oldest message(s) dropped (token budget)"},
                            digest="")

    def notice_for(self, agent: str) -> str | None:
        """What the orchestrator has to tell ``agent`` in its next context (pinned, never trimmed)."""
        return self.planner_notice if agent == "planner" else None

    def record_fix(self, iv: Intervention) -> None:
        self.trace.emit("fix", fix=iv.fix, mast=list(iv.mast), target=iv.target, action=iv.action)
        telemetry.add_event(None, "fix", fix=iv.fix, mast=list(iv.mast), target=iv.target, action=iv.action)

    def set_phase(self, phase: str, reason: str) -> None:
        if phase == self.state.phase:
            return
        if self.has("owns_phases"):
            self.trace.emit("phase", **{"from": self.state.phase, "to": phase, "reason": reason})
        self.state.phase = phase  # type: ignore[assignment]

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
        for fix in self.fixes:
            iv = fix.before_tool_call(self, name, args)
            if iv is None:
                continue
            self.record_fix(iv)
            msg = f"BLOCKED by {iv.fix}: {iv.action}"
            earlier = self.results.get(iv.repeat_of or "")
            if earlier is not None:  # not run again, but what it found is handed back under its own call id
                self.trace.emit("tool_result", call_id=call_id, tool=name, ok=False, summary=msg, entities=[], anomalies=[],
                                truncated=False, error=msg)
                self.blocked_repeats[call_id] = earlier.call_id
                return json.dumps({"call_id": call_id, "tool": name, "args": args, "error": msg,
                                   "earlier_result": json.loads(earlier.text)}), True
            if iv.repeat_of is None:  # a refused step is settled: it is not planned again
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
        """What the other agents see of one tool call (:func:`._broadcast.broadcast_line`)."""
        return broadcast_line(self.results.get(call.id) or self.results.get(self.blocked_repeats.get(call.id, "")), call, result)

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
                    ids, self._unsummarized = self._unsummarized, []
                    await summarize(ids, self.results, self.state, self.tools, self.trace, self.anchor_text(), self.model_call)
                    self.set_phase("hypothesize", "evidence summarized")
                elif m.source == "verifier":
                    self.apply_verdicts(text)

    def apply_plan(self, text: str) -> None:
        self.planner_notice = None  # the planner has answered it
        self.stop_refused = False
        plan = parse_block(text, "PLAN")
        if plan is None:
            self.trace.emit("plan", agent="planner", hypotheses=[], steps=[], error="unparseable plan")
            self.last_plan_action = "invalid"
            return
        self.last_plan_key = plan_key(plan)
        read = read_plan(self.state, plan, self._new_step_id, self._first("keeps_verdicts"), self.record_fix)
        self.root_claims = read.roots
        for key, reason in read.rule_outs:
            if rule_out_alert(self.analyzer, self.state, key, reason):
                a = next(a for a in self.state.alerts if a.key == key)
                self.trace.emit("state_update", changes={"alert_ruled_out": key, "reason": a.explanation}, digest="")
        self.last_plan_action = read.action
        self.state.rounds += 1
        self.rounds_since_verify += 1
        self.route = None
        for fix in self.fixes:  # a plan re-issued unchanged after its stop was refused; a round limit
            iv = fix.on_plan(self, self.last_plan_key)
            if iv is not None and iv.route is None:
                self.record_fix(iv)
            elif iv is not None and self.route is None:
                self.route = iv  # recorded when the turn is handed over
        self.trace.emit("plan", agent="planner", action=self.last_plan_action,
                        hypotheses=[{"entity": h.entity, "mechanism": h.mechanism, "status": h.status, "score": h.score}
                                    for h in self.state.hypotheses],
                        steps=[{"id": s.id, "tool": s.tool, "args": s.args, "why": s.why} for s in read.steps])
        if read.steps:
            self.set_phase("investigate", f"{len(read.steps)} step(s) planned")
        elif self.last_plan_action in ("verify", *STOP_ACTIONS):
            self.set_phase("verify", "planner asks for verification")
        if self.last_plan_action in STOP_ACTIONS and not self.over_budget():
            self._ask_stop()

    def _ask_stop(self) -> None:
        """The planner asks to stop: a fix may refuse (``may_stop``); the planner is told why."""
        for fix in self.fixes:
            iv = fix.may_stop(self)
            if iv is not None:
                self.record_fix(iv)
                self.stop_refused = True
                self.refused_stops += 1
                self.refused_plans.add(self.last_plan_key)
                self.planner_notice = iv.notice
                return

    def _new_step_id(self) -> str:
        self._step_counter += 1
        return f"S{self._step_counter}"

    def apply_verdicts(self, text: str) -> None:
        self._record(verdicts_from_answer(parse_block(text, "VERDICTS") or {}))
        self.rounds_since_verify = 0
        explain_alerts(self.analyzer, self.state)
        self.set_phase("hypothesize", "verdicts recorded")

    def _record(self, verdicts: list[Verdict]) -> None:
        record_verdicts(self, self.fixes, verdicts, self.trace, self.record_fix, self.dispute_opened)

    def open_claims(self) -> list[Any]:
        """The planner's claims as they stand: the root causes it named (not rejected), else its
        best hypothesis not rejected.  Without a fix that needs confirmation they enter the diagnosis."""
        hyps = self.state.hypotheses
        named = [h for h in hyps if h.entity in self.root_claims and h.status != "rejected"]
        return named or sorted((h for h in hyps if h.status != "rejected"), key=lambda h: -h.score)[:1]

    def check_claims_at_exit(self) -> None:
        """Claims nobody checked (the model stopped before asking for verification, or a budget ran
        out) are handed to the fixes' ``at_exit`` hooks (the verification gate re-checks them) instead
        of entering the diagnosis unchecked or being dropped unseen.  A disputed claim stays as it is."""
        disputed = {d.entity for d in self.state.disputes}
        unchecked = [h.entity for h in self.open_claims() if h.status not in ("confirmed", "rejected") and h.entity not in disputed]
        verdicts = [v for fix in self.fixes for v in fix.at_exit(self, unchecked)] if unchecked else []
        if verdicts:
            self._record(verdicts)

    def explain_alerts(self) -> None:
        """Ask :func:`sre_agent.analysis.explain.explain_alerts` which alerts the confirmed causes explain."""
        explain_alerts(self.analyzer, self.state)

    # -- turn order ------------------------------------------------------------------------
    async def select(self, thread: Sequence[BaseAgentEvent | BaseChatMessage]) -> str:
        await self.ingest(thread)
        last = self.last_speaker
        if last in ("", "user"):
            self.set_phase("hypothesize", "alerts read")
            return "planner"
        if last == "planner":
            if self.route is not None and self.route.route:  # e.g. the termination FSM's round limit
                iv, self.route = self.route, None
                self.record_fix(iv)
                for s in self.state.pending_steps():
                    s.status = "skipped"
                self.set_phase("verify", "round limit")
                return str(iv.route)
            if self.state.pending_steps():
                return "investigator"
            if self.last_plan_action in ("verify", *STOP_ACTIONS):
                return "verifier"
            return "planner"
        return "planner"

    async def model_call(self, agent: str, messages: list[Any]) -> str:
        """A model call of the orchestrator's own (the summarizer), see :mod:`._own_call`."""
        return await own_model_call(self, agent, messages)


__all__ = ["ROLES", "STOP_ACTIONS", "Orchestrator"]
