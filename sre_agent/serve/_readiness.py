"""``/readyz``: can a triage reach its data?

A recorded scenario is always there (:func:`always_ready`).  For live sources,
:func:`backend_readiness` builds a backend, probes every configured source (``check()``; a
backend without it is judged by its ``problems()``), and caches the answer for ``ttl`` seconds so a
busy probe does not hammer the sources.  A source that is not configured does not make serve
unready; one that is configured and does not answer does.

Example:
    >>> class Fake:
    ...     def check(self): return {"prometheus": "ok", "jaeger": "not configured", "kubernetes": "timed out"}
    >>> ready, detail = backend_readiness(Fake, ttl=0)()
    >>> ready, detail["failing"]
    (False, {'kubernetes': 'timed out'})
    >>> always_ready()
    (True, {'backend': 'snapshot'})
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ..backends._redact import one_line

Readiness = Callable[[], tuple[bool, dict[str, Any]]]
_FINE = ("ok", "not configured")


def always_ready() -> tuple[bool, dict[str, Any]]:
    """Readiness of a recorded scenario: always."""
    return True, {"backend": "snapshot"}


def _probe(backend_factory: Callable[[], Any]) -> tuple[bool, dict[str, Any]]:
    backend = None
    try:
        backend = backend_factory()
        check = getattr(backend, "check", None)
        if callable(check):
            status = {str(k): str(v) for k, v in check().items()}
        else:
            status = {str(p.source): one_line(p.problem) for p in backend.problems()}
    except Exception as exc:  # noqa: BLE001 - a probe answers, it never crashes the server
        status = {"backend": one_line(f"{type(exc).__name__}: {exc}")}
    finally:
        close = getattr(backend, "close", None)
        if callable(close):
            try:
                close()
            except Exception:  # noqa: BLE001
                pass
    failing = {k: v for k, v in status.items() if v not in _FINE}
    return not failing, {"sources": status, "failing": failing}


def backend_readiness(backend_factory: Callable[[], Any], ttl: float = 10.0) -> Readiness:
    """A readiness check over live sources, cached ``ttl`` seconds (one probe at a time)."""
    lock = threading.Lock()
    cached: list[Any] = [None, 0.0]

    def ready() -> tuple[bool, dict[str, Any]]:
        with lock:
            if cached[0] is None or time.monotonic() - cached[1] >= ttl:
                cached[0], cached[1] = _probe(backend_factory), time.monotonic()
            return cached[0]

    return ready
