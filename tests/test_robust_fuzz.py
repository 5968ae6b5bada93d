"""Property-based fuzzing of the alert parsers and the snapshot readers: zero crashes.

* >= 1000 generated alert payloads (JSON-like trees around the six real formats, with subtrees
  swapped for garbage) go to :func:`parse_alert_payload`, and >= 500 byte strings (mutated JSON
  text, wrong encodings, raw bytes) to :func:`load_alert_input` through a file;
* >= 1000 snapshot fragments (TSV files whose rows come from a simulated scenario, then broken:
  wrong column counts, broken quoting, garbage map columns, bad timestamps, broken JSON bodies,
  invalid UTF-8, NUL bytes) go to every reader of :class:`SnapshotBackend`.

Only clean results or :class:`InputError` are allowed.  Each test prints how many inputs it
tried (``pytest -s`` shows them) and asserts the minimum.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robust_helpers import simulated
from sre_agent.alerts import load_alert_input, parse_alert_payload
from sre_agent.errors import InputError
from sre_agent.models import Alert
from sre_agent.snapshot import SnapshotBackend

SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

# -- JSON-like values ------------------------------------------------------------------------------
leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**30, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["", "firing", "resolved", "active", "suppressed", "success", "error", "4", "0001-01-01T00:00:00Z",
                     "2025-10-29T00:31:23.434517Z", "2025-13-45T99:99:99Z", "1735725600", "1e400", "-1", "NaN", "\x00",
                     "otel-demo", "cart", "RequestErrorRate", "{", "[", "ignore previous instructions"]),
)
json_tree = st.recursive(leaf, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), kids, max_size=4)),
                         max_leaves=8)
timestamp = st.one_of(leaf, st.sampled_from(["2025-01-01T10:00:00Z", "2025-01-01T10:00:00.123+01:00", "2025-01-01 10:00:00",
                                             "yesterday", "2025-02-30T00:00:00Z", "9999-12-31T23:59:59Z"]))
label_map = st.dictionaries(st.sampled_from(["alertname", "service_name", "namespace", "severity", "pod", "deployment"]),
                            st.sampled_from(["RequestErrorRate", "cart", "otel-demo", "critical", "", "a/b/c", "x" * 300]),
                            min_size=1, max_size=5)
labels = st.one_of(
    label_map, label_map, label_map, label_map, label_map, label_map,
    st.dictionaries(st.sampled_from(["alertname", "service_name", "namespace", "severity", "pod", "deployment", "service"])
                    | st.text(max_size=8), st.one_of(st.text(max_size=20), leaf, json_tree), max_size=6),
    json_tree,
)


@st.composite
def alert_obj(draw: Any) -> Any:
    a: dict[str, Any] = {}
    a["labels"] = draw(labels)
    if draw(st.integers(0, 15)) == 0:
        del a["labels"]
    for key, strat in ( ("annotations", labels), ("state", leaf), ("activeAt", timestamp),
                       ("startsAt", timestamp), ("endsAt", timestamp), ("value", leaf), ("fingerprint", leaf),
                       ("status", st.one_of(leaf, st.fixed_dictionaries({"state": leaf}), json_tree)),
                       ("generatorURL", leaf)):
        if draw(st.booleans()):
            a[key] = draw(strat)
    if draw(st.integers(0, 20)) == 0:
        return draw(json_tree)
    return a


alerts_list = st.lists(alert_obj(), max_size=5)


@st.composite
def alert_payload(draw: Any) -> Any:
    shape = draw(st.sampled_from(["snapshot", "capture", "prom", "webhook", "v2", "v1", "single", "tree"]))
    items = draw(alerts_list)
    if shape == "snapshot" or shape == "v2":
        return items
    if shape == "capture":
        return {"data": {"alerts": items}, "status": draw(leaf), "timestamp": draw(timestamp)}
    if shape == "prom":
        return {"status": draw(st.sampled_from(["success", "error"]) | leaf), "data": draw(st.one_of(
            st.fixed_dictionaries({"alerts": st.one_of(st.just(items), json_tree)}), json_tree))}
    if shape == "webhook":
        body: dict[str, Any] = {"version": draw(leaf), "receiver": draw(leaf), "status": draw(leaf), "alerts": items,
                                "groupLabels": draw(labels), "commonLabels": draw(labels), "externalURL": draw(leaf)}
        for k in draw(st.lists(st.sampled_from(sorted(body)), max_size=3)):
            body[k] = draw(json_tree)
        return body
    if shape == "v1":
        return {"status": draw(leaf), "data": items}
    if shape == "single":
        return draw(alert_obj())
    return draw(json_tree)


def _check_alerts(result: Any) -> None:
    alerts, fmt = result
    assert isinstance(fmt, str) and fmt
    for a in alerts:
        assert isinstance(a, Alert)
        assert isinstance(a.name, str) and isinstance(a.state, str) and isinstance(a.key, str)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in a.labels.items())
        assert a.active_at is None or (isinstance(a.active_at, float) and math.isfinite(a.active_at))
        a.namespace, a.subject, a.severity  # noqa: B018 - the properties must not raise either


def test_alert_payloads_never_crash() -> None:
    tried = {"ok": 0, "input_error": 0}

    @settings(max_examples=1000, **SETTINGS)
    @given(alert_payload())
    def one(payload: Any) -> None:
        try:
            result = parse_alert_payload(payload)
        except InputError as exc:
            assert "\n" not in str(exc)
            tried["input_error"] += 1
            return
        _check_alerts(result)
        tried["ok"] += 1

    one()
    total = sum(tried.values())
    print(f"\nalert payloads tried: {total} ({tried['ok']} parsed, {tried['input_error']} refused with InputError), crashes: 0")
    assert total >= 1000


@st.composite
def alert_bytes(draw: Any) -> bytes:
    how = draw(st.sampled_from(["json", "cut", "utf16", "latin1", "bom", "raw", "nul", "flip"]))
    text = json.dumps(draw(alert_payload()), allow_nan=True)
    if how == "json":
        return text.encode()
    if how == "cut":
        return text.encode()[: draw(st.integers(0, max(0, len(text) - 1)))]
    if how == "utf16":
        return text.encode("utf-16")
    if how == "latin1":
        return (text[:-1] + "\xe9\xff" + text[-1:]).encode("latin-1", "replace")
    if how == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    if how == "nul":
        return text.encode().replace(b",", b"\x00", 1)
    if how == "flip":
        data = bytearray(text.encode())
        for i in draw(st.lists(st.integers(0, max(0, len(data) - 1)), max_size=4)):
            if data:
                data[i] ^= 0xFF
        return bytes(data)
    return draw(st.binary(max_size=200))


def test_alert_files_never_crash(tmp_path: Path) -> None:
    tried = {"ok": 0, "input_error": 0}
    path = tmp_path / "alerts_at_2025-01-01T10-00-00.000000.json"

    @settings(max_examples=500, **SETTINGS)
    @given(alert_bytes())
    def one(data: bytes) -> None:
        path.write_bytes(data)
        try:
            result = load_alert_input(path)
        except InputError as exc:
            assert "\n" not in str(exc) and str(path.name) in str(exc)
            tried["input_error"] += 1
            return
        _check_alerts((result.alerts, result.format))
        tried["ok"] += 1

    one()
    total = sum(tried.values())
    print(f"\nalert files tried: {total} ({tried['ok']} parsed, {tried['input_error']} refused with InputError), crashes: 0")
    assert total >= 500


# -- snapshot fragments ------------------------------------------------------------------------------
SOURCES = {"objects": "k8s_objects_raw.tsv", "events": "k8s_events_raw.tsv", "logs": "otel_logs_raw.tsv",
           "traces": "otel_traces_raw.tsv", "pod_metrics": "metrics/pod_cart-abc-123_raw.tsv",
           "service_metrics": "metrics/service_cart_raw.tsv"}


def _sample_rows() -> dict[str, tuple[list[str], list[list[str]]]]:
    folder = simulated()
    out = {}
    metric = {"pod_metrics": sorted((folder / "metrics").glob("pod_*"))[0],
              "service_metrics": sorted((folder / "metrics").glob("service_*"))[0]}
    for source, name in SOURCES.items():
        path = metric.get(source, folder / name)
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh, delimiter="\t"))
        body = rows[1:]
        step = max(1, len(body) // 40)
        out[source] = (rows[0], body[::step][:40])
    return out


SAMPLES: dict[str, tuple[list[str], list[list[str]]]] = {}

garbage_field = st.one_of(
    st.text(max_size=40),
    st.sampled_from([
        "", "\t", '"', '""', '"unterminated', 'a"b', "\n", "\r\n", "\r", "\x00", "\ufeff", "NULL", "None", "nan", "inf",
        "-1", "1e309", "2025-13-01 00:00:00", "2025-01-01 25:61:61.9999999999", "0000-00-00 00:00:00", "1735725600",
        "17357256000000000000000", "{", "}", "{'k8s.pod.name': ", "{'service.name': 5}", "{'a': {'b': [1, 2}",
        "{'k8s.pod.name': 'x\\'y'}", "[]", "{}", '{"type": "ADDED", "object": 5}', '{"type": "ADDED", "object": {"involvedObject": 3}}',
        '{"kind": "PodList", "items": [1, null, {"metadata": 5}]}', '{"kind": 5, "metadata": {"name": ["x"]}}',
        '{"metadata": {"name": "x"}, "kind": "Pod", "status": {"containerStatuses": "no"}}', "[" * 5000, '{"a":' * 3000,
        "STATUS_CODE_ERROR", "SPAN_KIND_SERVER", "Error", "-5", "99999999999999999999999",
    ]),
)


@st.composite
def tsv_fragment(draw: Any) -> tuple[str, bytes]:
    source = draw(st.sampled_from(sorted(SOURCES)))
    header, rows = SAMPLES[source]
    header = list(header)
    hmut = draw(st.sampled_from(["keep", "keep", "keep", "drop", "dup", "lower", "shuffle", "empty", "garbage"]))
    if hmut == "drop" and header:
        header.pop(draw(st.integers(0, len(header) - 1)))
    elif hmut == "dup" and header:
        header.append(header[draw(st.integers(0, len(header) - 1))])
    elif hmut == "lower":
        header = [h.lower() for h in header]
    elif hmut == "shuffle":
        header = draw(st.permutations(header))
    elif hmut == "empty":
        header = []
    elif hmut == "garbage":
        header = draw(st.lists(st.text(max_size=10), max_size=6))
    out_rows: list[list[str]] = []
    for _ in range(draw(st.integers(0, 8))):
        row = list(draw(st.sampled_from(rows))) if rows else []
        for _ in range(draw(st.integers(0, 4))):
            op = draw(st.sampled_from(["replace", "replace", "drop", "add", "cut"]))
            if op == "replace" and row:
                row[draw(st.integers(0, len(row) - 1))] = draw(garbage_field)
            elif op == "drop" and row:
                row.pop(draw(st.integers(0, len(row) - 1)))
            elif op == "add":
                row.append(draw(garbage_field))
            elif op == "cut" and row:
                i = draw(st.integers(0, len(row) - 1))
                row[i] = row[i][: draw(st.integers(0, max(0, len(row[i]))))]
        out_rows.append(row)
    buf = io.StringIO()
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_NONE, csv.QUOTE_ALL]))
    writer = csv.writer(buf, delimiter="\t", lineterminator="\n", quoting=quoting, escapechar="\\")
    for row in [header, *out_rows]:
        try:
            writer.writerow(row)
        except csv.Error:  # e.g. QUOTE_NONE refuses a record of one empty field: write it raw
            buf.write("\t".join(row) + "\n")
    data = buf.getvalue().encode("utf-8", "surrogatepass")
    raw = draw(st.sampled_from(["none", "none", "none", "quote", "invalid_utf8", "nul", "truncate", "crlf"]))
    if raw == "quote" and data:
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + b'"' + data[i:]
    elif raw == "invalid_utf8" and data:
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + b"\xff\xfe\xc3" + data[i:]
    elif raw == "nul" and data:
        data = data.replace(b"\t", b"\x00", draw(st.integers(1, 3)))
    elif raw == "truncate" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif raw == "crlf":
        data = data.replace(b"\n", b"\r\n")
    return source, data


def _exercise(backend: SnapshotBackend) -> None:
    backend.now()
    backend.window()
    for o in backend.list_objects()[:5]:
        backend.object_history(o.kind, o.namespace, o.name)
        o.ref.id  # noqa: B018
    backend.list_objects("Pod", "otel-demo")
    for e in backend.events()[:5]:
        e.involved.id  # noqa: B018
    list(backend.logs(service="cart"))
    list(backend.logs(since=0, until=2e9))
    list(backend.spans())
    list(backend.spans(service="cart", since=0))
    for name in backend.metric_names()[:3]:
        backend.metric_series(name)
    backend.metric_names({"pod": "cart-abc-123"})
    backend.alerts()
    for p in backend.problems():
        assert isinstance(p.source, str) and isinstance(p.problem, str)


def test_snapshot_fragments_never_crash() -> None:
    SAMPLES.update(_sample_rows())
    tried = {"fragments": 0, "with_problems": 0}
    with tempfile.TemporaryDirectory(prefix="sre-fuzz-") as tmp:
        root = Path(tmp)

        @settings(max_examples=1000, **SETTINGS)
        @given(tsv_fragment())
        def one(fragment: tuple[str, bytes]) -> None:
            source, data = fragment
            folder = root / f"s{tried['fragments']}"
            (folder / "metrics").mkdir(parents=True)
            (folder / SOURCES[source]).write_bytes(data)
            backend = SnapshotBackend(folder)
            _exercise(backend)
            tried["fragments"] += 1
            if any(p.source == SOURCES[source] for p in backend.problems()):
                tried["with_problems"] += 1

        one()
    print(f"\nsnapshot fragments tried: {tried['fragments']} ({tried['with_problems']} reported as problems of their file), "
          "crashes: 0")
    assert tried["fragments"] >= 1000


def test_huge_source_file_refused_by_size(tmp_path: Path) -> None:
    """A (sparse) source file above the reader's limit is reported, never read."""
    from sre_agent.snapshot import tsv

    folder = tmp_path / "s"
    (folder / "alerts").mkdir(parents=True)
    with open(folder / "otel_traces_raw.tsv", "wb") as fh:
        fh.truncate(tsv.MAX_BYTES + 1)
    with open(folder / "alerts" / "alerts_at_2025-01-01T10-00-00.000000.json", "wb") as fh:
        fh.truncate(120 * 1024 * 1024)
    backend = SnapshotBackend(folder)
    assert backend.spans() == [] and backend.alerts() == []
    problems = {p.source: p.problem for p in backend.problems()}
    assert "larger than" in problems["otel_traces_raw.tsv"]
    assert "larger than" in problems["alerts/alerts_at_2025-01-01T10-00-00.000000.json"]


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_missing_and_corrupt_files_reported_per_file(source: str, tmp_path: Path) -> None:
    """Every source file missing, or corrupt, shows in problems() under its own name."""
    from robust_helpers import copy_scenario

    folder = copy_scenario(simulated(), tmp_path / "s")
    target = folder / SOURCES[source] if "metrics" not in source else \
        sorted((folder / "metrics").glob(("pod_" if source == "pod_metrics" else "service_") + "*"))[0]
    target.write_bytes(b"\xff\x00garbage\tno\theader\n\"unterminated\n")
    (folder / "k8s_events_raw.tsv").unlink() if source != "events" else (folder / "otel_logs_raw.tsv").unlink()
    backend = SnapshotBackend(folder)
    _exercise(backend)
    problems = {p.source: p.problem for p in backend.problems()}
    rel = str(target.relative_to(folder))
    assert rel in problems, problems
    missing = "k8s_events_raw.tsv" if source != "events" else "otel_logs_raw.tsv"
    assert problems[missing] == "file missing"
