"""The one protocol every structural fix implements: typed hooks the orchestrator runs generically.

A fix is a switch in the orchestration layer (never inside a model client, so it works the
same for any model).  It never sees the orchestrator: each hook gets a :class:`RunView`, a typed,
read-mostly view of the run (state, analyzer, what ran, what was refused), and answers; the
orchestrator acts on the answer (blocks a call, records a verdict, refuses a stop) and writes
every :class:`Intervention` to the trace as a ``fix`` event naming the fix, its MAST codes, the
target and what it changed.  The team never calls a fix by name: it runs each hook for every
enabled fix, in the order of :func:`sre_agent.fixes.build_fixes`, at these points of a run:

==================  ======================================================================
hook                when, and what the answer does
==================  ======================================================================
context_for         building an agent's model context: the first fix returning one supplies it
on_plan             a planner's plan was read: an intervention is recorded (``route`` hands
                    the turn to that agent next)
before_tool_call    before a tool call runs: the first intervention blocks it (``repeat_of``
                    hands the earlier call's result back under the new call id)
on_verdict          after verdicts were given (by the verifier, or at the exit): may change
                    them in place (into a confirmation only an ``unchecked`` one) and record disputes
at_exit             the run ended: verdicts for claims nobody verified, to go through on_verdict
may_stop            the run would end now: an intervention refuses the stop (its ``notice`` is
                    pinned in the planner's next context); a pure read of the view
==================  ======================================================================

Capabilities (class flags) say what a fix changes in the team's own behaviour:
``pins_alert`` (the alert anchor heads every context), ``owns_phases`` (phase events, a run
ending without its exit criteria is flagged incomplete), ``keeps_verdicts`` (a rejected claim is
not re-opened by a re-proposal), ``needs_confirmation`` (only confirmed claims enter the diagnosis).

A disabled fix is inert: the orchestrator runs only enabled fixes.

Example:
    >>> class Nothing(Fix):
    ...     name = "nothing"
    ...     mast = ("1.1",)
    >>> Nothing().before_tool_call(None, "get_alerts", {}) is None, Nothing(enabled=False).enabled
    (True, False)
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from autogen_core.model_context import ChatCompletionContext

    from ..state import IncidentState
    from ..verdicts import Check, Dispute


@dataclass
class Intervention:
    """What a fix did: recorded in the trace and, for blocks, told to the agent."""

    fix: str
    mast: tuple[str, ...]
    target: str
    action: str
    #: before_tool_call: the earlier call whose result is handed back instead of running again
    repeat_of: str | None = None
    #: may_stop: what the planner is told in its next context
    notice: str | None = None
    #: on_plan: the agent who speaks next (the termination FSM's round limit: "verifier")
    route: str | None = None


@dataclass
class Verdict:
    """One verdict on a claimed root cause, as the team records it."""

    entity: str
    verdict: str  #: confirmed | rejected | unverified | unchecked (the gate's exit re-check)
    checks: list[Check] = field(default_factory=list)
    by: str = "verifier"
    #: the checks the verifier and the gate judged differently (see :mod:`sre_agent.verdicts`)
    disputes: list[Dispute] = field(default_factory=list)


class RunView(Protocol):
    """What a fix may read of a run.  Read-mostly: fixes answer, the orchestrator acts."""

    @property
    def state(self) -> IncidentState: ...
    @property
    def analyzer(self) -> Any: ...
    @property
    def executed(self) -> Mapping[str, str]: ...  # canonical call -> the first call id that ran it
    @property
    def refused_plans(self) -> AbstractSet[str]: ...  # plan keys whose stop was refused
    @property
    def refused_stops(self) -> int: ...
    @property
    def rounds_since_verify(self) -> int: ...
    @property
    def tool_calls(self) -> int: ...


@dataclass
class ContextParts:
    """What an agent's model context is built from (handed to ``context_for``)."""

    state_view: Callable[[], str]
    anchor: Callable[[], str | None]
    max_tokens: int
    own_messages: int
    on_trim: Callable[[str, int], None]
    notice: Callable[[str], str | None]


class Fix(ABC):
    """Base of every structural fix.  Subclasses override only the hooks they need."""

    name: ClassVar[str] = ""
    mast: ClassVar[tuple[str, ...]] = ()
    pins_alert: ClassVar[bool] = False
    owns_phases: ClassVar[bool] = False
    keeps_verdicts: ClassVar[bool] = False
    needs_confirmation: ClassVar[bool] = False

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def intervention(self, target: str, action: str, **extra: Any) -> Intervention:
        return Intervention(self.name, self.mast, target, action, **extra)

    # -- hooks (all no-ops by default), in the order a run meets them --------------------------
    def context_for(self, agent: str, parts: ContextParts) -> ChatCompletionContext | None:
        """The model context of ``agent``, or None to leave it to another fix (default: transcript)."""
        return None

    def on_plan(self, run: RunView, plan_key: str) -> Intervention | None:
        """After a plan was read (its identity ``plan_key``): an intervention to record."""
        return None

    def before_tool_call(self, run: RunView, tool: str, args: dict[str, Any]) -> Intervention | None:
        """Before a tool call runs: return an intervention to block it (the agent is told why)."""
        return None

    def on_verdict(self, run: RunView, verdicts: Sequence[Verdict]) -> list[Intervention]:
        """After verdicts were given: may change them in place (into a confirmation only an ``unchecked`` one)."""
        return []

    def at_exit(self, run: RunView, open_claims: Sequence[str]) -> list[Verdict]:
        """At the exit: verdicts for the claims nobody verified (they then go through on_verdict)."""
        return []

    def may_stop(self, run: RunView) -> Intervention | None:
        """The run would end now: an intervention refuses the stop.  Must not change anything."""
        return None


__all__ = ["ContextParts", "Fix", "Intervention", "RunView", "Verdict"]
