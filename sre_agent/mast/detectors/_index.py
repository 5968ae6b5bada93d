"""The trace index shared by every structural MAST detector, and the small helpers they use.

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
    >>> t = TraceIndex([{"seq": 1, "type": "tool_call", "agent": "investigator", "call_id": "c1", "tool": "logs", "args": {}},
    ...                 {"seq": 2, "type": "tool_result", "call_id": "c1", "ok": True},
    ...                 {"seq": 3, "type": "injected_failure", "mode": "1.3"}])
    >>> [e["type"] for e in t.events], len(t.executed_calls())
    (['tool_call', 'tool_result'], 1)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..base import observable_events

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
