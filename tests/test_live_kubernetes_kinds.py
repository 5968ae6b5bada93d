"""Every kind an analyzer judges, read live: one test per kind added to the Kubernetes backend
(PVCs, Ingresses, Jobs, CronJobs, PDBs, ResourceQuotas, LimitRanges, Chaos Mesh experiments)
through the real ``kubernetes`` client against kmock's API emulator, each ending in the finding
its analyzer gives; a cluster without the Chaos Mesh CRDs is a recorded absence, not a problem;
and the requests the server saw are exactly what the RBAC rules in deploy/ allow."""

from __future__ import annotations

import re

import pytest

from live_servers import KMOCK_RESOURCES, KubeMockServer, write_kubeconfig
from sre_agent.analyzers import analyze_all
from sre_agent.backends._kube_kinds import CHAOS_KINDS, KINDS, rbac_rules
from sre_agent.backends._retry import RetryPolicy
from sre_agent.backends.kubernetes import KubernetesBackend

pytestmark = pytest.mark.live
kmock = pytest.importorskip("kmock")

NS = "shop"
#: served CRDs: PodChaos and Schedule; every other Chaos Mesh kind is not installed
SERVED_CHAOS = ("PodChaos", "Schedule")


def _meta(name: str, **extra) -> dict:
    return {"name": name, "namespace": NS, "creationTimestamp": "2025-01-01T00:00:00Z", **extra}


#: kind -> (object, the finding its analyzer gives once the object is read live)
ADDED = {
    "PersistentVolumeClaim": ({"metadata": _meta("data-redis"), "spec": {"storageClassName": "fast"},
                               "status": {"phase": "Pending"}}, "pvc_pending"),
    "Ingress": ({"metadata": _meta("storefront"), "spec": {"rules": [{"http": {"paths": [
                 {"path": "/", "pathType": "Prefix",
                  "backend": {"service": {"name": "no-such-service", "port": {"number": 80}}}}]}}]}},
                "backend_missing"),
    "Job": ({"metadata": _meta("migrate"), "spec": {"template": {"spec": {"containers": [{"name": "m"}]}}},
             "status": {"failed": 6, "conditions": [{"type": "Failed", "status": "True",
                                                     "reason": "BackoffLimitExceeded",
                                                     "message": "Job has reached the specified backoff limit"}]}},
            "job_failed"),
    "CronJob": ({"metadata": _meta("nightly"), "spec": {"schedule": "0 3 * * *", "suspend": True}},
                "cronjob_suspended"),
    "PodDisruptionBudget": ({"metadata": _meta("cart-pdb"),
                             "spec": {"selector": {"matchLabels": {"app": "cart-old"}}, "minAvailable": 1},
                             "status": {"expectedPods": 0, "currentHealthy": 0, "desiredHealthy": 1,
                                        "disruptionsAllowed": 0}}, "pdb_no_pods"),
    "ResourceQuota": ({"metadata": _meta("compute"), "spec": {"hard": {"pods": "4"}},
                       "status": {"hard": {"pods": "4"}, "used": {"pods": "4"}}}, "quota_exhausted"),
    "LimitRange": ({"metadata": _meta("limits"),
                    "spec": {"limits": [{"type": "Container", "max": {"cpu": "500m"}}]}}, "limit_range_rejects"),
    "PodChaos": ({"metadata": _meta("kill-cart"),
                  "spec": {"action": "pod-kill", "mode": "one",
                           "selector": {"namespaces": [NS], "labelSelectors": {"app": "cart"}}},
                  "status": {"experiment": {"desiredPhase": "Run",
                                            "containerRecords": [{"id": f"{NS}/cart-1", "phase": "Injected"}]}}},
                 "chaos_active"),
    "Schedule": ({"metadata": _meta("delay-checkout"),
                  "spec": {"schedule": "@every 10m", "type": "NetworkChaos",
                           "networkChaos": {"action": "delay", "selector": {"namespaces": [NS],
                                                                           "labelSelectors": {"app": "cart"}}}}},
                 None),
}


def setup(k) -> None:
    for kind, resource in KMOCK_RESOURCES.items():
        if (kind not in CHAOS_KINDS or kind in SERVED_CHAOS) and kind != "Namespace":
            k.resources[resource] = {}
    # (kmock's emulator cannot list Namespaces: it answers 500 before any reaction; see the RBAC test)
    for resource in ("v1/events", "events.k8s.io/v1/events"):
        k.resources[resource] = {}
    for kind, (body, _) in ADDED.items():
        k.objects[KMOCK_RESOURCES[kind], NS, body["metadata"]["name"]] = body
    k.objects["v1/pods", NS, "cart-1"] = {"metadata": _meta("cart-1", labels={"app": "cart"}),
                                          "spec": {"containers": [{"name": "cart"}]}, "status": {"phase": "Running"}}
    k.objects["apps/v1/replicasets", NS, "api-5d"] = {"metadata": _meta("api-5d"), "spec": {"replicas": 1}}
    k.objects["v1/events", NS, "api-5d.1"] = {
        "metadata": _meta("api-5d.1", uid="e1"), "type": "Warning", "reason": "FailedCreate",
        "message": 'Error creating: pods "api-5d-x" is forbidden: maximum cpu usage per Container is 500m, but limit is 2',
        "involvedObject": {"kind": "ReplicaSet", "name": "api-5d", "namespace": NS},
        "firstTimestamp": "2025-01-01T00:01:00Z", "lastTimestamp": "2025-01-01T00:02:00Z", "count": 3}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with KubeMockServer(setup) as server:
        kubeconfig = write_kubeconfig(tmp_path_factory.mktemp("kube") / "config", server.url)
        backend = KubernetesBackend.from_kubeconfig(str(kubeconfig), namespaces=[NS])
        yield server, backend
        backend.close()


@pytest.mark.parametrize("kind", sorted(ADDED))
def test_an_added_kind_is_read_live_and_its_analyzer_fires(cluster, kind):
    _, kube = cluster
    body, reason = ADDED[kind]
    objects = kube.list_objects(kind, NS)
    assert [(o.kind, o.namespace, o.name) for o in objects] == [(kind, NS, body["metadata"]["name"])]
    assert objects[0].body["spec"] == body["spec"] and objects[0].body["kind"] == kind
    assert objects[0].body["apiVersion"].startswith(("v1", "batch/", "networking.k8s.io/", "policy/", "chaos-mesh.org/"))
    assert kube.object_history(kind, NS, body["metadata"]["name"])[0].body == objects[0].body
    if reason is not None:
        findings = analyze_all(kube.list_objects(namespace=NS), kube.events(NS))
        assert (objects[0].ref.id, reason) in {(f.object, f.reason) for f in findings}
    assert kube.problems() == []


def test_a_chaos_mesh_crd_that_is_not_installed_is_a_recorded_absence(cluster):
    _, kube = cluster
    everything = kube.list_objects(namespace=NS)
    assert {"PodChaos", "Schedule"} <= {o.kind for o in everything}
    assert kube.list_objects("NetworkChaos") == []
    assert set(kube.absent) == set(CHAOS_KINDS) - set(SERVED_CHAOS)
    assert "not served (CRD not installed)" in kube.absent["NetworkChaos"]
    assert kube.problems() == []  # an absence, not an error: the run is not marked partial for it


def _granted(path: str, method: str) -> tuple[str, str, str]:
    """(apiGroup, resource, verb) of one request the API server saw."""
    m = re.match(r"^/(?:api/v1|apis/([^/]+)/[^/]+)(?:/namespaces/[^/]+)?/([^/]+)(?:/([^/]+)/([^/]+))?$", path)
    assert m, path
    group, resource, name, sub = m.group(1) or "", m.group(2), m.group(3), m.group(4)
    if name is None:
        return group, resource, "list" if method == "GET" else method
    return group, f"{resource}/{sub}", "get"


def test_the_rbac_rules_allow_exactly_what_a_triage_reads(cluster, tmp_path):
    """Every request of every tool path is allowed by rbac_rules(), and every rule was used."""
    server, _ = cluster
    kube = KubernetesBackend.from_kubeconfig(str(write_kubeconfig(tmp_path / "config", server.url)),
                                             policy=RetryPolicy(attempts=1))
    before = len(server.requests)
    kube.list_objects()  # cluster-wide: every kind, Namespaces and Nodes included
    kube.events()
    kube.logs(service="cart", since=0)
    kube.check()
    used = {_granted(p, m) for m, p in server.requests[before:]}
    # the one list kmock cannot serve (HTTP 500 before its request log): Namespaces, read by the same code path
    assert [p.problem.split(":")[0] for p in kube.problems()] == ["list namespaces"]
    used.add(("", "namespaces", "list"))
    allowed = {(r["apiGroups"][0], res, r["verbs"][0]) for r in rbac_rules() for res in r["resources"]}
    assert used <= allowed, used - allowed
    assert allowed == used, allowed - used  # nothing granted that no read needs
    kube.close()
    assert len(KINDS) == len({(g, res) for g, res, verb in allowed if verb == "list"}) - 2  # + both Event APIs


def test_a_namespaced_backend_reads_no_cluster_scoped_kind(cluster, tmp_path):
    server, _ = cluster
    kube = KubernetesBackend.from_kubeconfig(str(write_kubeconfig(tmp_path / "config", server.url)),
                                             namespaces=[NS], cluster_reads=False)
    before = len(server.requests)
    kube.list_objects()
    kube.close()
    paths = [p for _, p in server.requests[before:]]
    assert paths and all(f"/namespaces/{NS}/" in p for p in paths), paths
    allowed = {(r["apiGroups"][0], res) for r in rbac_rules(namespaced_only=True) for res in r["resources"]}
    assert {_granted(p, "GET")[:2] for p in paths} <= allowed
