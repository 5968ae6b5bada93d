"""The durable queue: every job answered 202 is a row in SQLite (WAL mode, fsync'd) first.

One :class:`JobStore` per queue database, one serve process per store (an exclusive ``flock`` on
``<db>.lock``; a second process gets :class:`QueueLocked`).  A job moves
``queued -> running -> done | failed``; :meth:`JobStore.recover` (start-up) puts the jobs a dead
process left ``running`` back in the queue, or fails them after ``max_attempts`` tries (a job
that kills the process every time must not loop forever).

The intake (:meth:`JobStore.admit`) decides dedupe, records resolved alerts and inserts the job in
one transaction, under one lock: concurrent identical posts give exactly one job.

Example:
    >>> import tempfile
    >>> from ._intake import parse_webhook
    >>> tmp = Path(tempfile.mkdtemp())
    >>> store = JobStore(tmp / "queue.sqlite3")
    >>> note = parse_webhook({"version": "4", "groupKey": "g", "alerts": [{"labels": {"alertname": "A"}}]})
    >>> first, again = store.admit(note, tmp, window=3600), store.admit(note, tmp, window=3600)
    >>> first.kind, again.kind, again.job.id == first.job.id, store.depth()
    ('queued', 'duplicate', True, 1)
    >>> store.claim().id == first.job.id, store.depth(), store.pending()
    (True, 0, 1)
    >>> store.close()
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ._dedupe import PriorJob, find_duplicate
from ._folders import job_folder, write_alerts
from ._intake import Notification
from ._resolved import record_resolved

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    group_key TEXT NOT NULL,
    fingerprints TEXT NOT NULL,
    folder TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    received REAL NOT NULL,
    started REAL,
    finished REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_group ON jobs (group_key, received);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state);
CREATE TABLE IF NOT EXISTS resolved (
    job_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    ends_at TEXT,
    received REAL NOT NULL,
    PRIMARY KEY (job_id, fingerprint)
);
"""


class QueueFull(RuntimeError):
    """The backlog holds ``max_queue`` jobs already; the sender should retry later."""


class QueueLocked(RuntimeError):
    """Another process holds this queue database."""


@dataclass(frozen=True)
class JobRecord:
    """One job as stored."""

    id: str
    group_key: str
    folder: Path
    fingerprints: frozenset[str]
    state: str
    attempts: int
    received: float


@dataclass(frozen=True)
class Admission:
    """What the intake did with one notification."""

    kind: Literal["queued", "duplicate", "none", "full"]
    job: JobRecord | None = None
    #: ids of the jobs resolved alerts were recorded against (new records only)
    resolved_jobs: tuple[str, ...] = field(default_factory=tuple)
    #: how many resolved alerts were newly recorded
    resolved_count: int = 0


_COLUMNS = "id, group_key, folder, fingerprints, state, attempts, received"


def _record(row: tuple[Any, ...]) -> JobRecord:
    return JobRecord(id=row[0], group_key=row[1], folder=Path(row[2]), fingerprints=frozenset(json.loads(row[3])),
                     state=row[4], attempts=row[5], received=row[6])


class JobStore:
    """The queue database (see the module docstring); every method is thread-safe."""

    def __init__(self, path: Path, *, max_queue: int = 100, max_attempts: int = 3,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.max_queue = max_queue
        self.max_attempts = max_attempts
        self._clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lockfile = open(self.path.with_name(self.path.name + ".lock"), "a+")  # noqa: SIM115 - held until close
        try:
            fcntl.flock(self._lockfile.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lockfile.close()
            raise QueueLocked(f"{self.path} is in use by another serve process") from None
        self._lock = threading.Lock()
        self._closed = False
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"cannot switch {self.path} to WAL mode (got {mode})")
            self._db.execute("PRAGMA synchronous=FULL")  # a commit is on disk before the 202 goes out
            self._db.executescript(SCHEMA)
        except sqlite3.Error:
            self._lockfile.close()
            raise

    # -- intake ----------------------------------------------------------------------------------
    def admit(self, note: Notification, out: Path, window: float) -> Admission:
        """Record ``note``'s resolved alerts, then dedupe or queue its firing ones (one transaction).

        Raises :class:`QueueFull` (resolved alerts are still recorded) or ``OSError`` (the job
        folder cannot be written; nothing is queued).  A new job is fsync'd before this returns;
        a plain repeat only bumps a counter, so it is committed without waiting for the disk.
        """
        with self._lock:
            if self._closed:
                raise QueueFull("the queue is closed (shutting down)")
            now = self._clock()
            repeat = self._duplicate(note, now, window) if not note.resolved else None
            if repeat is not None:  # the common case under Alertmanager's re-sends: no fsync
                self._db.execute("PRAGMA synchronous=NORMAL")
                try:
                    admission = self._transaction(lambda: Admission("duplicate", self._bump(repeat.id)))
                finally:
                    self._db.execute("PRAGMA synchronous=FULL")
            else:
                admission = self._transaction(lambda: self._admit(note, Path(out), window, now))
        if admission.kind == "full":
            raise QueueFull(f"the triage queue holds {self.max_queue} jobs")
        return admission

    def _transaction(self, body: Callable[[], Admission]) -> Admission:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            result = body()
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return result

    def _duplicate(self, note: Notification, now: float, window: float) -> PriorJob | None:
        resolved_now = frozenset(a["fingerprint"] for a in note.resolved)
        return find_duplicate(self._prior(note.group_key, now - window), note.firing_fingerprints, resolved_now,
                              now, window)

    def _bump(self, job_id: str) -> JobRecord:
        self._db.execute("UPDATE jobs SET duplicates = duplicates + 1 WHERE id = ?", (job_id,))
        return _record(self._db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone())

    def _admit(self, note: Notification, out: Path, window: float, now: float) -> Admission:
        resolved_jobs, n_resolved = record_resolved(self._db, note, now)
        if not note.firing_fingerprints:
            return Admission("none", None, resolved_jobs, n_resolved)
        dup = self._duplicate(note, now, window)
        if dup is not None:
            return Admission("duplicate", self._bump(dup.id), resolved_jobs, n_resolved)
        if self._count("queued") >= self.max_queue:
            return Admission("full", None, resolved_jobs, n_resolved)  # committed: the resolved records stay
        folder = job_folder(out, note.group_key)
        write_alerts(folder, note.payload)
        fingerprints = json.dumps(sorted(note.firing_fingerprints))
        self._db.execute(
            "INSERT INTO jobs (id, group_key, fingerprints, folder, payload, state, received) VALUES (?, ?, ?, ?, ?, 'queued', ?)",
            (folder.name, note.group_key, fingerprints, str(folder.resolve()), json.dumps(note.payload), now))
        job = JobRecord(folder.name, note.group_key, folder, note.firing_fingerprints, "queued", 0, now)
        return Admission("queued", job, resolved_jobs, n_resolved)

    def _prior(self, group_key: str, since: float) -> list[PriorJob]:
        rows = self._db.execute(
            "SELECT id, fingerprints, received FROM jobs WHERE group_key = ? AND received >= ? AND state != 'failed'",
            (group_key, since)).fetchall()
        out = []
        for job_id, fps, received in rows:
            gone = {r[0] for r in self._db.execute("SELECT fingerprint FROM resolved WHERE job_id = ?", (job_id,))}
            out.append(PriorJob(job_id, frozenset(json.loads(fps)), received, frozenset(gone)))
        return out

    # -- the worker's side -----------------------------------------------------------------------
    def claim(self) -> JobRecord | None:
        """Take the oldest queued job (it becomes ``running``), or ``None``."""
        with self._lock:
            if self._closed:
                return None
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE state = 'queued' ORDER BY rowid LIMIT 1").fetchone()
            if row is None:
                self._db.execute("COMMIT")
                return None
            self._db.execute("UPDATE jobs SET state = 'running', attempts = attempts + 1, started = ? WHERE id = ?",
                             (self._clock(), row[0]))
            self._db.execute("COMMIT")
        job = _record(row)
        return JobRecord(job.id, job.group_key, job.folder, job.fingerprints, "running", job.attempts + 1, job.received)

    def payload(self, job_id: str) -> dict[str, Any]:
        """The stored webhook of a job (to rewrite a lost ``alerts.json``)."""
        with self._lock:
            row = self._db.execute("SELECT payload FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return json.loads(row[0]) if row else {}

    def finish(self, job_id: str, state: Literal["done", "failed"], error: str = "") -> None:
        """Mark a job finished (a no-op once the store is closed)."""
        with self._lock:
            if not self._closed:
                self._db.execute("UPDATE jobs SET state = ?, finished = ?, error = ? WHERE id = ?",
                                 (state, self._clock(), error or None, job_id))

    def requeue(self, job_id: str) -> None:
        """Put a running job back in the queue (graceful shutdown that could not wait for it)."""
        with self._lock:
            if not self._closed:
                self._db.execute("UPDATE jobs SET state = 'queued' WHERE id = ? AND state = 'running'", (job_id,))

    def recover(self) -> tuple[int, int]:
        """At start-up: ``running`` jobs of a dead process go back to the queue (or fail after
        ``max_attempts``); returns ``(resumed, given_up)`` where resumed counts every queued job."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            given_up = self._db.execute(
                "UPDATE jobs SET state = 'failed', finished = ?, error = ? WHERE state = 'running' AND attempts >= ?",
                (self._clock(), f"gave up after {self.max_attempts} attempts", self.max_attempts)).rowcount
            self._db.execute("UPDATE jobs SET state = 'queued' WHERE state = 'running'")
            resumed = self._count("queued")
            self._db.execute("COMMIT")
        return resumed, given_up

    def writable(self) -> str:
        """``"ok"`` when the database takes a write lock now (nothing is written), else why not.

        A write already in progress counts as ok: the lock is taken to write, not lost."""
        if not self._lock.acquire(timeout=0.5):
            return "ok"
        try:
            if self._closed:
                return "closed"
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("ROLLBACK")
            return "ok"
        except sqlite3.Error as exc:
            return f"{self.path}: {exc}"
        finally:
            self._lock.release()

    # -- reading ---------------------------------------------------------------------------------
    def _count(self, state: str) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM jobs WHERE state = ?", (state,)).fetchone()[0])

    def depth(self) -> int:
        """How many jobs wait in the queue (not counting the running one)."""
        with self._lock:
            return 0 if self._closed else self._count("queued")

    def pending(self) -> int:
        """Queued plus running jobs."""
        with self._lock:
            if self._closed:
                return 0
            return int(self._db.execute("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')").fetchone()[0])

    def counts(self) -> dict[str, int]:
        """Jobs per state and the number of deduplicated notifications, over the database's life."""
        with self._lock:
            if self._closed:
                return {}
            out = {state: n for state, n in self._db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state")}
            out["deduplicated"] = int(self._db.execute("SELECT COALESCE(SUM(duplicates), 0) FROM jobs").fetchone()[0])
        return out

    def close(self) -> None:
        """Close the database and release the process lock (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._db.close()
        fcntl.flock(self._lockfile.fileno(), fcntl.LOCK_UN)
        self._lockfile.close()


def default_queue_db(out: Path) -> Path:
    """Where the queue lives unless told otherwise: ``<out>/queue.sqlite3``."""
    return Path(out) / "queue.sqlite3"


__all__ = ["Admission", "JobRecord", "JobStore", "QueueFull", "QueueLocked", "default_queue_db"]
