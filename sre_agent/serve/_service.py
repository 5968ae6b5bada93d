"""``WebhookService``: intake, durable queue, worker, metrics and readiness behind one object.

The HTTP front (:func:`~sre_agent.serve.make_server`) calls :meth:`WebhookService.accept`; the
triage step is injectable (any ``triage(alerts_json, backend, output_dir)``), so the service can
be tested without the runner.  Building a service opens (or creates) the queue database, puts the
jobs a previous process left unfinished back in the queue and starts the worker.

Example:
    >>> import json, tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> def triage(alerts, backend, folder):
    ...     (folder / "stats.json").write_text(json.dumps({"model_calls": 2, "tool_calls": 3}))
    >>> service = WebhookService(out, triage, lambda: None)
    >>> webhook = {"version": "4", "groupKey": "g", "alerts": [{"labels": {"alertname": "A"}}]}
    >>> [service.submit(webhook).kind for _ in range(3)]
    ['queued', 'duplicate', 'duplicate']
    >>> service.wait_idle(10), service.stats()["done"], service.stats()["deduplicated"]
    (True, 1, 2)
    >>> service.stop()
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._intake import Notification, parse_webhook
from ._metrics import ServeMetrics
from ._readiness import folder_writable, judge
from ._store import Admission, JobStore, default_queue_db
from ._worker import TriageFn, Worker

log = logging.getLogger("sre_agent.serve")


class WebhookService:
    """The queue and its worker: one triage at a time, in arrival order, repeats deduplicated."""

    def __init__(self, out: Path, triage: TriageFn, backend_factory: Callable[[], Any], max_queue: int = 100, *,
                 queue_db: Path | None = None, dedupe_window: float = 3600.0, metrics: ServeMetrics | None = None,
                 sources: Callable[[], dict[str, str]] | None = None, max_attempts: int = 3) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.dedupe_window = float(dedupe_window)
        self.metrics = metrics or ServeMetrics()
        self.sources = sources
        self.store = JobStore(Path(queue_db) if queue_db else default_queue_db(self.out), max_queue=max_queue,
                              max_attempts=max_attempts)
        self.metrics.track_queue_depth(self.store.depth)
        resumed, given_up = self.store.recover()
        if resumed or given_up:
            log.info("queue %s: %d unfinished job(s) resumed, %d given up", self.store.path, resumed, given_up)
        self.metrics.resumed.inc(resumed)
        self._baseline = self._totals()  # /healthz counts what this process did, as /metrics does
        self.stopping = False
        self.worker = Worker(self.store, triage, backend_factory, self.metrics)
        self.worker.start()

    def accept(self, note: Notification) -> Admission:
        """Queue, dedupe or just record ``note`` (raises ``QueueFull`` or ``OSError``)."""
        admission = self.store.admit(note, self.out, self.dedupe_window)
        if admission.resolved_count:
            self.metrics.resolved.inc(admission.resolved_count)
        if admission.kind == "queued":
            self.worker.notify()
        elif admission.kind == "duplicate":
            self.metrics.dedupes.inc()
        return admission

    def submit(self, payload: dict[str, Any]) -> Admission:
        """:meth:`accept` a webhook given as a dict (raises ``WebhookError`` when it is not one)."""
        return self.accept(parse_webhook(payload))

    def _totals(self) -> dict[str, int]:
        counts = self.store.counts()
        return {key: counts.get(key, 0) for key in ("done", "failed", "deduplicated")}

    def stats(self) -> dict[str, Any]:
        """What ``/healthz`` shows: queued, running, and done, failed, deduplicated since this process
        started (as ``/metrics`` counts them; ``queue_totals`` holds the queue database's whole life)."""
        totals = self._totals()
        since_start = {key: max(0, totals[key] - self._baseline.get(key, 0)) for key in totals}
        return {"queued": self.store.depth(), "running": self.worker.running, **since_start, "queue_totals": totals}

    def ready(self) -> tuple[bool, dict[str, Any]]:
        """What ``/readyz`` shows (:mod:`._readiness`): the service itself; never ready while shutting down."""
        if self.stopping:
            return False, {"status": "stopping"}
        checks = {"config": "loaded", "queue": self.store.writable(), "folder": folder_writable(self.out),
                  "worker": "alive" if self.worker.alive else "dead"}
        return judge(checks, self.sources() if self.sources is not None else None)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running (tests, benchmarks); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.store.pending():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self, grace: float = 5.0) -> str | None:
        """Graceful stop: finish the running job within ``grace`` s or re-queue it; close the queue.

        Returns the id of a job put back in the queue, if any.
        """
        self.stopping = True
        requeued = self.worker.stop(grace)
        self.store.close()
        return requeued
