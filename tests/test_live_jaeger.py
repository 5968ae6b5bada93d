"""JaegerBackend against a loopback server answering recorded Jaeger query-API JSON."""

from __future__ import annotations

import pytest

from sre_agent.backends.jaeger import JaegerBackend
from live_servers import StubHTTPServer

pytestmark = pytest.mark.live

T = 1_704_067_200_000_000  # µs

TRACE = {
    "traceID": "4bf92f3577b34da6a3ce929d0e0e4736",
    "spans": [
        {"traceID": "4bf92f3577b34da6a3ce929d0e0e4736", "spanID": "00f067aa0ba902b7", "operationName": "POST /api/checkout",
         "references": [], "startTime": T, "duration": 250_000, "processID": "p1",
         "tags": [{"key": "span.kind", "type": "string", "value": "server"},
                  {"key": "http.status_code", "type": "int64", "value": 500},
                  {"key": "otel.status_code", "type": "string", "value": "ERROR"},
                  {"key": "otel.status_description", "type": "string", "value": "cart unavailable"}]},
        {"traceID": "4bf92f3577b34da6a3ce929d0e0e4736", "spanID": "b7ad6b7169203331", "operationName": "oteldemo.CartService/GetCart",
         "references": [{"refType": "CHILD_OF", "traceID": "4bf92f3577b34da6a3ce929d0e0e4736", "spanID": "00f067aa0ba902b7"}],
         "startTime": T + 1_000, "duration": 200_000, "processID": "p1",
         "tags": [{"key": "span.kind", "type": "string", "value": "client"}, {"key": "error", "type": "bool", "value": True}]},
        {"traceID": "4bf92f3577b34da6a3ce929d0e0e4736", "spanID": "c0ffee0000000001", "operationName": "GetCart",
         "references": [{"refType": "CHILD_OF", "traceID": "4bf92f3577b34da6a3ce929d0e0e4736", "spanID": "b7ad6b7169203331"}],
         "startTime": T + 2_000, "duration": 1_500, "processID": "p2",
         "tags": [{"key": "span.kind", "type": "string", "value": "server"}, {"key": "otel.status_code", "type": "string", "value": "OK"}],
         "logs": [{"timestamp": T + 2_100, "fields": [{"key": "event", "type": "string", "value": "feature_flag.evaluation"},
                                                      {"key": "feature_flag.key", "type": "string", "value": "cartFailure"},
                                                      {"key": "feature_flag.result.variant", "type": "string", "value": "on"}]}]},
    ],
    "processes": {"p1": {"serviceName": "checkout", "tags": [{"key": "k8s.pod.name", "type": "string", "value": "checkout-5f4d8-xyz12"}]},
                  "p2": {"serviceName": "cart", "tags": []}},
}


def traces_route(req):
    svc = req.query.get("service", [""])[0]
    assert {"start", "end", "limit"} <= set(req.query)
    return 200, {"data": [TRACE] if svc in ("checkout", "cart") else [], "total": 0, "limit": 0, "offset": 0, "errors": None}


@pytest.fixture(scope="module")
def jaeger():
    routes = {"/api/services": (200, {"data": ["cart", "checkout", "frontend"], "total": 3}), "/api/traces": traces_route}
    with StubHTTPServer(routes) as stub:
        yield stub, JaegerBackend(stub.url, max_traces=50)


def test_services(jaeger):
    _, backend = jaeger
    assert backend.services() == ["cart", "checkout", "frontend"]


def test_spans_of_one_service(jaeger):
    stub, backend = jaeger
    spans = backend.spans("checkout", since=T / 1e6 - 60, until=T / 1e6 + 60)
    assert [s.span_id for s in spans] == ["00f067aa0ba902b7", "b7ad6b7169203331"]
    root, child = spans
    assert root.parent_span_id == "" and child.parent_span_id == "00f067aa0ba902b7"
    assert root.kind == "Server" and child.kind == "Client"
    assert root.status == "Error" and root.status_message == "cart unavailable" and child.is_error
    assert root.duration_ns == 250_000_000 and root.duration_ms == 250.0
    assert root.start == pytest.approx(T / 1e6)
    assert root.attributes == {"http.status_code": 500}
    assert root.resource == {"service.name": "checkout", "k8s.pod.name": "checkout-5f4d8-xyz12"}
    q = [r.query for r in stub.seen if r.path == "/api/traces"][-1]
    assert q["service"] == ["checkout"] and q["limit"] == ["50"]
    assert q["start"] == [str(int(T - 60e6))] and q["end"] == [str(int(T + 60e6))]


def test_all_services_deduplicated(jaeger):
    _, backend = jaeger
    spans = backend.spans(since=T / 1e6 - 60, until=T / 1e6 + 60)
    assert len(spans) == 3
    cart = [s for s in spans if s.service == "cart"]
    assert len(cart) == 1 and cart[0].status == "Ok" and cart[0].parent_span_id == "b7ad6b7169203331"
    assert backend.problems() == []


def test_bad_answer_is_a_problem():
    with StubHTTPServer({"/api/services": (200, b"<html>not json</html>")}) as stub:
        backend = JaegerBackend(stub.url)
        assert backend.spans() == []
        assert any("not JSON" in p.problem for p in backend.problems())


def test_each_search_is_asked_once_and_each_trace_fetched_once():
    """The trace crossing checkout and cart comes back from both searches: it is converted once,
    a repeated spans() asks nothing again, and trace(id) fetches only what no search brought."""
    other = {"traceID": "feedfacefeedface", "spans": [dict(TRACE["spans"][2], traceID="feedfacefeedface",
                                                          spanID="0000000000000042", references=[])],
             "processes": {"p2": {"serviceName": "cart", "tags": []}}}

    def by_id(req):
        return (200, {"data": [other]}) if req.path.endswith("/feedfacefeedface") else (404, {"data": None})

    routes = {"/api/services": (200, {"data": ["cart", "checkout", "frontend"]}), "/api/traces": traces_route,
              "/api/traces/*": by_id}
    window = {"since": T / 1e6 - 60, "until": T / 1e6 + 60}
    with StubHTTPServer(routes) as stub:
        backend = JaegerBackend(stub.url, max_workers=2)
        first = backend.spans(**window)
        assert backend.spans(**window) == first and len(first) == 3
        assert backend.spans("cart", **window) == [s for s in first if s.service == "cart"]
        searched = sorted(r.query["service"][0] for r in stub.seen if r.path == "/api/traces")
        assert searched == ["cart", "checkout", "frontend"]  # once each, the cart-only call included
        assert len(backend._traces) == 1
        asked = len(stub.seen)
        assert [s.span_id for s in backend.trace(TRACE["traceID"])] == [s["spanID"] for s in TRACE["spans"]]
        assert len(stub.seen) == asked  # known from the searches: not fetched
        assert [s.span_id for s in backend.trace("feedfacefeedface")] == ["0000000000000042"]
        assert backend.trace("feedfacefeedface") and backend.trace("0123") == [] and backend.trace("0123") == []
        assert [r.path for r in stub.seen[asked:]] == ["/api/traces/feedfacefeedface", "/api/traces/0123"]
        assert backend.problems() == []  # an unknown trace id is an answer, not a broken source
        backend.refresh()
        backend.spans("cart", **window)
        assert len(stub.seen) == asked + 3


def test_typed_decode_equals_the_tolerant_one():
    """decode_trace (msgspec straight into typed views) gives what spans_from_trace gives on the
    decoded JSON, and falls back to it for answers that do not fit the views."""
    import json

    from sre_agent.backends.jaeger import decode_trace, spans_from_trace

    odd = json.loads(json.dumps(TRACE))
    odd["spans"][0]["tags"].append({"value": "no key"})          # skipped by both
    odd["spans"][1]["spanID"] = 12345                            # a number: the tolerant path
    odd["spans"][2]["references"] = [{"spanID": "b7ad6b7169203331"}]  # refType defaults to CHILD_OF
    for trace in (TRACE, odd):
        spans = decode_trace(json.dumps(trace).encode())
        assert spans == spans_from_trace(trace) and len(spans) == 3
    assert decode_trace(json.dumps(odd).encode())[1].span_id == "12345"
    assert decode_trace(b'{"spans": [{"spanID": "x", "startTime": "soon"}]}') == []


def test_span_logs_are_span_events_that_name_flag_evaluators():
    """Jaeger keeps span events as logs (the name in field ``event``): they reach the Span, and
    the flag analysis reads the evaluating service from them."""
    import json

    from sre_agent.analysis.flags import evaluations_from_spans
    from sre_agent.backends.jaeger import decode_trace

    spans = decode_trace(json.dumps(TRACE).encode())
    assert spans[2].event_names == "['feature_flag.evaluation']" and spans[0].event_names == ""
    assert {k: dict(v) for k, v in evaluations_from_spans(spans).items()} == {"cartFailure": {"cart": 1}}
