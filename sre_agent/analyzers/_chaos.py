"""Chaos Mesh objects: an active experiment with what it selects and the pods it hit, and
finished or paused ones flagged as not active (a listed experiment is not always acting).

Example:
    >>> from sre_agent.models import K8sObject
    >>> x = K8sObject(0.0, "PodChaos", "chaos-mesh", "kill-cart", {"spec": {"action": "pod-kill",
    ...     "selector": {"namespaces": ["shop"], "labelSelectors": {"app": "cart"}}},
    ...     "status": {"experiment": {"desiredPhase": "Run", "containerRecords": [{"id": "shop/cart-1", "phase": "Injected"}]}}})
    >>> [(f.reason, f.active, f.related) for f in ChaosAnalyzer().analyze([x], [])]
    [('chaos_active', True, ['shop/Pod/cart-1'])]
"""

from __future__ import annotations

import re
from typing import Any

from ..models import K8sObject
from .base import Analyzer, Cluster, Finding, condition, first_last, spec, status, status_time

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def is_chaos_kind(kind: str) -> bool:
    """Chaos Mesh kinds: every ``*Chaos`` and the Schedule / Workflow that spawn them."""
    return kind.endswith("Chaos") or kind in ("Schedule", "Workflow")


def duration_seconds(text: object) -> float | None:
    """A Go duration (``"90s"``, ``"1h30m"``) in seconds.

    >>> duration_seconds("1h30m"), duration_seconds(None)
    (5400.0, None)
    """
    parts = _DURATION.findall(str(text or ""))
    return sum(float(n) * _SECONDS[u] for n, u in parts) if parts else None


def _selector(obj: K8sObject) -> dict[str, Any]:
    sp = spec(obj)
    if obj.kind == "Schedule":
        inner = next((v for k, v in sp.items() if k.endswith("Chaos") and isinstance(v, dict)), {})
        return inner.get("selector") or {}
    return sp.get("selector") or {}


def _targets(cluster: Cluster, obj: K8sObject) -> list[str]:
    records = ((status(obj).get("experiment") or {}).get("containerRecords")) or []
    out = [f"{r['id'].split('/')[0]}/Pod/{r['id'].split('/')[1]}" for r in records if r.get("id", "").count("/") == 1]
    sel = _selector(obj)
    for ns, names in (sel.get("pods") or {}).items():
        out += [f"{ns}/Pod/{n}" for n in names]
    labels = sel.get("labelSelectors") or {}
    if labels:
        for ns in sel.get("namespaces") or [obj.namespace]:
            out += [p.ref.id for p in cluster.select_pods(ns, labels)]
    return list(dict.fromkeys(out))


class ChaosAnalyzer(Analyzer):
    kind = "Chaos"
    kinds = ("Chaos",)

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        for o in sorted((o for o in cluster.objects if is_chaos_kind(o.kind)), key=lambda o: o.ref.id):
            out.append(self._experiment(cluster, o))
        return out

    def _experiment(self, cluster: Cluster, o: K8sObject) -> Finding:
        oid = o.ref.id
        created = status_time(o.metadata.get("creationTimestamp"))
        evs = cluster.events_of(oid)
        first, last = first_last(evs, created)
        inactive = self._inactive(cluster, o, created)
        targets = _targets(cluster, o)
        services = sorted({s for t in targets if (p := cluster.by_id.get(t)) for s in cluster.services_of(p)})
        sp = spec(o)
        what = ", ".join(f"{k} {sp[k]}" for k in ("action", "mode", "duration") if sp.get(k))
        sel = _selector(o)
        where = (f" selector {sel.get('labelSelectors') or sel.get('pods') or {}} in {sel.get('namespaces') or [o.namespace]}"
                 if sel else "")
        if inactive:
            return Finding(object=oid, reason="chaos_inactive", severity="info", active=False, first_seen=first, last_seen=last,
                           related=targets[:8], message=f"{o.kind} not active ({inactive}){': ' + what if what else ''}")
        return Finding(object=oid, reason="chaos_active", severity="critical", first_seen=first, last_seen=last,
                       related=targets[:8] + services[:4],
                       message=f"{o.kind} active{': ' + what if what else ''};{where}; {len(targets)} target pod(s)")

    @staticmethod
    def _inactive(cluster: Cluster, o: K8sObject, created: float | None) -> str:
        """Why the experiment no longer acts ('' when it does)."""
        ann = o.metadata.get("annotations") or {}
        if str(ann.get("experiment.chaos-mesh.org/pause", "")).lower() == "true":
            return "paused"
        paused = condition(o, "Paused")
        if paused and paused.get("status") == "True":
            return "paused"
        if o.kind == "Schedule":
            return ""
        exp = status(o).get("experiment") or {}
        if exp.get("desiredPhase") == "Stop":
            return "finished: desiredPhase Stop"
        recovered = condition(o, "AllRecovered")
        if recovered and recovered.get("status") == "True":
            return "finished: all targets recovered"
        records = exp.get("containerRecords") or []
        if records and all(r.get("phase") in ("Recovered", "Not Injected") for r in records):
            return "finished: every record recovered"
        dur = duration_seconds(spec(o).get("duration"))
        start = status_time((exp.get("records") or [{}])[0].get("startTime") if exp.get("records") else None) or created
        if dur is not None and start is not None and start + dur < cluster.now:
            return f"finished: duration {spec(o).get('duration')} elapsed"
        return ""
