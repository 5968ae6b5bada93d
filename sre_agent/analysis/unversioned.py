"""Changes without a previous version: what an object's *current* state says about a recent change.

A diff needs two dumps.  When the recording starts after the fault there is no earlier version
of the changed ConfigMap or Deployment, yet the object still tells:

* ``metadata.managedFields``: who wrote which top-level fields (``f:spec``, ``f:data``) and when
  (manager, operation, time); controllers' own status writes are not changes;
* ``metadata.generation`` ahead of ``status.observedGeneration``: a spec change not yet rolled out;
* a Deployment's newest ReplicaSet (its ``deployment.kubernetes.io/revision``) created in the
  window: a rollout, i.e. a pod-template change, at that time;
* a flagd feature-flag ConfigMap whose flag's ``defaultVariant`` is not its "off" variant (the
  variant named ``off``, else the one whose value is false / 0 / empty): the application ships
  every flag off, so an "on" flag is a change.

These are reported as :class:`~sre_agent.analysis.changes.Change` like a diff's, only for objects
whose dumps show no change themselves.

Example:
    >>> active_flags({"flags.json": '{"flags": {"cartFailure": {"defaultVariant": "on", "variants": {"on": true, "off": false}},'
    ...               ' "adFailure": {"defaultVariant": "off", "variants": {"on": true, "off": false}}}}'})
    ["cartFailure: defaultVariant 'on' (off variant 'off')"]
"""

from __future__ import annotations

import json
from typing import Any

from ..models import K8sObject
from .changes import Change
from .timeutil import parse_k8s_time

#: managers that write status or reconcile on their own: their writes are not a change
CONTROLLER_MANAGERS = ("kube-controller-manager", "kubelet", "kube-scheduler", "deployment-controller",
                       "replicaset-controller", "endpoint", "horizontal-pod-autoscaler")
REVISION = "deployment.kubernetes.io/revision"


def off_variant(flag: dict[str, Any]) -> str | None:
    """The variant that turns a flag off: named ``off``, else the one valued false / 0 / empty."""
    variants = flag.get("variants") or {}
    if not isinstance(variants, dict):
        return None
    if "off" in variants:
        return "off"
    falsy = [k for k, v in variants.items() if v in (False, 0, "", None, "off")]
    return falsy[0] if len(falsy) == 1 else None


def active_flags(data: dict[str, Any]) -> list[str]:
    """Flags of a flagd ConfigMap's data that are switched on (defaultVariant is not the off variant)."""
    out: list[str] = []
    for key in sorted(data or {}):
        try:
            flags = json.loads(data.get(key) or "{}").get("flags", {})
        except (ValueError, AttributeError):
            continue
        if not isinstance(flags, dict):
            continue
        for name in sorted(flags):
            spec = flags[name]
            if not isinstance(spec, dict) or spec.get("state", "ENABLED") != "ENABLED":
                continue
            off = off_variant(spec)
            default = spec.get("defaultVariant")
            if off is not None and default is not None and default != off:
                out.append(f"{name}: defaultVariant {default!r} (off variant {off!r})")
    return out


def _managed_writes(obj: K8sObject, window_start: float) -> list[tuple[float, str, list[str]]]:
    """(time, manager/operation, top-level fields) of non-controller writes in the window."""
    out = []
    for mf in obj.metadata.get("managedFields") or []:
        if not isinstance(mf, dict):
            continue
        manager = str(mf.get("manager", ""))
        if any(manager.startswith(c) for c in CONTROLLER_MANAGERS) or mf.get("subresource") == "status":
            continue
        t = parse_k8s_time(mf.get("time"))
        fields = sorted(k[2:] for k in (mf.get("fieldsV1") or {}) if k.startswith("f:") and k not in ("f:metadata", "f:status"))
        if t is not None and t >= window_start and fields:
            out.append((t, f"{manager} {mf.get('operation', '')}".strip(), fields))
    return sorted(out)


def unversioned_changes(obj: K8sObject, window_start: float, replicasets: list[K8sObject] = ()) -> list[Change]:
    """Changes the current object reveals without an earlier version (see the module doc).

    ``replicasets`` are the ReplicaSets a Deployment owns (their creation times date rollouts)."""
    entity = obj.ref.id
    out: list[Change] = []
    writes = _managed_writes(obj, window_start)
    data_kind = "data" in obj.body
    flags = active_flags(obj.body.get("data") or {}) if obj.kind == "ConfigMap" else []
    for t, who, fields in writes[-1:]:
        out.append(Change(entity, obj.kind, "data_changed" if data_kind else "spec_changed", t, fields,
                          f"managedFields: {who} wrote {', '.join(fields)} at this time", flags))
    gen = obj.metadata.get("generation")
    observed = (obj.body.get("status") or {}).get("observedGeneration")
    if not out and isinstance(gen, int) and isinstance(observed, int) and gen > observed:
        out.append(Change(entity, obj.kind, "spec_changed", obj.observed, ["spec"],
                          f"generation {gen} ahead of observedGeneration {observed}: a spec change not yet rolled out"))
    if not out and obj.kind == "Deployment" and replicasets:
        newest = max(replicasets, key=lambda r: int((r.metadata.get("annotations") or {}).get(REVISION, 0) or 0))
        created = parse_k8s_time(newest.metadata.get("creationTimestamp"))
        revision = (newest.metadata.get("annotations") or {}).get(REVISION, "?")
        if created is not None and created >= window_start and len(replicasets) > 1:
            out.append(Change(entity, obj.kind, "spec_changed", created, ["spec.template"],
                              f"rollout: ReplicaSet {newest.name} (revision {revision}) created at this time"))
    if not out and flags:
        out.append(Change(entity, obj.kind, "data_changed", None, ["data"],  # type: ignore[arg-type]
                          "feature flags switched on (the application ships them off)", flags))
    return out


__all__ = ["active_flags", "off_variant", "unversioned_changes"]
