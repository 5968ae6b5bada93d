"""A model-client wrapper that counts every call's context (tokens), records it in the trace, and
holds the per-call and per-run token budgets.  It sits in the orchestration layer, so it works
the same for the offline reasoner, a replayed client and a real LLM."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from autogen_core import CancellationToken
from autogen_core.models import ChatCompletionClient, CreateResult, LLMMessage, RequestUsage, SystemMessage
from autogen_core.tools import Tool, ToolSchema

from .. import telemetry
from ._delegate import DelegatingClient
from .decisions import choices_from, with_decision_prompt
from .endpoint import CALL_DEADLINE
from .offline import count_message_tokens


def _stand_in(text: str) -> CreateResult:
    return CreateResult(finish_reason="stop", content=text, usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
                        cached=False)


def call_args(client: Any, role: str, orch: Any = None, tools: Sequence[Tool | ToolSchema] = ()) -> dict[str, Any]:
    """The per-call parameters an endpoint client wants for ``role`` (none for offline clients).

    A constrained client (``decision_mode: constrained``) also gets the turn's choices, read from
    ``orch``'s state: the tools handed to the role (the planner plans with all of the run's tools).
    """
    fn = getattr(client, "call_args", None)
    if fn is None:
        return {}
    if not getattr(client, "constrained", False) or orch is None:
        return dict(fn(role))
    names = tuple(t.name if hasattr(t, "name") else str(t.get("name", "")) for t in tools) or tuple(orch.tools)
    return dict(fn(role, choices_from(orch.state, names, getattr(orch, "results", None))))


def account(orch: Any, result: CreateResult, args: Mapping[str, Any]) -> dict[str, Any]:
    """Add a call's usage to the run's counters; the ``model_call`` trace fields that say so."""
    usage = result.usage
    orch.prompt_tokens = getattr(orch, "prompt_tokens", 0) + usage.prompt_tokens
    orch.completion_tokens = getattr(orch, "completion_tokens", 0) + usage.completion_tokens
    orch.cached_calls = getattr(orch, "cached_calls", 0) + (1 if result.cached else 0)
    return {"max_tokens": args.get("max_tokens"), "finish_reason": result.finish_reason,
            "usage": {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}}


class TracedClient(DelegatingClient):
    """Delegates to ``inner``; counts tokens with :func:`count_message_tokens`."""

    def __init__(self, inner: ChatCompletionClient, agent: str, orch: Any) -> None:
        super().__init__(inner)
        self._agent = agent
        self._orch = orch

    async def create(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = (),
                     tool_choice: Any = "auto", json_output: Any = None, extra_create_args: Mapping[str, Any] = {},
                     cancellation_token: CancellationToken | None = None) -> CreateResult:
        if getattr(self._inner, "constrained", False):  # the short prompt; the tools travel in the answer's schema, not the context
            messages = with_decision_prompt(messages, self._agent)
        messages = self._fit(messages, tools)
        kwargs: dict[str, Any] = {"tools": tools, "cancellation_token": cancellation_token,
                                  "extra_create_args": {**extra_create_args, **call_args(self._inner, self._agent, self._orch, tools)}}
        if json_output is not None:
            kwargs["json_output"] = json_output
        if tool_choice != "auto":
            kwargs["tool_choice"] = tool_choice
        synthetic: list[CreateResult] = []

        async def once(msgs: Sequence[LLMMessage]) -> CreateResult | None:
            # a re-asked unusable answer adds messages: the per-call cap holds for it too
            result, made = await self._once(self._fit(msgs, tools), tools, kwargs)
            if not made:
                synthetic.append(result)
                return None
            return result

        tracker = getattr(self._orch, "unusable", None)  # re-asks an unusable answer once, counts them
        answer = await tracker.ask(self._agent, messages, tools, once) if tracker else await once(messages)
        return answer if answer is not None else synthetic[-1]

    def _counted(self, tools: Sequence[Tool | ToolSchema]) -> Sequence[Tool | ToolSchema]:
        """The tools that are part of the context: none for a constrained client (they are in the schema)."""
        return () if getattr(self._inner, "constrained", False) else tools

    def _fit(self, messages: Sequence[LLMMessage], tools: Sequence[Tool | ToolSchema]) -> Sequence[LLMMessage]:
        """``messages`` within the hard per-call budget: the oldest non-system messages left
        out (and the trimming recorded) until the context fits, keeping at least two."""
        orch = self._orch
        tools = self._counted(tools)
        tokens = count_message_tokens(messages, tools)
        cap = orch.config.budgets.max_tokens_per_call
        if tokens <= cap:
            return messages
        kept = list(messages)
        dropped = 0
        while tokens > cap and len(kept) > 2:
            idx = 1 if isinstance(kept[0], SystemMessage) else 0
            kept.pop(idx)
            dropped += 1
            tokens = count_message_tokens(kept, tools)
        orch.trace.emit("state_update", changes={"context_trimmed": f"{self._agent}: {dropped} oldest message(s) "
                                                                    f"dropped to respect max_tokens_per_call={cap}"}, digest="")
        return kept

    async def _once(self, messages: Sequence[LLMMessage], tools: Sequence[Tool | ToolSchema],
                    kwargs: dict[str, Any]) -> tuple[CreateResult, bool]:
        """One counted, traced model call: (result, True), or (a stand-in answer, False) when
        the call was refused by a budget, timed out or failed."""
        orch = self._orch
        tokens = count_message_tokens(messages, self._counted(tools))
        refuse = getattr(orch, "refuse_call", None)
        reason = refuse(self._agent, tokens) if refuse else None
        if reason:  # over a token budget: the call is not made; the run ends at the next turn boundary
            return _stand_in(f"BUDGET EXHAUSTED: {reason}"), False
        orch.model_calls += 1
        orch.total_tokens += tokens
        orch.max_context_tokens = max(orch.max_context_tokens, tokens)
        turns = getattr(orch, "turn_spans", None)
        with telemetry.span("sre_agent.model_call", parent=turns.current(self._agent) if turns else None,
                            agent=self._agent, context_tokens=tokens, messages=len(messages),
                            model_call=orch.model_calls):
            wall_left = getattr(orch, "wall_left", None)
            deadline = CALL_DEADLINE.set(time.monotonic() + wall_left() if wall_left else None)
            try:  # a model call never outlives the run's wall-clock budget (a stuck endpoint)
                result = await asyncio.wait_for(self._inner.create(messages, **kwargs),
                                                timeout=wall_left() if wall_left else None)
            except asyncio.TimeoutError:
                orch.timed_out(self._agent)
                return _stand_in("BUDGET EXHAUSTED: max_wall_seconds"), False
            except Exception as exc:  # noqa: BLE001 - an endpoint error (401, 5xx after retries ...) ends the run, flagged
                failed = getattr(orch, "model_failed", None)
                if failed is None:
                    raise
                failed(self._agent, exc)
                return _stand_in("MODEL ERROR: the model endpoint failed"), False
            finally:
                CALL_DEADLINE.reset(deadline)
        out = result.content if isinstance(result.content, str) else json.dumps([dataclasses.asdict(c) for c in result.content], sort_keys=True)
        orch.trace.emit("model_call", agent=self._agent, role=self._agent, context_tokens=tokens,
                        messages=len(messages), output=out[:400], **account(orch, result, kwargs["extra_create_args"]))
        return result, True

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return count_message_tokens(messages, tools)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return self._orch.config.budgets.max_tokens_per_call - count_message_tokens(messages, tools)
