"""A model-client wrapper that counts every call's context (tokens), records it in the trace, and
holds the per-call and per-run token budgets.  It sits in the orchestration layer, so it works
the same for the offline reasoner, a replayed client and a real LLM."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from autogen_core import CancellationToken
from autogen_core.models import ChatCompletionClient, CreateResult, LLMMessage, RequestUsage, SystemMessage
from autogen_core.tools import Tool, ToolSchema

from .. import telemetry
from ._delegate import DelegatingClient
from .offline import count_message_tokens


class TracedClient(DelegatingClient):
    """Delegates to ``inner``; counts tokens with :func:`count_message_tokens`."""

    def __init__(self, inner: ChatCompletionClient, agent: str, orch: Any) -> None:
        super().__init__(inner)
        self._agent = agent
        self._orch = orch

    async def create(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = (),
                     tool_choice: Any = "auto", json_output: Any = None, extra_create_args: Mapping[str, Any] = {},
                     cancellation_token: CancellationToken | None = None) -> CreateResult:
        orch = self._orch
        tokens = count_message_tokens(messages, tools)
        cap = orch.config.budgets.max_tokens_per_call
        if tokens > cap:  # the hard per-call budget: leave out the oldest non-system messages
            kept = list(messages)
            dropped = 0
            while tokens > cap and len(kept) > 2:
                idx = 1 if isinstance(kept[0], SystemMessage) else 0
                kept.pop(idx)
                dropped += 1
                tokens = count_message_tokens(kept, tools)
            messages = kept
            orch.trace.emit("state_update", changes={"context_trimmed": f"{self._agent}: {dropped} oldest message(s) "
                                                                        f"dropped to respect max_tokens_per_call={cap}"}, digest="")
        refuse = getattr(orch, "refuse_call", None)
        reason = refuse(self._agent, tokens) if refuse else None
        if reason:  # over a token budget: the call is not made; the run ends at the next turn boundary
            return CreateResult(finish_reason="stop", content=f"BUDGET EXHAUSTED: {reason}",
                                usage=RequestUsage(prompt_tokens=0, completion_tokens=0), cached=False)
        orch.model_calls += 1
        orch.total_tokens += tokens
        orch.max_context_tokens = max(orch.max_context_tokens, tokens)
        kwargs: dict[str, Any] = {"tools": tools, "extra_create_args": extra_create_args, "cancellation_token": cancellation_token}
        if json_output is not None:
            kwargs["json_output"] = json_output
        if tool_choice != "auto":
            kwargs["tool_choice"] = tool_choice
        turns = getattr(orch, "turn_spans", None)
        with telemetry.span("sre_agent.model_call", parent=turns.current(self._agent) if turns else None,
                            agent=self._agent, context_tokens=tokens, messages=len(messages),
                            model_call=orch.model_calls):
            wall_left = getattr(orch, "wall_left", None)
            try:  # a model call never outlives the run's wall-clock budget (a stuck endpoint)
                result = await asyncio.wait_for(self._inner.create(messages, **kwargs),
                                                timeout=wall_left() if wall_left else None)
            except asyncio.TimeoutError:
                orch.timed_out(self._agent)
                return CreateResult(finish_reason="stop", content="BUDGET EXHAUSTED: max_wall_seconds",
                                    usage=RequestUsage(prompt_tokens=0, completion_tokens=0), cached=False)
            except Exception as exc:  # noqa: BLE001 - an endpoint error (401, 5xx after retries ...) ends the run, flagged
                failed = getattr(orch, "model_failed", None)
                if failed is None:
                    raise
                failed(self._agent, exc)
                return CreateResult(finish_reason="stop", content="MODEL ERROR: the model endpoint failed",
                                    usage=RequestUsage(prompt_tokens=0, completion_tokens=0), cached=False)
        out = result.content if isinstance(result.content, str) else json.dumps([dataclasses.asdict(c) for c in result.content], sort_keys=True)
        orch.trace.emit("model_call", agent=self._agent, role=self._agent, context_tokens=tokens,
                        messages=len(messages), output=out[:400])
        return result

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return count_message_tokens(messages, tools)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return self._orch.config.budgets.max_tokens_per_call - count_message_tokens(messages, tools)
