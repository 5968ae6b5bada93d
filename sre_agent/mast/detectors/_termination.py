"""FM-1.5 (unaware of termination conditions), FM-3.1 (premature termination) and the run's
``task_completion``: how and why the run ended.

Example:
    >>> t = TraceIndex([{"seq": 0, "type": "run_start", "config": {}},
    ...                 {"seq": 1, "type": "run_end", "stop_reason": "max_turns"}])
    >>> task_completion(t), limit_reached(t)
    (False, 'stopped by max_turns')
"""

from __future__ import annotations

import re
from typing import Any

from ._index import CONCLUDE_ACTIONS, LIMIT_STOPS, VOLUNTARY_STOPS, Detection, TraceIndex, _check_calls
from ._verification import disputed_confirmations, overridden_verdicts, uncited_checks

#: stop reasons after which the run cannot be complete although no budget was hit
UNUSABLE_STOPS = frozenset({"model_unusable"})
#: FM-1.5: how many refused stops (a conclude plan after which the run went on) mean the planner
#: does not know when it may stop
REFUSED_STOPS = 2


def limit_reached(t: TraceIndex) -> str | None:
    """Why a limit ended the run (``"stopped by max_turns"``...), or ``None`` when none did."""
    end = t.run_end
    if end is None:
        return None
    stop = str(end.get("stop_reason") or "")
    if stop in LIMIT_STOPS or stop.startswith(("budget", "max_")):
        return f"stopped by {stop}"
    budgets = t.config.get("budgets") or {}
    max_steps = budgets.get("max_steps", budgets.get("max_turns"))
    steps, calls = end.get("steps"), end.get("tool_calls")
    if isinstance(max_steps, int) and isinstance(steps, int) and steps > max_steps:
        return f"{steps} steps > max {max_steps}"
    max_calls = budgets.get("max_tool_calls")
    if isinstance(max_calls, int) and isinstance(calls, int) and calls > max_calls:
        return f"{calls} tool calls > max {max_calls}"
    return None


def _done_seq(t: TraceIndex) -> int | None:
    """The ``seq`` of the first verification after which every final diagnosis entity's latest
    verdict is confirmed (the incident is explained), or ``None``."""
    targets = set(t.diagnosis_entities())
    if not targets or (t.diagnosis or {}).get("incomplete"):
        return None
    latest: dict[str, str] = {}
    for v in t.of("verification"):
        latest[str(v.get("entity"))] = str(v.get("verdict"))
        if all(latest.get(x) == "confirmed" for x in targets):
            return int(v["seq"])
    return None


#: FM-1.5: how many finding-less calls in a row before a limit mean the team did not see its exit
UNPRODUCTIVE_TAIL = 3
#: FM-1.5: planning rounds with standing hypotheses and no verification before a limit
STALLED_ROUNDS = 6


def refused_stops(t: TraceIndex) -> list[dict[str, Any]]:
    """Plans whose action is conclude/stop after which the planner planned again: the stop did
    not end the run (the termination FSM refused it).  The refusal itself is a hidden ``fix``
    event; what an observer sees is the run going on after the planner said it was done."""
    plans = t.of("plan")
    return [p for p in plans[:-1] if str(p.get("action") or "") in CONCLUDE_ACTIONS]


def confirmed_causes(t: TraceIndex) -> list[str]:
    """Entities whose latest verdict (over the whole run) is confirmed with a tool-backed check."""
    return [e for e, v in t.latest_verdicts().items() if str(v.get("verdict")) == "confirmed" and t.tool_backed(v)]


def detect_1_5(t: TraceIndex) -> Detection:
    """FM-1.5: (a) the run ends on a limit (``stop_reason`` budget / max_steps / max_turns /
    max_tool_calls / max_tokens / timeout, or ``run_end`` steps or tool_calls above the
    configured budget) right after ``UNPRODUCTIVE_TAIL`` executed calls that found nothing, after
    ``STALLED_ROUNDS`` planning rounds with standing hypotheses and no check, or with no root
    cause confirmed by a tool-backed verdict at all; (b) the planner tried to stop
    ``REFUSED_STOPS`` times or more while the run went on (:func:`refused_stops`); or (c) a
    non-verification actor executes a tool call after the point where every final root cause
    had a confirmed verdict and that call is not cited by a later check."""
    hits: list[int] = []
    why: list[str] = []
    limit = limit_reached(t)
    if limit:
        # a limit alone is not unawareness: the team may have been busy with real work (a
        # budget exhausted by mismatched calls is FM-2.6's cascade).  It is FM-1.5 when the
        # work before the limit had stopped producing anything: the last calls found nothing.
        tail = [c for c in t.executed_calls() if not t.is_verification_actor(c.get("agent"))][-UNPRODUCTIVE_TAIL:]
        results = {str(r.get("call_id")): r for r in t.of("tool_result")}
        barren = len(tail) == UNPRODUCTIVE_TAIL and all(not (results.get(str(c.get("call_id"))) or {}).get("anomalies")
                                                       for c in tail)
        # or the planner held hypotheses for many rounds, kept planning, and never asked for a check
        plans = t.of("plan")
        last_check = max((int(v["seq"]) for v in t.of("verification")), default=-1)
        tail_plans = [p for p in plans if int(p["seq"]) > last_check]
        stalled = len(tail_plans) >= STALLED_ROUNDS and all(
            p.get("hypotheses") and str(p.get("action") or "investigate") == "investigate" for p in tail_plans[-STALLED_ROUNDS:])
        if barren or stalled:
            hits.append(int(t.run_end["seq"]))  # type: ignore[index]
            why.append(f"{limit}, after {UNPRODUCTIVE_TAIL} calls in a row that found nothing" if barren else
                       f"{limit}, after {len(tail_plans)} planning rounds with standing hypotheses and no check")
        elif not confirmed_causes(t):
            # nothing established when the limit cut the run off: the team never reached an exit
            hits.append(int(t.run_end["seq"]))  # type: ignore[index]
            why.append(f"{limit} with no confirmed root cause")
    refused = refused_stops(t)
    if len(refused) >= REFUSED_STOPS:
        hits.extend(int(p["seq"]) for p in refused)
        why.append(f"{len(refused)} stops refused: the planner concluded while the exit conditions were unmet")
    done = _done_seq(t)
    if done is not None:
        cited = {cid for v in t.of("verification") for c in v.get("checks") or [] for cid in _check_calls(c)}
        late = [c for c in t.executed_calls() if int(c["seq"]) > done and not t.is_verification_actor(c.get("agent"))
                and str(c.get("call_id")) not in cited]
        if late:
            hits.extend(int(c["seq"]) for c in late)
            why.append(f"{len(late)} tool call(s) after all root causes were confirmed (seq {done})")
    if hits:
        return Detection(1, sorted(set(hits)), "; ".join(why))
    if t.run_end is None:
        return Detection(None, note="no run_end event: the stop reason is unknown")
    return Detection(0)


def detect_3_1(t: TraceIndex) -> Detection:
    """FM-3.1: the team chose to stop (``stop_reason`` model_stop or explained) while there is no
    diagnosis or it names no entity, or the diagnosis / run_end is flagged incomplete with no missing data source to account for
    it, or the diagnosis's own reason admits the objective is unmet (:func:`admitted_gaps`: alerts
    left unexplained, no confirmed root cause).  (Incomplete because sources were missing is
    reported honestly, not premature; a stop forced by a limit or an error is not a choice.)"""
    end = t.run_end
    if end is None:
        return Detection(None, note="no run_end event: the stop reason is unknown")
    stop = str(end.get("stop_reason") or "")
    if stop not in VOLUNTARY_STOPS:
        return Detection(0)
    d = t.diagnosis
    why: list[str] = []
    seqs = [int(end["seq"])] + ([int(d["seq"])] if d is not None else [])
    if d is None or not t.diagnosis_entities():
        why.append("no root cause reported")
    else:
        # reported but unconfirmed causes are FM-3.2 (no verification), not a premature stop
        if (d.get("incomplete") or end.get("incomplete")) and not d.get("missing"):
            why.append("flagged incomplete with no missing source")
        admitted = admitted_gaps(str(d.get("reason") or ""))
        if admitted:
            why.append("the diagnosis itself says " + " and ".join(admitted))
        if namespace_only(t.diagnosis_entities()) and not any(
                "metric" in str(c.get("tool") or "") for c in t.executed_calls()):
            why.append("concluded on the namespace as a whole (no anomalous component) without querying any metric")
    if why:
        return Detection(1, sorted(set(seqs)), f"{stop}: " + "; ".join(why))
    return Detection(0)


def namespace_only(entities: list[str]) -> bool:
    """Every diagnosed entity is a namespace (``ns/Namespace/ns``): the team blamed the whole
    namespace, i.e. found no anomalous component.

    >>> namespace_only(["otel-demo/Namespace/otel-demo"]), namespace_only(["otel-demo/Deployment/ad"])
    (True, False)
    """
    return bool(entities) and all(len(e.split("/")) == 3 and e.split("/")[1] == "Namespace" for e in entities)


_UNEXPLAINED_RE = re.compile(r"\b([1-9]\d*) alert\(?s?\)? (?:left )?unexplained", re.I)
_NO_CAUSE_RE = re.compile(r"\bno confirmed root cause\b", re.I)


def admitted_gaps(reason: str) -> list[str]:
    """What a diagnosis's ``reason`` text admits is still open: ``"N alert(s) unexplained"``
    (N > 0) and ``"no confirmed root cause"``.

    >>> admitted_gaps("no confirmed root cause; 3 alert(s) unexplained")
    ['3 alert(s) unexplained', 'no confirmed root cause']
    >>> admitted_gaps("0 alert(s) unexplained"), admitted_gaps("")
    ([], [])
    """
    out = [f"{m.group(1)} alert(s) unexplained" for m in _UNEXPLAINED_RE.finditer(reason)][:1]
    if _NO_CAUSE_RE.search(reason):
        out.append("no confirmed root cause")
    return out


def task_completion(t: TraceIndex) -> bool | None:
    """Did the run end with a complete diagnosis whose every entity has a confirmed, tool-backed
    verdict?  Not completed: a run flagged incomplete (diagnosis or run_end), ended by a limit
    (max_turns / tool calls / wall / tokens) or by ``model_unusable``, with no confirmed cause,
    or whose diagnosis admits an alert left unexplained (:func:`admitted_gaps`); nor one whose
    confirmation rests on a passed check citing no tool call, or overturned a failed check without a
    settled dispute (rules R6.2 and R6.3 of the gold set's conventions).  ``None`` without ``run_end`` (a truncated trace)."""
    end = t.run_end
    if end is None:
        return None
    d = t.diagnosis
    if d is None or not t.diagnosis_entities() or d.get("incomplete") or end.get("incomplete") \
            or limit_reached(t) or str(end.get("stop_reason") or "") in UNUSABLE_STOPS \
            or admitted_gaps(str(d.get("reason") or "")):
        return False
    verdicts = t.latest_verdicts(before=int(d["seq"]))
    overturned = {str(v.get("entity")) for _, v in overridden_verdicts(t)} | {str(v.get("entity")) for _, v in disputed_confirmations(t)}
    return all(str((v := verdicts.get(x) or {}).get("verdict")) == "confirmed" and t.tool_backed(v)
               and not uncited_checks(v) and x not in overturned
               for x in t.diagnosis_entities())
