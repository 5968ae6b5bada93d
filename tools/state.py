"""The state-analyzer tool: what is wrong with the cluster's objects right now, kind by kind.

It runs :mod:`sre_agent.analyzers` (one analyzer per Kubernetes kind, k8sgpt-style) over the
current objects and the events the backend holds, so it needs no earlier version of any
object and works the same on a recorded snapshot and on a live cluster.

Example:
    >>> TOOLS[0].schema()["name"], sorted(TOOLS[0].schema()["parameters"]["properties"])
    ('analyze_cluster', ['kind', 'namespace'])
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from sre_agent.analysis.analyzer import INFRA_NAMESPACES
from sre_agent.analyzers import REGISTRY, analyze_all, analyzer_for
from sre_agent.state import Finding

from .base import Tool, ToolContext, ToolOutput


class AnalyzeArgs(BaseModel):
    namespace: str | None = Field(None, description="only objects in this namespace (cluster-scoped Nodes are always kept); all when omitted")
    kind: str | None = Field(None, description="only this kind's analyzer, e.g. Pod, Service, PersistentVolumeClaim, NetworkPolicy, "
                                               "ResourceQuota, HorizontalPodAutoscaler, PodChaos; all kinds when omitted")


def _compact(related: list[str]) -> list[str]:
    """Related ids without intermediate ReplicaSets when their Deployment is listed (evidence is
    kept small: the shared state has a token budget).

    >>> _compact(["ns/ReplicaSet/cart-7d9", "ns/Deployment/cart"])
    ['ns/Deployment/cart']
    """
    owners = {r.split("/")[-1] for r in related if r.split("/")[1:2] == ["Deployment"]}
    return [r for r in related if not (r.split("/")[1:2] == ["ReplicaSet"] and r.split("/")[-1].rsplit("-", 1)[0] in owners)]


def analyze_cluster(ctx: ToolContext, args: AnalyzeArgs) -> ToolOutput:
    """Findings of the state analyzers.  Evidence (``findings``): what is wrong now, plus chaos
    experiments that no longer act (so they can be ruled out); notes of severity info stay in
    the data rows only, so the shared state spends its budget on faults."""
    if args.kind and analyzer_for(args.kind) is None:
        return ToolOutput(summary=f"no analyzer for kind {args.kind!r}; known: {', '.join(sorted(REGISTRY))}",
                          data={"findings": []})
    objects = ctx.backend.list_objects(None, None)
    found = analyze_all(objects, ctx.backend.events(), kind=args.kind, namespace=args.namespace, now=ctx.backend.now())
    findings = [Finding(entity=f.object, signal=f.reason, weight=f.weight, detail=f.message[:300], time=f.first_seen,
                        related=_compact(f.related)) for f in found
                if f.object.split("/")[0] not in INFRA_NAMESPACES and (f.severity != "info" or not f.active)]
    rows = [{"object": f.object, "reason": f.reason, "severity": f.severity, "message": f.message,
             "first_seen": f.first_seen, "last_seen": f.last_seen, "related": f.related[:6]}
            | ({} if f.active else {"active": False}) for f in found]
    by_sev = {s: sum(f.severity == s for f in found) for s in ("critical", "warning", "info")}
    scope = " in " + args.namespace if args.namespace else ""
    return ToolOutput(summary=f"{by_sev['critical']} critical, {by_sev['warning']} warning, {by_sev['info']} info"
                              + (f" ({args.kind})" if args.kind else "") + scope,
                      findings=findings, data={"findings": rows})  # rendering cuts to max_items with "… N more"


TOOLS = [Tool("analyze_cluster",
              "Check the current Kubernetes objects kind by kind (k8sgpt-style state analyzers, no history needed): pods "
              "unschedulable / crash-looping (last termination) / image pull / config errors / OOM / failing probes; "
              "Deployments, ReplicaSets (FailedCreate, exceeded quota), StatefulSets, DaemonSets; Services whose selector "
              "matches no pod or whose targetPort no container exposes; Ingress backends; PVC Pending; Node NotReady or "
              "pressure; HPA pinned at max or unable to scale; PDBs; NetworkPolicies denying all ingress/egress; failed "
              "Jobs; exhausted ResourceQuotas; missing ConfigMap/Secret references; active (and finished) Chaos Mesh "
              "experiments. Each finding: object, reason, message, severity, first/last seen.",
              AnalyzeArgs, analyze_cluster, "kubernetes")]
