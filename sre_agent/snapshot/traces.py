"""Spans from ``otel_traces_raw.tsv``.

``Duration`` is in nanoseconds; ``StatusCode`` is ``Unset`` / ``Ok`` / ``Error`` or the
protobuf spelling ``STATUS_CODE_ERROR`` (normalised by :func:`normalise_status`); ``SpanKind``
is ``Server`` ... or ``SPAN_KIND_SERVER`` (normalised by :func:`normalise_kind`).  Map columns
(``SpanAttributes``, ``ResourceAttributes``) stay raw text on the record.

>>> normalise_status("STATUS_CODE_ERROR"), normalise_status("ok"), normalise_status("")
('Error', 'Ok', 'Unset')
>>> normalise_kind("SPAN_KIND_CLIENT"), normalise_kind("Server")
('Client', 'Server')
"""

from __future__ import annotations

from typing import Any

from ..models import Span
from .columns import PARSE_ROWS, _reordered, _sorted_rows, _string
from .logs import map_value
from .tsv import parse_int

__all__ = ["SPAN_REQUIRED", "SPAN_OPTIONAL", "SPAN_DICTIONARY", "SpanTable", "normalise_status", "normalise_kind",
]

SPAN_REQUIRED = ("Timestamp", "SpanId")
SPAN_OPTIONAL = ("TraceId", "ParentSpanId", "SpanName", "SpanKind", "ServiceName", "Duration",
                 "StatusCode", "StatusMessage", "SpanAttributes", "ResourceAttributes", "Events.Name",
                 "Events.Attributes")

_STATUS = {
    "": "Unset", "unset": "Unset", "status_code_unset": "Unset", "0": "Unset",
    "ok": "Ok", "status_code_ok": "Ok", "1": "Ok",
    "error": "Error", "status_code_error": "Error", "2": "Error",
}
_KIND = {
    "server": "Server", "client": "Client", "internal": "Internal", "producer": "Producer",
    "consumer": "Consumer", "unspecified": "Unspecified", "": "Unspecified",
}


def normalise_status(text: str) -> str:
    """Any StatusCode spelling -> ``Unset`` / ``Ok`` / ``Error`` (unknown -> ``Unset``)."""
    return _STATUS.get(text.strip().lower(), "Unset")


def normalise_kind(text: str) -> str:
    """Any SpanKind spelling -> ``Server`` / ``Client`` / ``Internal`` / ``Producer`` / ``Consumer``."""
    t = text.strip().lower()
    if t.startswith("span_kind_"):
        t = t[len("span_kind_"):]
    return _KIND.get(t, text.strip())


#: Span columns with few distinct values: dictionary-encoded while parsing (shared strings).
SPAN_DICTIONARY = ("TraceId", "SpanName", "SpanKind", "ServiceName", "StatusCode", "StatusMessage", "SpanAttributes",
                   "ResourceAttributes", "Events.Name", "Events.Attributes")




class SpanTable:
    """The spans of one file kept as columns, sorted by start (stable: ties keep file order).

    :meth:`rows` builds :class:`~sre_agent.models.Span` records only for the rows asked for;
    ``codes(name)`` gives a dictionary column as (values, per-row indices) for vectorised work.
    Built by :meth:`from_table` from the columns of :data:`SPAN_REQUIRED` + :data:`SPAN_OPTIONAL`:
    a row without a readable start time or duration is skipped (and counted); status and kind
    are normalised; an empty ServiceName falls back to the resource's ``service.name``; events
    are kept only when ``Events.Name`` names some (``""`` and ``[]`` mean none).

    >>> import pyarrow as pa
    >>> cols = {c: [""] * 2 for c in SPAN_REQUIRED + SPAN_OPTIONAL}
    >>> cols.update(Timestamp=["2025-01-01 10:00:01", "2025-01-01 10:00:00"], SpanId=["b", "a"],
    ...             ServiceName=["cart", "ad"], StatusCode=["STATUS_CODE_ERROR", "Ok"], Duration=["7", "x"])
    >>> table, skipped = SpanTable.from_table(pa.table(cols))
    >>> [(s.span_id, s.service, s.status, s.duration_ns) for s in table.rows()], skipped
    ([('b', 'cart', 'Error', 7)], 1)
    """

    __slots__ = ("start", "duration_ns", "span_id", "parent_span_id", "_codes", "_by_service")

    def __init__(self, start: Any, duration_ns: Any, span_id: Any, parent_span_id: Any,
                 codes: dict[str, tuple[list[str], Any]]) -> None:
        self.start = start                      # float64 epoch seconds, ascending
        self.duration_ns = duration_ns          # int64
        self.span_id = span_id                  # pyarrow string (chunked) arrays
        self.parent_span_id = parent_span_id
        self._codes = codes                     # column -> (distinct values, int32 index per row)
        self._by_service: dict[str, Any] | None = None

    def __len__(self) -> int:
        return len(self.start)

    def codes(self, name: str) -> tuple[list[str], Any]:
        """``(values, indices)`` of a coded column: ``TraceId``, ``SpanName``, ``kind``, ``service``,
        ``status``, ``StatusMessage``, ``SpanAttributes``, ``ResourceAttributes``, ``Events.Name``,
        ``Events.Attributes`` (``kind``, ``service``, ``status`` already normalised)."""
        return self._codes[name]

    @classmethod
    def from_table(cls, table: Any) -> tuple[SpanTable, int]:
        """A table (or record batches) of the columns :data:`SPAN_REQUIRED` + :data:`SPAN_OPTIONAL`
        -> (table, rows skipped).  Batches are reduced to numbers and codes one at a time."""
        import numpy as np
        import pyarrow as pa

        from .columns import Coder
        from .timefmt import parse_timestamp_column

        batches = table.to_batches() if isinstance(table, pa.Table) else table
        coders = {name: Coder() for name in SPAN_DICTIONARY}
        parts: dict[str, list[Any]] = {name: [] for name in ("start", "dur", "ok", "SpanId", "ParentSpanId", *coders)}
        pending: list[Any] = []  # Timestamp and Duration text of a few batches, parsed together

        def parse_pending() -> None:
            if pending:
                parts["start"].append(parse_timestamp_column(pa.chunked_array([t for t, _ in pending], pa.string())))
                dur, ok = _int_column(_string(pa.chunked_array([d for _, d in pending], pa.string())))
                parts["dur"].append(dur)
                parts["ok"].append(ok)
                pending.clear()

        for batch in batches:
            pending.append((_string(batch.column("Timestamp")), _string(batch.column("Duration"))))
            if sum(len(t) for t, _ in pending) >= PARSE_ROWS:
                parse_pending()
            for name in ("SpanId", "ParentSpanId"):
                parts[name].append(_string(batch.column(name)))
            for name, coder in coders.items():
                parts[name].append(coder.encode(batch.column(name)))
        parse_pending()

        def joined(name: str, dtype: Any) -> Any:
            return np.concatenate(parts.pop(name)) if parts[name] else np.zeros(0, dtype=dtype)

        start, duration, dur_ok = joined("start", np.float64), joined("dur", np.int64), joined("ok", bool)
        keep = ~np.isnan(start) & dur_ok
        skipped = int(len(start) - keep.sum())
        order = _sorted_rows(start, keep)
        codes: dict[str, tuple[list[str], Any]] = {name: (coder.values, _reordered(joined(name, np.int32), order))
                                                   for name, coder in coders.items()}
        # normalised kind / status: map the distinct spellings, keep the codes
        kinds, kind_idx = codes.pop("SpanKind")
        codes["kind"] = ([normalise_kind(k) for k in kinds], kind_idx)
        states, state_idx = codes.pop("StatusCode")
        codes["status"] = ([normalise_status(s) for s in states], state_idx)
        codes["service"] = _services(codes.pop("ServiceName"), codes["ResourceAttributes"])
        # span events: kept only when the row names some ("" / "[]" mean none: both fields "")
        ev_names, ev_idx = codes["Events.Name"]
        if ev_names:
            none = np.asarray([v in ("", "[]") for v in ev_names], dtype=bool)[ev_idx]
            if none.any():
                ev_attrs, ea_idx = codes["Events.Attributes"]
                codes["Events.Name"] = (ev_names + [""], np.where(none, len(ev_names), ev_idx).astype(np.int32))
                codes["Events.Attributes"] = (ev_attrs + [""], np.where(none, len(ev_attrs), ea_idx).astype(np.int32))
        ids = [_reordered(pa.chunked_array(parts[name], pa.string()), order) for name in ("SpanId", "ParentSpanId")]
        return cls(_reordered(start, order), _reordered(duration, order), ids[0], ids[1], codes), skipped

    def select(self, service: str | None = None, since: float | None = None, until: float | None = None) -> Any:
        """Row positions (ascending) of the spans of ``service`` starting in [since, until]."""
        import numpy as np

        if service is None:
            rows, starts = None, self.start
        else:
            rows = self._service_rows().get(service)
            if rows is None:
                return np.zeros(0, dtype=np.int64)
            starts = self.start[rows]
        lo = int(np.searchsorted(starts, since, side="left")) if since is not None else 0
        hi = int(np.searchsorted(starts, until, side="right")) if until is not None else len(starts)
        hi = max(lo, hi)
        return np.arange(lo, hi, dtype=np.int64) if rows is None else rows[lo:hi]

    def _service_rows(self) -> dict[str, Any]:
        """Service -> its row positions, ascending (built on first use)."""
        import numpy as np

        if self._by_service is None:
            values, codes = self._codes["service"]
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(values) + 1))
            out: dict[str, list[Any]] = {}
            for code, name in enumerate(values):
                if bounds[code + 1] > bounds[code]:
                    out.setdefault(name, []).append(order[bounds[code]:bounds[code + 1]])
            self._by_service = {k: (v[0] if len(v) == 1 else np.sort(np.concatenate(v))) for k, v in out.items()}
        return self._by_service

    def rows(self, index: Any = None) -> list[Span]:
        """:class:`Span` records of the given row positions (all rows by default), in that order."""
        import numpy as np
        import pyarrow as pa

        idx = np.arange(len(self), dtype=np.int64) if index is None else np.asarray(index, dtype=np.int64)
        if len(idx) == 0:
            return []
        take = pa.array(idx)

        def coded(name: str) -> list[str]:
            values, codes = self._codes[name]
            return [values[i] for i in codes[idx].tolist()]

        return list(map(Span, self.start[idx].tolist(), coded("TraceId"), self.span_id.take(take).to_pylist(),
                        self.parent_span_id.take(take).to_pylist(), coded("SpanName"), coded("kind"),
                        coded("service"), self.duration_ns[idx].tolist(), coded("status"), coded("StatusMessage"),
                        coded("SpanAttributes"), coded("ResourceAttributes"), coded("Events.Name"),
                        coded("Events.Attributes")))


def _services(service: tuple[list[str], Any], resource: tuple[list[str], Any]) -> tuple[list[str], Any]:
    """The ServiceName codes, with an empty name replaced by the resource's ``service.name``."""
    import numpy as np

    names, codes = service
    if not any(v == "" for v in names):
        return names, codes
    res_values, res_idx = resource
    names = list(names)
    lookup = {v: i for i, v in enumerate(names)}
    codes = codes.copy()
    by_res: dict[int, int] = {}
    empty = np.asarray([v == "" for v in names], dtype=bool)[codes]
    for r in np.flatnonzero(empty).tolist():
        ri = int(res_idx[r])
        code = by_res.get(ri)
        if code is None:
            name = map_value(res_values[ri], "service.name")
            code = lookup.get(name)
            if code is None:
                code = lookup[name] = len(names)
                names.append(name)
            by_res[ri] = code
        codes[r] = code
    return names, codes


def _int_column(column: Any) -> tuple[Any, Any]:
    """Integer text ("12", "12.0", "" -> 0) -> (int64 values, readable mask), as :func:`parse_int`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(column)
    filled = pc.if_else(pc.equal(column, ""), pa.scalar("0"), column) if n else column
    try:
        return pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False).astype(np.int64), np.ones(n, dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    values = np.zeros(n, dtype=np.int64)
    ok = np.ones(n, dtype=bool)
    for i, text in enumerate(column.to_pylist()):
        if text:
            v = parse_int(text, None)
            if v is None:
                ok[i] = False
            else:
                values[i] = v
    return values, ok
