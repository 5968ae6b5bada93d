"""The service topology from objects: ownership (Pod -> ReplicaSet -> Deployment, by
ownerReferences), Service selectors and the application name of each pod (from its labels).
The call graph comes from traces (:mod:`.traces`); an application profile (:mod:`.profile`) may
add hints, never assumptions."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import K8sObject

#: the kinds that run pods from a pod template (what an operator edits to change the pods)
POD_CONTROLLER_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


@dataclass
class Ownership:
    """Who owns whom, and which pods each Service selects."""

    owner_of: dict[str, str] = field(default_factory=dict)          # child id -> owner id
    service_pods: dict[str, list[str]] = field(default_factory=dict)  # Service id -> Pod ids
    app_of_pod: dict[str, str] = field(default_factory=dict)         # Pod id -> app/service name
    objects: dict[str, K8sObject] = field(default_factory=dict)      # id -> latest dump

    def chain(self, entity: str) -> list[str]:
        """The owner chain of an entity, itself first (Pod, ReplicaSet, Deployment)."""
        out = [entity]
        while out[-1] in self.owner_of and len(out) < 6:
            out.append(self.owner_of[out[-1]])
        return out

    def top_owner(self, entity: str) -> str:
        return self.chain(entity)[-1]


def app_name(obj: K8sObject) -> str:
    """The application (service) name of a workload object, from its standard labels."""
    labels = obj.labels
    for key in ("app.kubernetes.io/component", "app.kubernetes.io/name", "app", "k8s-app", "name"):
        if labels.get(key):
            return str(labels[key])
    return ""


def build_ownership(objects: list[K8sObject]) -> Ownership:
    own = Ownership()
    by_uid: dict[str, str] = {}
    for o in objects:
        own.objects[o.ref.id] = o
        uid = o.metadata.get("uid")
        if uid:
            by_uid[uid] = o.ref.id
    for o in objects:
        for ref in o.owner_refs:
            owner = by_uid.get(ref.get("uid", "")) or f"{o.namespace}/{ref.get('kind', '')}/{ref.get('name', '')}"
            own.owner_of[o.ref.id] = owner
            break
    pods = [o for o in objects if o.kind == "Pod"]
    for o in objects:
        if o.kind != "Service":
            continue
        selector = (o.body.get("spec") or {}).get("selector") or {}
        if not selector:
            continue
        own.service_pods[o.ref.id] = sorted(
            p.ref.id for p in pods
            if p.namespace == o.namespace and all(p.labels.get(k) == v for k, v in selector.items())
        )
    for p in pods:
        top = own.top_owner(p.ref.id)
        name = app_name(p) or top.split("/")[-1]
        own.app_of_pod[p.ref.id] = name
    return own
