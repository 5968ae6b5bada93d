"""A Jaeger query-API stand-in: recorded spans served as Jaeger's ``/api`` JSON.

:func:`jaeger_routes` answers ``/api/services``, ``/api/traces`` (search by service and time) and
``/api/traces/<id>`` like the query service, for a :class:`~.stub_http.StubHTTPServer`.

Example::

    with StubHTTPServer(routes=jaeger_routes(snapshot.spans())) as jaeger:
        JaegerBackend(jaeger.url).spans("quote")
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from .stub_http import Reply, SeenRequest

_JAEGER_KINDS = {"Server": "server", "Client": "client", "Internal": "internal", "Producer": "producer",
                 "Consumer": "consumer"}


def _jaeger_tag(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "type": "bool", "value": value}
    if isinstance(value, int):
        return {"key": key, "type": "int64", "value": value}
    if isinstance(value, float):
        return {"key": key, "type": "float64", "value": value}
    return {"key": key, "type": "string", "value": value if isinstance(value, str) else str(value)}


def spans_to_jaeger(spans: Iterable[Any]) -> list[dict[str, Any]]:
    """:class:`~sre_agent.models.Span` records -> Jaeger query-API trace objects (``/api/traces`` data).

    Times are whole microseconds (Jaeger's resolution); kind and status become the ``span.kind`` /
    ``otel.status_code`` / ``otel.status_description`` tags; the span's attributes become tags and its
    resource attributes the process tags (one process per distinct service + resource).
    """
    by_trace: dict[str, list[Any]] = {}
    for s in spans:
        by_trace.setdefault(s.trace_id, []).append(s)
    out: list[dict[str, Any]] = []
    for trace_id, members in by_trace.items():
        processes: dict[tuple[str, str], str] = {}
        procs_json: dict[str, Any] = {}
        raw_spans = []
        for s in members:
            pkey = (s.service, s.resource_text)
            pid = processes.get(pkey)
            if pid is None:
                pid = processes[pkey] = f"p{len(processes) + 1}"
                res = {k: v for k, v in s.resource.items() if k != "service.name"}
                procs_json[pid] = {"serviceName": s.service, "tags": [_jaeger_tag(k, v) for k, v in res.items()]}
            tags = [_jaeger_tag(k, v) for k, v in s.attributes.items()]
            if s.kind in _JAEGER_KINDS:
                tags.append(_jaeger_tag("span.kind", _JAEGER_KINDS[s.kind]))
            if s.status in ("Error", "Ok"):
                tags.append(_jaeger_tag("otel.status_code", s.status.upper()))
            if s.status_message:
                tags.append(_jaeger_tag("otel.status_description", s.status_message))
            refs = [{"refType": "CHILD_OF", "traceID": trace_id, "spanID": s.parent_span_id}] if s.parent_span_id else []
            raw_spans.append({"traceID": trace_id, "spanID": s.span_id, "operationName": s.name, "references": refs,
                              "startTime": int(round(s.start * 1e6)), "duration": int(round(s.duration_ns / 1000)),
                              "tags": tags, "logs": [], "processID": pid, "warnings": None})
        out.append({"traceID": trace_id, "spans": raw_spans, "processes": procs_json, "warnings": None})
    return out


def jaeger_routes(spans: Iterable[Any]) -> dict[str, Callable[[SeenRequest], Reply]]:
    """:class:`StubHTTPServer` routes answering Jaeger's ``/api/services``, ``/api/traces`` and
    ``/api/traces/<id>`` like the query service: a search returns a trace whole when one of its
    spans is emitted by ``service`` and starts within ``[start, end]`` (µs); ``limit`` caps the
    number of traces; an unknown trace id is a 404."""
    return trace_routes(spans_to_jaeger(spans))


def trace_routes(traces: list[dict[str, Any]]) -> dict[str, Callable[[SeenRequest], Reply]]:
    """:func:`jaeger_routes` over traces already in Jaeger's JSON form."""
    index: dict[str, list[tuple[int, int, dict[str, Any]]]] = {}
    for tr in traces:
        first: dict[str, tuple[int, int]] = {}
        for sp in tr["spans"]:
            svc = tr["processes"][sp["processID"]]["serviceName"]
            lo, hi = first.get(svc, (sp["startTime"], sp["startTime"]))
            first[svc] = (min(lo, sp["startTime"]), max(hi, sp["startTime"]))
        for svc, (lo, hi) in first.items():
            index.setdefault(svc, []).append((lo, hi, tr))
    for rows in index.values():
        rows.sort(key=lambda r: r[0])
    encoded = {tr["traceID"]: json.dumps(tr).encode() for tr in traces}

    def services(req: SeenRequest) -> Reply:
        return 200, {"data": sorted(index), "total": len(index)}

    def find(req: SeenRequest) -> Reply:
        q = {k: v[-1] for k, v in req.query.items()}
        svc = q.get("service", "")
        start = int(q.get("start", 0))
        end = int(q.get("end", 2 ** 62))
        limit = int(q.get("limit", 20))
        # a trace matches when one of the service's spans starts in [start, end]
        hits = [tr for lo, hi, tr in index.get(svc, []) if hi >= start and lo <= end
                and any(start <= sp["startTime"] <= end for sp in tr["spans"]
                        if tr["processes"][sp["processID"]]["serviceName"] == svc)]
        hits = hits[:limit]
        return 200, b'{"data": [' + b",".join(encoded[tr["traceID"]] for tr in hits) + b'], "total": %d}' % len(hits)

    def by_id(req: SeenRequest) -> Reply:
        trace_id = req.path.rsplit("/", 1)[-1]
        if trace_id not in encoded:
            return 404, {"data": None, "errors": [{"code": 404, "msg": "trace not found"}]}
        return 200, b'{"data": [' + encoded[trace_id] + b'], "total": 0}'

    return {"/api/services": services, "/api/traces": find, "/api/traces/*": by_id}
