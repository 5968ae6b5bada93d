"""OpenAI chat-completion JSON <-> autogen ``LLMMessage`` / ``CreateResult``.

The inverse of what autogen-ext's ``OpenAIChatCompletionClient`` sends: a request's messages
become the very ``LLMMessage`` list the in-process client would have been given (consecutive
``tool`` messages are regrouped into one ``FunctionExecutionResultMessage``; a tool result gets
back the name of the call it answers), and a ``CreateResult`` becomes a ``chat.completion`` body.

Example:
    >>> msgs, tools = request_to_llm({"messages": [
    ...     {"role": "system", "content": "ROLE: investigator"},
    ...     {"role": "assistant", "content": None, "tool_calls": [
    ...         {"id": "call_1", "type": "function", "function": {"name": "get_alerts", "arguments": "{}"}}]},
    ...     {"role": "tool", "tool_call_id": "call_1", "content": "2 alerts"}]})
    >>> [type(m).__name__ for m in msgs]
    ['SystemMessage', 'AssistantMessage', 'FunctionExecutionResultMessage']
    >>> msgs[2].content[0].name, tools
    ('get_alerts', [])
"""

from __future__ import annotations

from typing import Any

from autogen_core import FunctionCall
from autogen_core.models import (
    AssistantMessage, CreateResult, FunctionExecutionResult, FunctionExecutionResultMessage, LLMMessage,
    SystemMessage, UserMessage,
)
from autogen_core.tools import ToolSchema


class RequestError(ValueError):
    """A chat-completion request this server cannot read (HTTP 400); the message is one line."""


def _text(content: Any, where: str) -> str:
    """A message's content as text: a string, or the text parts of a content list joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                parts.append(part["text"])
            else:
                raise RequestError(f"{where}: only text content parts are supported")
        return "\n".join(parts)
    raise RequestError(f"{where}: content must be a string or a list of text parts")


def _function_call(raw: Any, where: str) -> FunctionCall:
    if not isinstance(raw, dict) or not isinstance(raw.get("function"), dict):
        raise RequestError(f"{where}: a tool call needs an id and a function")
    fn = raw["function"]
    if not isinstance(raw.get("id"), str) or not isinstance(fn.get("name"), str):
        raise RequestError(f"{where}: a tool call needs a string id and function.name")
    args = fn.get("arguments", "{}")
    return FunctionCall(id=raw["id"], name=fn["name"], arguments=args if isinstance(args, str) else "{}")


def request_messages(raw: Any) -> list[LLMMessage]:
    """The ``LLMMessage`` list of a request's ``messages`` array."""
    if not isinstance(raw, list) or not raw:
        raise RequestError("messages: expected a non-empty list")
    out: list[LLMMessage] = []
    names: dict[str, str] = {}  # tool-call id -> function name, for the results that answer them
    for i, m in enumerate(raw):
        where = f"messages[{i}]"
        if not isinstance(m, dict):
            raise RequestError(f"{where}: expected an object")
        role = m.get("role")
        if role in ("system", "developer"):
            out.append(SystemMessage(content=_text(m.get("content"), where)))
        elif role == "user":
            out.append(UserMessage(content=_text(m.get("content"), where), source=str(m.get("name") or "user")))
        elif role == "assistant":
            source = str(m.get("name") or "assistant")
            calls = m.get("tool_calls") or []
            if calls:
                fcs = [_function_call(c, f"{where}.tool_calls[{j}]") for j, c in enumerate(calls)]
                names.update({c.id: c.name for c in fcs})
                thought = _text(m.get("content"), where) or None
                out.append(AssistantMessage(content=fcs, source=source, thought=thought))
            else:
                out.append(AssistantMessage(content=_text(m.get("content"), where), source=source))
        elif role == "tool":
            call_id = m.get("tool_call_id")
            if not isinstance(call_id, str):
                raise RequestError(f"{where}: a tool message needs tool_call_id")
            result = FunctionExecutionResult(call_id=call_id, content=_text(m.get("content"), where),
                                             name=names.get(call_id, ""), is_error=False)
            if out and isinstance(out[-1], FunctionExecutionResultMessage):
                out[-1] = FunctionExecutionResultMessage(content=[*out[-1].content, result])
            else:
                out.append(FunctionExecutionResultMessage(content=[result]))
        else:
            raise RequestError(f"{where}: unknown role {str(role)[:40]!r}")
    return out


def request_tools(raw: Any) -> list[ToolSchema]:
    """The tool schemas of a request's ``tools`` array, as a ``Tool.schema`` would be."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RequestError("tools: expected a list")
    out: list[ToolSchema] = []
    for i, t in enumerate(raw):
        fn = t.get("function") if isinstance(t, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise RequestError(f"tools[{i}]: expected {{type: function, function: {{name, parameters}}}}")
        schema: dict[str, Any] = {"name": fn["name"]}
        if fn.get("description"):
            schema["description"] = fn["description"]
        if "parameters" in fn:
            schema["parameters"] = fn["parameters"]
        if fn.get("strict"):
            schema["strict"] = True
        out.append(schema)  # type: ignore[arg-type]
    return out


def request_to_llm(body: Any) -> tuple[list[LLMMessage], list[ToolSchema]]:
    """A request body's messages and tools."""
    if not isinstance(body, dict):
        raise RequestError("the request body must be a JSON object")
    return request_messages(body.get("messages")), request_tools(body.get("tools"))


def result_to_response(result: CreateResult, model: str, number: int, created: int,
                       max_tokens: int | None = None) -> dict[str, Any]:
    """A ``chat.completion`` body for a ``CreateResult``.

    ``max_tokens`` (the request's cap) cuts a text answer the way a server does: to about that
    many tokens (4 characters each), with ``finish_reason: length``.
    """
    message: dict[str, Any] = {"role": "assistant"}
    completion = result.usage.completion_tokens
    if isinstance(result.content, list):
        message["content"] = result.thought
        message["tool_calls"] = [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                                 for c in result.content]
        finish = "tool_calls"
    else:
        message["content"] = result.content
        finish = "stop"
        if max_tokens is not None and completion > max_tokens:
            message["content"] = result.content[: max(0, max_tokens) * 4]
            completion, finish = max_tokens, "length"
    usage = {"prompt_tokens": result.usage.prompt_tokens, "completion_tokens": completion,
             "total_tokens": result.usage.prompt_tokens + completion}
    return {"id": f"chatcmpl-{number}", "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": usage}
