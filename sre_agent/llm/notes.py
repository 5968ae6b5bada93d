"""The planner's working notes: what it keeps in its own plan when no shared state is in context.

Without the ``summarized_state`` fix an agent sees the raw transcript, and a finite context
window drops the oldest messages first.  A careful model writes down what it has established
(the calls already made, the findings its hypotheses rest on, how anomalous each service looked,
the verifier's verdicts) in every plan it emits, so its newest plan still carries them when the
tool results they came from have scrolled out.  The offline reasoner does the same, compactly:

* ``calls``: call id -> [tool, args] of every call made (so nothing is planned twice);
* ``findings``: every finding except per-service anomaly readings, with its call id;
* ``anomaly``: service -> [summed anomaly weight, call ids] for the per-service readings left out;
* ``damp``: caller -> how many findings showed its errors merely passing through from a callee;
* ``edges``: callee -> callers it fails (for the propagation chain);
* ``blocked``: call ids whose call was refused; ``verdicts``: entity -> confirmed / rejected.

Folding the notes back (:func:`recall`) gives the same scores as having every finding in view.

Example:
    >>> from sre_agent.llm.reasoning import Call, View
    >>> v = View(calls=[Call("call_1", "service_health", {}, "2 unhealthy",
    ...                      [{"entity": "otel-demo/Service/cart", "signal": "error_rate", "weight": 0.8}])])
    >>> n = take_notes(v)
    >>> n["anomaly"]
    {'cart': [0.4, ['call_1']]}
    >>> w = View()
    >>> recall(w, n)
    >>> sorted(w.done), w.noted_anomaly
    (['service_health{}'], {'cart': [0.4, ['call_1']]})
"""

from __future__ import annotations

from typing import Any

from .reasoning import ANOMALY_SIGNALS, MECHANISM_SIGNALS, Call, View, _call_order, _kind, canonical, svc

PASS_THROUGH = ("failing_callee", "unreachable_peer")
PROPAGATING = ("failing_callee", "unreachable_peer", "slow_callee")


def _summarized(f: dict[str, Any]) -> bool:
    """A per-service anomaly reading: kept in the notes as a sum, not one by one."""
    sig = f.get("signal")
    return sig in ANOMALY_SIGNALS and sig not in MECHANISM_SIGNALS and _kind(f.get("entity", "")) in ("Service", "")


def take_notes(view: View) -> dict[str, Any]:
    """The notes for the next plan: everything in ``view`` (earlier notes included), compactly."""
    calls: dict[str, list[Any]] = {}
    findings: list[dict[str, Any]] = []
    anomaly: dict[str, list[Any]] = {s: [v[0], list(v[1])] for s, v in view.noted_anomaly.items()}
    damp = dict(view.noted_damp)
    edges = {k: list(v) for k, v in view.noted_edges.items()}
    blocked = []
    for c in sorted(view.calls, key=lambda c: _call_order(c.call_id)):
        calls[c.call_id] = [c.tool, c.args]
        if c.summary.startswith("BLOCKED"):
            blocked.append(c.call_id)
        for f in c.findings:
            if c.noted or not _summarized(f):
                findings.append({k: v for k, v in f.items() if k not in ("detail", "call_id")} | {"call_id": c.call_id})
                continue
            name = svc(f["entity"])
            entry = anomaly.setdefault(name, [0.0, []])
            entry[0] = round(entry[0] + float(f.get("weight", 0.5)) * ANOMALY_SIGNALS[f["signal"]], 4)
            if c.call_id not in entry[1]:
                entry[1].append(c.call_id)
            if f["signal"] in PASS_THROUGH:
                for rel in f.get("related", []):
                    damp[svc(rel)] = damp.get(svc(rel), 0) + 1
            if f["signal"] in PROPAGATING:
                callers = edges.setdefault(name, [])
                callers.extend(svc(r) for r in f.get("related", []) if svc(r) not in callers)
    for entry in anomaly.values():
        entry[1] = sorted(entry[1], key=_call_order)[:6]
    return {"calls": calls, "findings": findings, "anomaly": anomaly, "damp": damp, "edges": edges,
            "blocked": blocked, "verdicts": dict(view.verdicts)}


def recall(view: View, notes: Any) -> None:
    """Fold notes from an earlier plan into ``view`` (its calls come first, in call order)."""
    if not isinstance(notes, dict):
        return
    by_call: dict[str, list[dict[str, Any]]] = {}
    for f in notes.get("findings", []):
        if isinstance(f, dict) and isinstance(f.get("entity"), str):
            by_call.setdefault(str(f.get("call_id", "")), []).append({k: v for k, v in f.items() if k != "call_id"})
    blocked = set(notes.get("blocked", []))
    noted: list[Call] = []
    for cid, spec in (notes.get("calls") or {}).items():
        if not (isinstance(spec, list) and len(spec) == 2 and isinstance(spec[0], str) and isinstance(spec[1], dict)):
            continue
        noted.append(Call(cid, spec[0], spec[1], "BLOCKED (from notes)" if cid in blocked else "(from notes)",
                          by_call.get(cid, []), noted=True))
        view.done.add(canonical(spec[0], spec[1]))
    view.calls[:0] = noted
    for s, v in (notes.get("anomaly") or {}).items():
        if isinstance(v, list) and len(v) == 2:
            view.noted_anomaly[s] = [float(v[0]), list(v[1])]
    view.noted_damp.update({k: int(v) for k, v in (notes.get("damp") or {}).items()})
    view.noted_edges.update({k: list(v) for k, v in (notes.get("edges") or {}).items()})
    for ent, verdict in (notes.get("verdicts") or {}).items():
        view.verdicts.setdefault(ent, verdict)
        if verdict == "rejected" and ent not in view.ruled_out:
            view.ruled_out.append(ent)


def noted_call_ids(notes: Any) -> set[str]:
    """The call ids an earlier plan's notes already cover."""
    return set((notes or {}).get("calls", {})) if isinstance(notes, dict) else set()
