r"""The recorder's TSV files read column-wise by a compiled reader (pyarrow's CSV reader).

Why pyarrow: measured on Scenario-27 simulated at ``--scale 16`` (285 MB of spans, 376 k rows,
the 14 span columns a tool needs, one thread, 2 cores shared with other jobs; two runs each):
pyarrow's streaming reader read them in 0.9-1.1 s at a peak of 139-145 MB (the batches are
reduced as they arrive: nothing holds the file's text), polars in 0.6-0.8 s but at 396 MB (it
holds the whole frame), DuckDB in 1.8-2.0 s at ~600 MB, against 7.4 s for the csv-module
:func:`~sre_agent.snapshot.tsv.read_columns`.  pyarrow is also the only one of the three that
hands back each malformed row (``invalid_row_handler``), so a bad row is counted and skipped
exactly as the csv-module reader does.  Its price is the import: 0.2-0.5 s and ~60 MB more RSS
than polars (numpy comes with it), paid once per triage process.

:func:`read_table` keeps the old reader's tolerance: columns picked **by name** (exact, then
case-insensitive), missing optional columns read as ``""``, a missing required column makes the
file unusable (reported), rows whose field count differs from the header's are skipped and
counted.  A file the compiled reader refuses as a whole (invalid UTF-8, say) is read again by
:func:`~sre_agent.snapshot.tsv.read_columns`, which replaces bad bytes, so nothing here raises
for bad data.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.tsv"
>>> _ = p.write_text('b\ta\tx\n2\t"multi\nline ""q"" end"\t-\nshort\n', encoding="utf-8")
>>> r = read_table(p, ["a", "b"], optional=["c"])
>>> r.table.to_pydict(), r.skipped, r.missing_columns
({'a': ['multi\nline "q" end'], 'b': ['2'], 'c': ['']}, 1, ['c'])
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .tsv import MAX_BYTES, read_columns

__all__ = ["TsvTable", "Coder", "read_table", "read_columnar", "release_memory", "pylist", "as_dictionary"]

T = TypeVar("T")

#: Bytes parsed per batch: 1 MiB read the 16x span file fastest and with the least memory
#: (the reader holds several blocks in flight: 4 MiB blocks peaked at 118 MiB of buffers).
BLOCK_SIZE = 1 << 20


@dataclass(slots=True)
class TsvTable:
    """The selected columns of one TSV file as a ``pyarrow.Table`` (string columns, named as
    asked), plus what could not be read; fields as in :class:`~sre_agent.snapshot.tsv.TsvResult`."""

    path: Path
    table: Any = None
    header: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    usable: bool = True

    @property
    def num_rows(self) -> int:
        return 0 if self.table is None else self.table.num_rows


def _empty_table(names: Sequence[str], dictionary: Iterable[str] = ()) -> Any:
    import pyarrow as pa

    dict_set = set(dictionary)
    return pa.table({n: pa.array([], pa.dictionary(pa.int32(), pa.string()) if n in dict_set else pa.string())
                     for n in names})


def _read_header(path: Path) -> list[str] | None:
    """The header row as the csv module reads it (BOM dropped); ``None`` for an empty file."""
    with open(path, "r", newline="", encoding="utf-8-sig", errors="replace") as fh:
        try:
            return [h.strip() for h in next(csv.reader(fh, delimiter="\t", quotechar='"', strict=False))]
        except StopIteration:
            return None


def _fallback(path: Path, required: Sequence[str], optional: Sequence[str], report_missing: bool,
              dictionary: Iterable[str], why: str) -> TsvTable:
    """Read with the forgiving csv-module reader and hand back the same shape."""
    import pyarrow as pa

    old = read_columns(path, required, optional, report_missing)
    names = list(required) + list(optional)
    out = TsvTable(path=Path(path), header=old.header, missing_columns=old.missing_columns, skipped=old.skipped,
                   problems=list(old.problems), usable=old.usable)
    if old.usable:
        out.problems.insert(0, f"read by the slow reader ({why})")
    columns = list(zip(*old.rows)) if old.rows else [() for _ in names]
    dict_set = set(dictionary)
    arrays = {n: pa.array(list(c), pa.string()) for n, c in zip(names, columns)}
    out.table = pa.table({n: (a.dictionary_encode() if n in dict_set else a) for n, a in arrays.items()})
    return out


def read_table(path: Path, required: Sequence[str], optional: Sequence[str] = (), report_missing: bool = True,
               dictionary: Iterable[str] = ()) -> TsvTable:
    """Read the named columns of ``path`` (``required`` then ``optional``) into one table.

    Columns named in ``dictionary`` are dictionary-encoded while parsing (for columns with few
    distinct values, like service names or resource maps: a fraction of the memory).  Never
    raises for I/O or format problems; see the module notes.
    """
    import pyarrow as pa

    def gather(batches: Iterable[Any]) -> Any:
        names = list(required) + list(optional)
        got = list(batches)
        return pa.Table.from_batches(got) if got else _empty_table(names, dictionary)

    result, table = read_columnar(path, required, optional, gather, report_missing, dictionary)
    result.table = table
    return result


def read_columnar(path: Path, required: Sequence[str], optional: Sequence[str], build: Callable[[Iterable[Any]], T],
                  report_missing: bool = True, dictionary: Iterable[str] = (),
                  block_size: int = BLOCK_SIZE) -> tuple[TsvTable, T]:
    """Stream the named columns of ``path`` as record batches into ``build`` and return what it built.

    ``build`` sees each batch once (columns named as asked, in that order) and should keep only
    what it needs, so the file's text is never held whole.  If the compiled reader gives up half
    way (invalid UTF-8, say), ``build`` is called again with every row as the forgiving csv-module
    reader reads them.  The :class:`TsvTable` carries the problems (its ``table`` stays ``None``).
    ``block_size`` bytes are parsed per batch (the reader keeps a few dozen blocks in flight).
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    path = Path(path)
    names = list(required) + list(optional)
    dict_set = set(dictionary)

    def fallback(why: str) -> tuple[TsvTable, T]:
        old = _fallback(path, required, optional, report_missing, dict_set, why)
        table, old.table = old.table, None
        return old, build(table.to_batches() if table.num_rows else [])

    result = TsvTable(path=path)
    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0
    if size > MAX_BYTES:
        return fallback("too large")  # the csv-module reader reports it and reads nothing
    try:
        header = _read_header(path)
    except (OSError, csv.Error):
        return fallback("unreadable header")
    if header is None:
        return fallback("empty")
    result.header = header
    index = {h: i for i, h in enumerate(header)}
    lower = {h.lower(): i for i, h in reversed(list(enumerate(header)))}
    positions: dict[str, int] = {}
    missing_required = []
    for name in names:
        i = index.get(name, lower.get(name.lower()))
        if i is None:
            (missing_required if name in required else result.missing_columns).append(name)
        else:
            positions[name] = i
    if missing_required:
        result.usable = False
        result.missing_columns = missing_required + result.missing_columns
        result.problems.append(f"missing required column(s) {', '.join(missing_required)}; header is {header[:20]}")
        return result, build([])
    if result.missing_columns and report_missing:
        result.problems.append(f"column(s) {', '.join(result.missing_columns)} absent (read as empty)")
    bad: list[Any] = []

    def on_invalid(row: Any) -> str:
        bad.append(row.number)
        return "skip"

    width = len(header)
    wanted = sorted(set(positions.values()))
    string = pa.string()
    dict_type = pa.dictionary(pa.int32(), pa.string())
    types = {f"c{i}": string for i in wanted}
    for name, i in positions.items():
        if name in dict_set:
            types[f"c{i}"] = dict_type

    def renamed(reader: Any) -> Iterable[Any]:
        for batch in reader:
            columns = []
            for name in names:
                if name in positions:
                    col = batch.column(f"c{positions[name]}")
                    if name not in dict_set and pa.types.is_dictionary(col.type):
                        col = col.cast(string)
                else:
                    col = pa.array([""] * batch.num_rows, string)
                    if name in dict_set:
                        col = col.dictionary_encode()
                columns.append(col)
            yield pa.RecordBatch.from_arrays(columns, names=names)

    release_memory()  # what earlier work freed: the reader's buffers below should reuse those pages
    previous_hook = sys.unraisablehook

    def quiet_hook(unraisable: Any) -> None:
        # a malformed row that is not UTF-8 cannot be handed to on_invalid as text: pyarrow
        # reports that on stderr and then fails the read, which the fallback below reads again
        if unraisable.object is not on_invalid:
            previous_hook(unraisable)

    sys.unraisablehook = quiet_hook
    try:
        reader = pa_csv.open_csv(
            pa.OSFile(str(path)),  # a plain file, not a memory map: mapped pages would count as our RSS
            read_options=pa_csv.ReadOptions(column_names=[f"c{i}" for i in range(width)], skip_rows=1,
                                            block_size=block_size, use_threads=False),
            parse_options=pa_csv.ParseOptions(delimiter="\t", quote_char='"', double_quote=True, escape_char=False,
                                              newlines_in_values=True, ignore_empty_lines=True,
                                              invalid_row_handler=on_invalid),
            convert_options=pa_csv.ConvertOptions(include_columns=[f"c{i}" for i in wanted], column_types=types,
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
        value = build(renamed(reader))
    except (pa.ArrowException, OSError, ValueError) as exc:
        return fallback(f"{type(exc).__name__}: {str(exc)[:120]}")
    finally:
        sys.unraisablehook = previous_hook
        release_memory()
    if bad:
        result.skipped = len(bad)
        first = next((n for n in bad if n is not None), None)
        near = f"; first near line {first}" if first is not None else ""
        result.problems.append(
            f"{len(bad)} malformed row(s) skipped (field count differs from the {width}-column header{near})")
    return result, value


def release_memory() -> None:
    """Hand freed pages back to the system after a file is read: pyarrow's allocator and (on
    glibc) the C heap keep the parsed text's pages otherwise, and this process's RSS with them,
    while what is read next allocates elsewhere."""
    import ctypes
    import ctypes.util

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    global _TRIM
    if _TRIM is None:
        try:
            _TRIM = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc: nothing to trim
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM: Any = None


class Coder:
    """Codes for the distinct strings of a column read in batches: each batch's dictionary is
    mapped once onto one growing list of values (``values``), rows get int32 codes.

    >>> import pyarrow as pa
    >>> c = Coder()
    >>> c.encode(pa.array(["a", "b", "a"]).dictionary_encode()), c.encode(pa.array(["b", "c"])), c.values
    (array([0, 1, 0], dtype=int32), array([1, 2], dtype=int32), ['a', 'b', 'c'])
    """

    __slots__ = ("_index",)

    def __init__(self) -> None:
        self._index: dict[str, int] = {}

    @property
    def values(self) -> list[str]:
        return list(self._index)

    def encode(self, array: Any) -> Any:
        """One batch's column (dictionary or plain strings) -> int32 codes per row."""
        import numpy as np
        import pyarrow as pa

        if not pa.types.is_dictionary(array.type):
            array = array.dictionary_encode()
        index = self._index
        local = array.dictionary.to_pylist()
        mapping = np.fromiter((index.setdefault(v, len(index)) for v in local), dtype=np.int32, count=len(local))
        return mapping[array.indices.to_numpy(zero_copy_only=False)] if len(local) else np.zeros(len(array), np.int32)


def as_dictionary(column: Any) -> tuple[list[str], Any]:
    """A (chunked) dictionary column -> (its values as Python strings, int indices as numpy).

    >>> import pyarrow as pa
    >>> as_dictionary(pa.chunked_array([pa.array(["a", "b", "a"]).dictionary_encode()]))
    (['a', 'b'], array([0, 1, 0], dtype=int32))
    """
    import numpy as np
    import pyarrow as pa

    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    if isinstance(column, pa.ChunkedArray):
        column = column.unify_dictionaries().combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    values = column.dictionary.to_pylist()
    indices = column.indices.to_numpy(zero_copy_only=False)
    return values, np.asarray(indices, dtype=np.int32)


def pylist(column: Any) -> list[str]:
    """Any string column -> a list of Python strings (a dictionary column's values are shared).

    >>> import pyarrow as pa
    >>> pylist(pa.chunked_array([pa.array(["x", "y"]).dictionary_encode()]))
    ['x', 'y']
    """
    import pyarrow as pa

    if pa.types.is_dictionary(column.type):
        values, idx = as_dictionary(column)
        return [values[i] for i in idx.tolist()]
    return column.to_pylist()


#: Rows of Timestamp / Duration text parsed in one call (per-call overhead vs. text held).
PARSE_ROWS = 1 << 15


def _sorted_rows(time: Any, keep: Any) -> Any:
    """Positions of the kept rows in time order (stable), or ``None`` when that is every row as
    it stands (recordings are written in time order: no copy then)."""
    import numpy as np

    if keep.all() and (len(time) < 2 or bool((time[1:] >= time[:-1]).all())):
        return None
    rows = np.flatnonzero(keep)
    return rows[np.argsort(time[rows], kind="stable")]


def _reordered(values: Any, order: Any) -> Any:
    """``values`` (numpy or pyarrow) at the positions ``order`` (``None``: as they are, no copy)."""
    import pyarrow as pa

    if order is None:
        return values
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.take(pa.array(order, pa.int64()))
    return values[order]


def _string(column: Any) -> Any:
    """A text column as plain strings (a dictionary-encoded one decoded, chunks joined)."""
    import pyarrow as pa

    col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return col.cast(pa.string()) if pa.types.is_dictionary(col.type) else col
