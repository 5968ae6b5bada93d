"""Structural MAST detectors: deterministic rules over the trace events, no model involved.

Each detector reads a :class:`TraceIndex` (the observable events of one run, indexed once) and
returns a :class:`Detection`: a label (1, 0 or ``None`` when the trace cannot show the mode),
the ``seq`` numbers of the events that show it, and a note.  The exact rule of each detector is
in its docstring.  ``injected_failure`` and ``fix`` events are removed before any detector runs.

Conventions used by several rules:

* a tool call is **executed** when a ``tool_result`` with its ``call_id`` exists and that result
  is not a refusal (``blocked: true``, or ``ok: false`` with an error starting ``BLOCKED``,
  ``tool-call budget exhausted`` or ``unknown tool``): a refused call did not happen;
* an actor's **role** comes from ``model_call`` events (``agent`` -> ``role``), else from its
  name when the name contains planner / investigator / verifier / summarizer; other actors
  (``gate``, the runner) are system actors;
* the **canonical form** of a call is the tool name plus its arguments as sorted JSON, with
  ``None``-valued arguments dropped.

Example:
    >>> ev = [{"seq": 0, "type": "run_start", "config": {}, "alerts": ["a"], "neighbourhood": ["cart"]},
    ...       {"seq": 1, "type": "tool_call", "agent": "investigator", "call_id": "c1", "tool": "logs", "args": {"service": "cart"}},
    ...       {"seq": 2, "type": "tool_result", "call_id": "c1", "tool": "logs", "ok": True, "entities": []},
    ...       {"seq": 3, "type": "tool_call", "agent": "investigator", "call_id": "c2", "tool": "logs", "args": {"service": "cart"}},
    ...       {"seq": 4, "type": "tool_result", "call_id": "c2", "tool": "logs", "ok": True, "entities": []}]
    >>> a = StructuralAnnotator().annotate(ev)
    >>> a.labels["1.3"], a.evidence["1.3"]
    (1, [1, 3])
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .base import Annotation, Annotator, observable_events
from .definitions import MODE_IDS

ROLES = ("planner", "investigator", "verifier", "summarizer")
#: hypothesis statuses that mean "still pursued"
ACTIVE_STATUSES = frozenset({"proposed", "supported", "confirmed", ""})
#: stop reasons that mean a limit, not the team, ended the run
LIMIT_STOPS = frozenset({"budget", "max_steps", "max_turns", "max_tool_calls", "max_tokens",
                         "max_wall_seconds", "timeout"})
#: stop reasons that mean the team chose to stop
VOLUNTARY_STOPS = frozenset({"model_stop", "explained"})
#: argument keys whose values name the entity or service a tool call is about
TARGET_KEYS = ("service", "services", "entity", "entities", "target", "pod", "deployment", "workload")
#: kinds checked against the neighbourhood (configuration objects may legitimately act from outside)
WORKLOAD_KINDS = frozenset({"service", "deployment", "pod", "statefulset", "daemonset", "replicaset"})
_ENTITY_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Z][A-Za-z0-9]*/[^/\s]+$")
_RESET_WORDS = re.compile(r"\b(cleared|reset|emptied|wiped|discarded)\b")
_EMPTY_TEXT = re.compile(r"^(0|none|empty|\[\]|\{\})(\s+\w+)?$")
_DROP_TO_ZERO = re.compile(r"(->|→)\s*0\b")
_REFUSAL = re.compile(r"^\s*(BLOCKED\b|tool-call budget exhausted|unknown tool)", re.IGNORECASE)
#: plan actions by which the planner ends the investigation
CONCLUDE_ACTIONS = frozenset({"conclude", "stop"})


@dataclass
class Detection:
    """One detector's answer: label, evidence ``seq`` numbers and a note."""

    label: int | None
    evidence: list[int] = field(default_factory=list)
    note: str = ""


# -- small helpers ---------------------------------------------------------------------------
def canonical_call(tool: str, args: dict[str, Any] | None) -> str:
    """A stable identity for a tool call: name + sorted JSON arguments (``None`` values dropped).

    >>> canonical_call("logs", {"b": 1, "a": None, "service": "cart"})
    'logs{"b":1,"service":"cart"}'
    """
    if not isinstance(args, dict):  # malformed: compare the raw value
        args = {} if args is None else {"": args}
    clean = {k: v for k, v in args.items() if v is not None}
    return str(tool) + json.dumps(clean, sort_keys=True, separators=(",", ":"), default=str)


def is_entity_id(text: Any) -> bool:
    """True for a well-formed ``namespace/Kind/name`` answer id.

    >>> is_entity_id("otel-demo/Deployment/cart"), is_entity_id("cart"), is_entity_id("otel-demo/deployment/cart")
    (True, False, False)
    """
    return isinstance(text, str) and bool(_ENTITY_RE.match(text))


def entity_name(text: str) -> str:
    """The last path segment of an entity id (the name), or the text itself."""
    return str(text).rsplit("/", 1)[-1]


def _names_match(a: str, b: str) -> bool:
    """Same object name, or one is a pod of the other's workload (``cart`` ~ ``cart-7d9f-x2``)."""
    a, b = entity_name(a).lower(), entity_name(b).lower()
    return a == b or a.startswith(b + "-") or b.startswith(a + "-")


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _emptied(value: Any) -> bool:
    """Does a ``state_update`` change value say that the field is now empty?

    Empty collections, a zero count, ``{"count": 0}``, or text such as ``"cleared"``, ``"0"``,
    ``"3 -> 0"``.  ``None`` and ``""`` are *not* read as emptied (they may just mean no summary).
    """
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (list, tuple)):
        return len(value) == 0
    if isinstance(value, dict):
        if not value:
            return True
        for key in ("count", "size", "n", "items"):
            if key in value:
                inner = value[key]
                return inner == 0 or (isinstance(inner, (list, tuple, dict)) and not inner)
        return False
    if isinstance(value, (int, float)):
        return value == 0
    text = str(value).strip().lower()
    return bool(text) and bool(_RESET_WORDS.search(text) or _EMPTY_TEXT.match(text) or _DROP_TO_ZERO.search(text))


def _nonempty(value: Any) -> bool:
    """Does a change value describe some content (the opposite of empty, ignoring ``None``)?"""
    if value is None or _emptied(value):
        return False
    return not (isinstance(value, str) and not value.strip())


def _check_calls(check: dict[str, Any]) -> list[str]:
    """The call ids a verification check cites (``call_ids``, or ``evidence`` as a fallback)."""
    ids = check.get("call_ids")
    if ids is None:
        ids = check.get("evidence")
    return [str(i) for i in ids] if isinstance(ids, list) else []


def is_refused(result: dict[str, Any]) -> bool:
    """A tool result that says the call was refused, not run (blocked by a guard, no budget...)."""
    if result.get("blocked"):
        return True
    return not result.get("ok") and bool(_REFUSAL.match(str(result.get("error") or result.get("summary") or "")))


def _hyp_status(h: dict[str, Any]) -> str:
    return str(h.get("status") or "").lower()


# -- the trace index -------------------------------------------------------------------------
#: event type -> {field: shape}; a field of the wrong shape is read as empty (a malformed trace
#: must give labels, not a crash)
_SHAPES: dict[str, dict[str, str]] = {
    "run_start": {"config": "dict"},
    "plan": {"hypotheses": "dicts", "steps": "dicts"},
    "tool_call": {"args": "dict"},
    "tool_result": {"entities": "list", "anomalies": "list"},
    "state_update": {"changes": "dict"},
    "verification": {"checks": "dicts"},
    "diagnosis": {"entities": "list", "missing": "list"},
}


def _normalise(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of the event whose known fields have the documented shape (else empty)."""
    out = dict(event)
    try:
        out["seq"] = int(out.get("seq", 0))
    except (TypeError, ValueError):
        out["seq"] = 0
    for name, shape in _SHAPES.get(str(out.get("type")), {}).items():
        if name not in out:
            continue
        value = out[name]
        if shape == "dict":
            out[name] = value if isinstance(value, dict) else {}
        elif shape == "list":
            out[name] = value if isinstance(value, list) else []
        else:
            out[name] = [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
    if out.get("type") == "run_start":
        cfg = dict(out.get("config") or {})
        if not isinstance(cfg.get("budgets"), dict):
            cfg["budgets"] = {}
        out["config"] = cfg
    if "announced" in out and not isinstance(out["announced"], dict):
        del out["announced"]
    return out


class TraceIndex:
    """The observable events of one run, indexed once for all detectors."""

    def __init__(self, events: Iterable[dict[str, Any]]) -> None:
        self.events = sorted((_normalise(e) for e in observable_events(list(events))), key=lambda e: e["seq"])
        by_type: dict[str, list[dict[str, Any]]] = {}
        for e in self.events:
            by_type.setdefault(str(e.get("type")), []).append(e)
        self.by_type = by_type
        self.start: dict[str, Any] = (by_type.get("run_start") or [{}])[0]
        self.config: dict[str, Any] = self.start.get("config") or {}
        alerts = self.start.get("alerts")
        self.alerts: list[Any] = list(alerts) if isinstance(alerts, list) else []
        nb = self.start.get("neighbourhood")
        self.neighbourhood: list[str] | None = [str(x) for x in nb] if isinstance(nb, list) else None
        self.namespace = self._namespace()
        self.results: dict[str, dict[str, Any]] = {}
        for r in by_type.get("tool_result", []):
            self.results.setdefault(str(r.get("call_id")), r)
        self.roles: dict[str, str] = {}
        for m in by_type.get("model_call", []):
            if m.get("agent") and str(m.get("role", "")).lower() in ROLES:
                self.roles.setdefault(str(m["agent"]), str(m["role"]).lower())
        diagnoses = by_type.get("diagnosis", [])
        self.diagnosis: dict[str, Any] | None = diagnoses[-1] if diagnoses else None
        ends = by_type.get("run_end", [])
        self.run_end: dict[str, Any] | None = ends[-1] if ends else None

    def of(self, *types: str) -> list[dict[str, Any]]:
        """Events of these types, in ``seq`` order."""
        return [e for e in self.events if e.get("type") in types]

    def _namespace(self) -> str | None:
        ns = self.start.get("namespace") or self.config.get("namespace")
        if ns:
            return str(ns)
        spaces = {x.split("/")[0] for x in (self.neighbourhood or []) if is_entity_id(x)}
        return spaces.pop() if len(spaces) == 1 else None

    def role(self, actor: Any) -> str | None:
        """The role of an actor (agent name), or ``None`` for a system actor or an unknown one."""
        if not actor:
            return None
        actor = str(actor)
        if actor in self.roles:
            return self.roles[actor]
        low = actor.lower()
        return next((r for r in ROLES if r in low), None)

    def executed_calls(self) -> list[dict[str, Any]]:
        """``tool_call`` events that produced a (non-blocked) ``tool_result``."""
        out = []
        for c in self.by_type.get("tool_call", []):
            r = self.results.get(str(c.get("call_id")))
            if r is not None and not is_refused(r):
                out.append(c)
        return out

    def is_verification_actor(self, actor: Any) -> bool:
        """The verifier, or the verification gate (both may re-run calls on purpose)."""
        return self.role(actor) == "verifier" or str(actor or "").lower() == "gate"

    def latest_verdicts(self, before: int | None = None) -> dict[str, dict[str, Any]]:
        """entity -> its last ``verification`` event (before ``seq`` ``before`` when given)."""
        out: dict[str, dict[str, Any]] = {}
        for v in self.by_type.get("verification", []):
            if before is not None and int(v.get("seq", 0)) >= before:
                break
            if v.get("entity"):
                out[str(v["entity"])] = v
        return out

    def tool_backed(self, verification: dict[str, Any]) -> bool:
        """At least one passed check of this verification cites tool calls."""
        return any(c.get("passed") and _check_calls(c) for c in verification.get("checks") or [])

    def diagnosis_entities(self) -> list[str]:
        return [str(x) for x in (self.diagnosis or {}).get("entities") or [] if x]

    def mentions(self, result: dict[str, Any], entity: str) -> bool:
        """Does a tool result say something about this entity (its entities, or its anomalies)?"""
        if entity in [str(x) for x in result.get("entities") or []]:
            return True
        return entity in _text(result.get("anomalies") or [])


# -- detectors -------------------------------------------------------------------------------
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


def detect_1_3(t: TraceIndex) -> Detection:
    """FM-1.3: the same tool with the same canonical arguments executed twice or more (calls by
    the verifier or the gate are re-checks, not repetitions, and are not counted).  Evidence:
    the first call and every repeat."""
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
    if hits:
        return Detection(1, sorted(hits), "repeated: " + ", ".join(repeated[:5]))
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


def detect_2_5(t: TraceIndex) -> Detection:
    """FM-2.5: the verifier rejected entity X and (a) the next plans keep X as an active
    hypothesis with no new evidence about it and without ever acknowledging the rejection, or
    (b) the diagnosis reports X while the last verdict on X before it is rejected."""
    found, has_hyps = _reproposals(t)
    hits = {s for d, p, ack in found if d.by_verifier and not ack for s in (d.seq, int(p["seq"]))}
    ents = {d.entity for d, _, ack in found if d.by_verifier and not ack}
    d = t.diagnosis
    if d is not None:
        verdicts = t.latest_verdicts(before=int(d["seq"]))
        for ent in t.diagnosis_entities():
            v = verdicts.get(ent)
            if v is not None and str(v.get("verdict")) == "rejected":
                hits.update({int(v["seq"]), int(d["seq"])})
                ents.add(ent)
    if hits:
        return Detection(1, sorted(hits), "verifier rejection ignored for: " + ", ".join(sorted(ents)))
    note = "" if has_hyps else "no plan carries hypotheses: only the diagnosis was checked"
    return Detection(0, note=note)


def _limit_reached(t: TraceIndex) -> str | None:
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


def detect_1_5(t: TraceIndex) -> Detection:
    """FM-1.5: the run ends on a limit (``stop_reason`` budget / max_steps / max_turns /
    max_tool_calls / max_tokens / timeout, or ``run_end`` steps or tool_calls above the
    configured budget) right after ``UNPRODUCTIVE_TAIL`` executed calls that found nothing, or a non-verification actor executes a tool call after the point where
    every final root cause had a confirmed verdict and that call is not cited by a later check."""
    hits: list[int] = []
    why: list[str] = []
    limit = _limit_reached(t)
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


def _digest_counts(digest: Any) -> dict[str, Any]:
    """Counts from a ``state_update.digest``: a mapping, or text like ``"5 evidence, 2 hypotheses"``.

    >>> _digest_counts("5 evidence, 0 hypotheses")
    {'evidence': 5, 'hypotheses': 0}
    """
    if isinstance(digest, dict):
        return digest
    if isinstance(digest, str):
        return {name: int(n) for n, name in re.findall(r"(\d+)\s+(evidence|hypotheses)\b", digest)}
    return {}


def detect_2_1(t: TraceIndex) -> Detection:
    """FM-2.1: a ``state_update`` before the diagnosis empties ``hypotheses`` or ``evidence``
    (change value empty / zero / "cleared" / "reset" / "N -> 0", or a ``digest`` count, as a
    mapping or as text "N evidence, M hypotheses", dropping to 0) after that field held something (earlier non-empty change or digest count; for
    hypotheses also a plan listing hypotheses; for evidence also an executed ok tool result)."""
    held = {"hypotheses": False, "evidence": False}
    counts: dict[str, int] = {}
    end = int(t.diagnosis["seq"]) if t.diagnosis else None
    hits: list[int] = []
    fields: list[str] = []
    for e in t.events:
        kind = e.get("type")
        if end is not None and int(e["seq"]) >= end:
            break
        if kind == "plan" and e.get("hypotheses"):
            held["hypotheses"] = True
        elif kind == "tool_result" and e.get("ok") and not is_refused(e):
            held["evidence"] = True
        elif kind == "state_update":
            changes = e.get("changes") or {}
            digest = _digest_counts(e.get("digest"))
            for name in held:
                reset = name in changes and _emptied(changes[name]) and held[name]
                count = digest.get(name)
                count = len(count) if isinstance(count, (list, dict)) else count
                if isinstance(count, int) and not isinstance(count, bool):
                    reset = reset or (count == 0 and counts.get(name, 0) > 0)
                    counts[name] = count
                if reset:
                    hits.append(int(e["seq"]))
                    fields.append(name)
                    held[name] = False
                elif name in changes and _nonempty(changes[name]) or (isinstance(count, int) and count > 0):
                    held[name] = True
    if hits:
        return Detection(1, sorted(set(hits)), "emptied mid-run: " + ", ".join(sorted(set(fields))))
    return Detection(0)


def detect_2_2(t: TraceIndex) -> Detection:
    """FM-2.2: not detectable here (always ``None``)."""
    return Detection(None, note="the agents have no channel to ask the operator or each other for "
                                "clarification, so a missing question cannot be told from the trace; "
                                "missing data is reported via diagnosis.missing/incomplete instead")


def _targets(args: dict[str, Any] | None) -> list[str]:
    out: list[str] = []
    for key in TARGET_KEYS:
        value = (args or {}).get(key)
        values = value if isinstance(value, list) else [value]
        out.extend(str(v) for v in values if isinstance(v, str) and v)
    return out


def _in_neighbourhood(t: TraceIndex, target: str) -> bool | None:
    """True/False for a checkable target, ``None`` for one this rule does not judge."""
    hood = t.neighbourhood or []
    if target in hood:
        return True
    if "/" in target:
        if not is_entity_id(target):
            return None
        ns, kind, _ = target.split("/")
        if kind.lower() == "namespace":
            return t.namespace is None or entity_name(target) == t.namespace
        if kind.lower() not in WORKLOAD_KINDS:
            return None
        if t.namespace and ns != t.namespace:
            return False
    return any(_names_match(target, h) for h in hood)


def detect_2_3(t: TraceIndex) -> Detection:
    """FM-2.3: a planned step or an executed tool call whose target arguments (service, entity,
    target, pod, deployment, workload, and their plurals) name a workload (a plain name, or an
    id of kind Service/Deployment/Pod/StatefulSet/DaemonSet/ReplicaSet) that is not in
    ``run_start.neighbourhood`` (same name, or a pod of a listed workload) or that lies in
    another namespace.  A planned step counts even if a guard later refused it: the team's
    attention drifted.  Configuration objects (ConfigMap, NetworkPolicy, chaos objects ...) are
    not judged.  ``None`` when the run has no neighbourhood."""
    if not t.neighbourhood:
        return Detection(None, note="run_start has no neighbourhood: cannot tell what is unrelated")
    hits: list[int] = []
    off: list[str] = []
    actions = [(int(p["seq"]), s.get("args")) for p in t.of("plan") for s in p.get("steps") or []]
    actions += [(int(c["seq"]), c.get("args")) for c in t.executed_calls()]
    for seq, args in sorted(actions, key=lambda a: a[0]):
        outside = [x for x in _targets(args if isinstance(args, dict) else {}) if _in_neighbourhood(t, x) is False]
        if outside:
            if seq not in hits:
                hits.append(seq)
            off.extend(x for x in outside if x not in off)
    if hits:
        return Detection(1, hits, "outside the alert's neighbourhood: " + ", ".join(off[:6]))
    return Detection(0)


def _anomaly_entities(result: dict[str, Any]) -> list[str]:
    """Entities of a result's anomalies: ``{"entity": ...}`` items or ``"entity:signal"`` strings."""
    out = []
    for a in result.get("anomalies") or []:
        if isinstance(a, dict) and a.get("entity"):
            out.append(str(a["entity"]))
        elif isinstance(a, str) and ":" in a:
            out.append(a.rsplit(":", 1)[0])
    return out


def _withheld_by_count(t: TraceIndex, updates: list[dict[str, Any]]) -> Detection | None:
    """2.4 from counts, when ``state_update.changes.evidence_added`` lists the items added: an
    update that adds fewer items than the executed, ok results with anomalies since the previous
    update certainly dropped one of them.  ``None`` when updates carry no such list."""
    if not any(isinstance((u.get("changes") or {}).get("evidence_added"), list) for u in updates):
        return None
    calls = {str(c.get("call_id")): c for c in t.of("tool_call")}
    hits: list[int] = []
    prev = -1
    for u in updates:
        added = (u.get("changes") or {}).get("evidence_added")
        if not isinstance(added, list):
            continue
        pending = [r for r in t.of("tool_result") if prev < int(r["seq"]) < int(u["seq"]) and r.get("ok")
                   and not is_refused(r) and r.get("anomalies")
                   and not t.is_verification_actor(calls.get(str(r.get("call_id")), {}).get("agent"))]
        if len(added) < len(pending):
            hits.append(int(u["seq"]))
        prev = int(u["seq"])
    if hits:
        return Detection(1, hits, f"{len(hits)} state update(s) added fewer evidence items than anomalous results")
    return Detection(0)


def detect_2_4(t: TraceIndex) -> Detection:
    """FM-2.4: an executed, ok tool result with non-empty ``anomalies`` (from a non-verification
    actor) after which at least one ``state_update`` happens, but no later ``state_update``
    mentions its ``call_id`` or the entity of any of its anomalies.  When no ``state_update``
    cites call ids, the count rule of :func:`_withheld_by_count` applies instead.  ``None``
    when there is no ``state_update``, or neither link exists."""
    updates = t.of("state_update")
    if not updates:
        return Detection(None, note="no state_update events: there is no shared state to withhold from")
    texts = [(int(u["seq"]), _text({"changes": u.get("changes"), "digest": u.get("digest")})) for u in updates]
    call_ids = [str(c.get("call_id")) for c in t.of("tool_call") if c.get("call_id")]
    if not any(cid in text for cid in call_ids for _, text in texts):
        by_count = _withheld_by_count(t, updates)
        if by_count is not None:
            return by_count
        return Detection(None, note="state_update events neither cite call ids nor list evidence_added: "
                                    "passing-on cannot be traced")
    calls = {str(c.get("call_id")): c for c in t.of("tool_call")}
    hits: list[int] = []
    for r in t.of("tool_result"):
        if not r.get("ok") or is_refused(r) or not r.get("anomalies"):
            continue
        call = calls.get(str(r.get("call_id")), {})
        if t.is_verification_actor(call.get("agent")):
            continue
        later = [text for seq, text in texts if seq > int(r["seq"])]
        if not later:
            continue
        keys = [str(r.get("call_id"))] + _anomaly_entities(r)
        if not any(k in text for k in keys for text in later):
            hits.append(int(r["seq"]))
    if hits:
        return Detection(1, hits, f"{len(hits)} tool result(s) with anomalies never reached the state")
    return Detection(0)


def _announced(t: TraceIndex, call: dict[str, Any]) -> dict[str, Any] | None:
    """The step this call was announced as: ``tool_call.announced``, else the step with the
    call's ``step_id`` in the latest plan before it."""
    if isinstance(call.get("announced"), dict):
        return call["announced"]
    step_id = call.get("step_id")
    for p in reversed(t.of("plan")):
        if int(p["seq"]) > int(call["seq"]):
            continue
        for s in p.get("steps") or []:
            if s.get("id") == step_id:
                return s
    return None


def detect_2_6(t: TraceIndex) -> Detection:
    """FM-2.6: an executed tool call whose announcement differs from it: the tool differs, or
    the canonical arguments differ (when the announcement has args).  The announcement is
    ``tool_call.announced`` when present (the runner sets it to the next pending step when the
    call matches no pending step), else the step named by ``step_id`` in the latest plan before
    the call; a ``step_id`` that no earlier plan announced is a mismatch too.  Calls with
    neither (nothing was pending) are not judged."""
    hits: list[int] = []
    why: list[str] = []
    for c in t.executed_calls():
        if c.get("step_id") in (None, "") and not isinstance(c.get("announced"), dict):
            continue
        ann = _announced(t, c)
        if ann is None:
            hits.append(int(c["seq"]))
            why.append(f"{c.get('call_id')}: step {c.get('step_id')} never announced")
            continue
        if str(ann.get("tool")) != str(c.get("tool")) or (
                "args" in ann and canonical_call("", ann.get("args")) != canonical_call("", c.get("args"))):
            hits.append(int(c["seq"]))
            why.append(f"{c.get('call_id')}: announced {canonical_call(str(ann.get('tool')), ann.get('args'))}, "
                       f"ran {canonical_call(str(c.get('tool')), c.get('args'))}")
    if hits:
        return Detection(1, hits, "; ".join(why[:4]))
    return Detection(0)


def detect_3_1(t: TraceIndex) -> Detection:
    """FM-3.1: the team chose to stop (``stop_reason`` model_stop or explained) while there is no
    diagnosis or it names no entity, or the diagnosis / run_end is flagged incomplete with no missing data source to account for
    it.  (Incomplete because sources were missing is reported honestly, not premature.)"""
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
    if why:
        return Detection(1, sorted(set(seqs)), f"{stop}: " + "; ".join(why))
    return Detection(0)


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
    anomalies)."""
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
    if hits:
        return Detection(1, sorted(set(hits)), "; ".join(why[:4]))
    return Detection(0)


DETECTORS: dict[str, Callable[[TraceIndex], Detection]] = {
    "1.1": detect_1_1, "1.2": detect_1_2, "1.3": detect_1_3, "1.4": detect_1_4, "1.5": detect_1_5,
    "2.1": detect_2_1, "2.2": detect_2_2, "2.3": detect_2_3, "2.4": detect_2_4, "2.5": detect_2_5,
    "2.6": detect_2_6, "3.1": detect_3_1, "3.2": detect_3_2, "3.3": detect_3_3,
}
assert tuple(DETECTORS) == MODE_IDS


def task_completion(t: TraceIndex) -> bool | None:
    """Did the run end with a complete diagnosis whose every entity has a confirmed, tool-backed
    verdict, not cut off by a limit?  ``None`` without ``run_end`` (a truncated trace)."""
    if t.run_end is None:
        return None
    d = t.diagnosis
    if d is None or not t.diagnosis_entities() or d.get("incomplete") or _limit_reached(t):
        return False
    verdicts = t.latest_verdicts(before=int(d["seq"]))
    return all(str((v := verdicts.get(x) or {}).get("verdict")) == "confirmed" and t.tool_backed(v)
               for x in t.diagnosis_entities())


class StructuralAnnotator(Annotator):
    """Rule-based labels from the trace structure (see each ``detect_*`` for its rule)."""

    name = "structural"

    def annotate(self, events: list[dict[str, Any]]) -> Annotation:
        index = TraceIndex(events)
        labels: dict[str, int | None] = {}
        evidence: dict[str, list[int]] = {}
        notes: dict[str, str] = {}
        for mode, detect in DETECTORS.items():
            found = detect(index)
            labels[mode] = found.label
            if found.evidence:
                evidence[mode] = found.evidence
            if found.note:
                notes[mode] = found.note
        return Annotation(labels=labels, evidence=evidence, notes=notes,
                          task_completion=task_completion(index), annotator=self.name)
