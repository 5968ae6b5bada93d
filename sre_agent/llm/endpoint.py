"""The client stack of an OpenAI-compatible endpoint profile (``kind: openai``).

From the outside in:

* :class:`EndpointClient` -- the profile's per-call parameters (:meth:`EndpointClient.call_args`:
  ``max_tokens``, ``stop``, and with ``response_format: json_schema`` (or the older dialect
  ``json_object_schema``) a JSON schema for the
  planner / verifier / summarizer, whose bare-JSON answers get their marker back; with
  ``decision_mode: constrained`` each role's schema built from the turn's choices by
  :mod:`sre_agent.llm.decisions`, the investigator's answer read back into tool calls);
* ``autogen_ext.models.cache.ChatCompletionCache`` over a ``DiskCacheStore`` (when the profile
  names a ``cache`` folder): the key hashes the messages, tools, JSON mode and the call
  parameters above, inside a namespace of the endpoint's model, base URL and temperature
  (:class:`NamespacedStore`), so a re-run of a sweep asks the endpoint nothing;
* :class:`Transport` -- the concurrency limit (:class:`~sre_agent.llm.limits.EndpointSemaphore`),
  the per-call ``timeout`` (the profile's, clipped to the run's remaining wall-clock budget,
  read from :data:`CALL_DEADLINE`), and tenacity retries honouring Retry-After;
* autogen-ext's ``OpenAIChatCompletionClient`` with its own retries off.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autogen_core import CacheStore
from autogen_core.models import ChatCompletionClient, CreateResult, LLMMessage

from ..config import OpenAIConfig
from ._delegate import DelegatingClient
from .decisions import TOOL_CALLS, Choices, as_function_calls, as_text_history, decision_format
from .limits import EndpointSemaphore, retrying
from .schemas import response_format, schema_name, with_marker

#: monotonic time by which the current model call must be answered (set by the traced client)
CALL_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("sre_agent_call_deadline", default=None)


class NamespacedStore(CacheStore[Any]):
    """A cache store whose keys are prefixed by a namespace (the endpoint and its sampling)."""

    def __init__(self, inner: CacheStore[Any], namespace: str) -> None:
        self._inner = inner
        self._ns = namespace

    def get(self, key: str, default: Any = None) -> Any:
        return self._inner.get(f"{self._ns}:{key}", default)

    def set(self, key: str, value: Any) -> None:
        self._inner.set(f"{self._ns}:{key}", value)


class Transport(DelegatingClient):
    """Concurrency limit, per-call timeout within the deadline, retries (see the module doc)."""

    def __init__(self, inner: ChatCompletionClient, cfg: OpenAIConfig) -> None:
        super().__init__(inner)
        self._cfg = cfg
        self._sem = EndpointSemaphore(f"{cfg.base_url}|{cfg.model}", cfg.max_concurrency)
        self.requests = 0
        self.retries = 0

    def _timeout(self) -> float:
        deadline = CALL_DEADLINE.get()
        left = self._cfg.timeout_seconds if deadline is None else deadline - time.monotonic()
        return max(0.001, min(self._cfg.timeout_seconds, left))

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
        async def once() -> CreateResult:
            args = {**(kwargs.get("extra_create_args") or {}), "timeout": self._timeout()}
            async with self._sem.slot():
                self.requests += 1
                return await self._inner.create(messages, **{**kwargs, "extra_create_args": args})

        def note(_exc: BaseException, _delay: float) -> None:
            self.retries += 1

        return await retrying(once, self._cfg.max_retries, CALL_DEADLINE.get(), note)


class EndpointClient(DelegatingClient):
    """The outermost client of an endpoint profile: per-call parameters, markers restored."""

    def __init__(self, inner: ChatCompletionClient, cfg: OpenAIConfig) -> None:
        super().__init__(inner)
        self.cfg = cfg
        self._calls = 0  # tool calls read from constrained investigator answers (their ids)

    @property
    def constrained(self) -> bool:
        """True when each turn's answer schema is built from the state (``decision_mode``)."""
        return self.cfg.decision_mode == "constrained"

    def call_args(self, role: str, choices: Choices | None = None) -> dict[str, Any]:
        """The ``extra_create_args`` of a call by ``role`` (part of the cache key); ``choices``
        (constrained profiles) are what the state offers this turn."""
        args: dict[str, Any] = {}
        if self.cfg.max_tokens is not None:
            args["max_tokens"] = self.cfg.max_tokens
        if self.cfg.stop:
            args["stop"] = list(self.cfg.stop)
        if self.constrained and choices is not None:
            fmt = decision_format(role, choices)
            if fmt is not None:
                args["response_format"] = fmt
        elif self.cfg.response_format != "none":
            fmt = response_format(role, self.cfg.response_format)
            if fmt is not None:
                args["response_format"] = fmt
        return args

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
        name = schema_name((kwargs.get("extra_create_args") or {}).get("response_format"))
        if self.constrained:  # the tools are in the schema: the server's own tool grammar stays out
            kwargs = {**kwargs, "tools": []}
            kwargs.pop("tool_choice", None)
            messages = as_text_history(messages)
        result = await self._inner.create(messages, **kwargs)
        if name == TOOL_CALLS and isinstance(result.content, str):
            calls = as_function_calls(result.content, self._calls + 1)
            if calls is not None:
                self._calls += len(calls)
                result = result.model_copy(update={"content": calls})
        elif name and isinstance(result.content, str):
            result = result.model_copy(update={"content": with_marker(name, result.content)})
        return result


def _namespace(cfg: OpenAIConfig) -> str:
    doc = {"model": cfg.model, "base_url": cfg.base_url, "temperature": cfg.temperature}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def build_endpoint_client(cfg: OpenAIConfig, api_key: str) -> EndpointClient:
    """The whole stack for one run (see the module docstring)."""
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    kwargs: dict[str, Any] = {"model": cfg.model, "api_key": api_key, "temperature": cfg.temperature,
                              "timeout": cfg.timeout_seconds, "max_retries": 0}
    if cfg.base_url:
        kwargs["base_url"] = cfg.base_url
    if cfg.model_info:
        kwargs["model_info"] = cfg.model_info
    client: ChatCompletionClient = Transport(OpenAIChatCompletionClient(**kwargs), cfg)
    if cfg.cache:
        import diskcache
        from autogen_ext.cache_store.diskcache import DiskCacheStore
        from autogen_ext.models.cache import ChatCompletionCache

        folder = Path(cfg.cache).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        store = NamespacedStore(DiskCacheStore[Any](diskcache.Cache(str(folder))), _namespace(cfg))
        client = ChatCompletionCache(client, store)  # type: ignore[arg-type]
    return EndpointClient(client, cfg)


__all__ = ["CALL_DEADLINE", "EndpointClient", "NamespacedStore", "Transport", "build_endpoint_client"]
