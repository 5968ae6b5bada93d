"""The worker: one triage at a time, oldest queued job first, from the durable queue.

For each job it rewrites ``alerts.json`` from the database if the folder lost it, builds a fresh
backend, runs the triage, closes the backend, writes ``status.json``, marks the job finished and
counts the run in the metrics (outcome, duration, model and tool calls from ``stats.json``).
One failed group never stops the worker.

:meth:`Worker.stop` is the graceful shutdown: no new job is taken; the running one gets
``grace`` seconds to finish, after which it is put back in the queue (the next start resumes it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..backends._redact import one_line
from ._folders import read_stats, write_alerts, write_status
from ._metrics import ServeMetrics
from ._store import JobRecord, JobStore

log = logging.getLogger("sre_agent.serve")

#: ``triage(alerts_json, backend, output_dir)``: the runner, or a stand-in in tests
TriageFn = Callable[[Path, Any, Path], Any]


class Worker:
    """The triage thread over a :class:`JobStore` (see the module docstring)."""

    def __init__(self, store: JobStore, triage: TriageFn, backend_factory: Callable[[], Any], metrics: ServeMetrics,
                 poll_s: float = 1.0) -> None:
        self.store = store
        self.triage = triage
        self.backend_factory = backend_factory
        self.metrics = metrics
        self._poll = poll_s
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._current: JobRecord | None = None
        self._thread = threading.Thread(target=self._loop, name="sre-agent-triage", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    @property
    def alive(self) -> bool:
        """The triage thread runs (started and not ended)."""
        return self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._current is not None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            job = self.store.claim()
            if job is None:
                self._wake.wait(self._poll)
                self._wake.clear()
                continue
            self._current = job
            try:
                self.run_job(job)
            finally:
                self._current = None

    def run_job(self, job: JobRecord) -> None:
        """Triage one claimed job and record how it ended (never raises)."""
        started = time.monotonic()
        ok, error, backend = False, "", None
        try:
            if not (job.folder / "alerts.json").is_file():
                write_alerts(job.folder, self.store.payload(job.id))
            backend = self.backend_factory()
            self.triage(job.folder / "alerts.json", backend, job.folder)
            ok = True
        except Exception as exc:  # noqa: BLE001 - one failed group must not stop the server
            error = one_line(f"{type(exc).__name__}: {exc}")
            log.error("triage of group %s failed: %s", job.id, error)
        finally:
            close = getattr(backend, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    pass
        seconds = time.monotonic() - started
        stats = read_stats(job.folder) if ok else {}
        outcome = "failed" if not ok else ("incomplete" if stats.get("incomplete") else "complete")
        try:
            write_status(job.folder, "done" if ok else "failed", error, outcome=outcome, attempts=job.attempts)
        except OSError as exc:
            log.error("group %s: cannot write status.json (%s)", job.id, exc.strerror)
        self.store.finish(job.id, "done" if ok else "failed", error)
        self.metrics.record_run(outcome, seconds, stats)
        log.info("group %s: %s in %.1f s", job.id, outcome, seconds)

    def stop(self, grace: float) -> str | None:
        """Take no new job; wait up to ``grace`` s for the running one, else re-queue it.

        Returns the id of the job put back in the queue, if any.
        """
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():  # an idle worker needs a moment to see the flag
            self._thread.join(max(0.0, grace) if self._current is not None else max(grace, 1.0))
        job = self._current
        if self._thread.is_alive() and job is not None:
            self.store.requeue(job.id)
            log.warning("group %s: still running after %.0f s; put back in the queue", job.id, grace)
            return job.id
        return None

