"""LiveBackend composed from a config: real Prometheus, kmock Kubernetes, a Jaeger stub, and one
source down (Alertmanager on a closed port) -> the others answer, problems() names what was missing."""

from __future__ import annotations

import os
import time

import pytest

from sre_agent.backends.base import ObservabilityBackend
from sre_agent.backends.live import LiveBackend
from sre_agent.backends.live_config import LiveConfig
from live_servers import (PROMETHEUS, PROMTOOL, KubeMockServer, PrometheusServer, StubHTTPServer,
                                             binaries_present, free_port, write_kubeconfig)
from sre_agent.models import MetricSeries

pytestmark = pytest.mark.live
pytest.importorskip("kmock")
if not binaries_present(PROMETHEUS, PROMTOOL) and not os.environ.get("SRE_AGENT_REQUIRE_LIVE"):
    pytest.skip("prometheus/promtool not installed (run .ci/install-servers.sh)", allow_module_level=True)

T0 = float(int(time.time()) - 5 * 3600)
SERIES = [MetricSeries("up", (("pod", "cart-1"), ("service_name", "cart")), tuple((T0 + 15 * i, 1.0) for i in range(8)))]


def setup(k):
    k.resources["v1/pods"] = {}
    k.resources["v1/events"] = {}
    k.resources["events.k8s.io/v1/events"] = {}
    k.objects["v1/pods", "otel-demo", "cart-1"] = {"metadata": {"name": "cart-1", "namespace": "otel-demo"}}


def test_live_backend_with_one_source_down(tmp_path):
    jaeger_routes = {"/api/services": (200, {"data": []})}
    with PrometheusServer(SERIES, tmp_path / "prom") as prom, KubeMockServer(setup) as kube, \
            StubHTTPServer(jaeger_routes) as jaeger:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", kube.url)
        cfg = LiveConfig.model_validate({
            "kubernetes": {"kubeconfig": str(kubeconfig), "namespaces": ["otel-demo"]},
            "prometheus": {"url": prom.url},
            "jaeger": {"url": jaeger.url},
            "alertmanager": {"url": f"http://127.0.0.1:{free_port()}"},
            "timeouts": {"timeout_s": 1, "attempts": 2, "backoff_initial_s": 0.01, "backoff_max_s": 0.02, "jitter_s": 0},
        })
        backend = LiveBackend.from_config(cfg)
        assert isinstance(backend, ObservabilityBackend)
        assert backend.metric_series("up", {"pod_name": "cart-1"}, since=T0 - 1, until=T0 + 600) == SERIES
        assert [o.name for o in backend.list_objects("Pod")] == ["cart-1"]
        assert backend.spans() == []
        assert backend.alerts() == []  # alertmanager is down
        start, end = backend.window()
        assert end - start == pytest.approx(cfg.lookback_s) and abs(backend.now() - time.time()) < 5
        problems = backend.problems()
        assert [p.source for p in problems] == ["alertmanager"]
        assert "unavailable" in problems[0].problem and "\n" not in problems[0].problem
        status = backend.check()
        assert status["prometheus"] == status["kubernetes"] == status["jaeger"] == "ok"
        assert status["alertmanager"].startswith("alertmanager ")
        backend.close()


def test_unconfigured_and_unloadable_sources_are_reported(tmp_path):
    cfg = LiveConfig.model_validate({"kubernetes": {"kubeconfig": str(tmp_path / "missing-kubeconfig")}})
    backend = LiveBackend.from_config(cfg)
    assert backend.list_objects() == [] and backend.metric_names() == [] and backend.spans() == []
    by_source = {p.source: p.problem for p in backend.problems()}
    assert set(by_source) == {"kubernetes", "prometheus", "jaeger"}
    assert "kubeconfig" in by_source["kubernetes"]
    assert "not configured" in by_source["prometheus"]


def test_prefetch_and_the_triage_share_one_read_of_each_source(tmp_path):
    """prefetch() reads spans, object lists and events in the background; the same calls made
    meanwhile wait for those reads: each list, search and events read reaches its server once."""
    trace = {"traceID": "t1", "processes": {"p1": {"serviceName": "cart", "tags": []}},
             "spans": [{"traceID": "t1", "spanID": "s1", "operationName": "GetCart", "references": [],
                        "startTime": int(T0 * 1e6), "duration": 1000, "processID": "p1", "tags": []}]}
    routes = {"/api/services": (200, {"data": ["cart", "checkout"]}),
              "/api/traces": lambda req: (200, {"data": [trace]})}
    with KubeMockServer(setup) as kube, StubHTTPServer(routes) as jaeger:
        cfg = LiveConfig.model_validate({
            "kubernetes": {"kubeconfig": str(write_kubeconfig(tmp_path / "kubeconfig", kube.url)),
                           "namespaces": ["otel-demo"]},
            "jaeger": {"url": jaeger.url}})
        backend = LiveBackend.from_config(cfg, clock=lambda: T0 + 60)
        before = len(kube.requests)
        backend.prefetch()
        backend.prefetch()  # idempotent
        for _ in range(2):
            assert [(s.trace_id, s.span_id) for s in backend.spans()] == [("t1", "s1")]
            assert [o.name for o in backend.list_objects("Pod")] == ["cart-1"] and backend.events() == []
        backend.close()
        searches = sorted(r.query["service"][0] for r in jaeger.seen if r.path == "/api/traces")
        assert searches == ["cart", "checkout"] and sum(r.path == "/api/services" for r in jaeger.seen) == 1
        paths = [p for _, p in kube.requests[before:]]
        assert len(paths) == len(set(paths)) and "/api/v1/namespaces/otel-demo/pods" in paths, paths
        assert not [p for p in backend.problems() if p.source == "jaeger" or "pods" in p.problem]


def test_a_disabled_source_needs_no_url():
    from pydantic import ValidationError

    cfg = LiveConfig.model_validate({"prometheus": {"enabled": False}, "jaeger": {"url": "http://127.0.0.1:1"}})
    assert cfg.prometheus is not None and cfg.prometheus.url is None and cfg.describe()["prometheus"] is None
    assert LiveBackend.from_config(cfg).prometheus is None
    with pytest.raises(ValidationError, match="url is required"):
        LiveConfig.model_validate({"prometheus": {}})


def test_a_run_configuration_given_as_live_config_is_named(tmp_path):
    from sre_agent.backends.live_config import load_live_config
    from sre_agent.errors import ConfigError

    (tmp_path / "run.yaml").write_text("model: clean\nfixes: {verifier: on}\n")
    with pytest.raises(ConfigError, match="give it with --config"):
        load_live_config(tmp_path / "run.yaml")
