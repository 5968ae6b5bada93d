"""Structural fixes from the MAST failure taxonomy, one module per fix, one protocol (`Fix`).

====================  ==================  ===========================================================
switch                MAST modes          what it does
====================  ==================  ===========================================================
summarized_state      FM-1.4, FM-2.1      agents see IncidentState + their last messages
termination_fsm       FM-1.5, FM-3.1      a state machine owns phases and the exit
verification_gate     FM-3.3, FM-3.2      root causes need tool-backed evidence re-checked by code
action_consistency    FM-2.6              the executed call must match the announced step
task_anchoring        FM-2.3              alert pinned in context; off-neighbourhood steps rejected
loop_breaker          FM-1.3              an identical tool call never runs twice
====================  ==================  ===========================================================
"""

from __future__ import annotations

from ..config import FixesConfig
from ._action_consistency import ActionConsistency
from ._loop_breaker import LoopBreaker
from ._summarized_state import StateContext, SummarizedState, TranscriptContext
from ._task_anchoring import TaskAnchoring
from ._termination_fsm import TerminationFSM
from ._verification_gate import VerificationGate, recheck
from .base import ContextParts, Fix, Intervention, RunView, Verdict

#: every fix, in the order the orchestrator runs their hooks (a repeated call is handed its
#: earlier result before the announced-step and neighbourhood checks look at it)
KINDS: tuple[type[Fix], ...] = (SummarizedState, TerminationFSM, VerificationGate, LoopBreaker, ActionConsistency,
                                TaskAnchoring)


def build_fixes(cfg: FixesConfig) -> list[Fix]:
    """One instance of every fix, in hook order, enabled or not as the config says."""
    return [k(enabled=getattr(cfg, k.name)) for k in KINDS]


__all__ = ["KINDS", "ActionConsistency", "ContextParts", "Fix", "Intervention", "LoopBreaker", "RunView", "Verdict", "StateContext", "SummarizedState",
           "TaskAnchoring", "TerminationFSM", "TranscriptContext", "VerificationGate", "build_fixes", "recheck"]
