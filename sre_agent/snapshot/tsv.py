r"""A forgiving reader for the recorder's pandas-written TSV files, row by row (the csv module).

The backend reads with the compiled reader of :mod:`~sre_agent.snapshot.columns`; this one reads
what that one refuses as a whole (invalid UTF-8, say), replacing bad bytes.

pandas ``to_csv(sep="\t", index=False)`` writes a header row, tab separators, and wraps a
field holding a tab, newline, carriage return or ``"`` in ``"..."`` with inner quotes doubled
(no backslash escapes).  That is exactly what :mod:`csv` reads with ``delimiter="\t"`` and a
file opened with ``newline=""`` (so newlines inside quoted log bodies survive).

:func:`read_columns` selects columns **by name** from the header: extra columns are ignored,
missing optional columns read as ``""``, and a missing *required* column makes the file
unusable (reported, not raised).  A row whose field count differs from the header's is
malformed: it is skipped and counted.  Nothing here raises for bad data; everything that went
wrong is in :attr:`TsvResult.problems`.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.tsv"
>>> _ = p.write_text('b\ta\tx\n2\t"multi\nline ""q"" end"\t-\n', encoding="utf-8")
>>> r = read_columns(p, ["a", "b"], optional=["c"])
>>> r.rows, r.missing_columns
([('multi\nline "q" end', '2', '')], ['c'])
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

__all__ = ["TsvResult", "read_columns", "raise_field_limit", "MAX_BYTES", "MAX_CONSECUTIVE_ERRORS"]

#: Largest source file read (a recorded scenario's biggest file is some hundreds of MiB).
MAX_BYTES = 2 * 1024 * 1024 * 1024

#: Give up on a file after this many csv errors in a row (it is not a TSV at all).
MAX_CONSECUTIVE_ERRORS = 100


def raise_field_limit() -> int:
    """Let a single field be as large as the platform allows (object bodies exceed 128 KiB)."""
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return limit
        except OverflowError:
            limit //= 2


raise_field_limit()


@dataclass(slots=True)
class TsvResult:
    """The selected columns of one TSV file, plus what could not be read.

    ``rows`` are tuples in the order ``required + optional`` were asked for.
    ``skipped`` counts malformed rows; ``problems`` are one-line descriptions.
    """

    path: Path
    rows: list[tuple[str, ...]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    usable: bool = True


def read_columns(
    path: Path,
    required: Sequence[str],
    optional: Sequence[str] = (),
    report_missing: bool = True,
) -> TsvResult:
    """Read ``path`` and return the named columns of every well-formed row.

    Never raises for I/O or format problems: a missing or unreadable file, a header lacking a
    required column, or rows with the wrong number of fields are reported in the result.
    Column names are matched exactly first, then case-insensitively.  With ``report_missing``
    false, absent optional columns are listed in ``missing_columns`` but not as a problem (for
    files whose column set legitimately varies, like pod vs service metrics).
    """
    result = TsvResult(path=Path(path))
    wanted = list(required) + list(optional)
    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0  # missing or unreadable: open() below says which
    if size > MAX_BYTES:
        result.usable = False
        result.problems.append(f"{size / 2**20:.0f} MiB is larger than the {MAX_BYTES // 2**20} MiB a source file may be (not read)")
        return result
    try:
        fh = open(path, "r", newline="", encoding="utf-8-sig", errors="replace")
    except FileNotFoundError:
        result.usable = False
        result.problems.append("file missing")
        return result
    except OSError as exc:
        result.usable = False
        result.problems.append(f"unreadable ({exc.strerror or exc.__class__.__name__})")
        return result
    with fh:
        reader = csv.reader(fh, delimiter="\t", quotechar='"', doublequote=True, strict=False)
        try:
            header = next(reader)
        except StopIteration:
            result.usable = False
            result.problems.append("empty file (no header row)")
            return result
        except (csv.Error, OSError) as exc:
            result.usable = False
            result.problems.append(f"unreadable header ({exc})")
            return result
        header = [h.strip() for h in header]
        result.header = header
        index = {h: i for i, h in enumerate(header)}
        lower = {h.lower(): i for i, h in reversed(list(enumerate(header)))}
        width = len(header)
        positions: list[int] = []
        missing_required = []
        for name in wanted:
            i = index.get(name, lower.get(name.lower()))
            if i is None:
                (missing_required if name in required else result.missing_columns).append(name)
                i = width  # points at the "" pad appended to each row
            positions.append(i)
        if missing_required:
            result.usable = False
            result.missing_columns = missing_required + result.missing_columns
            result.problems.append(f"missing required column(s) {', '.join(missing_required)}; header is {header[:20]}")
            return result
        if result.missing_columns and report_missing:
            result.problems.append(f"column(s) {', '.join(result.missing_columns)} absent (read as empty)")
        pad = bool(result.missing_columns)
        getter = itemgetter(*positions) if len(positions) > 1 else (lambda row, _i=positions[0]: (row[_i],))
        rows = result.rows
        append = rows.append
        skipped = 0
        first_bad: int | None = None
        errors_in_a_row = 0
        it = iter(reader)
        while True:
            try:
                for row in it:
                    errors_in_a_row = 0
                    if len(row) != width:
                        if not row:  # a blank line (e.g. a trailing newline): not data
                            continue
                        skipped += 1
                        if first_bad is None:
                            first_bad = reader.line_num
                        continue
                    if pad:
                        row.append("")
                    append(getter(row))
                break
            except csv.Error as exc:
                skipped += 1
                errors_in_a_row += 1
                if first_bad is None:
                    first_bad = reader.line_num
                if errors_in_a_row >= MAX_CONSECUTIVE_ERRORS:
                    result.problems.append(f"gave up after {errors_in_a_row} unreadable lines in a row ({exc})")
                    break
            except OSError as exc:
                result.problems.append(f"read error after {len(rows)} rows ({exc.strerror or exc})")
                break
        result.skipped = skipped
        if skipped:
            result.problems.append(
                f"{skipped} malformed row(s) skipped (field count differs from the {width}-column header; first near line {first_bad})"
            )
    return result


def parse_int(text: str, default: int | None = 0) -> int | None:
    """An integer column ("12", "12.0"); ``default`` when it is neither.

    >>> parse_int("12.0"), parse_int("x"), parse_int("x", None)
    (12, 0, None)
    """
    try:
        return int(text)
    except ValueError:
        try:
            return int(float(text))
        except (ValueError, OverflowError):
            return default
