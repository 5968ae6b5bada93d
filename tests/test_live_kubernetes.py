"""KubernetesBackend through the real ``kubernetes`` client against kmock's API emulator."""

from __future__ import annotations

import inspect
import re

import pytest

from sre_agent.backends._retry import RetryPolicy
from sre_agent.backends.kubernetes import KINDS, READ_METHODS, KubernetesBackend, ReadOnlyKubeClient, ReadOnlyViolation
from live_servers import KMOCK_RESOURCES, KubeMockServer, write_kubeconfig
from sre_agent.backends._kube_kinds import CHAOS_KINDS

pytestmark = pytest.mark.live
kmock = pytest.importorskip("kmock")

NS = "otel-demo"
POD = "cart-7d9c5b6f4-abcde"
LOG = (b"2024-01-01T00:00:01.123456789Z ERROR failed to reach redis: connection refused\n"
       b"2024-01-01T00:00:02Z info served GET /cart\n")
TOKEN = "kube-token-5ee2d1c0ffee"


def _meta(name, **extra):
    return {"name": name, "namespace": NS, **extra}


def setup(k):
    # every built-in kind the backend reads (the Chaos Mesh CRDs are not installed here: an absence)
    for kind, res in KMOCK_RESOURCES.items():
        if kind not in CHAOS_KINDS:
            k.resources[res] = {}
    for res in ("v1/events", "events.k8s.io/v1/events"):
        k.resources[res] = {}
    k.objects["v1/pods", NS, POD] = {
        "metadata": _meta(POD, labels={"app.kubernetes.io/name": "cart"}, resourceVersion="42",
                          ownerReferences=[{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "cart-7d9c5b6f4",
                                            "controller": True}]),
        "spec": {"containers": [{"name": "cart", "image": "ghcr.io/open-telemetry/demo:cart"}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "cart", "restartCount": 3, "ready": False}]},
    }
    k.objects["apps/v1/replicasets", NS, "cart-7d9c5b6f4"] = {
        "metadata": _meta("cart-7d9c5b6f4", ownerReferences=[{"apiVersion": "apps/v1", "kind": "Deployment",
                                                             "name": "cart", "controller": True}]),
        "spec": {"replicas": 1}}
    k.objects["apps/v1/deployments", NS, "cart"] = {"metadata": _meta("cart"), "spec": {"replicas": 1},
                                                    "status": {"availableReplicas": 0}}
    k.objects["v1/configmaps", NS, "flagd-config"] = {"metadata": _meta("flagd-config"),
                                                      "data": {"demo.flagd.json": '{"flags": {}}'}}
    k.objects["networking.k8s.io/v1/networkpolicies", NS, "deny-all"] = {
        "metadata": _meta("deny-all"), "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}
    k.objects["v1/events", NS, "cart.1"] = {
        "metadata": _meta("cart.1", uid="uid-1"), "type": "Warning", "reason": "BackOff",
        "message": "Back-off restarting failed container cart",
        "involvedObject": {"kind": "Pod", "name": POD, "namespace": NS},
        "firstTimestamp": "2024-01-01T00:00:00Z", "lastTimestamp": "2024-01-01T00:05:00Z", "count": 7,
        "source": {"component": "kubelet"}}
    # events.k8s.io/v1 with a null eventTime: the typed client model would reject it
    k.objects["events.k8s.io/v1/events", NS, "cart.2"] = {
        "metadata": _meta("cart.2", uid="uid-2"), "type": "Normal", "reason": "ScalingReplicaSet",
        "note": "Scaled down replica set cart-7d9c5b6f4 to 0", "eventTime": None,
        "regarding": {"kind": "Deployment", "name": "cart", "namespace": NS},
        "deprecatedLastTimestamp": "2024-01-01T00:03:00Z", "reportingController": "deployment-controller"}
    # the same event seen through both APIs (same uid) must be reported once
    k.objects["events.k8s.io/v1/events", NS, "cart.1"] = {
        "metadata": _meta("cart.1", uid="uid-1"), "type": "Warning", "reason": "BackOff", "note": "dup",
        "regarding": {"kind": "Pod", "name": POD, "namespace": NS}, "eventTime": "2024-01-01T00:05:00.000000Z"}
    k[f"get /api/v1/namespaces/{NS}/pods/{POD}/log"] << LOG


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with KubeMockServer(setup) as server:
        kubeconfig = write_kubeconfig(tmp_path_factory.mktemp("kube") / "config", server.url, token=TOKEN)
        backend = KubernetesBackend.from_kubeconfig(str(kubeconfig), namespaces=[NS])
        yield server, backend
        backend.close()


def test_objects_are_the_api_json(cluster):
    _, kube = cluster
    pods = kube.list_objects("Pod")
    assert [(p.kind, p.namespace, p.name, p.resource) for p in pods] == [("Pod", NS, POD, "pods")]
    body = pods[0].body
    assert body["kind"] == "Pod" and body["apiVersion"] == "v1"
    assert body["status"]["containerStatuses"][0]["restartCount"] == 3
    assert pods[0].resource_version == "42" and pods[0].labels == {"app.kubernetes.io/name": "cart"}
    deps = kube.list_objects("deployments", NS)
    assert [d.name for d in deps] == ["cart"] and deps[0].body["apiVersion"] == "apps/v1"
    assert [c.name for c in kube.list_objects("ConfigMap")] == ["flagd-config"]
    assert [n.name for n in kube.list_objects("NetworkPolicy")] == ["deny-all"]
    kinds = {o.kind for o in kube.list_objects(namespace=NS)}
    assert {"Pod", "Deployment", "ReplicaSet", "ConfigMap", "NetworkPolicy"} <= kinds
    assert kube.list_objects("Nonsense") == []
    assert kube.problems() == []


def test_history_and_owner_chain(cluster):
    _, kube = cluster
    hist = kube.object_history("Deployment", NS, "cart")
    assert len(hist) == 1 and hist[0].body["spec"]["replicas"] == 1
    assert kube.object_history("Deployment", NS, "missing") == []
    chain = kube.owner_chain("Pod", NS, POD)
    assert [(o.kind, o.name) for o in chain] == [("Pod", POD), ("ReplicaSet", "cart-7d9c5b6f4"), ("Deployment", "cart")]
    assert kube.problems() == []  # a 404 on a read is an answer, not a problem


def test_events_both_apis_normalised(cluster):
    _, kube = cluster
    events = kube.events(NS)
    assert [(e.reason, e.involved_kind, e.involved_name) for e in events] == [
        ("ScalingReplicaSet", "Deployment", "cart"), ("BackOff", "Pod", POD)]
    backoff = events[1]
    assert backoff.count == 7 and backoff.type == "Warning" and backoff.source == "kubelet"
    assert backoff.first_time < backoff.time
    assert events[0].message.startswith("Scaled down") and events[0].source == "deployment-controller"


def test_pod_logs(cluster):
    _, kube = cluster
    logs = kube.logs(service="cart", since=0)
    assert [(r.pod, r.service, r.severity_text) for r in logs] == [(POD, "cart", "ERROR"), (POD, "cart", "INFO")]
    assert logs[0].body.startswith("ERROR failed to reach redis") and logs[0].is_error
    assert logs[0].time == pytest.approx(1704067201.123457)
    assert kube.logs(pod=POD, since=1704067201.5, until=1704067300)[0].body == "info served GET /cart"
    assert kube.logs(service="nope") == []


def test_read_only_client_exposes_no_mutation(cluster):
    server, kube = cluster
    client = kube._client
    assert isinstance(client, ReadOnlyKubeClient)
    verb = re.compile(r"^(list|read)_")
    for group in READ_METHODS:
        api = getattr(client, group)
        assert dir(api) and all(verb.match(n) for n in dir(api)), group
        for forbidden in ("create_namespaced_pod", "patch_namespaced_deployment", "replace_namespaced_config_map",
                          "delete_namespaced_pod", "delete_collection_namespaced_pod", "connect_get_namespaced_pod_exec",
                          "connect_post_namespaced_pod_attach", "create_namespaced_pod_eviction", "api_client",
                          "_invoke", "__dict__"):
            if forbidden == "__dict__":
                assert not hasattr(api, "__dict__")
                continue
            with pytest.raises(ReadOnlyViolation):
                getattr(api, forbidden)
        with pytest.raises(ReadOnlyViolation):
            api.list_namespaced_pod = lambda *a: None
    for forbidden in ("api_client", "_apis", "CoreV1Api", "create_namespaced_pod", "rest_client"):
        with pytest.raises(ReadOnlyViolation):
            getattr(client, forbidden)
    # no attribute of the wrapper (or of its groups) holds a Kubernetes API object
    from kubernetes import client as k8s
    holders = [client] + [getattr(client, g) for g in READ_METHODS]
    for obj in holders:
        for slot in type(obj).__slots__:
            value = object.__getattribute__(obj, slot)
            assert not isinstance(value, (k8s.ApiClient, k8s.CoreV1Api, k8s.AppsV1Api)), slot
    # every method the backend's tool-facing API calls is a whitelisted read
    src = inspect.getsource(KubernetesBackend)
    called = set(re.findall(r'"((?:list|read|create|patch|replace|delete|connect)_[a-z_]+)"', src))
    for kind, spec in KINDS.items():
        called |= {m for m in spec[2:5] if m}
    whitelisted = set().union(*(names for _, names in READ_METHODS.values()))
    assert called and called <= whitelisted


def test_http_layer_refuses_anything_but_get(cluster):
    from sre_agent.backends.kubernetes import _get_only_api_client
    from kubernetes.client import Configuration
    server, _ = cluster
    cfg = Configuration()
    cfg.host = server.url
    api = _get_only_api_client(cfg)
    before = len(server.requests)
    with pytest.raises(ReadOnlyViolation):
        api.call_api("DELETE", f"{server.url}/api/v1/namespaces/{NS}/pods/{POD}")
    with pytest.raises(ReadOnlyViolation):
        api.call_api("GET", f"{server.url}/api/v1/namespaces/{NS}/pods/{POD}/exec?command=sh")
    assert len(server.requests) == before  # nothing reached the server


def test_every_request_the_server_saw_was_a_get_with_the_token(cluster):
    server, kube = cluster
    # exercise every tool path once more (the backend reads each list once: forget them first)
    kube.refresh()
    kube.list_objects(namespace=NS)
    kube.events()
    kube.logs()
    kube.owner_chain("Pod", NS, POD)
    kube.check()
    seen = server.requests
    assert len(seen) > 20 and any(p.endswith("/log") for _, p in seen)
    assert {m for m, _ in seen} == {"GET"}
    assert not any(re.search(r"/(exec|attach|portforward|proxy)\b", p) for _, p in seen)
    auth = {r.headers.get("Authorization") for r in list(server.handler)}
    assert auth == {f"Bearer {TOKEN}"}
    assert all(TOKEN not in p.problem for p in kube.problems())


def test_each_list_is_read_once_and_no_object_is_read_by_name(cluster, tmp_path):
    """What a triage asks (every object's history, owner chains, events, logs, again and again) is
    answered from one list per kind and one read per pod log; refresh() reads them again."""
    server, _ = cluster
    # one attempt, a long timeout: a retry on a loaded machine would read a path twice for another reason
    kube = KubernetesBackend.from_kubeconfig(str(write_kubeconfig(tmp_path / "config", server.url, token=TOKEN)),
                                             namespaces=[NS], policy=RetryPolicy(timeout=60, attempts=1))
    before = len(server.requests)
    for _ in range(3):
        objects = kube.list_objects()
        for o in objects:
            assert kube.object_history(o.kind, o.namespace, o.name)[-1].body == o.body
        assert [o.name for o in kube.owner_chain("Pod", NS, POD)] == [POD, "cart-7d9c5b6f4", "cart"]
        assert kube.object_history("Deployment", NS, "missing") == []
        assert len(kube.events(NS)) == 2 and len(kube.logs(service="cart", since=0)) == 2
    paths = [p for _, p in server.requests[before:]]
    assert len(paths) == len(set(paths)), sorted(paths)  # nothing read twice
    plurals = {spec[0] for spec in KINDS.values()} | {"events", "log"}
    assert all(p.rsplit("/", 1)[-1] in plurals for p in paths), paths  # lists and logs, never one object
    assert sum(p.endswith("/log") for p in paths) == 1
    kube.refresh()
    kube.list_objects("Pod")
    assert len(server.requests) == before + len(paths) + 1
    kube.close()
