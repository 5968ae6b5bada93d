"""Record a model's answers and replay them: the real-LLM code path, covered without network.

:class:`RecordingClient` wraps any ``ChatCompletionClient`` and keeps each answer;
:func:`save_recording` writes them as JSON; :func:`load_replay_client` turns the file into
autogen-ext's ``ReplayChatCompletionClient``, which answers the same calls in the same order.

Example:
    >>> import asyncio, tempfile, pathlib
    >>> from autogen_core.models import SystemMessage
    >>> from sre_agent.llm.offline import OfflineReasoner
    >>> rec = RecordingClient(OfflineReasoner())
    >>> _ = asyncio.run(rec.create([SystemMessage(content="ROLE: summarizer")]))
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rec.json"
    >>> save_recording(rec, path)
    >>> replay = load_replay_client(path)
    >>> asyncio.run(replay.create([SystemMessage(content="anything")])).content.startswith("SUMMARY")
    True
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autogen_core import FunctionCall
from autogen_core.models import ChatCompletionClient, CreateResult, LLMMessage, RequestUsage
from autogen_ext.models.replay import ReplayChatCompletionClient

from ..errors import ConfigError
from ._delegate import DelegatingClient


class RecordingClient(DelegatingClient):
    """Delegates to ``inner`` and records every answer (text or tool calls)."""

    def __init__(self, inner: ChatCompletionClient) -> None:
        super().__init__(inner)
        self.answers: list[str | list[dict[str, Any]]] = []

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
        result = await self._inner.create(messages, **kwargs)
        if isinstance(result.content, str):
            self.answers.append(result.content)
        else:
            self.answers.append([dataclasses.asdict(c) for c in result.content])
        return result


def save_recording(client: RecordingClient, path: Path) -> None:
    Path(path).write_text(json.dumps({"answers": client.answers}, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def load_replay_client(path: str | Path) -> ReplayChatCompletionClient:
    """A replay client answering with the recorded answers, in order."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        answers = data["answers"]
        if not isinstance(answers, list):
            raise TypeError("answers is not a list")
    except FileNotFoundError:
        raise ConfigError(f"replay file {path}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"replay file {path}: expected JSON {{\"answers\": [...]}} ({type(exc).__name__})") from None
    results: list[str | CreateResult] = []
    for a in answers:
        if isinstance(a, str):
            results.append(a)
        else:
            calls = [FunctionCall(id=c["id"], name=c["name"], arguments=c["arguments"]) for c in a]
            results.append(CreateResult(finish_reason="function_calls", content=calls,
                                        usage=RequestUsage(prompt_tokens=0, completion_tokens=0), cached=False))
    info = {"vision": False, "function_calling": True, "json_output": True, "family": "unknown",
            "structured_output": False, "multiple_system_messages": True}
    return ReplayChatCompletionClient(results, model_info=info)  # type: ignore[arg-type]
