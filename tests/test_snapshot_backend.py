"""SnapshotBackend over a tiny scenario written in the recorder's format (tests/fixtures_itbench.py)."""

from __future__ import annotations

import json

import pytest

from fixtures_itbench import E0, MULTILINE, NS, dump_name, write_scenario
from sre_agent.backends.base import ObservabilityBackend
from sre_agent.snapshot import SnapshotBackend, is_scenario_dir

POD = "checkout-abc12-xyz98"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return write_scenario(tmp_path_factory.mktemp("itb"))


@pytest.fixture()
def backend(scenario):
    return SnapshotBackend(scenario)


def test_implements_the_protocol_and_recognises_the_folder(backend, scenario, tmp_path):
    assert isinstance(backend, ObservabilityBackend)
    assert backend.name == "Scenario-1"
    assert is_scenario_dir(scenario)
    assert not is_scenario_dir(tmp_path) and not is_scenario_dir(scenario / "k8s_objects_raw.tsv")
    (tmp_path / "alerts_at_2025-01-01T10-00-00.000000.json").write_text("[]")
    assert not is_scenario_dir(tmp_path)  # loose alert files do not make a scenario
    assert not is_scenario_dir(scenario / "alerts")


def test_now_is_the_newest_dump_and_alerts_the_newest_non_empty_dump(backend):
    assert backend.now() == E0 + 660
    alerts = backend.alerts()
    assert [a.name for a in alerts] == ["RequestErrorRate", "KubePodCrashLooping"]
    assert alerts[0].active_at == E0 + 200 and alerts[0].labels["service_name"] == "checkout"
    assert alerts[1].subject == POD


def test_window_spans_the_recording(backend):
    start, end = backend.window()
    assert start == E0 and end == E0 + 660


def test_objects_latest_dump_and_history(backend):
    objs = {o.ref.id: o for o in backend.list_objects()}
    assert set(objs) == {f"{NS}/Deployment/checkout", f"{NS}/Pod/{POD}", f"{NS}/ConfigMap/flagd-config", "/Node/kind-worker"}
    dep = objs[f"{NS}/Deployment/checkout"]
    assert dep.resource_version == "150" and dep.observed == E0 + 601 and dep.resource == "deployments"
    history = backend.object_history("Deployment", NS, "checkout")
    assert [o.resource_version for o in history] == ["100", "100", "150"]
    assert [o.observed for o in history] == [E0 + 1, E0 + 301, E0 + 601]
    assert history[-1].body["spec"]["template"]["spec"]["containers"][0]["image"] == "checkout:1.1"
    assert backend.object_history("deployment", NS, "checkout") == history
    assert backend.object_history("Deployment", NS, "nope") == []
    assert [o.name for o in backend.list_objects("Pod")] == [POD]
    assert [o.name for o in backend.list_objects("pods", namespace=NS)] == [POD]
    assert backend.list_objects(namespace="kube-system") == []
    cm = objs[f"{NS}/ConfigMap/flagd-config"]
    assert len(cm.body["data"]["demo.flagd.json"]) > 128 * 1024
    assert objs[f"{NS}/Pod/{POD}"].owner_refs[0]["name"] == "checkout-abc12"


def test_events_both_api_versions_collapsed_to_latest_state(backend):
    events = backend.events()
    assert [e.reason for e in events] == ["Pulled", "BackOff", "ScalingReplicaSet"]  # oldest first
    backoff = events[1]
    assert backoff.count == 5 and backoff.watch_type == "MODIFIED"  # ADDED(1) + MODIFIED(5) -> one event
    assert backoff.time == E0 + 500 and backoff.first_time == E0 + 380
    assert backoff.involved.id == f"{NS}/Pod/{POD}" and backoff.source == "kubelet" and backoff.type == "Warning"
    new = events[2]
    assert new.involved.id == f"{NS}/Deployment/checkout"
    assert new.message.startswith("Scaled up") and new.count == 2 and new.source == "deployment-controller"
    assert new.time == pytest.approx(E0 + 590.123456)
    assert [e.reason for e in backend.events(namespace="kube-system")] == ["Pulled"]


def test_logs_multiline_bodies_resource_identity_and_filters(backend):
    logs = backend.logs()
    assert [r.body for r in logs] == ["order placed", MULTILINE, "slow response"]
    err = logs[1]
    assert err.is_error and err.pod == POD and err.namespace == NS and err.trace_id == "t2"
    assert err.time == E0 + 420.25
    assert logs[2].service == "frontend"  # empty ServiceName -> ResourceAttributes['service.name']
    assert logs[2].is_warning
    assert logs[0].attributes == {"order.id": "o-1"}
    assert logs[0].resource["note"] == "it's quoted"
    assert [r.body for r in backend.logs(service="checkout")] == ["order placed", MULTILINE]
    assert [r.body for r in backend.logs(pod="frontend-1")] == ["slow response"]
    assert [r.body for r in backend.logs(since=E0 + 200, until=E0 + 425)] == [MULTILINE]


def test_spans_status_kind_duration_and_filters(backend):
    spans = backend.spans()
    assert [s.span_id for s in spans] == ["s1", "s2", "s3", "s4", "s5"]
    by_id = {s.span_id: s for s in spans}
    assert by_id["s4"].status == "Error" and by_id["s5"].status == "Error"
    assert by_id["s3"].status == "Unset" and by_id["s2"].status == "Ok"
    assert by_id["s3"].kind == "Server" and by_id["s2"].kind == "Client"
    assert by_id["s4"].duration_ms == 2500.0
    assert by_id["s4"].status_message == 'payment failed: "card declined"\nretry later'
    assert by_id["s1"].parent_span_id == "" and by_id["s3"].parent_span_id == "s2"
    assert by_id["s4"].attributes["http.status_code"] == 500
    assert by_id["s3"].resource["k8s.pod.name"] == "checkout-1"
    assert [s.span_id for s in backend.spans(service="checkout")] == ["s3", "s4"]
    assert [s.span_id for s in backend.spans(service="frontend", since=E0 + 101)] == ["s5"]
    assert backend.spans(service="nobody") == []
    assert [s.span_id for s in backend.spans(until=E0 + 100.0015)] == ["s1", "s2"]


def test_metrics_pod_and_service_files(backend):
    assert backend.metric_names({"pod": POD}) == ["container_memory_working_set_bytes",
                                                  "kube_pod_container_status_restarts_total"]
    [mem] = backend.metric_series("container_memory_working_set_bytes", {"pod_name": POD})
    assert mem.label("pod_name") == POD and mem.label("namespace") == NS and mem.label("container") == "checkout"
    assert len(mem.points) == 10 and mem.points[0] == (E0, 1e8)
    cut = backend.metric_series("container_memory_working_set_bytes", {"pod": POD}, since=E0 + 120, until=E0 + 240)
    assert [t - E0 for t, _ in cut[0].points] == [120, 180, 240]
    buckets = backend.metric_series("traces_span_metrics_duration_milliseconds_bucket", {"service_name": "checkout"})
    assert sorted(s.label("bucket_le") for s in buckets) == ["+Inf", "100"]
    assert all(s.label("metric_type") == "duration_p95" and s.label("span_name") == "PlaceOrder" for s in buckets)
    [calls] = backend.metric_series("traces_span_metrics_calls_total", {"service": "checkout", "status_code": "STATUS_CODE_ERROR"})
    assert calls.label("metric_type") == "error_rate" and calls.points[-1][1] == 81.0
    assert backend.metric_series("traces_span_metrics_calls_total", {"service": "checkout", "status_code": "OK"}) == []
    # old-style file name (no _raw) and no pod_name column: the name comes from the file name
    [cpu] = backend.metric_series("container_cpu_usage_seconds_total", {"pod": "cart-1"})
    assert cpu.label("pod_name") == "cart-1" and [v for _, v in cpu.points] == [1.0, 4.0]
    assert backend.metric_names({"pod": "no-such-pod"}) == []
    assert "container_cpu_usage_seconds_total" in backend.metric_names({"namespace": NS})


def test_metric_query_reads_only_the_file_it_needs(scenario):
    b = SnapshotBackend(scenario)
    b.metric_names({"pod": POD})
    assert b.files_read == [f"metrics/pod_{POD}_raw.tsv"]
    b.metric_series("traces_span_metrics_calls_total", {"service_name": "checkout"})
    assert b.files_read[-1] == "metrics/service_checkout_raw.tsv" and len(b.files_read) == 2
    b.metric_names({"pod": POD})
    assert len(b.files_read) == 2  # cached


def test_problems_name_files_and_count_skipped_rows(backend):
    backend.list_objects(), backend.logs(), backend.metric_names()
    problems = {p.source: p for p in backend.problems()}
    assert problems["k8s_objects_raw.tsv"].rows_skipped == 2  # a short row + a non-JSON body
    assert problems["otel_logs_raw.tsv"].rows_skipped == 1
    assert problems["metrics/service_checkout_raw.tsv"].rows_skipped == 2
    assert "otel_traces_raw.tsv" not in problems
    assert "metrics/pod_cart-1.tsv" not in problems  # a pod file has no service columns by design


def test_missing_and_corrupt_sources_are_reported_never_raised(tmp_path):
    folder = tmp_path / "Scenario-9"
    (folder / "alerts").mkdir(parents=True)
    (folder / "alerts" / dump_name(0)).write_text(json.dumps([{"labels": {"alertname": "A"}}]))
    (folder / "alerts" / dump_name(60)).write_text("{corrupt")
    (folder / "otel_traces_raw.tsv").write_bytes(b"\x00\xff garbage without a header we know\n")
    b = SnapshotBackend(folder)
    assert is_scenario_dir(folder)
    assert [a.name for a in b.alerts()] == ["A"]  # the corrupt newest dump is skipped
    assert b.now() == E0 + 60
    assert b.list_objects() == [] and b.events() == [] and b.logs() == [] and b.spans() == []
    assert b.metric_names() == [] and b.metric_series("x") == []
    assert b.window() == (E0, E0 + 60)
    problems = {p.source: p.problem for p in b.problems()}
    assert problems["k8s_objects_raw.tsv"] == "file missing"
    assert problems["otel_logs_raw.tsv"] == "file missing"
    assert "missing required column" in problems["otel_traces_raw.tsv"]
    assert problems["metrics/"] == "folder missing"
    assert "not JSON" in problems[f"alerts/{dump_name(60)}"]


def test_now_without_alert_dumps_falls_back_to_newest_data(scenario, tmp_path):
    import shutil
    folder = tmp_path / "s"
    shutil.copytree(scenario, folder, ignore=shutil.ignore_patterns("alerts"))
    b = SnapshotBackend(folder)
    assert b.now() == E0 + 601  # the last object dump
    assert b.alerts() == []
    assert any(p.source == "alerts/" for p in b.problems())


def test_an_unexpected_parse_failure_becomes_a_problem(scenario, monkeypatch):
    import sre_agent.snapshot.scenario as mod

    def boom(batches):
        raise ValueError("weird data")

    monkeypatch.setattr(mod.SpanTable, "from_table", boom)
    b = SnapshotBackend(scenario)
    assert b.spans() == [] and b.spans(service="checkout") == []
    [problem] = [p for p in b.problems() if p.source == "otel_traces_raw.tsv"]
    assert "weird data" in problem.problem
