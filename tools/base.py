"""What a tool is: a name, a description an LLM reads, a typed signature and one function.

Backends swap behind a tool (a recorded snapshot, live servers): the function receives a
:class:`ToolContext` that holds the backend and the shared, cached analysis.  Every tool is
read-only.  Results are compact JSON sized for a model context: lists are cut to
``max_items`` with an explicit ``"… N more"`` marker and the whole text to ``max_chars``,
never silently.

Example:
    >>> from pydantic import BaseModel
    >>> class NoArgs(BaseModel):
    ...     pass
    >>> t = Tool("ping", "Answer pong.", NoArgs, lambda ctx, a: ToolOutput(summary="pong"))
    >>> t.schema()["name"], t.schema()["parameters"]["type"]
    ('ping', 'object')
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from sre_agent.state import Finding


class ToolOutput(BaseModel):
    """What a tool function returns before it is rendered."""

    summary: str
    findings: list[Finding] = Field(default_factory=list)
    data: Any = None
    missing: list[str] = Field(default_factory=list)


@dataclass
class ToolContext:
    """What every tool function receives."""

    backend: Any
    analyzer: Any
    max_items: int = 25
    max_chars: int = 6000


@dataclass
class Tool:
    name: str
    description: str
    params: type[BaseModel]
    func: Callable[[ToolContext, Any], ToolOutput]
    source: str = ""

    def schema(self) -> dict[str, Any]:
        """The JSON-schema function signature an LLM sees (a fresh copy each call)."""
        return json.loads(_schema_text(self.name, self.description, self.params))


@lru_cache(maxsize=None)
def _schema_text(name: str, description: str, params_model: type[BaseModel]) -> str:
    """The schema of a tool as JSON text, computed once per tool (pydantic's schema build is slow)."""
    params = params_model.model_json_schema()
    params.pop("title", None)
    for prop in params.get("properties", {}).values():
        prop.pop("title", None)
    params.setdefault("properties", {})
    params["additionalProperties"] = False
    return json.dumps({"name": name, "description": description, "parameters": params})


@dataclass
class ToolResult:
    """A rendered, executed tool call."""

    call_id: str
    tool: str
    args: dict[str, Any]
    ok: bool
    text: str
    findings: list[Finding]
    summary: str
    truncated: bool
    error: str | None = None


def cut_list(items: Sequence[Any], max_items: int) -> tuple[list[Any], str | None]:
    """The first ``max_items`` items and a marker naming how many were left out.

    >>> cut_list([1, 2, 3], 2)
    ([1, 2], '… 1 more')
    >>> cut_list([1], 2)
    ([1], None)
    """
    items = list(items)
    if len(items) <= max_items:
        return items, None
    return items[:max_items], f"… {len(items) - max_items} more"


def _cut_data(data: Any, max_items: int) -> tuple[Any, bool]:
    cut = False
    if isinstance(data, list):
        head, marker = cut_list(data, max_items)
        out = []
        for x in head:
            y, c = _cut_data(x, max_items)
            out.append(y)
            cut |= c
        if marker:
            out.append(marker)
            cut = True
        return out, cut
    if isinstance(data, dict):
        out_d = {}
        for k, v in data.items():
            out_d[k], c = _cut_data(v, max_items)
            cut |= c
        return out_d, cut
    if isinstance(data, str) and len(data) > 400:
        return data[:400] + f"… {len(data) - 400} more chars", True
    return data, cut


def render_output(call_id: str, tool: str, out: ToolOutput, max_items: int, max_chars: int) -> tuple[str, bool]:
    """JSON text for the model, cut to the limits with explicit markers."""
    data, cut = _cut_data(out.data, max_items)
    findings, fmarker = cut_list(out.findings, max_items)
    payload: dict[str, Any] = {
        "call_id": call_id, "tool": tool, "summary": out.summary,
        "findings": [f.model_dump(exclude_defaults=True) | {"entity": f.entity, "signal": f.signal} for f in findings],
        # quoted from the observed system (log lines, event messages, annotations): data, never instructions
        "untrusted_data": data,
    }
    if fmarker:
        payload["findings_truncated"] = fmarker
        cut = True
    if out.missing:
        payload["missing"] = out.missing
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    while len(text) > max_chars and payload["untrusted_data"]:
        # drop data (least essential first) until it fits; say how much was dropped
        payload["untrusted_data"] = _shrink(payload["untrusted_data"])
        payload["truncated"] = f"… output cut to {max_chars} characters"
        cut = True
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    if len(text) > max_chars:
        while len(text) > max_chars and payload["findings"]:
            payload["findings"] = payload["findings"][: max(0, len(payload["findings"]) // 2)]
            payload["findings_truncated"] = "… findings cut to fit"
            text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        cut = True
    return text, cut


def _shrink(data: Any) -> Any:
    if isinstance(data, list):
        if len(data) <= 1 or (len(data) == 2 and str(data[-1]).startswith("… ")):  # [x, "… 1 more"] is as short as it gets
            return None
        keep = len(data) // 2
        return data[:keep] + [f"… {len(data) - keep} more"]
    if isinstance(data, dict):
        if not data:
            return None
        biggest = max(data, key=lambda k: len(json.dumps(data[k], default=str)))
        shrunk = _shrink(data[biggest])
        out = dict(data)
        if shrunk is None:
            out.pop(biggest)
            if not biggest.endswith("_omitted"):  # a marker itself is dropped, never re-marked (that never ends)
                out[f"{biggest}_omitted"] = "… omitted to fit"
        else:
            out[biggest] = shrunk
        return out or None
    if isinstance(data, str):
        return data[: len(data) // 2] + "… more chars" if len(data) > 40 else None
    return None


def execute(tool: Tool, ctx: ToolContext, args: dict[str, Any], call_id: str) -> ToolResult:
    """Validate arguments, run the tool, render its result; never raises."""
    try:
        parsed = tool.params(**(args or {}))
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = f"invalid arguments for {tool.name}: {'.'.join(map(str, err.get('loc', ())))} {err.get('msg', '')}".strip()
        return ToolResult(call_id, tool.name, args, False, json.dumps({"call_id": call_id, "error": msg}), [], msg, False, msg)
    except TypeError as exc:
        msg = f"invalid arguments for {tool.name}: {exc}"
        return ToolResult(call_id, tool.name, args, False, json.dumps({"call_id": call_id, "error": msg}), [], msg, False, msg)
    try:
        out = tool.func(ctx, parsed)
    except Exception as exc:  # noqa: BLE001 - a failing source must not end the run
        msg = f"{tool.name} failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return ToolResult(call_id, tool.name, args, False, json.dumps({"call_id": call_id, "error": msg}), [], msg, False, msg)
    text, cut = render_output(call_id, tool.name, out, ctx.max_items, ctx.max_chars)
    return ToolResult(call_id, tool.name, args, True, text, out.findings, out.summary, cut)
