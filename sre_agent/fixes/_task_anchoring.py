"""task_anchoring (FM-2.3): the alert stays pinned in every context, and steps about entities
unrelated to the alert's neighbourhood are rejected."""

from __future__ import annotations

from typing import Any

from .base import Fix, Intervention, RunView

WORKLOAD_KINDS = {"Service", "Deployment", "Pod", "ReplicaSet", "StatefulSet", "DaemonSet"}


class TaskAnchoring(Fix):
    name = "task_anchoring"
    mast = ("2.3",)

    pins_alert = True

    def related(self, run: RunView, target: str) -> bool:
        """Is ``target`` (a service name or entity id) in the alert's neighbourhood (a workload id
        also in the incident's namespace), or surfaced by evidence?"""
        an = run.analyzer
        hood = set(an.neighbourhood)
        if target.count("/") == 2:
            ns, kind, name = target.split("/")
            surfaced = any(f.entity == target for _, f in run.state.findings())
            if kind not in WORKLOAD_KINDS:
                return surfaced or ns in (an.namespace,)
            if an.namespace and ns != an.namespace and not surfaced:
                return False  # a workload of the same name in another namespace is another workload
            service = an.service_of(target) or name
        else:
            service = target
        return service in hood

    def before_tool_call(self, run: RunView, tool: str, args: dict[str, Any]) -> Intervention | None:
        for key in ("service", "entity"):
            value = args.get(key)
            if isinstance(value, str) and value and not self.related(run, value):
                return self.intervention(f"{tool}({args})", f"rejected: {value} is outside the alert's neighbourhood")
        return None
