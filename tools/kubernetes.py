"""Kubernetes object tools: list, describe (with owners and history), recent changes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from sre_agent.analysis.analyzer import CHAOS_KINDS, INFRA_NAMESPACES
from sre_agent.analysis.changes import pod_health, pod_restarts
from sre_agent.analysis.topology import POD_CONTROLLER_KINDS
from sre_agent.state import Finding

from .base import Tool, ToolContext, ToolOutput, cut_list


class ListArgs(BaseModel):
    kind: str = Field(..., description="object kind, e.g. Pod, Deployment, Service, ConfigMap, NetworkPolicy, HorizontalPodAutoscaler")
    namespace: str | None = Field(None, description="namespace; all namespaces when omitted")


class EntityArg(BaseModel):
    entity: str = Field(..., description="namespace/Kind/name, or a bare service name")


class ChangesArgs(BaseModel):
    namespace: str | None = Field(None, description="namespace; all namespaces when omitted")


def _brief(obj: Any) -> dict[str, Any]:
    spec = obj.body.get("spec") or {}
    status = obj.body.get("status") or {}
    row: dict[str, Any] = {"id": obj.ref.id}
    if obj.kind == "Pod":
        row["phase"] = status.get("phase")
        row["restarts"] = sum(int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or [])
        issues = [d for _, d in pod_health(obj) if "restarts" not in d]
        if issues:
            row["issues"] = issues
    elif obj.kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        row["replicas"] = spec.get("replicas")
        row["ready"] = status.get("readyReplicas", 0)
    elif obj.kind == "HorizontalPodAutoscaler":
        row.update(min=spec.get("minReplicas"), max=spec.get("maxReplicas"),
                   current=status.get("currentReplicas"), desired=status.get("desiredReplicas"))
    return row


def list_objects(ctx: ToolContext, args: ListArgs) -> ToolOutput:
    objs = ctx.backend.list_objects(args.kind, args.namespace)
    rows = [_brief(o) for o in sorted(objs, key=lambda o: o.ref.id)]
    return ToolOutput(summary=f"{len(rows)} {args.kind} object(s)" + (f" in {args.namespace}" if args.namespace else ""),
                      data={"objects": rows})


def _spec_view(obj: Any) -> dict[str, Any]:
    spec = obj.body.get("spec") or {}
    kind = obj.kind
    if kind in POD_CONTROLLER_KINDS:
        pod = (spec.get("template") or {}).get("spec") or {}
        return {"replicas": spec.get("replicas"), "containers": [
            {"name": c.get("name"), "image": c.get("image"),
             "env": {e.get("name"): e.get("value", "<from ref>") for e in c.get("env") or []},
             "resources": c.get("resources"), "ports": [p.get("containerPort") for p in c.get("ports") or []]}
            for c in pod.get("containers") or []]}
    if kind == "Pod":
        return {"node": spec.get("nodeName"), "containers": [
            {"name": c.get("name"), "image": c.get("image"), "resources": c.get("resources"),
             "env": {e.get("name"): e.get("value", "<from ref>") for e in c.get("env") or []}}
            for c in spec.get("containers") or []]}
    if kind == "Service":
        return {"selector": spec.get("selector"), "ports": spec.get("ports"), "type": spec.get("type")}
    if kind == "ConfigMap":
        return {"keys": sorted((obj.body.get("data") or {}).keys())}
    return spec


def describe(ctx: ToolContext, args: EntityArg) -> ToolOutput:
    an = ctx.analyzer
    entity = an.resolve(args.entity)
    ns, kind, name = entity.split("/")
    history = ctx.backend.object_history(kind, ns, name)
    if not history:
        related = [e for e in an.ownership.objects if e.split("/")[-1] == name]
        return ToolOutput(summary=f"{entity}: not found in the recorded objects"
                                  + (f"; objects with that name: {', '.join(sorted(related))}" if related else ""),
                          data={"found": False, "entity": entity, "same_name": sorted(related)})
    obj = history[-1]
    findings: list[Finding] = []
    chain = an.ownership.chain(entity)
    data: dict[str, Any] = {"found": True, "entity": entity, "owners": chain[1:], "labels": obj.labels,
                            "created": obj.metadata.get("creationTimestamp"), "dumps": len(history),
                            "spec": _spec_view(obj)}
    if kind == "Pod":
        issues = pod_health(obj)
        data["health"] = [d for _, d in issues]
        for sig, d in issues:
            w = 0.8 if any(k in d for k in ("OOMKilled", "CrashLoopBackOff", "ImagePull", "ErrImage", "Error")) else 0.3
            findings.append(Finding(entity=entity, signal=sig, weight=w, detail=d, related=chain[1:]))
    if kind == "Service":
        pods = an.ownership.service_pods.get(entity, [])
        data["selected_pods"] = pods
        ports = (obj.body.get("spec") or {}).get("ports") or []
        container_ports = set()
        for p in pods:
            po = an.ownership.objects.get(p)
            for c in ((po.body.get("spec") or {}).get("containers") or []) if po else []:
                container_ports |= {cp.get("containerPort") for cp in c.get("ports") or []}
        bad = [p for p in ports if container_ports and isinstance(p.get("targetPort"), int) and p["targetPort"] not in container_ports]
        if bad:
            findings.append(Finding(entity=entity, signal="port_mismatch", weight=0.9,
                                    detail=f"targetPort {[p['targetPort'] for p in bad]} not exposed by selected pods (ports {sorted(x for x in container_ports if x)})"))
        if not pods:
            findings.append(Finding(entity=entity, signal="no_endpoints", weight=0.6, detail="selector matches no pod"))
    changes = [c for c in an.changes if c.entity == entity]
    data["changes"] = [{"what": c.what, "time": c.time, "paths": c.paths[:6], "flags": c.flags} for c in changes]
    return ToolOutput(summary=f"{entity}: {len(history)} dump(s), {len(changes)} change(s) in window"
                              + (f", owners {' -> '.join(chain[1:])}" if len(chain) > 1 else ""),
                      findings=findings, data=data)


def _related_services(ctx: ToolContext, change: Any) -> list[str]:
    """The application services a changed object acts on (selectors, scale targets, flags)."""
    an = ctx.analyzer
    obj = an.ownership.objects.get(change.entity)
    ns = change.entity.split("/")[0]
    out: list[str] = []
    if change.flags:  # the services seen evaluating the flags (else the profile's hint, else none)
        out = [t for f in change.flags for t in an.flag_targets(f.split(":")[0].strip())[0]]
    elif obj is not None and obj.kind == "NetworkPolicy":
        sel = ((obj.body.get("spec") or {}).get("podSelector") or {}).get("matchLabels") or {}
        pods = [p for p in an.ownership.objects.values()
                if p.kind == "Pod" and p.namespace == ns and all(p.labels.get(k) == v for k, v in sel.items())]
        out = [an.ownership.app_of_pod.get(p.ref.id, "") for p in pods]
    elif obj is not None and obj.kind == "HorizontalPodAutoscaler":
        out = [((obj.body.get("spec") or {}).get("scaleTargetRef") or {}).get("name", "")]
    elif obj is not None and obj.kind in ("Deployment", "StatefulSet", "Service", "DaemonSet"):
        out = [obj.name]
    return sorted({an.resolve(s) for s in out if s})


def recent_changes(ctx: ToolContext, args: ChangesArgs) -> ToolOutput:
    an = ctx.analyzer
    rows, findings = [], []
    for c in an.changes:
        ns = c.entity.split("/")[0]
        if args.namespace and ns != args.namespace:
            continue
        if ns in INFRA_NAMESPACES or c.kind in ("Pod", "ReplicaSet", "Endpoints"):
            continue
        rows.append({"entity": c.entity, "what": c.what, "time": c.time, "paths": c.paths[:6], "flags": c.flags[:6]})
        if c.flags:  # where each flag's targets come from: telemetry (evaluations), the profile, or nowhere
            rows[-1]["flag_targets"] = {k: dict(zip(("services", "source"), an.flag_targets(k)))
                                        for k in (f.split(":")[0].strip() for f in c.flags[:6])}
        weight = 0.5
        signal = c.what
        detail = c.detail or c.what
        if c.flags:
            signal, weight = "feature_flag_change", 0.7
            detail = "; ".join(c.flags[:4])
        elif c.paths and all(p.startswith("spec.replicas") for p in c.paths):
            obj = an.ownership.objects.get(c.entity)
            if obj is not None and (obj.body.get("spec") or {}).get("replicas") == 0:
                signal, weight, detail = "scaled_to_zero", 0.8, "spec.replicas set to 0: no pod serves"
            else:
                signal, weight = "scaled", 0.2  # a replica count moved: an effect (HPA, rollout), rarely a cause
        elif c.kind.lower() in CHAOS_KINDS:
            signal, weight = "chaos_experiment", 0.8
        elif c.what == "created" and c.kind in ("NetworkPolicy",):
            signal, weight = "network_policy", 0.6
        findings.append(Finding(entity=c.entity, signal=signal, weight=weight, detail=detail, time=c.time,
                                related=_related_services(ctx, c)))
    pods_restarted = []
    start = an.window[0]
    for o in ctx.backend.list_objects("Pod", args.namespace):
        if o.namespace in INFRA_NAMESPACES:
            continue
        for t, d in pod_restarts(ctx.backend.object_history("Pod", o.namespace, o.name)):
            if t >= start:
                pods_restarted.append({"pod": o.ref.id, "issue": d})
                findings.append(Finding(entity=o.ref.id, signal="pod_restarted", weight=0.6, detail=d, time=t,
                                        related=an.ownership.chain(o.ref.id)[1:]))
        for sig, d in pod_health(o):
            if sig in ("container_waiting", "container_terminated", "pod_phase"):
                pods_restarted.append({"pod": o.ref.id, "issue": d})
                findings.append(Finding(entity=o.ref.id, signal=sig, weight=0.7, detail=d, related=an.ownership.chain(o.ref.id)[1:]))
    rows_cut, marker = cut_list(rows, ctx.max_items * 2)
    return ToolOutput(summary=f"{len(rows)} object change(s) and {len(pods_restarted)} unhealthy pod(s) in the window",
                      findings=findings, data={"changes": rows_cut + ([marker] if marker else []), "unhealthy_pods": pods_restarted})


TOOLS = [
    Tool("list_objects", "List Kubernetes objects of one kind with a one-line status each.", ListArgs, list_objects, "kubernetes"),
    Tool("describe", "Describe one Kubernetes object: spec essentials, status, owner chain, selected pods (Services) and its changes during the window.", EntityArg, describe, "kubernetes"),
    Tool("recent_changes", "Objects created or changed during the window (spec/data diffs, feature flags), and unhealthy pods.", ChangesArgs, recent_changes, "kubernetes"),
]
