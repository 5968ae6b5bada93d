"""Source health, probed in the background: ``sre_agent_source_up{source}`` in ``/metrics``.

A triage copes with a missing source (the run is marked partial), so a source that is down is
not a reason to take serve out of its Service: it is a gauge an operator can alert on.
:class:`SourceProber` builds a backend every ``interval`` seconds, runs each configured source's
check (``backend.probes()``: ``{source: check}``) in its own thread and waits at most ``timeout``
seconds for it.  A check that has not answered by then counts as down ("no answer within 3 s");
while it still hangs, the next round does not start a second one for that source.

Each round sets, per source, ``sre_agent_source_up`` (1 answered, 0 not) and
``sre_agent_source_last_check_timestamp_seconds`` (Unix time the round ended);
:meth:`SourceProber.status` gives the last answers for ``/readyz``'s body (information only).

Example:
    >>> from ._metrics import ServeMetrics
    >>> class Backend:
    ...     def probes(self):
    ...         def down(): raise RuntimeError("prometheus unavailable: connection refused")
    ...         return {"prometheus": down, "jaeger": lambda: None}
    >>> metrics = ServeMetrics()
    >>> prober = SourceProber(Backend, metrics, timeout=1.0)
    >>> prober.probe_once()
    {'jaeger': 'ok', 'prometheus': 'prometheus unavailable: connection refused'}
    >>> metrics.registry.get_sample_value("sre_agent_source_up", {"source": "prometheus"})
    0.0
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ..backends._redact import one_line
from ._metrics import ServeMetrics

log = logging.getLogger("sre_agent.serve")


class _Probe:
    """One source check running in its own daemon thread."""

    def __init__(self, check: Callable[[], Any]) -> None:
        self.answer: str | None = None
        self._thread = threading.Thread(target=self._run, args=(check,), name="sre-agent-probe", daemon=True)
        self._thread.start()

    def _run(self, check: Callable[[], Any]) -> None:
        try:
            check()
            self.answer = "ok"
        except Exception as exc:  # noqa: BLE001 - a probe reports, it never raises
            self.answer = one_line(str(exc) or type(exc).__name__)

    def wait(self, timeout: float) -> None:
        self._thread.join(max(0.0, timeout))

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()


class SourceProber:
    """Probes every configured source each ``interval`` s, each with its own ``timeout`` (see above)."""

    def __init__(self, backend_factory: Callable[[], Any], metrics: ServeMetrics, *, interval: float = 15.0,
                 timeout: float = 3.0, clock: Callable[[], float] = time.time) -> None:
        self.backend_factory = backend_factory
        self.metrics = metrics
        self.interval = float(interval)
        self.timeout = float(timeout)
        self._clock = clock
        self._lock = threading.Lock()
        self._status: dict[str, str] = {}
        self._hanging: dict[str, _Probe] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def status(self) -> dict[str, str]:
        """The last round's answers, ``{source: "ok" | one-line reason}`` (``{}`` before the first)."""
        with self._lock:
            return dict(self._status)

    def probe_once(self) -> dict[str, str]:
        """One round: check every source (at most ``timeout`` s in all), set the gauges, return the answers."""
        backend = None
        try:
            backend = self.backend_factory()
            checks = dict(backend.probes())
        except Exception as exc:  # noqa: BLE001 - a backend that cannot be built is one answer
            checks = {}
            status = {"backend": one_line(f"{type(exc).__name__}: {exc}")}
        else:
            status = self._run(checks)
        _close_when_done(backend, list(self._hanging.values()))
        now = self._clock()
        for source, answer in status.items():
            self.metrics.source_up.labels(source=source).set(1.0 if answer == "ok" else 0.0)
            self.metrics.source_checked.labels(source=source).set(now)
        with self._lock:
            self._status = dict(sorted(status.items()))
        return self.status()

    def _run(self, checks: dict[str, Callable[[], Any]]) -> dict[str, str]:
        started: dict[str, _Probe] = {}
        status: dict[str, str] = {}
        for source, check in checks.items():
            if source in self._hanging and not self._hanging[source].done:
                status[source] = f"{source}: the previous check has not answered yet"
                continue
            started[source] = _Probe(check)
        deadline = time.monotonic() + self.timeout
        for source, probe in started.items():
            probe.wait(deadline - time.monotonic())
            if probe.done and probe.answer is not None:
                status[source] = probe.answer
                self._hanging.pop(source, None)
            else:
                status[source] = f"{source}: no answer within {self.timeout:g} s"
                self._hanging[source] = probe
        return status

    def start(self) -> None:
        """Probe now and then every ``interval`` s in a daemon thread, until :meth:`stop`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="sre-agent-source-probe", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        before: dict[str, str] = {}
        while not self._stop.is_set():
            now = self.probe_once()
            for source, answer in now.items():  # a change is logged once, not every round
                if (before.get(source) == "ok") != (answer == "ok") or source not in before:
                    log.log(logging.INFO if answer == "ok" else logging.WARNING, "source %s: %s", source, answer)
            before = now
            self._stop.wait(self.interval)

    def stop(self) -> None:
        """End the background loop (a check still in flight is left to its own timeout)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.timeout + 1.0)


def _close_when_done(backend: Any, probes: list[_Probe]) -> None:
    """Close ``backend`` once no check of it runs any more (in the background if one hangs)."""
    close = getattr(backend, "close", None)
    if not callable(close):
        return

    def closer() -> None:
        for probe in probes:
            probe.wait(3600.0)
        try:
            close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass
    if all(p.done for p in probes):
        closer()
    else:
        threading.Thread(target=closer, name="sre-agent-probe-close", daemon=True).start()
