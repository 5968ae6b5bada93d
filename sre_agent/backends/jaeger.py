"""Spans from a live Jaeger query service (``/api/services``, ``/api/traces``).

Jaeger's JSON (``{"data": [{"traceID", "spans": [...], "processes": {...}}]}``) is mapped to
:class:`~sre_agent.models.Span`: ``startTime`` (µs) -> seconds, ``duration`` (µs) -> ns, the
``CHILD_OF`` reference -> parent span id, ``span.kind`` tag -> ``Server`` / ``Client`` / ...,
``otel.status_code`` (or ``error=true``) -> ``Error`` / ``Ok`` / ``Unset``, the other tags ->
``attributes_text`` and the process (service name + tags) -> ``resource_text``.

Example::

    jaeger = JaegerBackend("http://127.0.0.1:16686")
    errors = [s for s in jaeger.spans("checkout", since=t0, until=t1) if s.is_error]
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import msgspec

from ..models import Span, SourceProblem
from ._parallel import DEFAULT_WORKERS, ReadOnce, bounded_map
from ._redact import one_line
from ._retry import BackendRequestError, RetryPolicy, get_bytes, get_json, plain_session
from .base import BackendUnavailable

class _Answer(msgspec.Struct):
    """A query-API answer whose traces stay undecoded JSON (``msgspec.Raw``) until needed."""

    data: list[msgspec.Raw] | None = None


class _TraceHead(msgspec.Struct):
    """Only a trace's id: msgspec skips the rest of the trace without building it."""

    traceID: str | None = None


_KINDS = {"server": "Server", "client": "Client", "internal": "Internal", "producer": "Producer", "consumer": "Consumer"}


def _tags(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tag in items or []:
        if isinstance(tag, dict) and "key" in tag:
            out[str(tag["key"])] = tag.get("value")
    return out


def _events(logs: list[dict[str, Any]]) -> tuple[str, str]:
    """Jaeger span logs -> (event names, event attributes) list texts, as the recorder writes
    them (the name is the ``event`` field); ("", "") when there are none."""
    names, attrs = [], []
    for fields in logs:
        fields = dict(fields)
        names.append(str(fields.pop("event", "") or ""))
        attrs.append(fields)
    return (repr(names), repr(attrs)) if names else ("", "")


def _make_span(trace_id: str, span_id: str, name: str, parent: str, start_us: Any, duration_us: Any,
               tags: dict[str, Any], service: str, resource_text: str,
               events: tuple[str, str] = ("", "")) -> Span | None:
    """The :class:`Span` of one Jaeger span's parts (``tags`` is consumed); ``None`` if its times are unreadable."""
    kind = _KINDS.get(str(tags.pop("span.kind", "")).lower(), "Unspecified")
    code = str(tags.pop("otel.status_code", "")).upper()
    message = str(tags.pop("otel.status_description", "") or "")
    error_flag = tags.get("error") in (True, "true", "True", 1)
    status = "Error" if code in ("ERROR", "STATUS_CODE_ERROR") or error_flag else \
             "Ok" if code in ("OK", "STATUS_CODE_OK") else "Unset"
    try:
        start = float(start_us or 0) / 1e6
        duration_ns = int(round(float(duration_us or 0) * 1000))
    except (TypeError, ValueError):
        return None
    return Span(start=start, trace_id=trace_id, span_id=span_id, parent_span_id=parent, name=name, kind=kind,
                service=service, duration_ns=duration_ns, status=status, status_message=message,
                attributes_text=repr(tags), resource_text=resource_text, event_names=events[0],
                event_attributes=events[1])


def _resource(service: str, tags: dict[str, Any]) -> tuple[str, str]:
    return service, repr({"service.name": service} | tags)


def spans_from_trace(trace: dict[str, Any]) -> list[Span]:
    """Every span of one Jaeger trace object (decoded JSON), as :class:`Span` records."""
    processes = trace.get("processes") or {}
    resources: dict[Any, tuple[str, str]] = {}  # processID -> (service, resource_text), built once
    out: list[Span] = []
    for raw in trace.get("spans") or []:
        if not isinstance(raw, dict):
            continue
        pid = raw.get("processID")
        entry = resources.get(pid) if pid is not None else None
        if entry is None:
            process = processes.get(pid) or raw.get("process") or {}
            entry = _resource(str(process.get("serviceName") or ""), _tags(process.get("tags")))
            if pid is not None:
                resources[pid] = entry
        parent = ""
        for ref in raw.get("references") or []:
            if isinstance(ref, dict) and ref.get("refType", "CHILD_OF") == "CHILD_OF":
                parent = str(ref.get("spanID") or "")
                break
        span = _make_span(str(raw.get("traceID") or trace.get("traceID") or ""), str(raw.get("spanID") or ""),
                          str(raw.get("operationName") or ""), parent or str(raw.get("parentSpanID") or ""),
                          raw.get("startTime"), raw.get("duration"), _tags(raw.get("tags")), *entry,
                          events=_events([_tags(log.get("fields")) for log in raw.get("logs") or [] if isinstance(log, dict)]))
        if span is not None:
            out.append(span)
    return out


# Typed views of a trace: msgspec decodes straight into these (no dicts), several times faster
# than decoding JSON into dicts; an answer that does not fit them goes through spans_from_trace.
class _Tag(msgspec.Struct):
    key: str  # required: a tag without a key (or a null one) goes through spans_from_trace
    value: Any = None


class _Ref(msgspec.Struct):
    refType: str = "CHILD_OF"
    spanID: str | None = None


class _Process(msgspec.Struct):
    serviceName: str | None = None
    tags: list[_Tag] | None = None


class _Log(msgspec.Struct):
    timestamp: float | None = None
    fields: list[_Tag] | None = None


class _RawSpan(msgspec.Struct):
    traceID: str | None = None
    spanID: str | None = None
    operationName: str | None = None
    references: list[_Ref] | None = None
    parentSpanID: str | None = None
    startTime: float | None = None
    duration: float | None = None
    tags: list[_Tag] | None = None
    logs: list[_Log] | None = None
    processID: str | None = None
    process: _Process | None = None


class _Trace(msgspec.Struct):
    traceID: str | None = None
    spans: list[_RawSpan] | None = None
    processes: dict[str, _Process] | None = None


def _tag_map(tags: list[_Tag] | None) -> dict[str, Any]:
    return {t.key: t.value for t in tags or ()}


def _spans_from_struct(trace: _Trace) -> list[Span]:
    """:func:`spans_from_trace` for a trace decoded into the typed views (same result)."""
    processes = trace.processes or {}
    resources: dict[str, tuple[str, str]] = {}
    out: list[Span] = []
    for raw in trace.spans or []:
        pid = raw.processID
        entry = resources.get(pid) if pid is not None else None
        if entry is None:
            process = (processes.get(pid) if pid is not None else None) or raw.process or _Process()
            entry = _resource(process.serviceName or "", _tag_map(process.tags))
            if pid is not None:
                resources[pid] = entry
        parent = next((ref.spanID or "" for ref in raw.references or () if ref.refType == "CHILD_OF"), "")
        span = _make_span(raw.traceID or trace.traceID or "", raw.spanID or "", raw.operationName or "",
                          parent or raw.parentSpanID or "", raw.startTime, raw.duration, _tag_map(raw.tags), *entry,
                          events=_events([_tag_map(log.fields) for log in raw.logs or ()]))
        if span is not None:
            out.append(span)
    return out


def decode_trace(raw: bytes | msgspec.Raw) -> list[Span]:
    """One trace's JSON -> its spans (typed decode; the tolerant dict path when it does not fit)."""
    try:
        return _spans_from_struct(msgspec.json.decode(raw, type=_Trace))
    except msgspec.ValidationError:
        trace = msgspec.json.decode(raw)
        return spans_from_trace(trace) if isinstance(trace, dict) else []


class JaegerBackend:
    """Read-only client of Jaeger's query HTTP API.

    Jaeger searches by service only, and answers whole traces: a trace that crosses eight
    services comes back in eight searches.  Each trace is therefore converted once, by trace id,
    and kept for the life of the backend (one triage); a search is asked once per window, the
    searches of different services run concurrently (at most ``max_workers``), and
    :meth:`trace` fetches a trace not seen yet by its id (``/api/traces/<id>``).
    """

    name = "jaeger"

    def __init__(self, url: str, *, headers: dict[str, str] | None = None, verify_tls: bool = True,
                 policy: RetryPolicy | None = None, max_traces: int = 200, lookback_s: float = 3600.0,
                 clock: Callable[[], float] = time.time, max_workers: int = DEFAULT_WORKERS) -> None:
        self.url = url.rstrip("/")
        self._headers = dict(headers or {})
        self._policy = policy or RetryPolicy()
        self._max_traces = max_traces
        self._lookback = lookback_s
        self._clock = clock
        self._workers = max_workers
        self._session = plain_session()
        self._session.verify = verify_tls
        self._problems: dict[str, SourceProblem] = {}
        self._lock = threading.Lock()
        self._reads = ReadOnce()
        self._traces: dict[str, list[Span]] = {}  # trace id -> its spans, converted once

    def __repr__(self) -> str:
        return f"JaegerBackend({self.url!r})"

    @classmethod
    def from_config(cls, cfg: Any, policy: RetryPolicy | None = None, lookback_s: float = 3600.0) -> "JaegerBackend":
        return cls(cfg.url, headers=cfg.auth_headers(), verify_tls=cfg.verify_tls, policy=policy,
                   max_traces=cfg.max_traces, lookback_s=lookback_s)

    def _get(self, path: str, params: Any = None) -> Any:
        return self._policy.call(f"jaeger {self.url}", get_json, self._session, self.url + path, params=params,
                                 headers=self._headers, timeout=self._policy.timeout)

    def _soft(self, what: str, path: str, params: Any = None) -> Any:
        try:
            return self._get(path, params)
        except (BackendUnavailable, BackendRequestError) as exc:
            with self._lock:
                self._problems[what] = SourceProblem(source=self.name, problem=one_line(f"{what}: {exc}"))
            return None

    def check(self) -> None:
        self._get("/api/services")

    def services(self) -> list[str]:
        """The services Jaeger knows (read once per backend)."""
        def read() -> list[str]:
            data = self._soft("services", "/api/services")
            return sorted(str(s) for s in (data or {}).get("data") or [] if s)
        return list(self._reads.get(("services",), read))

    def _window(self, since: float | None, until: float | None) -> tuple[float, float]:
        end = until if until is not None else self._clock()
        start = since if since is not None else end - self._lookback
        return start, end

    def _raw_traces(self, what: str, path: str, params: Any = None, missing_ok: bool = False) -> list[msgspec.Raw]:
        """The ``data`` of one answer, each trace left as raw JSON; ``[]`` (and a problem, unless a
        404 is an expected answer) on failure."""
        try:
            body = self._policy.call(f"jaeger {self.url}", get_bytes, self._session, self.url + path, params=params,
                                     headers=self._headers, timeout=self._policy.timeout)
            return msgspec.json.decode(body, type=_Answer).data or []
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            problem: Exception = BackendRequestError(f"{self.url}{path}: answer is not Jaeger JSON: {exc}")
        except (BackendUnavailable, BackendRequestError) as exc:
            if missing_ok and getattr(exc, "status", None) == 404:
                return []
            problem = exc
        with self._lock:
            self._problems[what] = SourceProblem(source=self.name, problem=one_line(f"{what}: {problem}"))
        return []

    def traces(self, service: str, since: float | None = None, until: float | None = None,
               limit: int | None = None) -> list[dict[str, Any]]:
        """One search, as Jaeger answers it: the traces with a span of ``service`` in the window."""
        out = []
        for raw in self._search_raw(service, since, until, limit):
            trace = msgspec.json.decode(raw)
            if isinstance(trace, dict):
                out.append(trace)
        return out

    def _search_raw(self, service: str, since: float | None, until: float | None,
                    limit: int | None = None) -> list[msgspec.Raw]:
        start, end = self._window(since, until)
        params = {"service": service, "start": str(int(start * 1e6)), "end": str(int(end * 1e6)),
                  "limit": str(limit or self._max_traces)}
        return self._raw_traces(f"traces of {service}", "/api/traces", params)

    def _keep(self, raw: msgspec.Raw) -> str:
        """Convert a raw trace unless a trace of that id already was; its id ('' if unreadable)."""
        try:
            trace_id = msgspec.json.decode(raw, type=_TraceHead).traceID or ""
        except (msgspec.DecodeError, msgspec.ValidationError):
            return ""
        with self._lock:
            known = bool(trace_id) and trace_id in self._traces
        if known:
            return trace_id
        try:
            converted = decode_trace(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return ""
        trace_id = trace_id or (converted[0].trace_id if converted else "")
        if trace_id:
            with self._lock:
                self._traces.setdefault(trace_id, converted)
        return trace_id

    def _search(self, service: str, start: float, end: float) -> tuple[str, ...]:
        """The ids of the traces one search finds (asked once per service and window)."""
        def read() -> tuple[str, ...]:
            ids = (self._keep(raw) for raw in self._search_raw(service, start, end))
            return tuple(i for i in dict.fromkeys(ids) if i)
        return self._reads.get(("search", service, int(start * 1e6), int(end * 1e6)), read)

    def trace(self, trace_id: str) -> list[Span]:
        """Every span of one trace: kept from an earlier search, else fetched by id once."""
        with self._lock:
            if trace_id in self._traces:
                return list(self._traces[trace_id])

        def read() -> list[Span]:
            for raw in self._raw_traces(f"trace {trace_id}", f"/api/traces/{quote(trace_id, safe='')}",
                                        missing_ok=True):
                self._keep(raw)
            with self._lock:
                return list(self._traces.get(trace_id, []))
        return self._reads.get(("trace", trace_id), read)

    def spans(self, service: str | None = None, since: float | None = None, until: float | None = None) -> list[Span]:
        start, end = self._window(since, until)
        services = [service] if service else self.services()
        found: dict[tuple[str, str], Span] = {}
        for ids in bounded_map(lambda svc: self._search(svc, start, end), services, self._workers):
            for trace_id in ids:
                with self._lock:
                    members = self._traces.get(trace_id, [])
                for span in members:
                    if service and span.service != service:
                        continue
                    if (since is not None and span.start < since) or (until is not None and span.start > until):
                        continue
                    found.setdefault((span.trace_id, span.span_id), span)
        return sorted(found.values(), key=lambda s: (s.start, s.trace_id, s.span_id))

    def refresh(self) -> None:
        """Forget every trace and search read so far (the next call asks Jaeger again)."""
        self._reads.clear()
        with self._lock:
            self._traces.clear()

    def problems(self) -> list[SourceProblem]:
        with self._lock:
            return list(self._problems.values())

    def close(self) -> None:
        self._session.close()
