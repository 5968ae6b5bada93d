"""Task verification: FM-3.2 (no or incomplete verification) and FM-3.3 (incorrect verification).

Example:
    >>> t = TraceIndex([{"seq": 1, "type": "verification", "entity": "ns/Deployment/a", "verdict": "confirmed",
    ...                  "checks": [{"check": "logs", "passed": False}]}])
    >>> detect_3_3(t).label
    1
"""

from __future__ import annotations

import json
import re
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
    """FM-3.2: a diagnosis entity no verification ever named (the claim was never put through a
    check), or the team stopped by choice on a plan that concludes with active hypotheses, none of
    them confirmed and no verification after it (rules R3/R4 of the gold set's conventions).  A
    diagnosis naming no entity makes no claim to check (0).  A claim that went through a check is
    judged under FM-3.3 (a check that passed citing nothing, or a failed one overridden), not here."""
    d = t.diagnosis
    if d is None or not t.diagnosis_entities():
        return Detection(0, note="no diagnosis entity: no claim to verify")
    hits: list[int] = []
    why: list[str] = []
    concl = _unverified_conclusion(t)
    if concl is not None:
        hits.append(int(concl["seq"]))
        why.append("concluded with no confirmed hypothesis and no verification")
    verdicts = t.latest_verdicts(before=int(d["seq"]))
    for ent in t.diagnosis_entities():
        if verdicts.get(ent) is None:
            why.append(f"{ent}: never verified")
    if why:
        return Detection(1, sorted(set(hits + [int(d["seq"])])), "; ".join(why))
    return Detection(0)


def detect_3_3(t: TraceIndex) -> Detection:
    """FM-3.3: a verification with verdict confirmed where some check has ``passed: false``, or a
    passed check cites call ids of which one has no tool result, or all cited results failed
    (``ok: false``), or none of the cited results mentions the entity (by id, by name, or in its
    anomalies); or the verifier's own answer (:func:`stated_verdicts`) says confirmed while one of
    its checks says ``passed: false``; or the verifier's own check failed and a later verification
    (e.g. the gate's) confirms the same entity with no new tool evidence about it in between
    (:func:`overridden_verdicts`); or a confirmed verdict contradicted by a later rejection of the same entity with a
    failed check (:func:`contradicted_verdicts`); or a confirmation that rests on a passed check citing no
    tool call (:func:`uncited_confirmations`); or a confirmation of a claim whose ``verdict_dispute`` (the
    verifier and the gate disagreed) was still open, no tool result coming between (:func:`disputed_confirmations`)."""
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
    for stated_seq, v in overridden_verdicts(t):
        hits.extend([stated_seq, int(v["seq"])])
        why.append(f"{v.get('entity')}: the verifier's own check(s) failed at seq {stated_seq}, yet confirmed at seq {v['seq']}")
    for v, names in uncited_confirmations(t):
        hits.append(int(v["seq"]))
        why.append(f"{v.get('entity')}: confirmed at seq {v['seq']} on check(s) {', '.join(names)} citing no tool call")
    for d, v in disputed_confirmations(t):
        hits.extend([int(d["seq"]), int(v["seq"])])
        why.append(f"{v.get('entity')}: confirmed at seq {v['seq']} over the open dispute on {d.get('check')} at seq {d['seq']}")
    for first, later in contradicted_verdicts(t):
        hits.extend([int(first["seq"]), int(later["seq"])])
        why.append(f"{first.get('entity')}: confirmed at seq {first['seq']}, rejected by later evidence at seq {later['seq']}")
    if hits:
        return Detection(1, sorted(set(hits)), "; ".join(why[:4]))
    return Detection(0)


def uncited_checks(verification: dict[str, Any]) -> list[str]:
    """The names of a verification's passed checks that cite no tool call (rule R2 of the gold
    set's conventions: such a check validated nothing a reader can audit).

    >>> uncited_checks({"checks": [{"check": "a", "passed": True, "call_ids": ["c1"]},
    ...                            {"check": "b", "passed": True, "call_ids": []}, {"check": "c", "passed": False}]})
    ['b']
    """
    return [str(c.get("check", "?")) for c in verification.get("checks") or [] if c.get("passed") and not _check_calls(c)]


def uncited_confirmations(t: TraceIndex) -> list[tuple[dict[str, Any], list[str]]]:
    """Confirmed verifications (by anyone, the gate too) with passed checks that cite no tool call,
    and those checks' names: the confirmation rests on something nobody can audit (rule R2 of the
    gold set's conventions, ``eval/data/mast-gold/CONVENTIONS.md``: a check that passes citing no
    tool call validated nothing, whoever ran it and whenever).

    >>> t = TraceIndex([{"seq": 0, "type": "run_start"},
    ...                 {"seq": 3, "type": "verification", "entity": "ns/Pod/p", "verdict": "confirmed", "by": "gate",
    ...                  "checks": [{"check": "upstream_of_alerts", "passed": True, "call_ids": []}]}])
    >>> [(v["seq"], names) for v, names in uncited_confirmations(t)]
    [(3, ['upstream_of_alerts'])]
    """
    out: list[tuple[dict[str, Any], list[str]]] = []
    for v in t.of("verification"):
        names = uncited_checks(v)
        if str(v.get("verdict")) == "confirmed" and names:
            out.append((v, names))
    return out


def disputed_confirmations(t: TraceIndex) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(open ``verdict_dispute``, confirming verification) pairs on the same entity with no tool
    result between them: a dispute settled by a re-vote, not by a tool call."""
    out = []
    for d in t.of("verdict_dispute"):
        if str(d.get("outcome")) != "open":
            continue
        ent = str(d.get("entity") or "")
        later = [v for v in t.of("verification") if str(v.get("entity") or "") == ent and int(v["seq"]) > int(d["seq"])]
        confirmed = next((v for v in later if str(v.get("verdict")) == "confirmed"), None)
        if confirmed is None:
            continue
        if not [r for r in t.of("tool_result") if int(d["seq"]) < int(r["seq"]) < int(confirmed["seq"]) and r.get("ok")]:
            out.append((d, confirmed))
    return out


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
            verdicts = doc.get("verdicts") if isinstance(doc, dict) else None
        except ValueError:
            verdicts = _salvage_verdicts(text)
        out.extend((int(m["seq"]), v) for v in verdicts or [] if isinstance(v, dict))
    return out


_VERDICT_RE = re.compile(r'\{"checks": \[(?P<checks>.*?)\], "entity": "(?P<entity>[^"]+)"(?P<rest>[^{}]*)')
_CHECK_RE = re.compile(r'"check": "(?P<check>[^"]+)"[^{}]*?"passed": (?P<passed>true|false)')


def _salvage_verdicts(text: str) -> list[dict[str, Any]]:
    """The complete verdict objects of a ``VERDICTS`` answer the trace recorded cut short (the
    recorder truncates long outputs, so the JSON does not parse): each verdict's entity and
    checks, and its verdict when that survived the cut.

    >>> _salvage_verdicts('VERDICTS {"verdicts": [{"checks": [{"check": "logs", "evidence": [], "passed": false}], '
    ...                   '"entity": "ns/Deployment/a", "reason": "failed: lo')
    [{'entity': 'ns/Deployment/a', 'checks': [{'check': 'logs', 'passed': False}], 'verdict': None}]
    """
    out = []
    for m in _VERDICT_RE.finditer(text):
        checks = [{"check": c["check"], "passed": c["passed"] == "true"} for c in _CHECK_RE.finditer(m["checks"])]
        verdict = re.search(r'"verdict": "([a-z]+)"', m["rest"])
        out.append({"entity": m["entity"], "checks": checks, "verdict": verdict.group(1) if verdict else None})
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


def overridden_verdicts(t: TraceIndex) -> list[tuple[int, dict[str, Any]]]:
    """``(seq of the verifier's answer, confirming verification)`` pairs: the verifier's own
    answer failed a check on entity X, and the next verification of X after it is confirmed
    although no executed tool result between them mentions X (a failed check overruled, not
    re-checked on new evidence)."""
    failed_at: dict[str, int] = {}
    for seq, v in stated_verdicts(t):
        if any(isinstance(c, dict) and c.get("passed") is False for c in v.get("checks") or []):
            failed_at[str(v.get("entity") or "")] = seq
    out = []
    for ent, seq in failed_at.items():
        later = [v for v in t.of("verification") if str(v.get("entity") or "") == ent and int(v["seq"]) > seq]
        if not later or str(later[0].get("verdict")) != "confirmed":
            continue
        fresh = [r for r in t.of("tool_result") if seq < int(r["seq"]) < int(later[0]["seq"]) and t.mentions(r, ent)]
        if not fresh:
            out.append((seq, later[0]))
    return out
