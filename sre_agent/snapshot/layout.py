"""Where things are in an ITBench-Lite scenario folder (file names only; nothing is read here).

::

    Scenario-<n>/
      alerts/alerts_at_<YYYY-MM-DDTHH-MM-SS.ffffff>.json   one dump of firing alerts per minute
      alerts_in_alerting_state_<...>Z.json                 older single capture (root or alerts/)
      metrics/pod_<pod>_raw.tsv, metrics/service_<svc>_raw.tsv   (older: without "_raw")
      k8s_objects_raw.tsv  k8s_events_raw.tsv  otel_logs_raw.tsv  otel_traces_raw.tsv
      ground_truth.yaml                                    the answer key: never opened

Only names are listed here (``os.scandir``); the answer key is never opened by this package.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .timefmt import parse_file_stamp

__all__ = [
    "scenario_dir_problem",
    "SOURCE_FILES", "AlertDump", "alert_dumps", "is_scenario_dir", "source_path", "metric_files",
    "ALERT_DUMP_PREFIXES", "GROUND_TRUTH_NAMES",
]

#: Each row source and the file names it may have (newest recorder name first).
SOURCE_FILES: dict[str, tuple[str, ...]] = {
    "objects": ("k8s_objects_raw.tsv", "k8s_objects.tsv"),
    "events": ("k8s_events_raw.tsv", "k8s_events.tsv"),
    "logs": ("otel_logs_raw.tsv", "otel_logs.tsv"),
    "traces": ("otel_traces_raw.tsv", "otel_traces.tsv"),
}

ALERT_DUMP_PREFIXES = ("alerts_at_", "alerts_in_alerting_state_")

#: Files this package must never open (documented; enforced by a test).
GROUND_TRUTH_NAMES = ("ground_truth.yaml", "ground_truth.yml", "ground_truth.json")


@dataclass(frozen=True, slots=True)
class AlertDump:
    """One alert dump file; ``time`` comes from its name (``None`` if the name has none)."""

    path: Path
    time: float | None

    @property
    def sort_key(self) -> tuple[int, float, str]:
        return (0 if self.time is None else 1, self.time or 0.0, self.path.name)


def _is_alert_dump_name(name: str) -> bool:
    return name.endswith(".json") and name.startswith(ALERT_DUMP_PREFIXES)


def _scan(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            return list(it)
    except OSError:
        return []


def alert_dumps(folder: Path) -> list[AlertDump]:
    """The alert dump files of a scenario folder or of its ``alerts/`` folder, oldest first.

    Dumps whose name carries no time sort before every timed dump.
    """
    folder = Path(folder)
    places = [folder]
    if folder.name != "alerts" or (folder / "alerts").is_dir():
        places.append(folder / "alerts")
    seen: dict[str, AlertDump] = {}
    for place in places:
        for entry in _scan(place):
            if _is_alert_dump_name(entry.name) and entry.is_file():
                p = Path(entry.path)
                seen[str(p)] = AlertDump(p, parse_file_stamp(entry.name))
    return sorted(seen.values(), key=lambda d: d.sort_key)


def source_path(folder: Path, source: str) -> Path:
    """The path of a row source (``objects``, ``events``, ``logs``, ``traces``): the first name
    that exists, else the current recorder's name (so a missing file is reported by that name)."""
    names = SOURCE_FILES[source]
    for name in names:
        p = Path(folder) / name
        if p.is_file():
            return p
    return Path(folder) / names[0]


def metric_files(folder: Path) -> dict[tuple[str, str], list[Path]]:
    """``{("pod", name) | ("service", name): [files]}`` from the names in ``metrics/``.

    ``pod_<name>_raw.tsv`` and the older ``pod_<name>.tsv`` both map to ``("pod", name)``.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); (d / "metrics").mkdir()
    >>> for n in ("pod_cart-1_raw.tsv", "service_cart.tsv", "notes.txt"): _ = (d / "metrics" / n).write_text("")
    >>> sorted(metric_files(d))
    [('pod', 'cart-1'), ('service', 'cart')]
    """
    out: dict[tuple[str, str], list[Path]] = {}
    for entry in _scan(Path(folder) / "metrics"):
        name = entry.name
        if not name.endswith(".tsv"):
            continue
        for kind in ("pod", "service"):
            prefix = kind + "_"
            if name.startswith(prefix):
                stem = name[len(prefix):-len(".tsv")]
                if stem.endswith("_raw"):
                    stem = stem[: -len("_raw")]
                if stem:
                    out.setdefault((kind, stem), []).append(Path(entry.path))
                break
    for paths in out.values():
        paths.sort()
    return out


def is_scenario_dir(path: Path | str) -> bool:
    """True when ``path`` looks like an ITBench-Lite scenario folder (names only, nothing read).

    A scenario has at least one of: a recorded ``*_raw.tsv`` row source, a ``metrics/`` folder
    of ``pod_*``/``service_*`` TSVs, or an ``alerts/`` folder of alert dumps.  (A folder holding
    only loose alert files is not one: that is where a user keeps alert files.)

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> is_scenario_dir(d)
    False
    >>> _ = (d / "otel_traces_raw.tsv").write_text("Timestamp\\n")
    >>> is_scenario_dir(d)
    True
    """
    p = Path(path)
    if not p.is_dir():
        return False
    for names in SOURCE_FILES.values():
        if any((p / n).is_file() for n in names):
            return True
    if metric_files(p):
        return True
    return any(_is_alert_dump_name(e.name) for e in _scan(p / "alerts"))


def scenario_dir_problem(path: Path | str) -> str | None:
    """Why ``path`` cannot be a ``--snapshot`` (one line), or ``None`` when it is a scenario folder.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> scenario_dir_problem(d / "nope")
    'not a folder'
    >>> (d / "alerts").mkdir(); _ = (d / "alerts" / "alerts_at_2025-01-01T10-00-00.000000.json").write_text("[]")
    >>> scenario_dir_problem(d / "alerts").startswith("the alerts/ folder of a scenario: give the scenario folder")
    True
    >>> scenario_dir_problem(d) is None
    True
    """
    p = Path(path)
    if not p.is_dir():
        return "not a folder"
    if is_scenario_dir(p):
        return None
    if p.name == "alerts" and is_scenario_dir(p.parent):
        return f"the alerts/ folder of a scenario: give the scenario folder, {p.parent}"
    return "not an ITBench-Lite scenario folder (expected alerts/, *_raw.tsv files)"

