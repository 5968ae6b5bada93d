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

from ..models import Span, SourceProblem
from ._redact import one_line
from ._retry import BackendRequestError, RetryPolicy, get_json, plain_session
from .base import BackendUnavailable

_KINDS = {"server": "Server", "client": "Client", "internal": "Internal", "producer": "Producer", "consumer": "Consumer"}


def _tags(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tag in items or []:
        if isinstance(tag, dict) and "key" in tag:
            out[str(tag["key"])] = tag.get("value")
    return out


def spans_from_trace(trace: dict[str, Any]) -> list[Span]:
    """Every span of one Jaeger trace object, as :class:`Span` records."""
    processes = trace.get("processes") or {}
    out: list[Span] = []
    for raw in trace.get("spans") or []:
        if not isinstance(raw, dict):
            continue
        tags = _tags(raw.get("tags"))
        process = processes.get(raw.get("processID")) or raw.get("process") or {}
        service = str(process.get("serviceName") or "")
        parent = ""
        for ref in raw.get("references") or []:
            if isinstance(ref, dict) and ref.get("refType", "CHILD_OF") == "CHILD_OF":
                parent = str(ref.get("spanID") or "")
                break
        if not parent:
            parent = str(raw.get("parentSpanID") or "")
        kind = _KINDS.get(str(tags.pop("span.kind", "")).lower(), "Unspecified")
        code = str(tags.pop("otel.status_code", "")).upper()
        message = str(tags.pop("otel.status_description", "") or "")
        error_flag = tags.get("error") in (True, "true", "True", 1)
        status = "Error" if code in ("ERROR", "STATUS_CODE_ERROR") or error_flag else \
                 "Ok" if code in ("OK", "STATUS_CODE_OK") else "Unset"
        resource = {"service.name": service} | _tags(process.get("tags"))
        try:
            start = float(raw.get("startTime") or 0) / 1e6
            duration_ns = int(round(float(raw.get("duration") or 0) * 1000))
        except (TypeError, ValueError):
            continue
        out.append(Span(
            start=start, trace_id=str(raw.get("traceID") or trace.get("traceID") or ""),
            span_id=str(raw.get("spanID") or ""), parent_span_id=parent, name=str(raw.get("operationName") or ""),
            kind=kind, service=service, duration_ns=duration_ns, status=status, status_message=message,
            attributes_text=repr(tags), resource_text=repr(resource),
        ))
    return out


class JaegerBackend:
    """Read-only client of Jaeger's query HTTP API."""

    name = "jaeger"

    def __init__(self, url: str, *, headers: dict[str, str] | None = None, verify_tls: bool = True,
                 policy: RetryPolicy | None = None, max_traces: int = 200, lookback_s: float = 3600.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.url = url.rstrip("/")
        self._headers = dict(headers or {})
        self._policy = policy or RetryPolicy()
        self._max_traces = max_traces
        self._lookback = lookback_s
        self._clock = clock
        self._session = plain_session()
        self._session.verify = verify_tls
        self._problems: dict[str, SourceProblem] = {}
        self._lock = threading.Lock()

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
        data = self._soft("services", "/api/services")
        return sorted(str(s) for s in (data or {}).get("data") or [] if s)

    def traces(self, service: str, since: float | None = None, until: float | None = None,
               limit: int | None = None) -> list[dict[str, Any]]:
        end = until if until is not None else self._clock()
        start = since if since is not None else end - self._lookback
        params = {"service": service, "start": str(int(start * 1e6)), "end": str(int(end * 1e6)),
                  "limit": str(limit or self._max_traces)}
        data = self._soft(f"traces of {service}", "/api/traces", params)
        return [t for t in (data or {}).get("data") or [] if isinstance(t, dict)]

    def spans(self, service: str | None = None, since: float | None = None, until: float | None = None) -> list[Span]:
        services = [service] if service else self.services()
        found: dict[tuple[str, str], Span] = {}
        for svc in services:
            for trace in self.traces(svc, since, until):
                for span in spans_from_trace(trace):
                    if service and span.service != service:
                        continue
                    if (since is not None and span.start < since) or (until is not None and span.start > until):
                        continue
                    found.setdefault((span.trace_id, span.span_id), span)
        return sorted(found.values(), key=lambda s: (s.start, s.trace_id, s.span_id))

    def problems(self) -> list[SourceProblem]:
        with self._lock:
            return list(self._problems.values())

    def close(self) -> None:
        self._session.close()
