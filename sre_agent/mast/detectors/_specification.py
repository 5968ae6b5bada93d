"""FM-1.1 (disobey task specification) and FM-1.2 (disobey role specification).

Example:
    >>> t = TraceIndex([{"seq": 1, "type": "tool_call", "agent": "planner", "call_id": "c", "tool": "logs", "args": {}}])
    >>> detect_1_2(t).label
    1
"""

from __future__ import annotations

from typing import Any

from ._index import Detection, TraceIndex, is_entity_id

def detect_1_1(t: TraceIndex) -> Detection:
    """FM-1.1: a diagnosis entity is not ``namespace/Kind/name`` (lowercase DNS namespace, Kind
    starting with a capital), or lies in a namespace other than the alert's while no tool result
    before the diagnosis touched any entity of that namespace.  The alert's namespace is
    ``run_start.namespace``, ``config.namespace``, or the single namespace of the entity ids in
    ``run_start.neighbourhood``; unknown -> only the format is checked (noted).  Also: an
    ``unusable_answer`` event of kind ``format`` (an answer not in the shape the task asks for:
    prose instead of a PLAN, broken JSON, a call to a tool that does not exist)."""
    unusable = _unusable(t, "format")
    d = t.diagnosis
    if d is None:
        if unusable:
            return Detection(1, [int(e["seq"]) for e in unusable], _unusable_note(unusable))
        return Detection(0, note="no diagnosis event: no answer to check")
    bad: list[str] = []
    seen_ns = {str(x).split("/")[0] for r in t.of("tool_result") if int(r["seq"]) < int(d["seq"])
               for x in r.get("entities") or [] if is_entity_id(str(x))}
    for ent in t.diagnosis_entities():
        if not is_entity_id(ent):
            bad.append(f"{ent!r} is not namespace/Kind/name")
        elif t.namespace and ent.split("/")[0] != t.namespace and ent.split("/")[0] not in seen_ns:
            bad.append(f"{ent} is outside namespace {t.namespace} with no evidence there")
    note = "" if t.namespace else "alert namespace unknown: only the answer format was checked"
    if bad or unusable:
        seqs = sorted([int(e["seq"]) for e in unusable] + ([int(d["seq"])] if bad else []))
        return Detection(1, seqs, "; ".join(bad + ([_unusable_note(unusable)] if unusable else []) + ([note] if note else [])))
    return Detection(0, note=note)


def _unusable(t: TraceIndex, kind: str) -> list[dict[str, Any]]:
    """``unusable_answer`` events of one kind (format -> FM-1.1, role -> FM-1.2)."""
    return [e for e in t.of("unusable_answer") if e.get("kind") == kind]


def _unusable_note(events: list[dict[str, Any]]) -> str:
    return f"{len(events)} unusable answer(s), first: {events[0].get('role')}: {events[0].get('reason')}"


def detect_1_2(t: TraceIndex) -> Detection:
    """FM-1.2: a ``plan`` by an actor whose role is not planner; a ``tool_call`` by the planner,
    the verifier or the summarizer (the investigator and system actors such as the gate may call
    tools); a ``verification`` whose ``by`` is not verifier/gate or whose agent is the planner or
    investigator; an ``unusable_answer`` event of kind ``role`` (an answer doing another role's
    work: the planner calling tools, the investigator writing a plan).  ``None`` when no such
    event names its actor."""
    hits: list[int] = [int(e["seq"]) for e in _unusable(t, "role")]
    why: list[str] = [f"{e.get('role')}: {e.get('reason')}" for e in _unusable(t, "role")]
    judged = bool(hits)
    for e in t.of("plan", "tool_call", "verification"):
        actor = e.get("agent")
        role = t.role(actor)
        kind = e["type"]
        if kind == "plan" and actor:
            judged = judged or role is not None
            if role is not None and role != "planner":
                hits.append(int(e["seq"]))
                why.append(f"{actor} ({role}) planned")
        elif kind == "tool_call" and actor:
            judged = True
            if role in ("planner", "verifier", "summarizer"):
                hits.append(int(e["seq"]))
                why.append(f"{actor} ({role}) called {e.get('tool')}")
        elif kind == "verification":
            by = e.get("by")
            if by or actor:
                judged = True
            if (by and str(by) not in ("verifier", "gate")) or role in ("planner", "investigator"):
                hits.append(int(e["seq"]))
                why.append(f"verdict by {by or actor}")
    if hits:
        return Detection(1, sorted(hits), "; ".join(why[:5]))
    if not judged:
        return Detection(None, note="no plan/tool_call/verification event names its actor")
    return Detection(0)
