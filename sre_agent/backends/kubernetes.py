"""Read-only Kubernetes access through the official ``kubernetes`` client.

Two layers:

* :class:`ReadOnlyKubeClient`: the only thing that holds Kubernetes API objects.  It exposes one
  attribute per API group (``core``, ``apps``, ``autoscaling``, ``networking``, ``events``), and
  each of those exposes **only** whitelisted ``list_*`` / ``read_*`` methods; any other attribute
  (``create_*``, ``patch_*``, ``replace_*``, ``delete_*``, ``connect_*`` (exec, attach, proxy),
  ``api_client`` ...) raises :class:`ReadOnlyViolation`.  The API objects live in a closure, not
  in attributes.  Under it, the HTTP layer refuses any method but GET and any exec / attach /
  port-forward / proxy path, so a mutating call is impossible even by mistake.
* :class:`KubernetesBackend`: the protocol's Kubernetes half (objects, events, pod logs) plus
  :meth:`~KubernetesBackend.owner_chain`.  Objects are returned with ``body`` = the API server's
  JSON for the object (read raw, with ``kind`` / ``apiVersion`` filled in for list items).

Why raw JSON rather than the typed models: the typed models reject real-world objects (for
example ``events.k8s.io/v1`` events with a null ``eventTime``), and a diagnostic agent must see
what the API server says, unknown fields included.  The result equals what
``ApiClient().sanitize_for_serialization`` gives for a well-formed typed object.

Example::

    kube = KubernetesBackend.from_kubeconfig("~/.kube/config", namespaces=["otel-demo"])
    pods = kube.list_objects("Pod", "otel-demo")
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from ..models import K8sEvent, K8sObject, LogRecord, SourceProblem
from ._redact import one_line, register_secret
from ._retry import BackendRequestError, RetryPolicy
from .base import BackendUnavailable


class ReadOnlyViolation(AttributeError):
    """An attempt to reach a Kubernetes call that is not a whitelisted read."""


# API group attribute -> (client class name, whitelisted read methods)
READ_METHODS: dict[str, tuple[str, frozenset[str]]] = {
    "core": ("CoreV1Api", frozenset({
        "list_namespace", "read_namespace", "list_node", "read_node",
        "list_namespaced_pod", "list_pod_for_all_namespaces", "read_namespaced_pod", "read_namespaced_pod_log",
        "list_namespaced_service", "list_service_for_all_namespaces", "read_namespaced_service",
        "list_namespaced_endpoints", "list_endpoints_for_all_namespaces", "read_namespaced_endpoints",
        "list_namespaced_config_map", "list_config_map_for_all_namespaces", "read_namespaced_config_map",
        "list_namespaced_event", "list_event_for_all_namespaces",
    })),
    "apps": ("AppsV1Api", frozenset({
        "list_namespaced_deployment", "list_deployment_for_all_namespaces", "read_namespaced_deployment",
        "list_namespaced_replica_set", "list_replica_set_for_all_namespaces", "read_namespaced_replica_set",
        "list_namespaced_stateful_set", "list_stateful_set_for_all_namespaces", "read_namespaced_stateful_set",
        "list_namespaced_daemon_set", "list_daemon_set_for_all_namespaces", "read_namespaced_daemon_set",
    })),
    "autoscaling": ("AutoscalingV2Api", frozenset({
        "list_namespaced_horizontal_pod_autoscaler", "list_horizontal_pod_autoscaler_for_all_namespaces",
        "read_namespaced_horizontal_pod_autoscaler",
    })),
    "networking": ("NetworkingV1Api", frozenset({
        "list_namespaced_network_policy", "list_network_policy_for_all_namespaces", "read_namespaced_network_policy",
    })),
    "events": ("EventsV1Api", frozenset({"list_namespaced_event", "list_event_for_all_namespaces"})),
}

_READ_VERB = re.compile(r"^(list|read)_[a-z0-9_]+$")
_FORBIDDEN_PATH = re.compile(r"/(exec|attach|portforward|proxy|eviction|binding)(\?|/|$)")

for _group, (_cls, _methods) in READ_METHODS.items():  # the whitelist itself must be read-only
    assert all(_READ_VERB.match(m) for m in _methods), _group


def _get_only_api_client(configuration: Any) -> Any:
    """An ``ApiClient`` whose every request must be a GET on a non-exec path."""
    from kubernetes.client import ApiClient

    class GetOnlyApiClient(ApiClient):
        def call_api(self, method, url, *args, **kwargs):  # type: ignore[override]
            if str(method).upper() != "GET":
                raise ReadOnlyViolation(f"refused {method} request: the Kubernetes client is read-only")
            if _FORBIDDEN_PATH.search(urlsplit(str(url)).path):
                raise ReadOnlyViolation("refused exec/attach/proxy request: the Kubernetes client is read-only")
            return super().call_api(method, url, *args, **kwargs)

    return GetOnlyApiClient(configuration=configuration)


class _ReadOnlyApi:
    """One API group's whitelisted reads; they return parsed JSON (or text for logs).

    Attribute access is whitelisted as a whole (``__getattribute__``): only the read methods are
    reachable, not even this object's own internals.
    """

    __slots__ = ("_group", "_names", "_invoke")

    def __init__(self, group: str, names: frozenset[str], invoke: Callable[..., Any]) -> None:
        object.__setattr__(self, "_group", group)
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_invoke", invoke)

    def __getattribute__(self, name: str) -> Any:
        names = object.__getattribute__(self, "_names")
        if name in names:
            invoke = object.__getattribute__(self, "_invoke")

            def call(*args: Any, **kwargs: Any) -> Any:
                return invoke(name, *args, **kwargs)

            call.__name__ = name
            return call
        if name == "__class__":
            return type(self)
        group = object.__getattribute__(self, "_group")
        raise ReadOnlyViolation(f"{group}.{name} is not a whitelisted read of the read-only Kubernetes client")

    def __setattr__(self, name: str, value: Any) -> None:
        raise ReadOnlyViolation("the read-only Kubernetes client cannot be modified")

    def __delattr__(self, name: str) -> None:
        raise ReadOnlyViolation("the read-only Kubernetes client cannot be modified")

    def __dir__(self) -> list[str]:
        return sorted(object.__getattribute__(self, "_names"))

    def __repr__(self) -> str:
        return f"<read-only {object.__getattribute__(self, '_group')} API>"


class ReadOnlyKubeClient:
    """The only holder of Kubernetes API objects: list/read verbs only, GET only.

    ``client.core.list_namespaced_pod("ns")`` returns the API's JSON as a dict;
    ``client.core.create_namespaced_pod`` raises :class:`ReadOnlyViolation`.
    """

    __slots__ = ("core", "apps", "autoscaling", "networking", "events", "_close")

    def __init__(self, api_client: Any, timeout: float | tuple[float, float] = 5.0) -> None:
        from kubernetes import client as k8s

        apis = {group: getattr(k8s, cls)(api_client) for group, (cls, _) in READ_METHODS.items()}

        def make_invoke(group: str) -> Callable[..., Any]:
            api = apis[group]

            def invoke(method: str, *args: Any, **kwargs: Any) -> Any:
                kwargs["_preload_content"] = False
                kwargs.setdefault("_request_timeout", timeout)
                response = getattr(api, method)(*args, **kwargs)
                raw = response.data
                if method == "read_namespaced_pod_log":
                    return raw.decode("utf-8", "replace")
                return json.loads(raw) if raw else {}

            return invoke

        for group, (_, names) in READ_METHODS.items():
            object.__setattr__(self, group, _ReadOnlyApi(group, names, make_invoke(group)))
        object.__setattr__(self, "_close", api_client.close)

    def __getattribute__(self, name: str) -> Any:
        if name in READ_METHODS or name in ("close", "__class__"):
            return object.__getattribute__(self, name)
        raise ReadOnlyViolation(f"{name} is not part of the read-only Kubernetes client")

    def __setattr__(self, name: str, value: Any) -> None:
        raise ReadOnlyViolation("the read-only Kubernetes client cannot be modified")

    def __delattr__(self, name: str) -> None:
        raise ReadOnlyViolation("the read-only Kubernetes client cannot be modified")

    def __repr__(self) -> str:
        return "<ReadOnlyKubeClient>"

    def __dir__(self) -> list[str]:
        return sorted(READ_METHODS) + ["close"]

    def close(self) -> None:
        object.__getattribute__(self, "_close")()

    @classmethod
    def from_kubeconfig(
        cls, path: str | None = None, context: str | None = None, *, token: str | None = None,
        verify_tls: bool = True, timeout: float = 5.0,
    ) -> "ReadOnlyKubeClient":
        """Load a kubeconfig (``None``: ``$KUBECONFIG`` / ``~/.kube/config``, else in-cluster)."""
        import os

        import urllib3.util
        from kubernetes import config as kconfig
        from kubernetes.client import Configuration

        configuration = Configuration()
        try:
            if path is not None or os.environ.get("KUBECONFIG") or os.path.exists(os.path.expanduser("~/.kube/config")):
                kconfig.load_kube_config(config_file=os.path.expanduser(path) if path else None, context=context,
                                         client_configuration=configuration, persist_config=False)
            else:
                kconfig.load_incluster_config(client_configuration=configuration)
        except Exception as exc:  # noqa: BLE001 - ConfigException, OSError, YAML errors: one line
            raise BackendUnavailable(one_line(f"kubernetes: cannot load kubeconfig {path or ''}: {exc}", 240)) from None
        for key in ("authorization", "BearerToken"):
            register_secret(str((configuration.api_key or {}).get(key, "")).removeprefix("Bearer "))
        register_secret(configuration.password)
        if token:
            register_secret(token)
            configuration.api_key = {"authorization": f"Bearer {token}"}
        if not verify_tls:
            configuration.verify_ssl = False
        # the RetryPolicy retries; urllib3 must not retry on its own
        configuration.retries = urllib3.util.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=0,
                                                   raise_on_status=False)
        return cls(_get_only_api_client(configuration), timeout=timeout)


# kind -> (plural, group attribute, list-in-namespace, list-all, read, namespaced)
KINDS: dict[str, tuple[str, str, str, str, str, bool]] = {
    "Pod": ("pods", "core", "list_namespaced_pod", "list_pod_for_all_namespaces", "read_namespaced_pod", True),
    "Deployment": ("deployments", "apps", "list_namespaced_deployment", "list_deployment_for_all_namespaces",
                   "read_namespaced_deployment", True),
    "ReplicaSet": ("replicasets", "apps", "list_namespaced_replica_set", "list_replica_set_for_all_namespaces",
                   "read_namespaced_replica_set", True),
    "StatefulSet": ("statefulsets", "apps", "list_namespaced_stateful_set", "list_stateful_set_for_all_namespaces",
                    "read_namespaced_stateful_set", True),
    "DaemonSet": ("daemonsets", "apps", "list_namespaced_daemon_set", "list_daemon_set_for_all_namespaces",
                  "read_namespaced_daemon_set", True),
    "Service": ("services", "core", "list_namespaced_service", "list_service_for_all_namespaces",
                "read_namespaced_service", True),
    "Endpoints": ("endpoints", "core", "list_namespaced_endpoints", "list_endpoints_for_all_namespaces",
                  "read_namespaced_endpoints", True),
    "ConfigMap": ("configmaps", "core", "list_namespaced_config_map", "list_config_map_for_all_namespaces",
                  "read_namespaced_config_map", True),
    "HorizontalPodAutoscaler": ("horizontalpodautoscalers", "autoscaling", "list_namespaced_horizontal_pod_autoscaler",
                                "list_horizontal_pod_autoscaler_for_all_namespaces",
                                "read_namespaced_horizontal_pod_autoscaler", True),
    "NetworkPolicy": ("networkpolicies", "networking", "list_namespaced_network_policy",
                      "list_network_policy_for_all_namespaces", "read_namespaced_network_policy", True),
    "Namespace": ("namespaces", "core", "", "list_namespace", "read_namespace", False),
    "Node": ("nodes", "core", "", "list_node", "read_node", False),
}
API_VERSIONS = {"apps": "apps/v1", "autoscaling": "autoscaling/v2", "networking": "networking.k8s.io/v1", "core": "v1"}
_KIND_ALIASES = {k.lower(): k for k in KINDS} | {v[0]: k for k, v in KINDS.items()} | {
    "hpa": "HorizontalPodAutoscaler", "ep": "Endpoints", "endpoint": "Endpoints", "cm": "ConfigMap",
    "netpol": "NetworkPolicy", "ns": "Namespace", "svc": "Service", "rs": "ReplicaSet", "deploy": "Deployment",
}

_SERVICE_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/component", "opentelemetry.io/name", "app", "service",
                   "k8s-app")


def canonical_kind(kind: str) -> str | None:
    """``pods`` / ``pod`` / ``Pod`` -> ``Pod``; ``None`` for a kind this backend does not read."""
    return _KIND_ALIASES.get(str(kind).strip().lower()) or (kind if kind in KINDS else None)


def parse_k8s_time(text: Any) -> float | None:
    """RFC 3339 (``Z``, offsets, up to 9 fraction digits) -> epoch seconds; ``None`` if unreadable."""
    if not text or not isinstance(text, str):
        return None
    m = re.match(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$", text.strip())
    if not m:
        return None
    day, clock, frac, zone = m.groups()
    zone = "+00:00" if zone in (None, "Z") else (zone if ":" in zone else zone[:3] + ":" + zone[3:])
    try:
        dt = datetime.fromisoformat(f"{day}T{clock}{zone}")
    except ValueError:
        return None
    return dt.timestamp() + (float("0." + frac) if frac else 0.0)


_LEVELS = (
    (re.compile(r"(?i)\b(fatal|panic|critical|crit)\b"), "FATAL", 21),
    (re.compile(r"(?i)\b(error|err|exception|fail(ed|ure)?)\b"), "ERROR", 17),
    (re.compile(r"(?i)\b(warn|warning)\b"), "WARN", 13),
    (re.compile(r"(?i)\b(info)\b"), "INFO", 9),
    (re.compile(r"(?i)\b(debug|trace)\b"), "DEBUG", 5),
)


def guess_severity(line: str) -> tuple[str, int]:
    """A log line's level from its text (``("", 0)`` when none is visible)."""
    head = line[:200]
    for pattern, text, number in _LEVELS:
        if pattern.search(head):
            return text, number
    return "", 0


def event_from_json(obj: dict[str, Any], watch_type: str = "ADDED") -> K8sEvent | None:
    """Normalise a core v1 or an events.k8s.io/v1 Event object; ``None`` if it names nothing."""
    meta = obj.get("metadata") or {}
    if "regarding" in obj or "note" in obj or str(obj.get("apiVersion", "")).startswith("events.k8s.io"):
        ref = obj.get("regarding") or {}
        series = obj.get("series") or {}
        time_ = (parse_k8s_time(series.get("lastObservedTime")) or parse_k8s_time(obj.get("eventTime"))
                 or parse_k8s_time(obj.get("deprecatedLastTimestamp")) or parse_k8s_time(meta.get("creationTimestamp")))
        first = parse_k8s_time(obj.get("deprecatedFirstTimestamp")) or parse_k8s_time(obj.get("eventTime"))
        count = series.get("count") or obj.get("deprecatedCount") or 1
        source = obj.get("reportingController") or (obj.get("deprecatedSource") or {}).get("component", "")
        message = obj.get("note") or ""
    else:
        ref = obj.get("involvedObject") or {}
        time_ = (parse_k8s_time(obj.get("lastTimestamp")) or parse_k8s_time(obj.get("eventTime"))
                 or parse_k8s_time(obj.get("firstTimestamp")) or parse_k8s_time(meta.get("creationTimestamp")))
        first = parse_k8s_time(obj.get("firstTimestamp"))
        count = obj.get("count") or 1
        source = (obj.get("source") or {}).get("component", "") or obj.get("reportingComponent") or ""
        message = obj.get("message") or ""
    if not ref.get("name") and not ref.get("kind"):
        return None
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 1
    return K8sEvent(
        time=time_ or 0.0, type=str(obj.get("type") or ""), reason=str(obj.get("reason") or ""),
        message=str(message), involved_kind=str(ref.get("kind") or ""),
        involved_namespace=str(ref.get("namespace") or meta.get("namespace") or ""),
        involved_name=str(ref.get("name") or ""), count=count, source=str(source or ""),
        watch_type=watch_type, first_time=first,
    )


class KubernetesBackend:
    """Objects, events and pod logs of a live cluster (the Kubernetes half of the protocol)."""

    name = "kubernetes"

    def __init__(
        self, client: ReadOnlyKubeClient, *, namespaces: Iterable[str] = (), policy: RetryPolicy | None = None,
        log_tail_lines: int = 500, max_log_pods: int = 20, lookback_s: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self.namespaces = [n for n in namespaces if n]
        self._policy = policy or RetryPolicy()
        self._tail = log_tail_lines
        self._max_log_pods = max_log_pods
        self._lookback = lookback_s
        self._clock = clock
        self._problems: dict[str, SourceProblem] = {}
        self._lock = threading.Lock()

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
                                   max_log_pods=cfg.max_log_pods, lookback_s=lookback_s)

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
            kinds = [k for k, spec in KINDS.items() if spec[5] or namespace is None]
        out: list[K8sObject] = []
        for k in kinds:
            plural, group, list_ns, list_all, _, namespaced = KINDS[k]
            scopes = self._scopes(namespace) if namespaced else [None]
            for scope in scopes:
                observed = self._clock()
                if scope is None:
                    data = self._read(f"list {plural}", group, list_all)
                else:
                    data = self._read(f"list {plural} in {scope}", group, list_ns, scope)
                for item in (data or {}).get("items") or []:
                    if isinstance(item, dict):
                        out.append(self._object(k, item, observed))
        return out

    def get_object(self, kind: str, namespace: str, name: str) -> K8sObject | None:
        canon = canonical_kind(kind)
        if canon is None:
            return None
        plural, group, _, _, read, namespaced = KINDS[canon]
        args = (name, namespace) if namespaced else (name,)
        observed = self._clock()
        data = self._read(f"read {plural} {namespace}/{name}", group, read, *args, missing_ok=True)
        return self._object(canon, data, observed) if isinstance(data, dict) and data else None

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

    def events(self, namespace: str | None = None) -> list[K8sEvent]:
        found: dict[str, K8sEvent] = {}
        for scope in self._scopes(namespace):
            for group, missing_ok in (("core", False), ("events", True)):
                where = f" in {scope}" if scope else ""
                if scope is None:
                    data = self._read(f"list {group} events{where}", group, "list_event_for_all_namespaces",
                                      missing_ok=missing_ok)
                else:
                    data = self._read(f"list {group} events{where}", group, "list_namespaced_event", scope,
                                      missing_ok=missing_ok)
                for item in (data or {}).get("items") or []:
                    if not isinstance(item, dict):
                        continue
                    event = event_from_json(item)
                    if event is None:
                        continue
                    meta = item.get("metadata") or {}
                    key = str(meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}/{group}")
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

    def logs(
        self, service: str | None = None, pod: str | None = None,
        since: float | None = None, until: float | None = None,
    ) -> list[LogRecord]:
        now = self._clock()
        start = since if since is not None else now - self._lookback
        out: list[LogRecord] = []
        for p in self._pods_for(service, pod):
            svc = service or self.service_of(p)
            containers = [c.get("name") for c in (p.body.get("spec") or {}).get("containers") or [] if c.get("name")]
            for container in containers or [None]:
                kwargs: dict[str, Any] = {"timestamps": True, "tail_lines": self._tail}
                if container:
                    kwargs["container"] = container
                if since is not None or until is None:
                    kwargs["since_seconds"] = max(1, int(now - start) + 1)
                text = self._read(f"logs of {p.namespace}/{p.name}" + (f"/{container}" if container else ""),
                                  "core", "read_namespaced_pod_log", p.name, p.namespace, **kwargs)
                for line in (text or "").splitlines():
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
