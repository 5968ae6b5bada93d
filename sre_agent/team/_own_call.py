"""The orchestrator's own model calls (the summarizer step): counted against the budgets, bounded
by the wall clock, traced with their usage, and re-asked once when the answer is unusable."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Sequence
from typing import Any

from autogen_core.models import CreateResult

from .. import telemetry
from ..llm.endpoint import CALL_DEADLINE
from ..llm.offline import count_message_tokens
from ..llm.traced import account, call_args


async def own_model_call(orch: Any, agent: str, messages: Sequence[Any]) -> str:
    """The answer text of one model call by the orchestrator as ``agent``; ``""`` when the call
    was not made (a budget), timed out or failed."""
    result = await orch.unusable.ask(agent, messages, (), lambda msgs: _once(orch, agent, msgs))
    if result is None:
        return ""
    return result.content if isinstance(result.content, str) else json.dumps([dataclasses.asdict(c) for c in result.content])


async def _once(orch: Any, agent: str, messages: Sequence[Any]) -> CreateResult | None:
    tokens = count_message_tokens(messages)
    if orch.refuse_call(agent, tokens):
        return None
    orch.model_calls += 1
    orch.total_tokens += tokens
    orch.max_context_tokens = max(orch.max_context_tokens, tokens)
    args = call_args(orch.client, agent, orch)
    with telemetry.span("sre_agent.model_call", parent=orch.turn_spans.open(), agent=agent, context_tokens=tokens,
                        messages=len(messages), model_call=orch.model_calls):
        deadline = CALL_DEADLINE.set(time.monotonic() + orch.wall_left())
        try:
            result = await asyncio.wait_for(orch.client.create(messages, extra_create_args=args), timeout=orch.wall_left())
        except asyncio.TimeoutError:
            orch.timed_out(agent)
            return None
        except Exception as exc:  # noqa: BLE001 - an endpoint error ends the run, flagged
            orch.model_failed(agent, exc)
            return None
        finally:
            CALL_DEADLINE.reset(deadline)
    out = result.content if isinstance(result.content, str) else json.dumps([dataclasses.asdict(c) for c in result.content])
    orch.trace.emit("model_call", agent=agent, role=agent, context_tokens=tokens, messages=len(messages), output=out[:400],
                    **account(orch, result, args))
    return result


__all__ = ["own_model_call"]
