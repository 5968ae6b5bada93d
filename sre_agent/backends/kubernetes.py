"""Read-only Kubernetes access through the official ``kubernetes`` client.

Two layers:

* :class:`ReadOnlyKubeClient` (in ``_kube_client``, re-exported here): the only thing that holds
  Kubernetes API objects; it exposes whitelisted ``list_*`` / ``read_*`` methods only, and its
  HTTP layer refuses anything but a GET on a non-exec path.
* :class:`KubernetesBackend`: the protocol's Kubernetes half (objects, events, pod logs) plus
  :meth:`~KubernetesBackend.owner_chain`.  Objects are returned with ``body`` = the API server's
  JSON for the object (read raw, with ``kind`` / ``apiVersion`` filled in for list items).

Reads: each kind is **listed once** per namespace scope for the life of the backend (one
triage) and every lookup (an object, its "history", an owner chain, a service's pods) is answered
from those lists, never by a read per object; events are listed once, each pod log read once.
Independent reads (several kinds, several pods' logs) run concurrently, at most ``max_workers``
at a time, each under the retry policy (timeout, tenacity retries).  :meth:`refresh` forgets
everything read.

Why raw JSON rather than the typed models: the typed models reject real-world objects (for
example ``events.k8s.io/v1`` events with a null ``eventTime``), and a diagnostic agent must see
what the API server says, unknown fields included.  The result equals what
``ApiClient().sanitize_for_serialization`` gives for a well-formed typed object.

Example::

    kube = KubernetesBackend.from_kubeconfig("~/.kube/config", namespaces=["otel-demo"])
    pods = kube.list_objects("Pod", "otel-demo")
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..models import K8sEvent, K8sObject, LogRecord, SourceProblem
from ._kube_client import READ_METHODS, ReadOnlyKubeClient, ReadOnlyViolation, _get_only_api_client
from ._kube_kinds import API_VERSIONS, CHAOS_GROUP, CHAOS_VERSION, KINDS, canonical_kind, is_custom
from ._kube_parse import event_from_json, guess_severity, parse_k8s_time
from ._parallel import DEFAULT_WORKERS, ReadOnce, bounded_map
from ._redact import one_line
from ._retry import BackendRequestError, RetryPolicy
from .base import BackendUnavailable

__all__ = ["API_VERSIONS", "KINDS", "READ_METHODS", "KubernetesBackend", "ReadOnlyKubeClient", "ReadOnlyViolation",
           "_get_only_api_client", "canonical_kind", "event_from_json", "guess_severity", "parse_k8s_time"]


_SERVICE_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/component", "opentelemetry.io/name", "app", "service",
                   "k8s-app")


class KubernetesBackend:
    """Objects, events and pod logs of a live cluster (the Kubernetes half of the protocol)."""

    name = "kubernetes"

    def __init__(
        self, client: ReadOnlyKubeClient, *, namespaces: Iterable[str] = (), policy: RetryPolicy | None = None,
        log_tail_lines: int = 500, max_log_pods: int = 20, lookback_s: float = 3600.0,
        clock: Callable[[], float] = time.time, max_workers: int = DEFAULT_WORKERS, cluster_reads: bool = True,
    ) -> None:
        self._client = client
        #: False under a namespaced Role: Namespaces and Nodes (cluster-scoped) are not listed
        self.cluster_reads = cluster_reads
        #: custom kinds the API server does not serve (CRD not installed): kind -> why, a recorded absence
        self.absent: dict[str, str] = {}
        self.namespaces = [n for n in namespaces if n]
        self._policy = policy or RetryPolicy()
        self._tail = log_tail_lines
        self._max_log_pods = max_log_pods
        self._lookback = lookback_s
        self._clock = clock
        self._workers = max_workers
        self._problems: dict[str, SourceProblem] = {}
        self._lock = threading.Lock()
        self._reads = ReadOnce()

    def __repr__(self) -> str:
        return f"KubernetesBackend(namespaces={self.namespaces!r})"

    @classmethod
    def from_kubeconfig(cls, path: str | None = None, context: str | None = None, *, token: str | None = None,
                        verify_tls: bool = True, policy: RetryPolicy | None = None, **kwargs: Any) -> "KubernetesBackend":
        policy = policy or RetryPolicy()
        client = ReadOnlyKubeClient.from_kubeconfig(path, context, token=token, verify_tls=verify_tls,
                                                    timeout=policy.timeout)
        return cls(client, policy=policy, **kwargs)

    @classmethod
    def from_config(cls, cfg: Any, policy: RetryPolicy | None = None, lookback_s: float = 3600.0) -> "KubernetesBackend":
        return cls.from_kubeconfig(cfg.kubeconfig, cfg.context, token=cfg.token(), verify_tls=cfg.verify_tls,
                                   policy=policy, namespaces=cfg.namespaces, log_tail_lines=cfg.log_tail_lines,
                                   max_log_pods=cfg.max_log_pods, lookback_s=lookback_s,
                                   cluster_reads=cfg.cluster_reads)

    # -- plumbing -----------------------------------------------------------------------------
    def _note(self, what: str, message: str) -> None:
        with self._lock:
            self._problems[what] = SourceProblem(source=self.name, problem=one_line(f"{what}: {message}"))

    def _read(self, what: str, group: str, method: str, *args: Any, missing_ok: bool = False, **kwargs: Any) -> Any:
        """One read under the retry policy; ``None`` (and a problem, unless a 404 is expected) on failure."""
        api = getattr(self._client, group)
        try:
            return self._policy.call("kubernetes", getattr(api, method), *args, **kwargs)
        except BackendRequestError as exc:
            if not (missing_ok and exc.status == 404):
                self._note(what, str(exc))
            return None
        except BackendUnavailable as exc:
            self._note(what, str(exc))
            return None

    def check(self) -> None:
        """Raise ``BackendUnavailable`` (one line) unless the API server answers."""
        if self.namespaces:
            self._policy.call("kubernetes", self._client.core.list_namespaced_pod, self.namespaces[0], limit=1)
        else:
            self._policy.call("kubernetes", self._client.core.list_pod_for_all_namespaces, limit=1)

    def refresh(self) -> None:
        """Forget every list, event and log read so far (the next call reads the cluster again)."""
        self._reads.clear()

    def _scopes(self, namespace: str | None) -> list[str | None]:
        if namespace:
            return [namespace]
        return list(self.namespaces) if self.namespaces else [None]

    def _object(self, kind: str, item: dict[str, Any], observed: float) -> K8sObject:
        plural, group = KINDS[kind][0], KINDS[kind][1]
        body = dict(item)
        body.setdefault("kind", kind)
        body.setdefault("apiVersion", API_VERSIONS[group])
        meta = body.get("metadata") or {}
        return K8sObject(observed=observed, kind=kind, namespace=str(meta.get("namespace") or ""),
                         name=str(meta.get("name") or ""), body=body, resource=plural)

    def _list(self, kind: str, scope: str | None) -> dict[tuple[str, str], K8sObject]:
        """Every object of one kind in one scope (a namespace, or all): listed once, by (namespace, name)."""
        def read() -> dict[tuple[str, str], K8sObject]:
            plural, group, list_ns, list_all, _, _ = KINDS[kind]
            observed = self._clock()
            where = f"list {plural}" + (f" in {scope}" if scope else "")
            if is_custom(kind):  # a Chaos Mesh kind: 404 when its CRD is not installed
                args = (CHAOS_GROUP, CHAOS_VERSION) + ((scope,) if scope else ()) + (plural,)
                data = self._read(where, group, list_all if scope is None else list_ns, *args, missing_ok=True)
                if data is None and where not in self._problems:
                    with self._lock:
                        self.absent[kind] = f"{CHAOS_GROUP}/{CHAOS_VERSION} {plural}: not served (CRD not installed)"
            elif scope is None:
                data = self._read(where, group, list_all)
            else:
                data = self._read(where, group, list_ns, scope)
            objects = (self._object(kind, item, observed) for item in (data or {}).get("items") or []
                       if isinstance(item, dict))
            return {(o.namespace, o.name): o for o in objects}
        return self._reads.get(("list", kind, scope), read)

    # -- protocol -----------------------------------------------------------------------------
    def now(self) -> float:
        return self._clock()

    def window(self) -> tuple[float, float]:
        now = self._clock()
        return (now - self._lookback, now)

    def list_objects(self, kind: str | None = None, namespace: str | None = None) -> list[K8sObject]:
        if kind is not None:
            canon = canonical_kind(kind)
            if canon is None:
                return []
            kinds = [canon]
        else:
            kinds = [k for k, spec in KINDS.items() if spec[5] or (namespace is None and self.cluster_reads)]
        reads = [(k, scope) for k in kinds for scope in (self._scopes(namespace) if KINDS[k][5] else [None])]
        lists = bounded_map(lambda ks: self._list(*ks), reads, self._workers)
        return [o for objects in lists for o in objects.values()]

    def get_object(self, kind: str, namespace: str, name: str) -> K8sObject | None:
        """One object, looked up in its kind's list (``None`` if it does not exist)."""
        canon = canonical_kind(kind)
        if canon is None:
            return None
        namespaced = KINDS[canon][5]
        if not namespaced:
            return self._list(canon, None).get(("", name))
        # the list list_objects reads: per configured namespace, else the cluster-wide one
        return self._list(canon, namespace if self.namespaces else None).get((namespace, name))

    def object_history(self, kind: str, namespace: str, name: str) -> list[K8sObject]:
        """Live, there is no history: the current object only (``[]`` if it does not exist)."""
        obj = self.get_object(kind, namespace, name)
        return [obj] if obj is not None else []

    def owner_chain(self, kind: str, namespace: str, name: str, max_depth: int = 6) -> list[K8sObject]:
        """The object and its controllers, nearest first: Pod -> ReplicaSet -> Deployment."""
        chain: list[K8sObject] = []
        current = self.get_object(kind, namespace, name)
        seen: set[str] = set()
        while current is not None and len(chain) < max_depth and current.ref.id not in seen:
            chain.append(current)
            seen.add(current.ref.id)
            refs = current.owner_refs
            owner = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
            if not owner or canonical_kind(str(owner.get("kind", ""))) is None:
                break
            current = self.get_object(str(owner["kind"]), namespace, str(owner.get("name", "")))
        return chain

    def _events(self, scope: str | None, group: str) -> list[tuple[str, K8sEvent]]:
        """One events list (core or events.k8s.io, one scope), read once: (key, event) pairs."""
        def read() -> list[tuple[str, K8sEvent]]:
            where = f" in {scope}" if scope else ""
            missing_ok = group == "events"
            if scope is None:
                data = self._read(f"list {group} events{where}", group, "list_event_for_all_namespaces",
                                  missing_ok=missing_ok)
            else:
                data = self._read(f"list {group} events{where}", group, "list_namespaced_event", scope,
                                  missing_ok=missing_ok)
            out = []
            for item in (data or {}).get("items") or []:
                event = event_from_json(item) if isinstance(item, dict) else None
                if event is not None:
                    meta = item.get("metadata") or {}
                    out.append((str(meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}/{group}"), event))
            return out
        return self._reads.get(("events", scope, group), read)

    def events(self, namespace: str | None = None) -> list[K8sEvent]:
        reads = [(scope, group) for scope in self._scopes(namespace) for group in ("core", "events")]
        found: dict[str, K8sEvent] = {}
        for pairs in bounded_map(lambda sg: self._events(*sg), reads, self._workers):
            for key, event in pairs:
                found.setdefault(key, event)
        return sorted(found.values(), key=lambda e: (e.time, e.involved_name, e.reason))

    # -- logs ---------------------------------------------------------------------------------
    @staticmethod
    def service_of(pod: K8sObject) -> str:
        labels = pod.labels
        for key in _SERVICE_LABELS:
            if labels.get(key):
                return str(labels[key])
        m = re.match(r"^(.*?)-(?:[a-z0-9]{6,10}-[a-z0-9]{5}|[a-z0-9]{5}|\d+)$", pod.name)
        return m.group(1) if m else pod.name

    def _pods_for(self, service: str | None, pod: str | None) -> list[K8sObject]:
        pods = self.list_objects("Pod")
        if pod:
            pods = [p for p in pods if p.name == pod]
        if service:
            pods = [p for p in pods if self.service_of(p) == service or p.name == service]
        return pods[: self._max_log_pods]

    def _pod_log(self, namespace: str, pod: str, container: str | None, since_seconds: int | None) -> str:
        """One container's log (with timestamps), read once per look-back."""
        def read() -> str:
            kwargs: dict[str, Any] = {"timestamps": True, "tail_lines": self._tail}
            if container:
                kwargs["container"] = container
            if since_seconds is not None:
                kwargs["since_seconds"] = since_seconds
            text = self._read(f"logs of {namespace}/{pod}" + (f"/{container}" if container else ""),
                              "core", "read_namespaced_pod_log", pod, namespace, **kwargs)
            return text or ""
        return self._reads.get(("log", namespace, pod, container, since_seconds), read)

    def logs(
        self, service: str | None = None, pod: str | None = None,
        since: float | None = None, until: float | None = None,
    ) -> list[LogRecord]:
        now = self._clock()
        start = since if since is not None else now - self._lookback
        since_seconds = max(1, int(now - start) + 1) if since is not None or until is None else None
        reads = []
        for p in self._pods_for(service, pod):
            containers = [c.get("name") for c in (p.body.get("spec") or {}).get("containers") or [] if c.get("name")]
            reads += [(p, container) for container in containers or [None]]
        texts = bounded_map(lambda pc: self._pod_log(pc[0].namespace, pc[0].name, pc[1], since_seconds), reads,
                            self._workers)
        out: list[LogRecord] = []
        for (p, _), text in zip(reads, texts):
            svc = service or self.service_of(p)
            for line in text.splitlines():
                if not line.strip():
                    continue
                stamp, _, body = line.partition(" ")
                t = parse_k8s_time(stamp)
                if t is None:
                    t, body = now, line
                if (since is not None and t < since) or (until is not None and t > until):
                    continue
                sev_text, sev_num = guess_severity(body)
                out.append(LogRecord(time=t, service=svc, body=body, severity_text=sev_text,
                                     severity_number=sev_num, namespace=p.namespace, pod=p.name))
        out.sort(key=lambda r: r.time)
        return out

    def problems(self) -> list[SourceProblem]:
        with self._lock:
            return list(self._problems.values())

    def close(self) -> None:
        self._client.close()
