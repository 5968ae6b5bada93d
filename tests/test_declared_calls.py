"""Calls an untraced workload declares in its environment (sre_agent.analysis.declared): a load
source that emits no spans is still a caller of the Service its configuration names."""

from __future__ import annotations

from sre_agent.analysis.declared import declared_callees, named_services
from sre_agent.models import K8sObject


def _deployment(name: str, env: dict[str, str], ns: str = "shop") -> K8sObject:
    containers = [{"name": name, "env": [{"name": k, "value": v} for k, v in env.items()]}]
    return K8sObject(0.0, "Deployment", ns, name, {"spec": {"template": {"spec": {"containers": containers}}}})


def _service(name: str, ns: str = "shop") -> K8sObject:
    return K8sObject(0.0, "Service", ns, name, {"spec": {"selector": {"app": name}}})


def test_hosts_in_urls_host_port_and_bare_values_name_services():
    services = {"edge", "db", "cache", "ten"}
    env = {"TARGET_URL": "http://edge:8080/path", "DB": "db:5432", "CACHE_HOST": "cache",
           "USERS": "ten", "FQDN": "edge.shop.svc.cluster.local:80"}
    # "ten" is a bare value equal to a Service name: still a host; substrings never count
    assert named_services(env, services) == {"edge", "db", "cache", "ten"}
    assert named_services({"NOTE": "the edge is slow", "X": "edgecase:1"}, services) == set()


def test_telemetry_export_and_foreign_domains_are_not_calls():
    services = {"collector", "edge"}
    assert named_services({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, services) == set()
    assert named_services({"UPSTREAM": "https://edge.example.com"}, services) == set()


def test_declared_callees_stay_in_the_namespace_and_skip_the_workload_itself():
    objs = [_service("edge"), _service("loadgen"), _service("edge", ns="other"),
            _deployment("loadgen", {"HOST": "http://edge:8080", "SELF": "loadgen:8089"}),
            _deployment("worker", {"HOST": "edge:8080"}, ns="other"),
            _deployment("quiet", {"USERS": "10"})]
    assert declared_callees(objs) == {"loadgen": {"edge"}, "worker": {"edge"}}
