"""Task verification: FM-3.2 (no or incomplete verification) and FM-3.3 (incorrect verification).

Example:
    >>> t = TraceIndex([{"seq": 1, "type": "verification", "entity": "ns/Deployment/a", "verdict": "confirmed",
    ...                  "checks": [{"check": "logs", "passed": False}]}])
    >>> detect_3_3(t).label
    1
"""

from __future__ import annotations

import json
from typing import Any

from ._index import (ACTIVE_STATUSES, CONCLUDE_ACTIONS, VOLUNTARY_STOPS, Detection, TraceIndex, _check_calls,
                     _hyp_status, _names_match)

def _unverified_conclusion(t: TraceIndex) -> dict[str, Any] | None:
    """The planner's last plan, when the team stopped by choice right on it: its action is
    conclude/stop, it lists active hypotheses but none confirmed, and no verification follows."""
    end = t.run_end
    plans = t.of("plan")
    if end is None or not plans or str(end.get("stop_reason")) not in VOLUNTARY_STOPS:
        return None
    last = plans[-1]
    if str(last.get("action") or "") not in CONCLUDE_ACTIONS:
        return None
    statuses = [_hyp_status(h) for h in last.get("hypotheses") or []]
    if "confirmed" in statuses or not any(s in ACTIVE_STATUSES for s in statuses):
        return None
    if any(int(v["seq"]) > int(last["seq"]) for v in t.of("verification")):
        return None
    return last


def detect_3_2(t: TraceIndex) -> Detection:
    """FM-3.2: a diagnosis entity whose last verification before the diagnosis is missing, has
    verdict unverified, or is confirmed without any passed check citing tool calls (the model's
    word only); or the team stopped by choice on a plan that concludes with active hypotheses,
    none of them confirmed and no verification after it (claims passed on the model's word).
    (An entity reported although rejected is FM-2.5.)"""
    d = t.diagnosis
    hits: list[int] = []
    why: list[str] = []
    concl = _unverified_conclusion(t)
    if concl is not None:
        hits.append(int(concl["seq"]))
        why.append("concluded with no confirmed hypothesis and no verification")
    if d is None:
        if hits:
            return Detection(1, hits, "; ".join(why))
        return Detection(0, note="no diagnosis: no claim to verify")
    verdicts = t.latest_verdicts(before=int(d["seq"]))
    for ent in t.diagnosis_entities():
        v = verdicts.get(ent)
        if v is None:
            why.append(f"{ent}: never verified")
        elif str(v.get("verdict")) == "unverified":
            why.append(f"{ent}: unverified")
            hits.append(int(v["seq"]))
        elif str(v.get("verdict")) == "confirmed" and not t.tool_backed(v):
            why.append(f"{ent}: confirmed without tool-backed checks")
            hits.append(int(v["seq"]))
    if why:
        return Detection(1, sorted(set(hits + [int(d["seq"])])), "; ".join(why))
    return Detection(0)


def detect_3_3(t: TraceIndex) -> Detection:
    """FM-3.3: a verification with verdict confirmed where some check has ``passed: false``, or a
    passed check cites call ids of which one has no tool result, or all cited results failed
    (``ok: false``), or none of the cited results mentions the entity (by id, by name, or in its
    anomalies); or the verifier's own answer (:func:`stated_verdicts`) says confirmed while one of
    its checks says ``passed: false``; or a confirmed verdict contradicted by a later rejection of the same entity with a
    failed check (:func:`contradicted_verdicts`)."""
    hits: list[int] = []
    why: list[str] = []
    for v in t.of("verification"):
        if str(v.get("verdict")) != "confirmed":
            continue
        ent = str(v.get("entity") or "")
        for c in v.get("checks") or []:
            name = c.get("check", "?")
            ids = _check_calls(c)
            results = [t.results.get(i) for i in ids]
            if not c.get("passed"):
                why.append(f"{ent}: check {name} failed")
            elif ids and any(r is None for r in results):
                why.append(f"{ent}: check {name} cites calls with no result")
            elif ids and all(not r.get("ok") for r in results if r):
                why.append(f"{ent}: check {name} rests on failed calls")
            elif ids and not any(t.mentions(r, ent) or any(_names_match(ent, str(x)) for x in r.get("entities") or [])
                                 for r in results if r):
                why.append(f"{ent}: check {name} cites results that do not mention it")
            else:
                continue
            hits.append(int(v["seq"]))
    for seq, v in stated_verdicts(t):
        failed = [str(c.get("check", "?")) for c in v.get("checks") or [] if isinstance(c, dict) and c.get("passed") is False]
        if str(v.get("verdict")) == "confirmed" and failed:
            hits.append(seq)
            why.append(f"{v.get('entity')}: the verifier said confirmed although its check(s) {', '.join(failed)} failed")
    for first, later in contradicted_verdicts(t):
        hits.extend([int(first["seq"]), int(later["seq"])])
        why.append(f"{first.get('entity')}: confirmed at seq {first['seq']}, rejected by later evidence at seq {later['seq']}")
    if hits:
        return Detection(1, sorted(set(hits)), "; ".join(why[:4]))
    return Detection(0)


def stated_verdicts(t: TraceIndex) -> list[tuple[int, dict[str, Any]]]:
    """The verdicts the verifier wrote in its own answers (``model_call`` output ``VERDICTS {json}``),
    as ``(seq, verdict)``: what it claimed, before any gate re-check replaced it."""
    out = []
    for m in t.of("model_call"):
        text = str(m.get("output") or "")
        if t.role(m.get("agent")) != "verifier" or not text.startswith("VERDICTS"):
            continue
        try:
            doc = json.loads(text[len("VERDICTS"):].strip())
        except ValueError:
            continue
        verdicts = doc.get("verdicts") if isinstance(doc, dict) else None
        out.extend((int(m["seq"]), v) for v in verdicts or [] if isinstance(v, dict))
    return out


def contradicted_verdicts(t: TraceIndex) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(confirmed, later rejected) verification pairs on the same entity: the later verdict,
    with a failed check, shows the earlier confirmation was wrong."""
    confirmed: dict[str, dict[str, Any]] = {}
    pairs = []
    for v in t.of("verification"):
        ent = str(v.get("entity") or "")
        verdict = str(v.get("verdict"))
        if verdict == "confirmed":
            confirmed.setdefault(ent, v)
        elif verdict == "rejected" and ent in confirmed and any(not c.get("passed") for c in v.get("checks") or []):
            pairs.append((confirmed.pop(ent), v))
    return pairs
