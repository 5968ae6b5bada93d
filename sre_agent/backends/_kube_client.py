"""The read-only Kubernetes client: the only holder of Kubernetes API objects.

It exposes one attribute per API group (``core``, ``apps``, ``autoscaling``, ``networking``,
``batch``, ``policy``, ``custom`` (Chaos Mesh's custom objects, lists only), ``events``), and each of those exposes **only** whitelisted ``list_*`` / ``read_*`` methods; any
other attribute (``create_*``, ``patch_*``, ``replace_*``, ``delete_*``, ``connect_*`` (exec,
attach, proxy), ``api_client`` ...) raises :class:`ReadOnlyViolation`.  The API objects live in
a closure, not in attributes.  Under it, the HTTP layer refuses any method but GET and any exec /
attach / port-forward / proxy path, so a mutating call is impossible even by mistake.

Example::

    client = ReadOnlyKubeClient.from_kubeconfig("~/.kube/config")
    client.core.list_namespaced_pod("otel-demo")["items"]
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ._redact import one_line, register_secret
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
        "list_namespaced_persistent_volume_claim", "list_persistent_volume_claim_for_all_namespaces",
        "read_namespaced_persistent_volume_claim",
        "list_namespaced_resource_quota", "list_resource_quota_for_all_namespaces", "read_namespaced_resource_quota",
        "list_namespaced_limit_range", "list_limit_range_for_all_namespaces", "read_namespaced_limit_range",
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
        "list_namespaced_ingress", "list_ingress_for_all_namespaces", "read_namespaced_ingress",
    })),
    "batch": ("BatchV1Api", frozenset({
        "list_namespaced_job", "list_job_for_all_namespaces", "read_namespaced_job",
        "list_namespaced_cron_job", "list_cron_job_for_all_namespaces", "read_namespaced_cron_job",
    })),
    "policy": ("PolicyV1Api", frozenset({
        "list_namespaced_pod_disruption_budget", "list_pod_disruption_budget_for_all_namespaces",
        "read_namespaced_pod_disruption_budget",
    })),
    # Chaos Mesh experiments: lists of custom objects (group, version, [namespace,] plural)
    "custom": ("CustomObjectsApi", frozenset({"list_namespaced_custom_object", "list_cluster_custom_object"})),
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

    __slots__ = ("core", "apps", "autoscaling", "networking", "batch", "policy", "custom", "events", "_close")

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
