"""Alert reachability: which candidates can explain an alert at all, following call direction.

Errors and latency travel from a callee to its *callers*, along synchronous client -> server
calls.  A message handed over (Producer -> Consumer) does not carry a consumer's failure back to
the producer or to anyone calling the producer.  The survey tool ``get_alerts`` names the traced
services no alerting service reaches through synchronous calls (finding signal
``off_alert_path``, weight 0, the reason as detail; an entry point sending traffic onto the
alerts' path is not one of them).  A candidate explains an alert when one of the services it
acts on (its own service, a chaos experiment's or a policy's targets, a flag's evaluators, the
service a traffic source calls ...) is not off the path; a candidate acting on nothing named, or
on the whole namespace, is never judged.

A candidate that explains no alert ranks below those that do and, when another candidate does
explain the alerts, is ruled out with the reason.  A service the tools say nothing about is
never judged (missing information never rules a candidate out).

Example:
    >>> findings = [{"entity": "shop/Service/fraud-detection", "signal": "off_alert_path",
    ...              "detail": "fraud-detection is reached only by messages (from checkout); its failure does not reach frontend"}]
    >>> off = off_path(findings)
    >>> unreached(["fraud-detection"], "shop/Pod/fraud-detection-bcd5f-x7k2p", off)
    'fraud-detection is reached only by messages (from checkout); its failure does not reach frontend'
    >>> unreached(["checkout"], "shop/Deployment/checkout", off) is None, unreached([], "shop/ConfigMap/x", off) is None
    (True, True)
"""

from __future__ import annotations

from typing import Any

from ..analysis.traces import OFF_PATH_SIGNAL

#: finding signals that carry call direction, not anomalies
GRAPH_SIGNALS = frozenset({OFF_PATH_SIGNAL})
#: kinds that act on the whole namespace or node: never judged by the services they name
NAMESPACE_WIDE = frozenset({"Namespace", "ResourceQuota", "LimitRange", "Node"})
#: how much of its score a candidate that explains no alert keeps
DEMOTE = 0.3
#: changes of one kind this close in time are one change made to several objects
SAME_CHANGE_S = 60.0


def off_path(findings: list[dict[str, Any]]) -> dict[str, str]:
    """Service -> why its failure cannot reach the alerts (from ``off_alert_path`` findings)."""
    return {f["entity"].split("/")[-1]: str(f.get("detail", "")) for f in findings if f.get("signal") == OFF_PATH_SIGNAL}


def unreached(related: list[str], entity: str, off: dict[str, str]) -> str | None:
    """Why a candidate acting on ``related`` services explains no alert, or None when it may."""
    kind = entity.split("/")[1] if entity.count("/") == 2 else ""
    if not off or not related or kind in NAMESPACE_WIDE or any(r not in off for r in related):
        return None
    return off[sorted(related)[0]] or f"{', '.join(sorted(related)[:3])} is off the alerts' call path"


def judge(cands: list[dict[str, Any]], findings: list[dict[str, Any]], alerts: list[dict[str, Any]] = (),
          failures: frozenset[str] | set[str] = frozenset()) -> None:
    """Demote (in place) the candidates that explain no alert and give them their reason
    (``c["unreached"]``).  A candidate changed together with one that does explain (same kind,
    same signals, within a minute: one change made to several objects) is judged with it.

    An alert on the namespace as a whole is explained by any candidate but one failing pod (a
    candidate whose signals are all ``failures``): a crash loop lowers what the namespace uses,
    it does not make a namespace-wide trouble."""
    off = off_path(findings)
    whole = [a for a in alerts if a.get("namespace_level")]
    if not alerts or (not off and not whole):
        return  # no alert in view (a trimmed transcript): nothing to judge against
    names = ", ".join(sorted({str(a.get("name") or a.get("key", "")) for a in whole})[:3])
    service_alerts = len(whole) < len(alerts)
    why: dict[str, str | None] = {}
    for c in cands:
        failing = bool(c["signals"]) and set(c["signals"]) <= set(failures) and \
            c["entity"].split("/")[1:2] in (["Pod"], ["Deployment"], ["StatefulSet"])
        off_reason = unreached(c["related"], c["entity"], off) if service_alerts else "no alert on a service"
        if off_reason is None or (whole and not failing):
            why[c["entity"]] = None
        elif whole:
            why[c["entity"]] = "; ".join(([off_reason] if service_alerts else [])
                                         + [f"one failing pod does not explain the namespace-wide alerts ({names})"])
        else:
            why[c["entity"]] = off_reason
    reaching = [c for c in cands if why[c["entity"]] is None]
    for c in cands:
        if why[c["entity"]] is None or any(_siblings(c, r) for r in reaching):
            continue
        c["score"] = round(c["score"] * DEMOTE, 4)
        c["unreached"] = why[c["entity"]]


def _siblings(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a["entity"].split("/")[1:2] != b["entity"].split("/")[1:2] or set(a["signals"]) != set(b["signals"]):
        return False
    ta = [t for t in a.get("times", []) if t is not None]
    tb = [t for t in b.get("times", []) if t is not None]
    return bool(ta and tb) and abs(min(ta) - min(tb)) <= SAME_CHANGE_S


__all__ = ["DEMOTE", "GRAPH_SIGNALS", "judge", "off_path", "unreached"]
