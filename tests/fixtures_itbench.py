"""Tiny ITBench-Lite scenario folders, written the way the recorder writes them.

TSVs are what pandas ``to_csv(sep="\\t", index=False)`` produces (csv module, tab, minimal
quoting with doubled quotes, ``\\n`` line ends); map columns are ``str(dict)`` (Python-dict
text), array columns ``str(list)``.  The fixture deliberately carries the awkward cases: a
multi-line log body with tabs and quotes, an extra unknown column, a missing ``EventName``
column, ``STATUS_CODE_ERROR``, an old-style ``metrics/pod_x.tsv``, service metric columns in
another order, a malformed row, both event API versions, an object dumped three times with a
changed resourceVersion, an object body over 128 KiB, and a ``ground_truth.yaml``.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

T0 = datetime(2025, 1, 1, 10, 0, 0, tzinfo=timezone.utc)
E0 = T0.timestamp()  # 1735725600.0
NS = "otel-demo"

LOG_COLUMNS = [
    "Timestamp", "TimestampTime", "TraceId", "SpanId", "TraceFlags", "SeverityText", "SeverityNumber",
    "ServiceName", "Body", "ResourceSchemaUrl", "ResourceAttributes", "ScopeSchemaUrl", "ScopeName",
    "ScopeVersion", "ScopeAttributes", "LogAttributes", "EventName",
]
TRACE_COLUMNS = [
    "Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind", "ServiceName",
    "ResourceAttributes", "ScopeName", "ScopeVersion", "SpanAttributes", "Duration", "StatusCode",
    "StatusMessage", "Events.Timestamp", "Events.Name", "Events.Attributes", "Links.TraceId",
    "Links.SpanId", "Links.TraceState", "Links.Attributes",
]


def ts(seconds: float, digits: int = 9) -> str:
    """Naive UTC ``YYYY-MM-DD HH:MM:SS.fffffffff``, ``seconds`` after T0."""
    t = T0 + timedelta(seconds=seconds)
    base = t.strftime("%Y-%m-%d %H:%M:%S")
    if digits == 0:
        return base
    frac = f"{t.microsecond:06d}" + "000"
    return f"{base}.{frac[:digits]}"


def rfc3339(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def dump_name(seconds: float) -> str:
    return "alerts_at_" + (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H-%M-%S.%f") + ".json"


def write_tsv(path: Path, columns: Sequence[str], rows: Sequence[Sequence[Any]], raw_lines: Sequence[str] = ()) -> None:
    """Write like pandas ``to_csv(sep='\\t', index=False)``; ``raw_lines`` are appended verbatim."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", quoting=csv.QUOTE_MINIMAL, doublequote=True, quotechar='"',
                       lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])
        for line in raw_lines:
            fh.write(line)


def log_row(columns: Sequence[str], **values: Any) -> list[Any]:
    return [values.get(c, "") for c in columns]


# -- alerts -----------------------------------------------------------------------------------
def prom_alert(name: str, seconds: float, severity: str = "warning", **labels: str) -> dict[str, Any]:
    return {
        "labels": {"alertname": name, "severity": severity, **labels},
        "annotations": {"description": f"{name} is firing"},
        "state": "firing", "activeAt": rfc3339(seconds), "value": "1.5e+00",
    }


ERRORS = prom_alert("RequestErrorRate", 150, namespace=NS, service_name="checkout")
CRASH = prom_alert("KubePodCrashLooping", 400, severity="critical", namespace=NS, pod="checkout-abc12-xyz98")


def write_alerts(folder: Path) -> None:
    alerts = folder / "alerts"
    alerts.mkdir(parents=True, exist_ok=True)
    (alerts / dump_name(0)).write_text("[]", encoding="utf-8")
    (alerts / dump_name(300)).write_text(json.dumps([ERRORS]), encoding="utf-8")
    later = dict(ERRORS, activeAt=rfc3339(200), value="2.5e+00")  # same alert, later copy
    (alerts / dump_name(600)).write_text(json.dumps([later, CRASH]), encoding="utf-8")
    (alerts / dump_name(660)).write_text("[]", encoding="utf-8")  # newest dump is empty


# -- objects ----------------------------------------------------------------------------------
def deployment(rv: str, image: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "checkout", "namespace": NS, "resourceVersion": rv, "uid": "dep-1",
                     "labels": {"app.kubernetes.io/name": "checkout"}, "creationTimestamp": rfc3339(-86400)},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "checkout", "image": image}]}}},
        "status": {"availableReplicas": 1},
    }


POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "checkout-abc12-xyz98", "namespace": NS, "resourceVersion": "77",
                 "ownerReferences": [{"kind": "ReplicaSet", "name": "checkout-abc12"}]},
    "spec": {"containers": [{"name": "checkout"}]},
    "status": {"phase": "Running", "containerStatuses": [{"name": "checkout", "restartCount": 3}]},
}
NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "kind-worker", "resourceVersion": "5"}}
BIG_CONFIGMAP = {
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "flagd-config", "namespace": NS, "resourceVersion": "9"},
    "data": {"demo.flagd.json": json.dumps({"flags": {f"flag{i}": {"state": "ENABLED", "note": "x" * 200}
                                                      for i in range(700)}})},
}


def _object_row(columns: Sequence[str], seconds: float, body: dict[str, Any], resource: str) -> list[Any]:
    return log_row(columns, Timestamp=ts(seconds), TimestampTime=ts(seconds, 0), SeverityNumber=0,
                   Body=json.dumps(body), ResourceAttributes=str({}), ScopeAttributes=str({}),
                   LogAttributes=str({"k8s.resource.name": resource, "k8s.resource.api_version": "v1"}),
                   ExtraUnknown="?")


def write_objects(folder: Path) -> None:
    columns = [c for c in LOG_COLUMNS if c != "EventName"] + ["ExtraUnknown"]  # no EventName, one extra
    rows = []
    for seconds, rv, image in ((0, "100", "checkout:1.0"), (300, "100", "checkout:1.0"), (600, "150", "checkout:1.1")):
        rows.append(_object_row(columns, seconds + 1, deployment(rv, image), "deployments"))
        rows.append(_object_row(columns, seconds + 1, POD, "pods"))
    rows.append(_object_row(columns, 2, NODE, "nodes"))
    rows.append(_object_row(columns, 2, BIG_CONFIGMAP, "configmaps"))
    bad_body = _object_row(columns, 3, {}, "pods")
    bad_body[columns.index("Body")] = "{not json"
    rows.append(bad_body)
    write_tsv(folder / "k8s_objects_raw.tsv", columns, rows, raw_lines=["only\ttwo fields\n"])


# -- events -----------------------------------------------------------------------------------
def core_event(watch: str, count: int, last: float) -> dict[str, Any]:
    return {"type": watch, "object": {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "checkout-abc12-xyz98.1", "namespace": NS, "uid": "ev-1"},
        "involvedObject": {"kind": "Pod", "namespace": NS, "name": "checkout-abc12-xyz98"},
        "reason": "BackOff", "message": "Back-off restarting failed container checkout",
        "type": "Warning", "count": count, "source": {"component": "kubelet"},
        "firstTimestamp": rfc3339(380), "lastTimestamp": rfc3339(last),
    }}


NEW_EVENT = {"type": "ADDED", "object": {
    "apiVersion": "events.k8s.io/v1", "kind": "Event",
    "metadata": {"name": "checkout.2", "namespace": NS, "uid": "ev-2"},
    "regarding": {"kind": "Deployment", "namespace": NS, "name": "checkout"},
    "reason": "ScalingReplicaSet", "note": "Scaled up replica set checkout-def34 to 1", "type": "Normal",
    "eventTime": "2025-01-01T10:09:50.123456Z", "deprecatedCount": 2, "reportingController": "deployment-controller",
}}
SYSTEM_EVENT = {"type": "ADDED", "object": {
    "apiVersion": "v1", "kind": "Event", "metadata": {"name": "coredns.3", "namespace": "kube-system", "uid": "ev-3"},
    "involvedObject": {"kind": "Pod", "namespace": "kube-system", "name": "coredns-1"},
    "reason": "Pulled", "message": "Container image pulled", "type": "Normal", "count": 1,
    "source": {"component": "kubelet"}, "lastTimestamp": rfc3339(10),
}}


def write_events(folder: Path) -> None:
    rows = [
        log_row(LOG_COLUMNS, Timestamp=ts(381), Body=json.dumps(core_event("ADDED", 1, 380)), LogAttributes="{}"),
        log_row(LOG_COLUMNS, Timestamp=ts(501), Body=json.dumps(core_event("MODIFIED", 5, 500)), LogAttributes="{}"),
        log_row(LOG_COLUMNS, Timestamp=ts(591), Body=json.dumps(NEW_EVENT), LogAttributes="{}"),
        log_row(LOG_COLUMNS, Timestamp=ts(11), Body=json.dumps(SYSTEM_EVENT), LogAttributes="{}"),
    ]
    write_tsv(folder / "k8s_events_raw.tsv", LOG_COLUMNS, rows)


# -- logs ------------------------------------------------------------------------------------
MULTILINE = 'Traceback (most recent call last):\n\tFile "checkout.go", line 12\nerror: "payment" failed\tcode=13'


def resource(service: str, pod: str) -> str:
    return str({"service.name": service, "k8s.namespace.name": NS, "k8s.pod.name": pod,
                "k8s.deployment.name": service, "note": "it's quoted"})


def write_logs(folder: Path) -> None:
    rows = [
        log_row(LOG_COLUMNS, Timestamp=ts(100.5), SeverityText="INFO", SeverityNumber=9, ServiceName="checkout",
                Body="order placed", ResourceAttributes=resource("checkout", "checkout-abc12-xyz98"),
                LogAttributes=str({"order.id": "o-1"})),
        log_row(LOG_COLUMNS, Timestamp=ts(420.25), SeverityText="ERROR", SeverityNumber=17, ServiceName="checkout",
                Body=MULTILINE, TraceId="t2", SpanId="s4",
                ResourceAttributes=resource("checkout", "checkout-abc12-xyz98"), LogAttributes="{}"),
        log_row(LOG_COLUMNS, Timestamp=ts(430), SeverityText="WARN", SeverityNumber=13, ServiceName="",
                Body="slow response", ResourceAttributes=resource("frontend", "frontend-1"), LogAttributes="{}"),
        log_row(LOG_COLUMNS, Timestamp="not a time", SeverityText="INFO", ServiceName="cart", Body="bad time"),
    ]
    write_tsv(folder / "otel_logs_raw.tsv", LOG_COLUMNS, rows)


# -- traces ----------------------------------------------------------------------------------
def span_row(seconds: float, trace: str, span: str, parent: str, name: str, kind: str, service: str,
             duration_ns: int, status: str, message: str = "") -> list[Any]:
    values = {
        "Timestamp": ts(seconds), "TraceId": trace, "SpanId": span, "ParentSpanId": parent, "SpanName": name,
        "SpanKind": kind, "ServiceName": service,
        "ResourceAttributes": str({"service.name": service, "k8s.pod.name": f"{service}-1"}),
        "SpanAttributes": str({"http.status_code": 500 if "ERROR" in status.upper() else 200, "rpc.system": "grpc"}),
        "Duration": duration_ns, "StatusCode": status, "StatusMessage": message,
        "Events.Timestamp": "[]", "Events.Name": "[]", "Events.Attributes": "[]",
        "Links.TraceId": "[]", "Links.SpanId": "[]", "Links.TraceState": "[]", "Links.Attributes": "[]",
    }
    return [values.get(c, "") for c in TRACE_COLUMNS]


def write_traces(folder: Path) -> None:
    rows = [
        span_row(100, "t1", "s1", "", "GET /api/checkout", "Server", "frontend", 12_000_000, "Unset"),
        span_row(100.001, "t1", "s2", "s1", "oteldemo.CheckoutService/PlaceOrder", "Client", "frontend", 10_000_000, "Ok"),
        span_row(100.002, "t1", "s3", "s2", "oteldemo.CheckoutService/PlaceOrder", "SPAN_KIND_SERVER", "checkout", 9_000_000, "STATUS_CODE_UNSET"),
        span_row(420, "t2", "s4", "", "oteldemo.CheckoutService/PlaceOrder", "Server", "checkout", 2_500_000_000,
                 "STATUS_CODE_ERROR", 'payment failed: "card declined"\nretry later'),
        span_row(421, "t3", "s5", "", "GET /", "Server", "frontend", 1_000_000, "Error"),
    ]
    write_tsv(folder / "otel_traces_raw.tsv", TRACE_COLUMNS, rows)


# -- metrics ---------------------------------------------------------------------------------
def write_metrics(folder: Path) -> None:
    m = folder / "metrics"
    pod = "checkout-abc12-xyz98"
    pod_rows = []
    for i in range(10):
        pod_rows.append(["container_memory_working_set_bytes", ts(60 * i, 0), float(1e8 + i * 1e7), pod, NS,
                         str({"container": "checkout", "pod": pod})])
        pod_rows.append(["kube_pod_container_status_restarts_total", ts(60 * i, 0), float(i // 4), pod, NS,
                         str({"container": "checkout"})])
    write_tsv(m / f"pod_{pod}_raw.tsv", ["metric_name", "timestamp", "value", "pod_name", "namespace", "tags"], pod_rows)
    svc_cols = ["metric_type", "service_name", "metric_name", "value", "timestamp", "namespace", "bucket_le",
                "status_code", "tags"]  # another column order
    svc_rows = []
    for i in range(10):
        for le in ("100", "+Inf"):
            svc_rows.append(["duration_p95", "checkout", "traces_span_metrics_duration_milliseconds_bucket",
                             float(10 * i + (5 if le == "+Inf" else 0)), ts(60 * i, 0), NS, le, "", str({"span_name": "PlaceOrder"})])
        svc_rows.append(["error_rate", "checkout", "traces_span_metrics_calls_total", float(i * i), ts(60 * i, 0), NS, "",
                         "STATUS_CODE_ERROR", str({"span_name": "PlaceOrder"})])
    write_tsv(m / "service_checkout_raw.tsv", svc_cols, svc_rows,
              raw_lines=["broken\trow\n", "traces_span_metrics_calls_total\tcheckout\t\tNaNvalue\tnot-a-time\t\t\t\t{}\n"])
    write_tsv(m / "pod_cart-1.tsv", ["timestamp", "metric_name", "value", "namespace", "tags"],  # old name, no pod_name
              [[ts(0, 0), "container_cpu_usage_seconds_total", 1.0, NS, "{}"],
               [ts(60, 0), "container_cpu_usage_seconds_total", 4.0, NS, "{}"]])


def write_scenario(root: Path, name: str = "Scenario-1") -> Path:
    """Write the whole fixture scenario under ``root`` and return its folder."""
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    write_alerts(folder)
    write_objects(folder)
    write_events(folder)
    write_logs(folder)
    write_traces(folder)
    write_metrics(folder)
    (folder / "ground_truth.yaml").write_text("groups:\n- id: secret\n  root_cause: true\n", encoding="utf-8")
    return folder


def write_many_spans(path: Path, n: int) -> None:
    """A synthetic ``otel_traces_raw.tsv`` of ``n`` spans (for the speed check)."""
    services = ["frontend", "checkout", "cart", "payment", "currency", "shipping", "ad", "quote"]
    rows = []
    for i in range(n):
        svc = services[i % len(services)]
        rows.append(span_row(i * 0.05, f"{i // 10:032x}", f"{i:016x}", f"{i - 1:016x}" if i % 10 else "",
                             f"oteldemo.{svc}/Op", "Server" if i % 2 else "Client", svc, 1_000_000 + i,
                             "STATUS_CODE_ERROR" if i % 97 == 0 else "Unset"))
    write_tsv(path, TRACE_COLUMNS, rows)
