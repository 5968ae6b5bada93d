"""summarized_state (FM-1.4, FM-2.1): each agent's model context is the shared IncidentState plus
its own last few messages, not the whole transcript.

Both contexts below also enforce the per-call token budget: when a context would exceed it, the
oldest unpinned messages are left out (what a model with a finite window would lose), and the
orchestrator records it.  Pinned and never left out: the alert anchor (task_anchoring) at the
head, and at the tail the orchestrator's notice to this agent (a refused stop, say), if any.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autogen_core.model_context import ChatCompletionContext
from autogen_core.models import AssistantMessage, FunctionExecutionResultMessage, LLMMessage, UserMessage

from ..llm.offline import count_message_tokens
from .base import ContextParts, Fix


class _BudgetedContext(ChatCompletionContext):
    def __init__(self, agent: str, state_view: Callable[[], str], anchor: Callable[[], str | None],
                 max_tokens: int, on_trim: Callable[[str, int], None],
                 notice: Callable[[str], str | None] | None = None) -> None:
        super().__init__()
        self._agent = agent
        self._state_view = state_view
        self._anchor = anchor
        self._max_tokens = max_tokens
        self._on_trim = on_trim
        self._notice = notice

    def _fit(self, pinned_head: list[LLMMessage], body: list[LLMMessage], pinned_tail: list[LLMMessage]) -> list[LLMMessage]:
        dropped = 0
        # headroom for the system prompt and tool schemas the agent adds
        budget = self._max_tokens - 1800
        while body and count_message_tokens(pinned_head + body + pinned_tail) > budget:
            body = body[1:]
            dropped += 1
        while body and isinstance(body[0], FunctionExecutionResultMessage):
            body = body[1:]
            dropped += 1
        if dropped:
            self._on_trim(self._agent, dropped)
        return pinned_head + body + pinned_tail

    def _anchor_messages(self) -> list[LLMMessage]:
        text = self._anchor()
        return [UserMessage(content=text, source="orchestrator")] if text else []

    def _notice_messages(self) -> list[LLMMessage]:
        text = self._notice(self._agent) if self._notice else None
        return [UserMessage(content=text, source="orchestrator")] if text else []


class StateContext(_BudgetedContext):
    """The state (newest, last) + the agent's own last ``own_messages`` messages."""

    def __init__(self, *args: Any, own_messages: int = 4, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._own = own_messages

    async def get_messages(self) -> list[LLMMessage]:
        own: list[LLMMessage] = []
        for m in self._messages:
            if isinstance(m, AssistantMessage) and m.source == self._agent:
                own.append(m)
            elif isinstance(m, FunctionExecutionResultMessage) and own:
                own.append(m)
        own = own[-self._own:] if self._own else []
        while own and isinstance(own[0], FunctionExecutionResultMessage):
            own = own[1:]
        state = UserMessage(content=self._state_view(), source="orchestrator")
        return self._fit(self._anchor_messages(), own, self._notice_messages() + [state])


class TranscriptContext(_BudgetedContext):
    """The whole transcript (what agents see without the fix), trimmed only by the token budget."""

    async def get_messages(self) -> list[LLMMessage]:
        return self._fit(self._anchor_messages(), list(self._messages), self._notice_messages())


class SummarizedState(Fix):
    name = "summarized_state"
    mast = ("1.4", "2.1")
    keeps_verdicts = True  # the state remembers a rejection: a re-proposal without new evidence does not re-open it

    def context_for(self, agent: str, parts: ContextParts) -> ChatCompletionContext | None:
        return StateContext(agent, parts.state_view, parts.anchor, parts.max_tokens, parts.on_trim, parts.notice,
                            own_messages=parts.own_messages)
