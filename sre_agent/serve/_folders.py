"""Job folders: ``<out>/<UTC timestamp>-<sha256(groupKey)[:12]>/`` and the files serve writes there.

* ``alerts.json`` — the webhook with its firing alerts (what the triage reads);
* ``status.json`` — ``{"state": "done" | "failed" | ..., "finished": ISO time, "error"?: one line}``;
* ``resolved.json`` — the resolved notifications recorded against this job (a list, oldest first).

The triage writes the rest (``agent_output.json``, ``report.md``, ``trace.jsonl``, ``stats.json``).
Request headers (and so credentials) are never written here.

Example:
    >>> from datetime import datetime, timezone
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> job_folder(out, "g", datetime(2026, 1, 2, tzinfo=timezone.utc)).name
    '20260102T000000000000Z-cd0aa9856147'
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def job_folder(out: Path, group_key: str, now: datetime | None = None) -> Path:
    """A fresh folder name under ``out`` for one group notification (not created)."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S%fZ")
    digest = hashlib.sha256(group_key.encode("utf-8")).hexdigest()[:12]
    folder = out / f"{stamp}-{digest}"
    n = 1
    while folder.exists():
        n += 1
        folder = out / f"{stamp}-{digest}-{n}"
    return folder


def _write_json(path: Path, body: Any) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_alerts(folder: Path, payload: dict[str, Any]) -> None:
    """Write the webhook (firing alerts only) the triage will read."""
    folder.mkdir(parents=True, exist_ok=True)
    _write_json(folder / "alerts.json", payload)


def write_status(folder: Path, state: str, error: str = "", **extra: Any) -> None:
    """Write ``status.json`` (``error`` must already be one redacted line)."""
    body: dict[str, Any] = {"state": state, "finished": datetime.now(timezone.utc).isoformat(), **extra}
    if error:
        body["error"] = error
    _write_json(folder / "status.json", body)


def append_resolved(folder: Path, entries: list[dict[str, Any]]) -> None:
    """Add resolved notifications to the job's ``resolved.json``."""
    path = folder / "resolved.json"
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(known, list):
            known = []
    except (OSError, ValueError):
        known = []
    _write_json(path, known + entries)


def read_stats(folder: Path) -> dict[str, Any]:
    """The triage's ``stats.json`` (``{}`` when it is missing or unreadable)."""
    try:
        stats = json.loads((folder / "stats.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stats if isinstance(stats, dict) else {}
