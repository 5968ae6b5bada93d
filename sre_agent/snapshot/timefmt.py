"""Timestamps as the ITBench-Lite recorder writes them, turned into epoch seconds (UTC floats).

Three shapes occur:

* TSV columns: naive UTC ``YYYY-MM-DD HH:MM:SS[.fraction]`` with a space and up to 9 fraction
  digits (ClickHouse ``DateTime64(9)`` as pandas prints it);
* JSON (alerts, Kubernetes bodies): RFC 3339, ``2025-01-01T10:00:00.5Z`` or with an offset;
* file names: ``alerts_at_2025-01-01T10-00-00.123456.json`` (colons replaced by dashes).

Numbers (``1735725600``, ``1735725600123`` ms, ...) are accepted as epoch values too, since a
metrics ``timestamp`` column may hold Prometheus' epoch seconds.

The fast path (the only one a 50k-span file takes) caches the whole-second part, so a
column of timestamps costs one slice, one cache hit and one ``float()`` per row.

>>> parse_timestamp("2025-01-01 10:00:00.250000000")
1735725600.25
>>> parse_timestamp("2025-01-01T10:00:00Z"), parse_timestamp("2025-01-01T11:00:00+01:00")
(1735725600.0, 1735725600.0)
>>> parse_timestamp("garbage") is None
True
>>> parse_file_stamp("alerts_at_2025-01-01T10-00-00.500000.json")
1735725600.5
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timezone
from functools import lru_cache

__all__ = ["parse_timestamp", "parse_file_stamp", "format_utc"]


@lru_cache(maxsize=1 << 16)
def _whole_seconds(head: str) -> float | None:
    """``YYYY-MM-DD?HH:MM:SS`` (19 characters, any separators) -> epoch seconds, or None."""
    try:
        y, mo, d = int(head[0:4]), int(head[5:7]), int(head[8:10])
        h, mi, s = int(head[11:13]), int(head[14:16]), int(head[17:19])
    except ValueError:
        return None
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h <= 23 and mi <= 59 and s <= 60):
        return None
    try:
        datetime(y, mo, d)  # rejects 2025-02-30
    except ValueError:
        return None
    return float(calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)))


_OFFSET_RE = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def parse_timestamp(value: object) -> float | None:
    """Any timestamp the snapshot holds -> epoch seconds (UTC), or ``None`` when unreadable.

    Naive times are UTC.  Fractions keep up to 9 digits (float precision ~0.2 us today).

    >>> parse_timestamp("2025-01-01 10:00:00")
    1735725600.0
    >>> parse_timestamp(1735725600123)  # epoch milliseconds
    1735725600.123
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_number(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    n = len(text)
    if n >= 19 and text[4] == "-" and text[7] == "-" and text[10] in " Tt_" and text[13] in ":-" and text[16] in ":-":
        base = _whole_seconds(text[:19])
        if base is None:
            return None
        if n == 19:
            return base
        rest = text[19:]
        frac = 0.0
        if rest[0] in ".,":
            i = 1
            while i < len(rest) and rest[i].isdigit():
                i += 1
            if i > 1:
                frac = float("0." + rest[1:i])
            rest = rest[i:]
        if not rest or rest in ("Z", "z", "+00:00", "-00:00", "+0000", " UTC", "UTC"):
            return base + frac
        m = _OFFSET_RE.match(rest.strip())
        if not m:
            return None
        offset = (int(m.group(2)) * 60 + int(m.group(3))) * 60
        return base + frac - offset if m.group(1) == "+" else base + frac + offset
    if n and (text[0].isdigit() or text[0] in "+-."):
        try:
            return _from_number(float(text))
        except ValueError:
            pass
    return _slow(text)


def _from_number(x: float) -> float | None:
    """Epoch seconds / ms / us / ns by magnitude (2001..2286 covers the recordings)."""
    if x != x or x in (float("inf"), float("-inf")) or x < 0:
        return None
    for scale in (1.0, 1e3, 1e6, 1e9):
        if x / scale < 1e10:
            return x / scale
    return None


def _slow(text: str) -> float | None:
    """Rare shapes (a date only, odd offsets): ``datetime.fromisoformat`` with a trimmed fraction."""
    try:
        text = text.replace("Z", "+00:00").replace("z", "+00:00")
        if "." in text:
            head, _, tail = text.partition(".")
            digits = "".join(ch for ch in tail if ch.isdigit())
            text = f"{head}.{digits[:6].ljust(6, '0')}{tail[len(digits):]}"
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


_FILE_STAMP_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T_ ](\d{2})[-:_](\d{2})[-:_](\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}[-:]?\d{2})?"
)


def parse_file_stamp(name: str) -> float | None:
    """The UTC time in a dump's file name (``alerts_at_2025-01-01T10-00-00.123456.json``), or None.

    >>> parse_file_stamp("alerts_in_alerting_state_2025-01-01T10:00:00Z.json")
    1735725600.0
    >>> parse_file_stamp("alerts.json") is None
    True
    """
    m = _FILE_STAMP_RE.search(name)
    if not m:
        return None
    head = f"{m.group(1)}-{m.group(2)}-{m.group(3)} {m.group(4)}:{m.group(5)}:{m.group(6)}"
    base = _whole_seconds(head)
    if base is None:
        return None
    if m.group(7):
        base += float("0." + m.group(7))
    tz = m.group(8)
    if tz and tz not in ("Z",):
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "").replace("-", "")
        base -= sign * (int(digits[:2]) * 3600 + int(digits[2:4]) * 60)
    return base


def format_utc(epoch: float) -> str:
    """Epoch seconds -> ``2025-01-01T10:00:00Z`` (for messages and reports).

    >>> format_utc(1735725600.25)
    '2025-01-01T10:00:00.250000Z'
    """
    dt = datetime.fromtimestamp(epoch, tz=timezone.utc)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dt.microsecond:
        text += f".{dt.microsecond:06d}"
    return text + "Z"


#: The recorder's TSV shape, the only one the vectorised path takes (others go through
#: :func:`parse_timestamp` one by one).
_TSV_SHAPE = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$"


def parse_timestamp_column(column: object) -> "numpy.ndarray":  # noqa: F821 - numpy imported lazily
    """A column of timestamps (any pyarrow string array) -> float64 epoch seconds, NaN if unreadable.

    ``YYYY-MM-DD HH:MM:SS[.fraction]`` is parsed in compiled code (whole seconds plus the
    fraction's nanoseconds over 1e9: bit-identical to :func:`parse_timestamp`, which adds
    ``float("0.<digits>")``); any other shape, or a date the calendar lacks, is handed to
    :func:`parse_timestamp` row by row.

    >>> import pyarrow as pa
    >>> parse_timestamp_column(pa.array(["2025-01-01 10:00:00.25", "2025-01-01T10:00:00Z", "2025-02-30 10:00:00"])).tolist()
    [1735725600.25, 1735725600.0, nan]
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_dictionary(column.type):
        column = column.cast(pa.string())
    n = len(column)
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    ok = pc.fill_null(pc.match_substring_regex(column, _TSV_SHAPE), False)
    try:  # one strict ISO cast (it refuses 2025-02-30, 24:00:00, leap seconds): the whole column or nothing
        ns = pc.cast(pc.if_else(ok, column, pa.scalar("1970-01-01 00:00:00")), pa.timestamp("ns"))
        ns = pc.cast(ns, pa.int64()).to_numpy(zero_copy_only=False)
        whole, frac = np.divmod(ns, 1_000_000_000)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        head = pc.utf8_slice_codeunits(column, 0, 19)
        secs = pc.strptime(pc.if_else(ok, head, pa.scalar("1970-01-01 00:00:00")), format="%Y-%m-%d %H:%M:%S",
                           unit="s", error_is_null=True)
        # strptime rolls 2025-02-30 over into March: only a date that prints back the same is taken
        ok = pc.and_(ok, pc.fill_null(pc.equal(pc.strftime(secs, format="%Y-%m-%d %H:%M:%S"), head), False))
        frac = pc.cast(pc.utf8_rpad(pc.utf8_slice_codeunits(pc.if_else(ok, column, pa.scalar("")), 20, 29),
                                    width=9, padding="0"), pa.int64()).to_numpy(zero_copy_only=False)
        whole = pc.cast(pc.fill_null(secs, 0), pa.int64()).to_numpy(zero_copy_only=False)
    out = whole.astype(np.float64) + frac / 1e9
    good = ok.to_numpy(zero_copy_only=False)
    if not good.all():
        for i in np.flatnonzero(~good).tolist():
            t = parse_timestamp(column[i].as_py())
            out[i] = np.nan if t is None else t
    return out
