"""The summarizer step: a model call turns new tool results into evidence items in the state.

Only findings the tool itself made enter the state, as the tool made them: a model (or text it
quoted) cannot invent tool-backed evidence for the verification gate."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from autogen_core.models import SystemMessage, UserMessage

from ..prompts_loader import load_prompt
from ..state import IncidentState
from ..trace import TraceWriter
from ._parse import parse_block


async def summarize(ids: list[str], results: Mapping[str, Any], state: IncidentState, tools: Mapping[str, Any],
                    trace: TraceWriter, anchor: str | None, ask: Callable[[str, list[Any]], Awaitable[str]]) -> None:
    """Summarize the results of calls ``ids`` with one ``ask("summarizer", messages)`` model call."""
    ids = [c for c in ids if c in results]
    if not ids:
        return
    lines = []
    for cid in ids:
        r = results[cid]
        lines.append("TOOL RESULT " + json.dumps({"call_id": cid, "tool": r.tool, "args": r.args, "summary": r.summary,
                                                  "findings": [f.model_dump() for f in r.findings]}, sort_keys=True))
    messages: list[Any] = [SystemMessage(content=load_prompt("summarizer"))]
    if anchor:
        messages.append(UserMessage(content=anchor, source="orchestrator"))
    messages.append(UserMessage(content="\n".join(lines), source="investigator"))
    parsed = parse_block(await ask("summarizer", messages), "SUMMARY") or {}
    by_id = {e.get("call_id"): e for e in parsed.get("evidence", []) if isinstance(e, dict)}
    added = []
    for cid in ids:
        r = results[cid]
        e = by_id.get(cid)
        if e is None:
            continue  # the summarizer dropped it: its findings do not reach the state
        wanted = {(f.get("entity"), f.get("signal")) for f in e.get("findings", [])[:40] if isinstance(f, dict)}
        findings = [f for f in r.findings if (f.entity, f.signal) in wanted]
        item = state.add_evidence(cid, r.tool, str(e.get("summary", r.summary))[:300], findings, r.args)
        added.append(item.id)
    for q in parsed.get("open_questions", [])[:5]:
        if isinstance(q, str) and q not in state.open_questions:
            state.open_questions.append(q[:200])
    for cid in ids:
        r = results[cid]
        if not r.ok and r.error:
            src = tools[r.tool].source if r.tool in tools else r.tool
            if src not in state.missing_sources:
                state.missing_sources.append(src)
    trace.emit("state_update", changes={"evidence_added": added, "call_ids": [e.call_id for e in state.evidence if e.id in added],
                                        "open_questions": len(state.open_questions)},
               digest=f"{len(state.evidence)} evidence, {len(state.hypotheses)} hypotheses")


__all__ = ["summarize"]
