"""Kubernetes object changes: what was created, changed or went unhealthy during the window.

Objects are re-dumped every few minutes, so a change shows as two consecutive dumps whose
``spec`` / ``data`` differ.  Status, resourceVersion and managed fields are not changes.
For ``flagd`` feature-flag ConfigMaps the diff goes down to the flag: which flag's
``defaultVariant`` or ``state`` moved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..models import K8sObject

IGNORED_TOP = {"status"}
IGNORED_META = {"resourceVersion", "managedFields", "generation", "uid", "selfLink", "annotations"}


@dataclass
class Change:
    """One detected change of one object."""

    entity: str            # namespace/Kind/name
    kind: str
    what: str              # created | spec_changed | data_changed | deleted
    time: float | None     # None: a change the current state reveals without dating it
    paths: list[str] = field(default_factory=list)
    detail: str = ""
    flags: list[str] = field(default_factory=list)   # changed feature flags (flagd ConfigMaps)


def _strip(body: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in body.items() if k not in IGNORED_TOP}
    meta = dict(out.get("metadata") or {})
    for k in IGNORED_META:
        meta.pop(k, None)
    out["metadata"] = meta
    return out


def diff_paths(a: Any, b: Any, prefix: str = "", limit: int = 20) -> list[str]:
    """Dotted paths where two JSON values differ (at most ``limit``).

    >>> diff_paths({"spec": {"ports": [{"port": 80}]}}, {"spec": {"ports": [{"port": 9999}]}})
    ['spec.ports[0].port']
    """
    out: list[str] = []

    def walk(x: Any, y: Any, p: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y)):
                walk(x.get(k), y.get(k), f"{p}.{k}" if p else str(k))
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for i, (u, v) in enumerate(zip(x, y)):
                walk(u, v, f"{p}[{i}]")
        elif x != y:
            out.append(p or "<root>")

    walk(a, b, prefix)
    return out


def flag_changes(old_data: dict[str, Any], new_data: dict[str, Any]) -> list[str]:
    """Feature flags whose state or default variant changed between two flagd ConfigMap datas."""
    changed: list[str] = []
    for key in sorted(set(old_data) | set(new_data)):
        try:
            a = json.loads(old_data.get(key) or "{}").get("flags", {})
            b = json.loads(new_data.get(key) or "{}").get("flags", {})
        except (ValueError, AttributeError):
            continue
        if not isinstance(a, dict) or not isinstance(b, dict):
            continue
        for flag in sorted(set(a) | set(b)):
            fa, fb = a.get(flag) or {}, b.get(flag) or {}
            if not isinstance(fa, dict) or not isinstance(fb, dict):
                continue
            if (fa.get("defaultVariant"), fa.get("state"), fa.get("targeting")) != (
                fb.get("defaultVariant"), fb.get("state"), fb.get("targeting")
            ):
                changed.append(f"{flag}: defaultVariant {fa.get('defaultVariant')!r} -> {fb.get('defaultVariant')!r}, "
                               f"state {fa.get('state')!r} -> {fb.get('state')!r}")
    return changed


def object_changes(history: list[K8sObject], window_start: float, created_at: float | None) -> list[Change]:
    """Changes of one object from its dumps (oldest first)."""
    if not history:
        return []
    last = history[-1]
    entity = last.ref.id
    out: list[Change] = []
    if created_at is not None and created_at >= window_start:
        out.append(Change(entity, last.kind, "created", created_at, detail=f"{last.kind} created"))
    for prev, cur in zip(history, history[1:]):
        a, b = _strip(prev.body), _strip(cur.body)
        if a == b:
            continue
        paths = diff_paths(a, b)
        flags: list[str] = []
        what = "spec_changed"
        if "data" in a or "data" in b:
            what = "data_changed"
            flags = flag_changes(a.get("data") or {}, b.get("data") or {})
        detail = ", ".join(paths[:6])
        out.append(Change(entity, cur.kind, what, cur.observed, paths, detail, flags))
    return out


def pod_health(obj: K8sObject) -> list[tuple[str, str]]:
    """Unhealthy signals of a Pod's status: (signal, detail)."""
    status = obj.body.get("status") or {}
    out: list[tuple[str, str]] = []
    phase = status.get("phase")
    if phase in ("Failed", "Pending", "Unknown"):
        out.append(("pod_phase", f"phase {phase}"))
    for cs in status.get("containerStatuses") or []:
        name = cs.get("name", "?")
        restarts = int(cs.get("restartCount") or 0)
        state = cs.get("state") or {}
        last = cs.get("lastState") or {}
        waiting = (state.get("waiting") or {}).get("reason")
        if waiting:
            out.append(("container_waiting", f"{name}: {waiting}"))
        term = (last.get("terminated") or {}).get("reason") or (state.get("terminated") or {}).get("reason")
        if term and term != "Completed":
            out.append(("container_terminated", f"{name}: {term}"))
        if restarts:
            out.append(("restarts", f"{name}: {restarts} restarts"))
        if cs.get("ready") is False and not waiting:
            out.append(("not_ready", f"{name} not ready"))
    return out


def pod_restarts(history: list[K8sObject]) -> list[tuple[float, str]]:
    """Restarts seen between consecutive dumps of a Pod: (time of the dump that shows it, detail)."""
    out: list[tuple[float, str]] = []

    def counts(o: K8sObject) -> dict[str, int]:
        return {c.get("name", "?"): int(c.get("restartCount") or 0)
                for c in (o.body.get("status") or {}).get("containerStatuses") or []}

    for prev, cur in zip(history, history[1:]):
        a, b = counts(prev), counts(cur)
        for name, n in b.items():
            if n > a.get(name, n):
                last = next((c.get("lastState") or {} for c in (cur.body.get("status") or {}).get("containerStatuses") or []
                             if c.get("name") == name), {})
                reason = (last.get("terminated") or {}).get("reason", "")
                out.append((cur.observed, f"{name}: restarted ({a.get(name)} -> {n})" + (f", last state {reason}" if reason else "")))
    return out
