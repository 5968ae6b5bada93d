"""FM-1.3 (step repetition) and FM-1.4 (loss of conversation history), and the drop /
re-proposal bookkeeping that FM-2.5 shares.

Example:
    >>> ev = [{"seq": i, "type": t, "agent": "investigator", "call_id": f"c{i // 2}", "tool": "logs", "args": {"service": "a"}, "ok": True}
    ...       for i, t in enumerate(["tool_call", "tool_result"] * 2)]
    >>> detect_1_3(TraceIndex(ev)).evidence
    [0, 2]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ._index import ACTIVE_STATUSES, Detection, TraceIndex, _hyp_status, canonical_call, is_refused

def plan_key(plan: dict[str, Any]) -> str:
    """A plan's identity: its action, its hypotheses (entity + status) and its steps (canonical calls).

    >>> plan_key({"action": "conclude", "hypotheses": [{"entity": "a", "status": "proposed", "score": 0.5}], "steps": []})
    'conclude|a:proposed|'
    """
    hyps = ",".join(f"{h.get('entity')}:{_hyp_status(h)}" for h in plan.get("hypotheses") or [])
    steps = ",".join(canonical_call(str(s.get("tool")), s.get("args")) for s in plan.get("steps") or [])
    return f"{plan.get('action') or 'investigate'}|{hyps}|{steps}"


def repeated_plans(t: TraceIndex) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(earlier, later) pairs of identical plans (:func:`plan_key`) with no executed tool result
    in between: the planner re-issued the same plan with nothing new to learn from.  Plans that
    failed to parse (``error``) are not judged, nor a re-issue of a plan none of whose steps ran
    and none of whose steps repeats a completed call (asking again for work not yet done is not
    a repetition; asking again for work already done is)."""
    results = [int(r["seq"]) for r in t.of("tool_result") if not is_refused(r)]
    done_steps = {str(c.get("step_id")) for c in t.executed_calls() if c.get("step_id")}
    done_calls: dict[str, int] = {}
    for c in t.executed_calls():
        done_calls.setdefault(canonical_call(str(c.get("tool")), c.get("args")), int(c["seq"]))
    last: dict[str, dict[str, Any]] = {}
    pairs = []
    for p in t.of("plan"):
        if p.get("error"):
            continue
        key = plan_key(p)
        prev = last.get(key)
        if prev is not None and not any(int(prev["seq"]) < s < int(p["seq"]) for s in results) \
                and not _unfinished(prev, done_steps, done_calls):
            pairs.append((prev, p))
        last[key] = p
    return pairs


def _unfinished(plan: dict[str, Any], done_steps: set[str], done_calls: dict[str, int]) -> bool:
    """The plan had steps, none of them ran, and none repeats a call completed before the plan:
    planning it again asks for work not yet done (not a repetition)."""
    steps = [s for s in plan.get("steps") or [] if s.get("id")]
    if not steps or any(str(s.get("id")) in done_steps for s in steps):
        return False
    return not any(done_calls.get(canonical_call(str(s.get("tool")), s.get("args")), 1 << 62) < int(plan["seq"])
                   for s in steps)


def detect_1_3(t: TraceIndex) -> Detection:
    """FM-1.3: the same tool with the same canonical arguments executed twice or more (calls by
    the verifier or the gate are re-checks, not repetitions, and are not counted), or the same
    plan re-issued with no executed tool result since its last issue (:func:`repeated_plans`).
    Evidence: the first call and every repeat; the first plan and every re-issue."""
    first: dict[str, int] = {}
    hits: list[int] = []
    repeated: list[str] = []
    for c in t.executed_calls():
        if t.is_verification_actor(c.get("agent")):
            continue
        key = canonical_call(str(c.get("tool")), c.get("args"))
        if key in first:
            if first[key] not in hits:
                hits.append(first[key])
                repeated.append(key)
            hits.append(int(c["seq"]))
        else:
            first[key] = int(c["seq"])
    plans = repeated_plans(t)
    if plans:
        hits.extend(int(p["seq"]) for pair in plans for p in pair)
        repeated.append(f"the same plan re-issued {len(plans)} time(s) with nothing new")
    if hits:
        return Detection(1, sorted(set(hits)), "repeated: " + ", ".join(repeated[:5]))
    return Detection(0)


@dataclass
class _Drop:
    """An entity taken out of contention at ``seq`` (by a verifier verdict or the ruled-out list)."""

    entity: str
    seq: int
    by_verifier: bool


def _drops(t: TraceIndex) -> list[_Drop]:
    """Rejections: ``verification`` verdict rejected, or an entity listed in a ``state_update``
    change of ``ruled_out``."""
    out: list[_Drop] = []
    for e in t.of("verification", "state_update"):
        if e["type"] == "verification" and str(e.get("verdict")) == "rejected" and e.get("entity"):
            out.append(_Drop(str(e["entity"]), int(e["seq"]), True))
        elif e["type"] == "state_update":
            ruled = (e.get("changes") or {}).get("ruled_out")
            if ruled is None:
                continue
            items = ruled if isinstance(ruled, list) else re.findall(r"[^\s,;\[\]'\"]+/[A-Za-z]+/[^\s,;\[\]'\"]+", str(ruled))
            out.extend(_Drop(str(x), int(e["seq"]), False) for x in items)
    return out


def _reproposals(t: TraceIndex) -> tuple[list[tuple[_Drop, dict[str, Any], bool]], bool]:
    """Each first re-proposal of a dropped entity, with whether the drop had been acknowledged.

    A plan *re-proposes* entity X when it lists X as a hypothesis with an active status
    (proposed/supported/confirmed/none) after X was dropped, and no executed tool result between
    the drop and the plan mentions X (no new evidence).  The drop was *acknowledged* when some
    plan between the two listed X as rejected or left X out.  Returns also whether any plan
    carries hypotheses at all.
    """
    plans = t.of("plan")
    has_hyps = any("hypotheses" in p for p in plans)
    results = [r for r in t.of("tool_result") if not is_refused(r)]
    found: list[tuple[_Drop, dict[str, Any], bool]] = []
    for drop in _drops(t):
        acknowledged = False
        for p in plans:
            if int(p["seq"]) <= drop.seq:
                continue
            if any(drop.seq < int(r["seq"]) < int(p["seq"]) and t.mentions(r, drop.entity) for r in results):
                break  # new evidence about the entity: re-proposing it later is legitimate
            active = [h for h in p.get("hypotheses") or []
                      if str(h.get("entity")) == drop.entity and _hyp_status(h) in ACTIVE_STATUSES]
            if active:
                found.append((drop, p, acknowledged))
                break
            acknowledged = True
    return found, has_hyps


def _reverifications(t: TraceIndex) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(rejection, later verification) pairs: the same entity is put to verification again after
    a rejected verdict, with no executed tool result mentioning it in between."""
    results = [r for r in t.of("tool_result") if not is_refused(r)]
    rejected: dict[str, dict[str, Any]] = {}
    pairs = []
    for v in t.of("verification"):
        ent = str(v.get("entity") or "")
        prev = rejected.get(ent)
        if prev is not None and not any(int(prev["seq"]) < int(r["seq"]) < int(v["seq"]) and t.mentions(r, ent)
                                        for r in results):
            pairs.append((prev, v))
        if str(v.get("verdict")) == "rejected":
            rejected[ent] = v
        else:
            rejected.pop(ent, None)
    return pairs


def detect_1_4(t: TraceIndex) -> Detection:
    """FM-1.4: a dropped entity comes back without new evidence about it (no executed tool
    result mentioning it in between).  Dropped = a verifier verdict rejected, or listed in a
    ``state_update`` ``ruled_out`` change.  Comes back = (a) it is put to verification again
    (a later ``verification`` event for it), or (b) a later plan lists it with an active status
    (proposed/supported/confirmed/none) *after* the team had acknowledged the drop (an
    intermediate plan listed it as rejected or left it out), or when the drop came from the
    ruled-out state rather than from the verifier.  (Re-proposal right after a verifier
    rejection, never acknowledged, is FM-2.5.)"""
    found, has_hyps = _reproposals(t)
    hits = [(d.entity, d.seq, int(p["seq"])) for d, p, ack in found if ack or not d.by_verifier]
    hits += [(str(v.get("entity")), int(prev["seq"]), int(v["seq"])) for prev, v in _reverifications(t)]
    if hits:
        return Detection(1, sorted({s for _, a, b in hits for s in (a, b)}),
                         "came back after being ruled out: " + ", ".join(sorted({e for e, _, _ in hits})))
    note = "" if has_hyps else "no plan carries hypotheses: only re-verification was checked"
    return Detection(0, note=note)
