"""Annotate a run folder: read ``trace.jsonl``, write ``mast.json``.

Example:
    >>> import json, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "trace.jsonl").write_text(json.dumps({"seq": 0, "type": "run_start", "config": {}}) + "\\n")
    >>> annotate_run(d).annotator, sorted(json.loads((d / "mast.json").read_text()))[:2]
    ('structural', ['1.1', '1.2'])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sre_agent.errors import InputError
from sre_agent.trace import read_trace

from ._structural import StructuralAnnotator
from .base import Annotation, Annotator

TRACE_FILE = "trace.jsonl"
#: Largest trace read (a run's trace is tens of kilobytes; a long live run a few megabytes).
MAX_TRACE_BYTES = 64 * 1024 * 1024
MAST_FILE = "mast.json"


def load_events(run_dir: Path) -> list[dict[str, Any]]:
    """The events of ``run_dir/trace.jsonl``; :class:`InputError` (one line, naming the file) if
    it is missing, unreadable, has a bad line or holds no event."""
    path = Path(run_dir) / TRACE_FILE
    if not path.is_file():
        raise InputError(f"{path}: no such file (a run folder holds a {TRACE_FILE})")
    size = path.stat().st_size
    if size > MAX_TRACE_BYTES:
        raise InputError(f"{path}: {size / 2**20:.0f} MiB is larger than the {MAX_TRACE_BYTES // 2**20} MiB "
                         "a run trace may be (not read)")
    try:
        events = list(read_trace(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    except ValueError as exc:
        raise InputError(str(exc)) from None
    except RecursionError:
        raise InputError(f"{path}: not usable JSON (nested too deeply)") from None
    if not events:
        raise InputError(f"{path}: holds no trace event")
    for n, event in enumerate(events, 1):
        if not isinstance(event.get("seq"), int) or isinstance(event.get("seq"), bool):
            raise InputError(f"{path}: event {n} ({event.get('type')}) has no integer seq")
    return events


def annotate_run(run_dir: Path | str, annotator: Annotator | None = None) -> Annotation:
    """Label one run folder (structural annotator by default) and write its ``mast.json``."""
    run_dir = Path(run_dir)
    annotation = (annotator or StructuralAnnotator()).annotate(load_events(run_dir))
    (run_dir / MAST_FILE).write_text(json.dumps(annotation.to_mast_json(), indent=2, sort_keys=False) + "\n",
                                     encoding="utf-8")
    return annotation
