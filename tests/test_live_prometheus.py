"""PrometheusBackend against a real Prometheus holding backfilled samples."""

from __future__ import annotations

import math
import os
import time

import pytest

from live_servers import PROMETHEUS, PROMTOOL, PrometheusServer, binaries_present
from sre_agent.backends.prometheus import PrometheusBackend, selectors
from sre_agent.models import MetricSeries

pytestmark = pytest.mark.live

if not binaries_present(PROMETHEUS, PROMTOOL) and not os.environ.get("SRE_AGENT_REQUIRE_LIVE"):
    pytest.skip("prometheus/promtool not installed (run .ci/install-servers.sh)", allow_module_level=True)

# Backfilled blocks: promtool cuts 2h-aligned blocks; data a few hours old never overlaps the
# (empty) head block, and a 100y retention keeps any age.  Millisecond timestamps, as stored.
T0 = float(int(time.time()) - 6 * 3600) + 0.25
STEP = 15.0


def _pts(n, f):
    return tuple((T0 + i * STEP, f(i)) for i in range(n))


SERIES = [
    MetricSeries("container_cpu_usage_seconds_total",
                 (("container", "cart"), ("namespace", "otel-demo"), ("pod", "cart-7d9c5b6f4-abcde")),
                 _pts(40, lambda i: 0.5 * i)),
    MetricSeries("container_cpu_usage_seconds_total",
                 (("container", "checkout"), ("namespace", "otel-demo"), ("pod", "checkout-5f4d8-xyz12")),
                 _pts(40, lambda i: 0.25 * i + 1)),
    MetricSeries("kube_pod_container_status_restarts_total",
                 (("namespace", "otel-demo"), ("pod_name", "cart-7d9c5b6f4-abcde")), _pts(20, lambda i: i // 5)),
    MetricSeries("traces_span_metrics_calls_total",
                 (("namespace", "otel-demo"), ("service_name", "cart"), ("status_code", "STATUS_CODE_ERROR")),
                 _pts(30, lambda i: 3.0 * i)),
    MetricSeries("weird_values", (("label", 'quote " back \\ slash'),), ((T0, math.inf), (T0 + 15, -2.5e-7))),
]


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    with PrometheusServer(SERIES, tmp_path_factory.mktemp("prometheus")) as server:
        backend = PrometheusBackend(server.url)
        yield backend
        backend.close()


def test_metric_series_returns_exactly_the_backfilled_points(prom):
    since, until = T0 - 60, T0 + 3600
    for want in SERIES:
        matchers = dict(want.labels)
        got = prom.metric_series(want.name, matchers, since=since, until=until)
        assert got == [want], want.name
    assert prom.problems() == []


def test_window_cuts_points_and_labels_are_sorted(prom):
    got = prom.metric_series("container_cpu_usage_seconds_total", {"pod": "cart-7d9c5b6f4-abcde"},
                             since=T0 + 10 * STEP, until=T0 + 19 * STEP)
    assert len(got) == 1
    assert [t for t, _ in got[0].points] == [T0 + i * STEP for i in range(10, 20)]
    assert list(got[0].labels) == sorted(got[0].labels)


def test_label_synonyms(prom):
    # pod <-> pod_name
    a = prom.metric_series("kube_pod_container_status_restarts_total", {"pod": "cart-7d9c5b6f4-abcde"},
                           since=T0 - 1, until=T0 + 3600)
    assert len(a) == 1 and a[0].label("pod_name") == "cart-7d9c5b6f4-abcde"
    # service <-> service_name
    b = prom.metric_series("traces_span_metrics_calls_total", {"service": "cart"}, since=T0 - 1, until=T0 + 3600)
    assert len(b) == 1 and len(b[0].points) == 30
    assert prom.metric_series("traces_span_metrics_calls_total", {"service": "nope"}, since=T0, until=T0 + 60) == []


def test_metric_names_with_matchers(prom):
    assert {s.name for s in SERIES} <= set(prom.metric_names())
    assert prom.metric_names({"pod_name": "cart-7d9c5b6f4-abcde"}) == [
        "container_cpu_usage_seconds_total", "kube_pod_container_status_restarts_total"]
    assert prom.metric_names({"service_name": "cart"}) == ["traces_span_metrics_calls_total"]


def test_instant_and_range_queries(prom):
    at = T0 + 10 * STEP
    got = prom.query('sum(container_cpu_usage_seconds_total{namespace="otel-demo"})', at=at)
    assert len(got) == 1 and got[0].points[0][1] == pytest.approx(0.5 * 10 + 0.25 * 10 + 1)
    start = T0 + 0.75  # prometheus-api-client rounds range bounds to whole seconds
    rng = prom.query_range('container_cpu_usage_seconds_total{pod="cart-7d9c5b6f4-abcde"}', start, start + 300, 60)
    assert len(rng) == 1 and len(rng[0].points) == 6


def test_bad_query_is_a_problem_not_an_exception(prom):
    assert prom.query("sum(") == []
    assert any("HTTP 400" in p.problem for p in prom.problems())
    with pytest.raises(ValueError):
        selectors("bad name", None)
    assert prom.metric_series("bad name", {}) == []
