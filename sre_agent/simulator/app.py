"""The OpenTelemetry demo as deployed for ITBench: its services, call graph and Kubernetes objects.

:func:`build_cluster` creates the healthy cluster at the start of the window (namespaces,
nodes, Deployments -> ReplicaSets -> Pods with hashed names, Services, Endpoints, ConfigMaps
including ``flagd-config``, HPAs, NetworkPolicies, and a few monitoring-namespace objects) and
returns it with a :class:`Topology` of which pod serves which service when.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from .clock import NS, rfc3339
from .cluster import Cluster
from .flagd import DEFAULT_FLAGD_JSON
from .names import k8s_suffix, pod_name, replicaset_name

NAMESPACE = "otel-demo"
DEMO_VERSION = "2.0.2"


@dataclass(frozen=True)
class ServiceSpec:
    """One workload of the demo."""

    name: str
    language: str
    port: int
    scope: str
    cpu_m: float
    mem_mb: float
    mem_limit_mb: int
    traced: bool = True
    logs: bool = True
    image: str = ""


def _svc(name: str, language: str, port: int, scope: str, cpu: float, mem: float, limit: int, **kw: Any) -> ServiceSpec:
    return ServiceSpec(name, language, port, scope, cpu, mem, limit, **kw)


#: The demo's workloads (each is a Deployment + Service of the same name in ``otel-demo``).
SERVICES: dict[str, ServiceSpec] = {s.name: s for s in (
    _svc("frontend-proxy", "cpp", 8080, "", 40, 60, 65),
    _svc("frontend", "nodejs", 8080, "@opentelemetry/instrumentation-http", 60, 180, 250),
    _svc("checkout", "go", 8080, "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc", 12, 14, 20),
    _svc("cart", "dotnet", 8080, "OpenTelemetry.Instrumentation.AspNetCore", 15, 90, 160),
    _svc("payment", "nodejs", 8080, "@opentelemetry/instrumentation-grpc", 8, 70, 120),
    _svc("shipping", "rust", 8080, "opentelemetry-instrumentation-actix-web", 3, 8, 20),
    _svc("currency", "cpp", 8080, "currency", 4, 12, 20),
    _svc("email", "ruby", 8080, "OpenTelemetry::Instrumentation::Sinatra", 5, 80, 100),
    _svc("product-catalog", "go", 8080, "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc", 6, 12, 20),
    _svc("recommendation", "python", 8080, "opentelemetry.instrumentation.grpc", 20, 45, 500),
    _svc("ad", "java", 8080, "io.opentelemetry.grpc-1.6", 25, 230, 300),
    _svc("quote", "php", 8080, "io.opentelemetry.contrib.php.slim", 5, 30, 40),
    _svc("accounting", "dotnet", 0, "OpenTelemetry.Instrumentation.ConfluentKafka", 6, 80, 120),
    _svc("fraud-detection", "kotlin", 0, "io.opentelemetry.kafka-clients-0.11", 12, 260, 300),
    _svc("kafka", "java", 9092, "", 45, 520, 600, traced=False),
    _svc("valkey-cart", "c", 6379, "", 3, 8, 20, traced=False, logs=False, image="valkey/valkey:8.1.3-alpine"),
    _svc("flagd", "go", 8013, "flagd", 4, 30, 75),
    _svc("load-generator", "python", 8089, "opentelemetry.instrumentation.requests", 90, 700, 1500),
    _svc("image-provider", "cpp", 8081, "nginx", 2, 10, 50),
)}

#: Other spellings of service names met in ground truths and in older demo versions.
SERVICE_ALIASES: dict[str, str] = {
    "productcatalog": "product-catalog", "productcatalogservice": "product-catalog",
    "adservice": "ad", "emailservice": "email", "checkoutservice": "checkout",
    "shippingservice": "shipping", "quoteservice": "quote", "paymentservice": "payment",
    "cartservice": "cart", "currencyservice": "currency", "recommendationservice": "recommendation",
    "frontendproxy": "frontend-proxy", "valkey": "valkey-cart", "valkeycart": "valkey-cart",
    "redis": "valkey-cart", "frauddetection": "fraud-detection", "frauddetectionservice": "fraud-detection",
    "loadgenerator": "load-generator", "imageprovider": "image-provider", "accountingservice": "accounting",
}

#: Who calls whom (synchronous RPC/HTTP and Kafka produce).
CALLS: dict[str, tuple[str, ...]] = {
    "load-generator": ("frontend-proxy",),
    "frontend-proxy": ("frontend", "image-provider", "flagd"),
    "frontend": ("ad", "recommendation", "product-catalog", "currency", "cart", "checkout", "shipping"),
    "checkout": ("cart", "payment", "shipping", "currency", "email", "product-catalog", "kafka"),
    "cart": ("valkey-cart", "flagd"),
    "shipping": ("quote",),
    "recommendation": ("product-catalog", "flagd"),
    "product-catalog": ("flagd",),
    "ad": ("flagd",),
    "payment": ("flagd",),
    "kafka": ("accounting", "fraud-detection"),
}


def callers_of(service: str) -> list[str]:
    return [c for c, callees in CALLS.items() if service in callees]


def env_for(service: str) -> list[dict[str, str]]:
    """The container environment of a demo service (addresses of its dependencies)."""
    env = [{"name": "OTEL_SERVICE_NAME", "value": service},
           {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector:4317"},
           {"name": "OTEL_RESOURCE_ATTRIBUTES", "value": f"service.namespace=opentelemetry-demo,service.version={DEMO_VERSION}"}]
    extra = {
        "checkout": {"CHECKOUT_PORT": "8080", "CART_ADDR": "cart:8080", "CURRENCY_ADDR": "currency:8080",
                     "EMAIL_ADDR": "http://email:8080", "PAYMENT_ADDR": "payment:8080",
                     "PRODUCT_CATALOG_ADDR": "product-catalog:8080", "SHIPPING_ADDR": "shipping:8080",
                     "KAFKA_ADDR": "kafka:9092", "FLAGD_HOST": "flagd", "FLAGD_PORT": "8013", "GOMEMLIMIT": "16MiB"},
        "cart": {"CART_PORT": "8080", "ASPNETCORE_URLS": "http://*:8080", "VALKEY_ADDR": "valkey-cart:6379",
                 "FLAGD_HOST": "flagd", "FLAGD_PORT": "8013"},
        "frontend": {"FRONTEND_PORT": "8080", "FRONTEND_ADDR": ":8080", "AD_ADDR": "ad:8080", "CART_ADDR": "cart:8080",
                     "CHECKOUT_ADDR": "checkout:8080", "CURRENCY_ADDR": "currency:8080",
                     "PRODUCT_CATALOG_ADDR": "product-catalog:8080", "RECOMMENDATION_ADDR": "recommendation:8080",
                     "SHIPPING_ADDR": "shipping:8080", "FLAGD_HOST": "flagd", "FLAGD_PORT": "8013"},
        "frontend-proxy": {"ENVOY_PORT": "8080", "FRONTEND_HOST": "frontend", "FRONTEND_PORT": "8080",
                           "IMAGE_PROVIDER_HOST": "image-provider", "IMAGE_PROVIDER_PORT": "8081",
                           "FLAGD_HOST": "flagd", "FLAGD_PORT": "8013"},
        "shipping": {"SHIPPING_PORT": "8080", "QUOTE_ADDR": "http://quote:8080"},
        "recommendation": {"RECOMMENDATION_PORT": "8080", "PRODUCT_CATALOG_ADDR": "product-catalog:8080",
                           "FLAGD_HOST": "flagd", "FLAGD_PORT": "8013"},
        "accounting": {"KAFKA_ADDR": "kafka:9092"},
        "fraud-detection": {"KAFKA_ADDR": "kafka:9092", "FLAGD_HOST": "flagd", "FLAGD_PORT": "8013"},
        "load-generator": {"LOCUST_WEB_PORT": "8089", "LOCUST_USERS": "10", "LOCUST_SPAWN_RATE": "1",
                           "LOCUST_HOST": "http://frontend-proxy:8080", "LOCUST_HEADLESS": "false",
                           "LOCUST_AUTOSTART": "true", "LOCUST_BROWSER_TRAFFIC_ENABLED": "true"},
        "kafka": {"KAFKA_HEAP_OPTS": "-Xmx400m -Xms400m", "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://kafka:9092"},
        "ad": {"AD_PORT": "8080", "FLAGD_HOST": "flagd", "FLAGD_PORT": "8013", "JAVA_TOOL_OPTIONS": "-javaagent:/usr/src/app/opentelemetry-javaagent.jar"},
        "product-catalog": {"PRODUCT_CATALOG_PORT": "8080", "FLAGD_HOST": "flagd", "FLAGD_PORT": "8013"},
        "payment": {"PAYMENT_PORT": "8080", "FLAGD_HOST": "flagd", "FLAGD_PORT": "8013"},
        "quote": {"QUOTE_PORT": "8080"},
        "email": {"EMAIL_PORT": "8080", "APP_ENV": "production"},
        "currency": {"CURRENCY_PORT": "8080", "VERSION": DEMO_VERSION},
        "image-provider": {"IMAGE_PROVIDER_PORT": "8081"},
        "flagd": {"FLAGD_METRICS_EXPORTER": "otel", "FLAGD_OTEL_COLLECTOR_URI": "otel-collector:4317"},
    }.get(service, {})
    return env + [{"name": k, "value": v} for k, v in extra.items()]


@dataclass
class PodInfo:
    """A pod of a service and when it could serve (``up`` intervals, ns)."""

    name: str
    service: str
    replicaset: str
    ip: str
    node: str
    up: list[tuple[int, int]] = field(default_factory=list)
    created: int = 0
    deleted: int | None = None
    restarts0: int = 0

    def exists(self, t: int) -> bool:
        return self.created <= t and (self.deleted is None or t < self.deleted)

    def serving(self, t: int) -> bool:
        return any(a <= t < b for a, b in self.up)


@dataclass
class Topology:
    """Which pods exist for which service over the window."""

    start: int
    end: int
    nodes: list[str]
    pods: dict[str, list[PodInfo]] = field(default_factory=dict)
    replicasets: dict[str, str] = field(default_factory=dict)  # deployment -> current RS name
    cluster_ips: dict[str, str] = field(default_factory=dict)

    def pod_at(self, service: str, t: int, rng: random.Random) -> PodInfo | None:
        """A pod serving ``service`` at ``t`` (None when none is up)."""
        live = [p for p in self.pods.get(service, ()) if p.serving(t)]
        if not live:
            return None
        return live[0] if len(live) == 1 else rng.choice(live)

    def any_pod(self, service: str, t: int) -> PodInfo | None:
        """The pod that existed at ``t`` (serving or not), for log attribution."""
        pods = self.pods.get(service, [])
        for p in pods:
            if any(a <= t < b for a, b in p.up):
                return p
        return pods[-1] if pods else None

    def all_pods(self) -> list[PodInfo]:
        return [p for ps in self.pods.values() for p in ps]


def _labels(service: str) -> dict[str, str]:
    return {"app.kubernetes.io/component": service, "app.kubernetes.io/name": service,
            "app.kubernetes.io/part-of": "opentelemetry-demo", "app.kubernetes.io/instance": "otel-demo",
            "opentelemetry.io/name": service}


def image_of(spec: ServiceSpec) -> str:
    return spec.image or f"ghcr.io/open-telemetry/demo:{DEMO_VERSION}-{spec.name}"


def container(spec: ServiceSpec, env: list[dict[str, str]] | None = None, image: str | None = None) -> dict[str, Any]:
    """The container of a service's pod template."""
    c: dict[str, Any] = {"name": spec.name, "image": image or image_of(spec), "imagePullPolicy": "IfNotPresent",
                         "env": env if env is not None else env_for(spec.name),
                         "resources": {"limits": {"memory": f"{spec.mem_limit_mb}Mi"},
                                       "requests": {"memory": f"{spec.mem_limit_mb}Mi"}},
                         "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}
    if spec.port:
        c["ports"] = [{"containerPort": spec.port, "name": "service" if spec.name != "kafka" else "plaintext", "protocol": "TCP"}]
    return c


def pod_status(spec: ServiceSpec, pod: PodInfo, started: int, image: str, restarts: int = 0,
               ready: bool = True, waiting: str | None = None, last_terminated: dict[str, Any] | None = None,
               phase: str = "Running") -> dict[str, Any]:
    """A pod's ``status`` block."""
    state: dict[str, Any]
    if waiting:
        state = {"waiting": {"reason": waiting, "message": _waiting_message(waiting, image)}}
    else:
        state = {"running": {"startedAt": rfc3339(started)}}
    cs = {"name": spec.name, "image": image, "imageID": "" if waiting else f"{image.split(':')[0]}@sha256:{digest(image)}",
          "ready": ready and not waiting, "restartCount": restarts, "started": not waiting, "state": state,
          "lastState": {"terminated": last_terminated} if last_terminated else {}}
    if not waiting:
        cs["containerID"] = f"containerd://{digest(pod.name + str(started))}"
    cond_ready = "True" if ready and not waiting else "False"
    return {"phase": phase, "hostIP": node_ip(pod.node),
            "podIP": pod.ip, "podIPs": [{"ip": pod.ip}], "qosClass": "Burstable", "startTime": rfc3339(started),
            "conditions": [{"type": "Initialized", "status": "True", "lastTransitionTime": rfc3339(started)},
                           {"type": "Ready", "status": cond_ready, "lastTransitionTime": rfc3339(started)},
                           {"type": "ContainersReady", "status": cond_ready, "lastTransitionTime": rfc3339(started)},
                           {"type": "PodScheduled", "status": "True", "lastTransitionTime": rfc3339(started)}],
            "containerStatuses": [cs]}


def digest(text: str) -> str:
    """A stable 64-hex-digit digest (image ids, container ids)."""
    return hashlib.sha256(text.encode()).hexdigest()


def node_ip(node: str) -> str:
    """``ip-10-0-3-17.<region>.compute.internal`` -> ``10.0.3.17``."""
    return node.split(".")[0][3:].replace("-", ".")


def _waiting_message(reason: str, image: str) -> str:
    if reason == "ImagePullBackOff":
        return f'Back-off pulling image "{image}"'
    if reason == "ErrImagePull":
        return f'failed to pull and unpack image "{image}": not found'
    if reason == "CrashLoopBackOff":
        return "back-off 1m20s restarting failed container"
    return ""


class Builder:
    """Adds demo workloads to a :class:`Cluster` and keeps the :class:`Topology` in step."""

    def __init__(self, cluster: Cluster, topo: Topology, rng: random.Random) -> None:
        self.cluster, self.topo, self.rng = cluster, topo, rng
        self._ip = rng.randint(2, 200)

    def next_ip(self) -> str:
        self._ip += self.rng.randint(1, 7)
        return f"10.244.{(self._ip // 250) % 4 + 1}.{self._ip % 250 + 2}"

    def add_pod(self, spec: ServiceSpec, rs: str, t: int, created: int, restarts: int = 0,
                last_terminated: dict[str, Any] | None = None, template: dict[str, Any] | None = None,
                up_from: int | None = None, waiting: str | None = None, ns: str = NAMESPACE) -> PodInfo:
        """A pod of ReplicaSet ``rs`` created at ``created``, recorded from ``t``."""
        name = pod_name(self.rng, rs)
        info = PodInfo(name, spec.name, rs, self.next_ip(), self.rng.choice(self.topo.nodes), created=created,
                       restarts0=restarts)
        if not waiting:
            info.up.append((up_from if up_from is not None else created, self.topo.end + 3600 * NS))
        self.topo.pods.setdefault(spec.name, []).append(info)
        rs_uid = self.cluster.get("ReplicaSet", ns, rs)["metadata"]["uid"] if self.cluster.has("ReplicaSet", ns, rs) else ""
        tmpl = template or {"spec": {"containers": [container(spec)]}}
        image = tmpl["spec"]["containers"][0]["image"]
        meta = {"generateName": rs + "-", "labels": {**_labels(spec.name), "pod-template-hash": rs.rsplit("-", 1)[1]},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": rs_uid,
                                     "controller": True, "blockOwnerDeletion": True}]}
        pspec = {"containers": tmpl["spec"]["containers"], "nodeName": info.node, "restartPolicy": "Always",
                 "serviceAccountName": "otel-demo", "schedulerName": "default-scheduler",
                 "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst"}
        status = pod_status(spec, info, created, image, restarts, waiting=waiting, last_terminated=last_terminated,
                            phase="Pending" if waiting else "Running")
        self.cluster.add("Pod", ns, name, t, meta, pspec, status, created=created)
        return info

    def add_workload(self, spec: ServiceSpec, t: int, created: int, replicas: int = 1, strategy: str = "RollingUpdate") -> str:
        """Deployment + current ReplicaSet (+ an old, scaled-down one) + pods + Service + Endpoints."""
        name = spec.name
        revision = self.rng.randint(1, 3)
        template = {"metadata": {"labels": _labels(name)}, "spec": {"containers": [container(spec)]}}
        if name == "flagd":  # the demo's flagd reads its flag file from the flagd-config ConfigMap
            template["spec"]["volumes"] = [{"name": "config-ro", "configMap": {"name": "flagd-config"}}]
            template["spec"]["containers"][0]["volumeMounts"] = [{"name": "config-ro", "mountPath": "/etc/flagd"}]
        strat: dict[str, Any] = {"type": strategy}
        if strategy == "RollingUpdate":
            strat["rollingUpdate"] = {"maxSurge": "25%", "maxUnavailable": "25%"}
        dep = self.cluster.add("Deployment", NAMESPACE, name, t,
                               {"labels": _labels(name), "annotations": {"deployment.kubernetes.io/revision": str(revision),
                                                                         "meta.helm.sh/release-name": "otel-demo",
                                                                         "meta.helm.sh/release-namespace": NAMESPACE}},
                               {"replicas": replicas, "revisionHistoryLimit": 10,
                                "selector": {"matchLabels": {"opentelemetry.io/name": name}},
                                "strategy": strat, "template": template},
                               {"observedGeneration": 1, "replicas": replicas, "readyReplicas": replicas,
                                "availableReplicas": replicas, "updatedReplicas": replicas,
                                "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                                               {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]},
                               created=created)
        dep["metadata"]["generation"] = revision
        dep["status"]["observedGeneration"] = revision
        if revision > 1:
            old = replicaset_name(self.rng, name)
            self.add_replicaset(spec, old, t, created, 0, revision - 1, template)
        rs = replicaset_name(self.rng, name)
        self.add_replicaset(spec, rs, t, created + self.rng.randint(0, 3600) * NS, replicas, revision, template)
        self.topo.replicasets[name] = rs
        pod_created = created + self.rng.randint(60, 7200) * NS
        for _ in range(replicas):
            self.add_pod(spec, rs, t, min(pod_created, t - 600 * NS), template=template)
        if spec.port:
            self.add_service(spec, t, created)
        return rs

    def add_replicaset(self, spec: ServiceSpec, rs: str, t: int, created: int, replicas: int, revision: int,
                       template: dict[str, Any]) -> None:
        dep_uid = self.cluster.get("Deployment", NAMESPACE, spec.name)["metadata"]["uid"]
        self.cluster.add("ReplicaSet", NAMESPACE, rs, t,
                         {"labels": {**_labels(spec.name), "pod-template-hash": rs.rsplit("-", 1)[1]},
                          "annotations": {"deployment.kubernetes.io/revision": str(revision),
                                          "deployment.kubernetes.io/desired-replicas": "1",
                                          "deployment.kubernetes.io/max-replicas": "2"},
                          "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name,
                                               "uid": dep_uid, "controller": True, "blockOwnerDeletion": True}]},
                         {"replicas": replicas, "selector": {"matchLabels": {"opentelemetry.io/name": spec.name,
                                                                             "pod-template-hash": rs.rsplit("-", 1)[1]}},
                          "template": template},
                         {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
                          "fullyLabeledReplicas": replicas, "observedGeneration": 1},
                         created=min(created, t))

    def add_service(self, spec: ServiceSpec, t: int, created: int) -> None:
        ip = f"10.96.{self.rng.randint(0, 255)}.{self.rng.randint(2, 254)}"
        self.topo.cluster_ips[spec.name] = ip
        port_name = "plaintext" if spec.name == "kafka" else ("tcp-service" if spec.name != "flagd" else "rpc")
        ports = [{"name": port_name, "port": spec.port, "protocol": "TCP", "targetPort": spec.port}]
        if spec.name == "flagd":
            ports.append({"name": "ofrep", "port": 8016, "protocol": "TCP", "targetPort": 8016})
        self.cluster.add("Service", NAMESPACE, spec.name, t,
                         {"labels": _labels(spec.name), "annotations": {"meta.helm.sh/release-name": "otel-demo"}},
                         {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip], "ports": ports,
                          "selector": {"opentelemetry.io/name": spec.name}, "sessionAffinity": "None"},
                         {"loadBalancer": {}}, created=created)
        self.cluster.add("Endpoints", NAMESPACE, spec.name, t, {"labels": _labels(spec.name)}, None, None,
                         {"subsets": self.endpoint_subsets(spec.name, t)}, created=created)

    def endpoint_subsets(self, service: str, t: int, port: int | None = None) -> list[dict[str, Any]]:
        spec = SERVICES[service]
        addrs = [{"ip": p.ip, "nodeName": p.node, "targetRef": {"kind": "Pod", "name": p.name, "namespace": NAMESPACE}}
                 for p in self.topo.pods.get(service, []) if p.serving(t)]
        if not addrs:
            return []
        return [{"addresses": addrs, "ports": [{"name": "tcp-service", "port": port or spec.port, "protocol": "TCP"}]}]


def _infra(b: Builder, t: int, created: int) -> None:
    """A few objects of the monitoring and infrastructure namespaces."""
    c, rng = b.cluster, b.rng
    items = [("kube-system", "coredns", "Deployment", 2), ("kube-system", "kube-proxy", "DaemonSet", 3),
             ("prometheus", "prometheus-server", "StatefulSet", 1), ("prometheus", "kube-state-metrics", "Deployment", 1),
             ("prometheus", "alertmanager", "StatefulSet", 1),
             ("opentelemetry-collectors", "opentelemetry-collector-agent", "DaemonSet", 3),
             ("opentelemetry-collectors", "opentelemetry-collector-gateway", "Deployment", 1),
             ("clickhouse", "clickhouse", "StatefulSet", 1),
             ("chaos-mesh", "chaos-controller-manager", "Deployment", 1), ("chaos-mesh", "chaos-daemon", "DaemonSet", 3),
             ("chaos-mesh", "chaos-dashboard", "Deployment", 1)]
    for ns, name, kind, n in items:
        labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": ns}
        c.add(kind, ns, name, t, {"labels": labels},
              {"selector": {"matchLabels": labels}, **({"replicas": n} if kind != "DaemonSet" else {})},
              {"replicas": n, "readyReplicas": n} if kind != "DaemonSet" else {"desiredNumberScheduled": n, "numberReady": n},
              created=created)
        for i in range(n):
            if kind == "StatefulSet":
                pname = f"{name}-{i}"
            elif kind == "DaemonSet":
                pname = f"{name}-{k8s_suffix(rng, 5)}"
            else:
                pname = f"{name}-{k8s_suffix(rng, 10)}-{k8s_suffix(rng, 5)}"
            c.add("Pod", ns, pname, t, {"labels": labels, "ownerReferences": [{"apiVersion": "apps/v1", "kind": kind, "name": name, "controller": True}]},
                  {"containers": [{"name": name.split("-")[0], "image": f"registry.k8s.io/{name}:stable"}],
                   "nodeName": b.topo.nodes[i % len(b.topo.nodes)]},
                  {"phase": "Running", "podIP": b.next_ip(), "startTime": rfc3339(created),
                   "containerStatuses": [{"name": name.split("-")[0], "ready": True, "restartCount": 0,
                                          "state": {"running": {"startedAt": rfc3339(created)}}}]}, created=created)
    c.add("ConfigMap", "opentelemetry-collectors", "opentelemetry-collector-gateway", t, {"labels": {"app.kubernetes.io/name": "opentelemetry-collector"}},
          None, None, {"data": {"relay": "exporters:\n  clickhouse:\n    endpoint: tcp://clickhouse.clickhouse:9000\n    ttl: 72h\nprocessors:\n  batch:\n    timeout: 5s\n"}}, created=created)
    c.add("ConfigMap", "prometheus", "prometheus-server", t, {"labels": {"app.kubernetes.io/name": "prometheus"}},
          None, None, {"data": {"prometheus.yml": "global:\n  scrape_interval: 30s\n  evaluation_interval: 30s\nrule_files:\n- /etc/config/alerting_rules.yml\n"}}, created=created)


def build_cluster(rng: random.Random, start: int, end: int, flagd_json: str | None = None,
                  recreate: frozenset[str] = frozenset()) -> tuple[Cluster, Topology, Builder]:
    """The healthy cluster as the first dump would see it."""
    cluster = Cluster(rng)
    region = rng.choice(("us-east-2", "us-west-2", "eu-west-1"))
    nodes = [f"ip-10-0-{rng.randint(1, 250)}-{rng.randint(1, 250)}.{region}.compute.internal" for _ in range(3)]
    topo = Topology(start, end, nodes)
    b = Builder(cluster, topo, rng)
    created = start - rng.randint(2, 9) * 86400 * NS
    t0 = start - 3600 * NS
    for ns in ("default", "kube-system", "otel-demo", "prometheus", "opentelemetry-collectors", "clickhouse", "chaos-mesh"):
        cluster.add("Namespace", "", ns, t0, {"labels": {"kubernetes.io/metadata.name": ns}},
                    {"finalizers": ["kubernetes"]}, {"phase": "Active"}, created=created - 86400 * NS)
    for n in nodes:
        cluster.add("Node", "", n, t0, {"labels": {"kubernetes.io/hostname": n, "node.kubernetes.io/instance-type": "m5.xlarge",
                                                   "topology.kubernetes.io/region": region}},
                    {"providerID": f"aws:///{region}a/i-0{rng.getrandbits(60):015x}"},
                    {"capacity": {"cpu": "4", "memory": "16093420Ki", "pods": "58"},
                     "allocatable": {"cpu": "3920m", "memory": "15076588Ki", "pods": "58"},
                     "conditions": [{"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory"},
                                    {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure"},
                                    {"type": "Ready", "status": "True", "reason": "KubeletReady"}]},
                    created=created - 86400 * NS)
    for spec in SERVICES.values():
        b.add_workload(spec, t0, created, strategy="Recreate" if spec.name in recreate else "RollingUpdate")
    cluster.add("ConfigMap", NAMESPACE, "flagd-config", t0, {"labels": {"app.kubernetes.io/part-of": "opentelemetry-demo"},
                                                              "annotations": {"meta.helm.sh/release-name": "otel-demo"}},
                None, None, {"data": {"demo.flagd.json": flagd_json or DEFAULT_FLAGD_JSON}}, created=created)
    cluster.add("ConfigMap", NAMESPACE, "kube-root-ca.crt", t0, {}, None, None,
                {"data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIC/jCCAeagAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\n-----END CERTIFICATE-----\n"}},
                created=created)
    cluster.add("ConfigMap", NAMESPACE, "otel-demo-grafana-dashboards", t0, {"labels": {"grafana_dashboard": "1"}}, None, None,
                {"data": {"demo-dashboard.json": '{"title": "Demo Dashboard", "refresh": "30s", "panels": []}'}}, created=created)
    for dep in ("frontend", "image-provider", "fraud-detection"):
        cluster.add("HorizontalPodAutoscaler", NAMESPACE, dep, t0, {"labels": _labels(dep)},
                    {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": dep},
                     "minReplicas": 1, "maxReplicas": 3,
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]},
                    {"currentReplicas": 1, "desiredReplicas": 1,
                     "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": rng.randint(8, 30)}}}]},
                    created=created)
    cluster.add("NetworkPolicy", NAMESPACE, "allow-otel-collector-egress", t0, {"labels": {"app.kubernetes.io/part-of": "opentelemetry-demo"}},
                {"podSelector": {}, "policyTypes": ["Egress"],
                 "egress": [{"to": [{"namespaceSelector": {}}]}]}, None, created=created)
    _infra(b, t0, created)
    return cluster, topo, b
