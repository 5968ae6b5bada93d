"""``--alert FILE|FOLDER``: read an alert input, detect its format, locate its scenario.

A file is any format of :mod:`sre_agent.alerts.formats`.  A folder is a scenario's ``alerts/``
folder (or the scenario folder itself): every dump in it is read and merged — one alert per
:attr:`~sre_agent.models.Alert.key`, the latest dump's copy of it with the earliest ``activeAt``
seen — and ``snapshot_time`` is the newest dump's file-name time.

Every failure is an :class:`~sre_agent.errors.InputError` whose message is one line naming the
input and what was expected; files over :data:`MAX_BYTES` are refused unread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..models import Alert
from ..snapshot.layout import alert_dumps, is_scenario_dir
from ..snapshot.timefmt import parse_file_stamp, parse_timestamp
from .formats import EXPECTED, AlertFormatError, parse_alert_payload

__all__ = ["AlertInput", "load_alert_input", "read_alert_file", "merge_alerts", "MAX_BYTES"]

#: Largest alert file read (a minute's dump is kilobytes; anything near this is not an alert file).
MAX_BYTES = 64 * 1024 * 1024


@dataclass(slots=True)
class AlertInput:
    """What ``--alert`` named, parsed.

    ``format`` is a :data:`~sre_agent.alerts.formats.FORMATS` name, or ``"itbench-folder"`` for a
    merged folder of dumps; ``snapshot_time`` comes from an ``alerts_at_<...>`` file name (or
    an older capture's ``timestamp``); ``scenario_dir`` is the scenario folder the input sits
    in, when there is one; ``skipped`` lists dumps of a folder that could not be read.
    """

    alerts: list[Alert]
    format: str
    source: Path
    snapshot_time: float | None = None
    scenario_dir: Path | None = None
    skipped: list[str] = field(default_factory=list)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fail(path: Path, reason: str) -> InputError:
    return InputError(_one_line(f"alert input {path}: {reason}"))


def _decode(path: Path) -> Any:
    """Read and decode one JSON file; raises InputError (one line, naming the file)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise _fail(path, "no such file") from None
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    if size > MAX_BYTES:
        raise _fail(path, f"{size / 2**20:.0f} MiB is larger than the {MAX_BYTES // 2**20} MiB an alert file may be; {EXPECTED}")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise _fail(path, "is a folder") from None
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise _fail(path, f"larger than the {MAX_BYTES // 2**20} MiB an alert file may be; {EXPECTED}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(path, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); {EXPECTED}") from None
    if not text.strip():
        raise _fail(path, f"empty file; {EXPECTED}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); {EXPECTED}") from None
    except RecursionError:
        raise _fail(path, f"not usable JSON (nested too deeply); {EXPECTED}") from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise _fail(path, f"not usable JSON ({exc}); {EXPECTED}") from None


def read_alert_file(path: Path) -> tuple[list[Alert], str, float | None]:
    """One alert file -> (alerts, format, snapshot time from its name or ``timestamp``)."""
    path = Path(path)
    obj = _decode(path)
    try:
        alerts, fmt = parse_alert_payload(obj)
    except AlertFormatError as exc:
        raise _fail(path, str(exc)) from None
    stamp = parse_file_stamp(path.name) if path.name.startswith("alerts_") else None
    if stamp is None and isinstance(obj, dict) and fmt == "itbench-capture":
        stamp = parse_timestamp(obj.get("timestamp"))
    return alerts, fmt, stamp


def merge_alerts(dumps: list[list[Alert]]) -> list[Alert]:
    """Merge dumps (oldest first): one alert per key, latest copy, earliest ``active_at``.

    >>> a1 = Alert("X", {"alertname": "X"}, active_at=10.0, value="1")
    >>> a2 = Alert("X", {"alertname": "X"}, active_at=12.0, value="2")
    >>> [(a.value, a.active_at) for a in merge_alerts([[a1], [a2]])]
    [('2', 10.0)]
    """
    merged: dict[str, Alert] = {}
    for dump in dumps:
        for alert in dump:
            old = merged.get(alert.key)
            if old is None:
                merged[alert.key] = alert
                continue
            times = [t for t in (old.active_at, alert.active_at) if t is not None]
            merged[alert.key] = replace(alert, active_at=min(times) if times else None)
    return list(merged.values())


def _scenario_of(folder: Path) -> Path | None:
    if folder.name == "alerts" and is_scenario_dir(folder.parent):
        return folder.parent
    return folder if is_scenario_dir(folder) else None


def _load_folder(folder: Path) -> AlertInput:
    dumps = alert_dumps(folder)
    if not dumps:
        raise _fail(folder, "folder holds no alert dumps (expected alerts_at_<time>.json files, or an alerts/ folder of them)")
    parsed: list[list[Alert]] = []
    skipped: list[str] = []
    first_error: InputError | None = None
    times: list[float] = []
    for dump in dumps:
        try:
            alerts, _fmt, stamp = read_alert_file(dump.path)
        except InputError as exc:
            skipped.append(str(exc))
            first_error = first_error or exc
            continue
        parsed.append(alerts)
        if stamp is not None:
            times.append(stamp)
    if not parsed:
        raise _fail(folder, f"no readable alert dump ({len(dumps)} unreadable; first: {first_error})")
    return AlertInput(
        alerts=merge_alerts(parsed), format="itbench-folder", source=folder,
        snapshot_time=max(times) if times else None, scenario_dir=_scenario_of(folder), skipped=skipped,
    )


def load_alert_input(path: Path | str) -> AlertInput:
    """Read ``--alert``'s argument (a file or a folder of dumps); raises ``InputError`` on bad input.

    >>> import json, tempfile
    >>> d = Path(tempfile.mkdtemp()) / "Scenario-1"; (d / "alerts").mkdir(parents=True)
    >>> _ = (d / "otel_traces_raw.tsv").write_text("Timestamp\\n")
    >>> f = d / "alerts" / "alerts_at_2025-01-01T10-00-00.000000.json"
    >>> _ = f.write_text(json.dumps([{"labels": {"alertname": "A"}, "state": "firing"}]))
    >>> ai = load_alert_input(f)
    >>> (ai.format, [a.name for a in ai.alerts], ai.snapshot_time, ai.scenario_dir == d)
    ('itbench-snapshot', ['A'], 1735725600.0, True)
    """
    path = Path(path)
    if path.is_dir():
        return _load_folder(path)
    if not path.exists():
        raise _fail(path, "no such file or folder")
    alerts, fmt, stamp = read_alert_file(path)
    return AlertInput(alerts=alerts, format=fmt, source=path, snapshot_time=stamp,
                      scenario_dir=_scenario_of(path.parent))
