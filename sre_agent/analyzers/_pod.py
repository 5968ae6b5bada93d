"""Pod: unschedulable, crash loops (with the last termination), image pulls, config errors,
OOM kills, failing probes, failing init containers, pods not ready.

Example:
    >>> from sre_agent.models import K8sObject
    >>> pod = K8sObject(0.0, "Pod", "shop", "cart-1", {"status": {"phase": "Running", "containerStatuses": [
    ...     {"name": "cart", "ready": False, "restartCount": 7,
    ...      "state": {"waiting": {"reason": "CrashLoopBackOff"}},
    ...      "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}}]}})
    >>> [(f.reason, f.message) for f in PodAnalyzer().analyze([pod], [])][:1]
    [('crash_loop', 'container cart in CrashLoopBackOff (7 restarts); last terminated: Error, exit code 1')]
"""

from __future__ import annotations

from typing import Any

from ..models import K8sObject
from .base import Analyzer, Cluster, Finding, condition, first_last, spec, status, status_time

_PULL = ("ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull")
_CONFIG = ("CreateContainerConfigError", "CreateContainerError")


def _terminated(cs: dict[str, Any]) -> dict[str, Any]:
    return ((cs.get("state") or {}).get("terminated")) or ((cs.get("lastState") or {}).get("terminated")) or {}


def _last_termination(cs: dict[str, Any]) -> str:
    t = _terminated(cs)
    if not t:
        return ""
    return f"; last terminated: {t.get('reason') or 'unknown'}, exit code {t.get('exitCode', '?')}"


class PodAnalyzer(Analyzer):
    kind = "Pod"
    kinds = ("Pod",)

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        for pod in cluster.of_kind("Pod"):
            out.extend(self._pod(cluster, pod))
        return out

    def _pod(self, cluster: Cluster, pod: K8sObject) -> list[Finding]:
        pid = pod.ref.id
        st = status(pod)
        phase = st.get("phase", "")
        related = cluster.owners(pod)
        found: list[Finding] = []

        def add(reason: str, message: str, severity: str, events: list[Any], *times: float | None,
                extra: list[str] | None = None) -> None:
            first, last = first_last(events, *times)
            found.append(Finding(object=pid, reason=reason, message=message, severity=severity,  # type: ignore[arg-type]
                                 first_seen=first, last_seen=last, related=related + (extra or [])))

        if phase == "Succeeded":
            return []
        sched = condition(pod, "PodScheduled")
        if phase == "Pending" and sched and sched.get("status") == "False":
            evs = cluster.events_of(pid, "FailedScheduling")
            why = sched.get("message") or (evs[-1].message if evs else "") or sched.get("reason", "")
            add("unschedulable", f"Pending, not scheduled: {why}", "critical", evs, status_time(sched.get("lastTransitionTime")))
        elif phase == "Pending" and not spec(pod).get("nodeName") and cluster.events_of(pid, "FailedScheduling"):
            evs = cluster.events_of(pid, "FailedScheduling")
            add("unschedulable", f"Pending, not scheduled: {evs[-1].message}", "critical", evs)
        if phase == "Failed":
            add("pod_failed", f"phase Failed: {st.get('reason') or ''} {st.get('message') or ''}".strip(), "warning",
                cluster.events_of(pid, "Evicted"), status_time(st.get("startTime")))
        for cs in st.get("initContainerStatuses") or []:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            term = _terminated(cs)
            if (term and term.get("exitCode", 0) != 0) or waiting.get("reason") in ("CrashLoopBackOff", *_PULL, *_CONFIG):
                add("init_failing", f"init container {cs.get('name')} failing: {waiting.get('reason') or term.get('reason', '')}"
                    + _last_termination(cs), "critical", cluster.events_of(pid, "BackOff", "Failed"),
                    status_time(term.get("finishedAt"), term.get("startedAt")))
        for cs in st.get("containerStatuses") or []:
            self._container(cluster, pod, cs, add)
        ready = condition(pod, "Ready")
        if phase == "Running" and ready and ready.get("status") == "False" and not found:
            probes = cluster.events_of(pid, "Unhealthy")
            if probes:
                add("probe_failing", f"not ready, probe failing x{sum(e.count for e in probes)}: {probes[-1].message}",
                    "warning", probes)
            else:
                add("pod_not_ready", f"Running but not ready: {ready.get('reason') or ''} {ready.get('message') or ''}".strip(),
                    "info", [], status_time(ready.get("lastTransitionTime")))
        return found

    def _container(self, cluster: Cluster, pod: K8sObject, cs: dict[str, Any], add: Any) -> None:
        pid = pod.ref.id
        name = cs.get("name", "")
        waiting = (cs.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason", "")
        term = _terminated(cs)
        term_time = status_time(term.get("finishedAt"), term.get("startedAt"))
        restarts = int(cs.get("restartCount") or 0)
        if reason in _PULL:
            evs = cluster.events_of(pid, "Failed", "ErrImagePull", "ImagePullBackOff", "BackOff")
            add("image_pull_error", f"container {name} {reason}: {waiting.get('message') or (evs[-1].message if evs else '')}",
                "critical", [e for e in evs if "image" in e.message.lower() or e.reason != "BackOff"])
        elif reason in _CONFIG:
            evs = cluster.events_of(pid, "Failed")
            msg = waiting.get("message") or (evs[-1].message if evs else "")
            add("config_error", f"container {name} {reason}: {msg}", "critical", evs, extra=_named_refs(pod, msg))
        elif reason == "CrashLoopBackOff":
            sig = "oom_killed" if term.get("reason") == "OOMKilled" else "crash_loop"
            evs = cluster.events_of(pid, "BackOff", "OOMKilling", "Killing")
            add(sig, f"container {name} in CrashLoopBackOff ({restarts} restarts){_last_termination(cs)}", "critical",
                evs, term_time)
        elif term.get("reason") == "OOMKilled" and restarts:
            # running and ready again: a past kill (weaker evidence than one it is still failing from)
            recovered = bool(cs.get("ready")) and bool((cs.get("state") or {}).get("running"))
            add("oom_killed", f"container {name} OOMKilled ({restarts} restarts), exit code {term.get('exitCode', 137)}"
                + ("; running and ready again" if recovered else ""),
                "warning" if recovered else "critical", cluster.events_of(pid, "OOMKilling"), term_time)
        elif not cs.get("ready", True) and (cs.get("state") or {}).get("running"):
            probes = cluster.events_of(pid, "Unhealthy")
            if probes:
                add("probe_failing", f"container {name} running but not ready; probe failing x{sum(e.count for e in probes)}: "
                    f"{probes[-1].message}", "warning", probes)


def _named_refs(pod: K8sObject, message: str) -> list[str]:
    """ConfigMap/Secret ids a config error message names (``configmap "x" not found``)."""
    out = []
    low = message.lower()
    for kind, word in (("ConfigMap", "configmap"), ("Secret", "secret")):
        i = low.find(f'{word} "')
        if i >= 0:
            name = message[i + len(word) + 2:].split('"', 1)[0]
            if name:
                out.append(f"{pod.namespace}/{kind}/{name}")
    return out
