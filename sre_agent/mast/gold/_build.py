"""Build (or extend) a gold-set folder from run folders.

The folder::

    DIR/manifest.json          {"traces": [{"id", "stratum", "source", "scenario", "model", "model_kind",
                                             "fixes_on", "injected"}, ...]}   (for the report, not for labellers)
    DIR/traces/<id>.jsonl      the full trace (gzip ``.jsonl.gz`` above GZIP_ABOVE bytes)
    DIR/rendered/<id>.txt      what the labellers read (render_for_reading: no hidden events)
    DIR/labels/*.jsonl         the label files (see _labels.py; written by the labellers)

A trace's id is the first 12 hex digits of the SHA-256 of its trace file, so adding the same run
twice changes nothing.  The stratum is ``--stratum`` when given, else ``real-model`` for a
model of a non-offline kind, ``clean`` for the clean profile, ``profile:<name>`` otherwise.

Example:
    >>> auto_stratum({"model": "forgets", "model_kind": "offline"}), auto_stratum({"model": "qwen", "model_kind": "openai"})
    ('profile:forgets', 'real-model')
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sre_agent.errors import InputError

from ..run import TRACE_FILE, load_events
from ..validate import find_runs, injected_modes
from ._render import render_for_reading

MANIFEST = "manifest.json"
#: traces larger than this are stored gzip-compressed
GZIP_ABOVE = 256 * 1024


def auto_stratum(config: dict[str, Any]) -> str:
    """The stratum a run belongs to, from its ``key.json`` config (model name and kind)."""
    model, kind = str(config.get("model") or "?"), str(config.get("model_kind") or "offline")
    if kind != "offline":
        return "real-model"
    return "clean" if model == "clean" else f"profile:{model}"


def _run_config(run: Path, events: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    key = run / "key.json"
    if key.is_file():
        doc = json.loads(key.read_text(encoding="utf-8"))
        return dict(doc.get("config") or {}), str((doc.get("scenario") or {}).get("name") or "")
    start = next((e for e in events if e.get("type") == "run_start"), {})
    return dict(start.get("config") or {}), str(start.get("snapshot") or "")


def load_manifest(out: Path) -> dict[str, dict[str, Any]]:
    """id -> manifest entry (empty for a new folder)."""
    path = Path(out) / MANIFEST
    if not path.is_file():
        return {}
    return {t["id"]: t for t in json.loads(path.read_text(encoding="utf-8")).get("traces", [])}


def read_gold_trace(out: Path, tid: str) -> list[dict[str, Any]]:
    """The events of trace ``tid`` in the gold folder (plain or gzip)."""
    base = Path(out) / "traces"
    plain, packed = base / f"{tid}.jsonl", base / f"{tid}.jsonl.gz"
    if packed.is_file():
        text = gzip.decompress(packed.read_bytes()).decode("utf-8")
    elif plain.is_file():
        text = plain.read_text(encoding="utf-8")
    else:
        raise InputError(f"{plain}: no such trace (the manifest lists {tid})")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def build(runs: Sequence[str | Path], out: str | Path, stratum: str | None = None) -> list[dict[str, Any]]:
    """Add the runs (folders holding ``trace.jsonl``, or folders of them) to the gold folder
    ``out``; returns the manifest entries added or updated."""
    out = Path(out)
    manifest = load_manifest(out)
    (out / "traces").mkdir(parents=True, exist_ok=True)
    (out / "rendered").mkdir(parents=True, exist_ok=True)
    added = []
    for run in find_runs(runs):
        raw = (run / TRACE_FILE).read_bytes()
        events = load_events(run)
        tid = hashlib.sha256(raw).hexdigest()[:12]
        config, scenario = _run_config(run, events)
        if len(raw) > GZIP_ABOVE:
            (out / "traces" / f"{tid}.jsonl.gz").write_bytes(gzip.compress(raw, mtime=0))
        else:
            (out / "traces" / f"{tid}.jsonl").write_bytes(raw)
        (out / "rendered" / f"{tid}.txt").write_text(render_for_reading(events) + "\n", encoding="utf-8")
        entry = {"id": tid, "stratum": stratum or auto_stratum(config), "source": str(run), "scenario": scenario,
                 "model": config.get("model"), "model_kind": config.get("model_kind", "offline"),
                 "fixes_on": sorted(k for k, v in (config.get("fixes") or {}).items() if v),
                 "injected": sorted(injected_modes(events))}
        manifest[tid] = entry
        added.append(entry)
    (out / MANIFEST).write_text(json.dumps({"traces": sorted(manifest.values(), key=lambda t: t["id"])}, indent=1) + "\n",
                                encoding="utf-8")
    return added
