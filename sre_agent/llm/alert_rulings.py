"""Ruling an alert out takes a reason the evidence backs, never a blanket "no path".

When the planner concludes, every alert the confirmed root causes do not reach is either put on
the propagation chain or ruled out.  The reason names what was checked: that the alert's service
is not on the chain the root causes start (the services the chain reaches), how anomalous the
service itself looked in the tool results (with their call ids), and when its alert began
against the incident's onset (an alert that fired before the onset is an earlier, separate
trouble).  A strongly anomalous service off the chain is said to be an independent anomaly to
investigate separately.

Example:
    >>> from sre_agent.llm.reasoning import Call, View
    >>> v = View(alerts=[{"key": "k1", "subject": "cart", "namespace": "shop", "active_at": 100.0},
    ...                  {"key": "k2", "subject": "ad", "namespace": "shop", "active_at": 90.0}], namespace="shop")
    >>> v.calls = [Call("call_2", "service_health", {}, "", [{"entity": "shop/Service/ad", "signal": "latency", "weight": 0.2}])]
    >>> edges = [{"source": "shop/ConfigMap/flags", "target": "shop/Service/cart"}]
    >>> r = rule_out_reasons(v, edges, [v.alerts[1]])
    >>> r[0]["key"], r[0]["reason"].split(";")[0]
    ('k2', 'ad is not on the propagation chain (it reaches cart)')
    >>> r[0]["reason"].split("; ")[1:]
    ['own anomaly weak (latency 0.10 [call_2])', 'fired 10s before the onset: earlier, separate trouble']
"""

from __future__ import annotations

from typing import Any

from .reach import GRAPH_SIGNALS
from .reasoning import View, service_scores, svc

#: finding signals that are no anomaly of the service's own (the alert itself, its call direction)
NOT_OWN = frozenset({"alert"}) | GRAPH_SIGNALS
#: an off-chain service this anomalous is reported as an independent anomaly
INDEPENDENT = 0.5


def _onset(view: View, chain_services: set[str]) -> float | None:
    """The incident's onset: the first alert on the propagation chain (else the first alert)."""
    on_chain = [a.get("active_at") for a in view.alerts if a.get("active_at") and svc(a.get("subject") or "") in chain_services]
    every = [a.get("active_at") for a in view.alerts if a.get("active_at")]
    return min(on_chain or every, default=None)


def rule_out_reasons(view: View, propagation: list[dict[str, str]], alerts: list[dict[str, Any]]) -> list[dict[str, str]]:
    """One ``{"key", "reason"}`` per alert to rule out, each reason backed by what the tools showed."""
    chain = {svc(e["target"]) for e in propagation} | {svc(e["source"]) for e in propagation if "/Service/" in e["source"]}
    onset = _onset(view, chain)
    scores = service_scores(view)
    out = []
    for a in alerts:
        s = svc(a.get("subject") or "") or a.get("namespace", "")
        names = sorted(x for x in chain if x)
        reached = ", ".join(names[:4]) + (f" +{len(names) - 4}" if len(names) > 4 else "") if names else "nothing"
        parts = [f"{s} is not on the propagation chain (it reaches {reached})"]
        own = [(f["signal"], f["call_id"]) for f in view.findings()
               if svc(f.get("entity", "")) == s and f.get("signal") not in NOT_OWN]
        score = scores.get(s, 0.0)
        if own:
            sigs = sorted({sig for sig, _ in own})
            ids = sorted({cid for _, cid in own})[:4]
            parts.append(f"own anomaly {'strong' if score >= INDEPENDENT else 'weak'} "
                         f"({', '.join(sigs[:3])} {score:.2f} [{', '.join(ids[:3])}])")
        else:
            parts.append("no anomaly of its own found")
        t = a.get("active_at")
        if t and onset and t < onset:
            parts.append(f"fired {int(onset - t)}s before the onset: earlier, separate trouble")
        if score >= INDEPENDENT:
            parts.append("independent anomaly: investigate separately")
        out.append({"key": a.get("key", ""), "reason": "; ".join(parts)})
    return out


__all__ = ["INDEPENDENT", "rule_out_reasons"]
