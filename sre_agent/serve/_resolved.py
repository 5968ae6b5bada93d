"""Resolved notifications: recorded against the job that triaged the alert while it fired.

Alertmanager (with ``send_resolved``) re-sends a group when an alert in it ends.  Each resolved
alert is matched by fingerprint to the newest job of the same ``groupKey`` that had it firing, and
recorded in the queue database (table ``resolved``) and in the job folder's ``resolved.json``.
A resolved alert no job had firing is ignored; a repeated record is ignored.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from ._folders import append_resolved
from ._intake import Notification


def record_resolved(db: sqlite3.Connection, note: Notification, now: float) -> tuple[tuple[str, ...], int]:
    """Record ``note``'s resolved alerts against the newest job of the group that had them firing.

    Inside the caller's transaction.  Returns the ids of the jobs that got a new record and how many
    records were new (a re-sent resolved notification adds nothing).
    """
    if not note.resolved:
        return (), 0
    recent = db.execute("SELECT id, fingerprints, folder FROM jobs WHERE group_key = ? ORDER BY rowid DESC LIMIT 50",
                        (note.group_key,)).fetchall()
    per_job: dict[str, list[dict[str, Any]]] = {}
    folders: dict[str, Path] = {}
    for alert in note.resolved:
        fp = alert["fingerprint"]
        job = next(((jid, folder) for jid, fps, folder in recent if fp in json.loads(fps)), None)
        if job is None:
            continue
        ends_at = alert.get("endsAt") if isinstance(alert.get("endsAt"), str) else None
        cur = db.execute("INSERT OR IGNORE INTO resolved (job_id, fingerprint, ends_at, received) VALUES (?, ?, ?, ?)",
                         (job[0], fp, ends_at, now))
        if cur.rowcount:
            folders[job[0]] = Path(job[1])
            per_job.setdefault(job[0], []).append({"fingerprint": fp, "alertname": alert["labels"].get("alertname"),
                                                   "labels": alert["labels"], "endsAt": ends_at, "received": now})
    for job_id, entries in per_job.items():
        try:
            append_resolved(folders[job_id], entries)
        except OSError:
            pass  # the database holds the record; the folder copy is a convenience
    return tuple(per_job), sum(len(v) for v in per_job.values())
