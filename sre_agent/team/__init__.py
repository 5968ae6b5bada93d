"""The planner / investigator / verifier team on autogen-agentchat.

Turn order is decided by code (:meth:`Orchestrator.select`), the agents coordinate through the
shared ``IncidentState``, and the run ends through :class:`RunTermination` (composable with
``|`` and ``&`` like any autogen termination condition).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.teams import SelectorGroupChat

from ..config import RunConfig
from ..fixes import Fix
from ..llm import make_client
from ..llm.traced import TracedClient
from ..models import Alert
from ..prompts_loader import load_prompt
from ..trace import TraceWriter
from ._orchestrator import Orchestrator
from ._termination import RunTermination, stop_reason
from ._workbench import GuardedWorkbench


def build_team(orch: Orchestrator) -> SelectorGroupChat:
    """Three AssistantAgents sharing the orchestrator's state, in a code-ordered SelectorGroupChat."""
    planner = AssistantAgent("planner", TracedClient(orch.client, "planner", orch), system_message=load_prompt("planner"),
                             model_context=orch.context_for("planner"), description="plans hypotheses and next steps")
    investigator = AssistantAgent(
        "investigator", TracedClient(orch.client, "investigator", orch), system_message=load_prompt("investigator"),
        model_context=orch.context_for("investigator"), workbench=GuardedWorkbench(orch), reflect_on_tool_use=False,
        max_tool_iterations=1, tool_call_summary_formatter=orch.broadcast_line, description="runs read-only tool calls")
    verifier = AssistantAgent("verifier", TracedClient(orch.client, "verifier", orch), system_message=load_prompt("verifier"),
                              model_context=orch.context_for("verifier"), description="checks claims against evidence")
    limit = MaxMessageTermination(orch.config.budgets.max_turns + 1)
    return SelectorGroupChat(
        [planner, investigator, verifier], model_client=orch.client, selector_func=orch.select,
        termination_condition=RunTermination(orch) | limit, allow_repeated_speaker=True,
    )


async def run_team(backend: Any, alerts: list[Alert], config: RunConfig, trace: TraceWriter,
                   snapshot_name: str = "", client: Any = None, fixes: Sequence[Fix] | None = None) -> Orchestrator:
    """Run the team to its end and return the orchestrator (state, counters, trace).

    ``client`` overrides the model client the config's profile describes (recording, tests);
    ``fixes`` the structural fixes the config switches on (a fix of one's own, say: every
    enabled fix runs through its hooks, see :mod:`sre_agent.fixes.base`).
    """
    client = client if client is not None else make_client(config.model, config.seed)
    orch = Orchestrator(backend, alerts, config, client, trace, fixes=fixes)
    if hasattr(client, "trace"):
        client.trace = trace  # failure-injecting profiles record what they inject
    if getattr(client, "incident", None) == "":  # ... and key their draws by the incident
        from ..llm.draws import incident_key
        client.incident = incident_key(snapshot_name, [a.key for a in alerts])
    trace.emit("run_start", config=config.describe(), alerts=[a.key for a in alerts], snapshot=snapshot_name, checks_cite=True,
               namespace=orch.state.namespace,
               neighbourhood=orch.state.neighbourhood, tools=sorted(orch.tools))
    team = build_team(orch)
    await team.run(task=orch.task_text())
    await orch.ingest([])
    orch.stop_reason = stop_reason(orch) or orch.over_budget() or "max_turns"
    orch.check_claims_at_exit()
    orch.explain_alerts()
    finalize(orch)
    await client.close()
    return orch


def finalize(orch: Orchestrator) -> None:
    """Flag the diagnosis incomplete where the exit criteria did not hold, and close the trace."""
    state = orch.state
    reasons = []
    if orch.stop_reason not in ("explained", "model_stop"):
        reasons.append(f"stopped by {orch.stop_reason}" + (f": {orch.stop_detail}" if getattr(orch, "stop_detail", "") else ""))
    if not state.confirmed():
        reasons.append("no confirmed root cause")
    if state.unexplained_alerts():
        reasons.append(f"{len(state.unexplained_alerts())} alert(s) unexplained")
    problems = [p for p in (orch.backend.problems() if hasattr(orch.backend, "problems") else [])]
    for p in problems:
        if p.source not in state.missing_sources:
            state.missing_sources.append(p.source)
    for source in sorted(getattr(orch.analyzer, "failed_sources", {})):  # analyses whose backend reads failed
        if source not in state.missing_sources:
            state.missing_sources.append(source)
    if orch.has("owns_phases"):
        state.incomplete = bool(reasons)
    else:
        state.incomplete = orch.stop_reason not in ("model_stop", "explained")
    from ..report import diagnosed, reported_roots
    named, verified = reported_roots(orch)
    if not verified and named:  # never an empty answer: unverified candidates, flagged
        state.incomplete = True
        reasons.append("root causes reported unverified")
    state.incomplete_reason = "; ".join(reasons)
    state.phase = "done"
    orch.trace.emit("diagnosis", entities=[h.entity for h in diagnosed(orch)], incomplete=state.incomplete,
                    missing=state.missing_sources, reason=state.incomplete_reason,
                    unverified=[] if verified else [h.entity for h in named])
    orch.trace.emit("run_end", stop_reason=orch.stop_reason, steps=orch.turns, tool_calls=orch.tool_calls,
                    model_calls=orch.model_calls, max_context_tokens=orch.max_context_tokens,
                    total_tokens=orch.total_tokens, incomplete=state.incomplete, unusable_answers=orch.unusable.total,
                    prompt_tokens=orch.prompt_tokens, completion_tokens=orch.completion_tokens)


__all__ = ["GuardedWorkbench", "Orchestrator", "RunTermination", "build_team", "run_team"]
