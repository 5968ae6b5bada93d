"""The trace analysis of :func:`~sre_agent.analysis.traces.analyse_spans`, computed on span columns.

A recording's spans can number in the hundreds of thousands; building one Python object per
span only to count them costs seconds and hundreds of MB.  :func:`analyse_span_columns` takes a
column view (the snapshot backend's ``span_table()``: ``start``, ``duration_ns``, ``span_id``,
``parent_span_id`` and coded columns ``service``, ``kind``, ``status``, ``SpanAttributes``) and
returns the same :class:`~sre_agent.analysis.traces.TraceAnalysis` as ``analyse_spans`` over the
same spans, with the same dict orders: counts and grouping run in numpy, span attributes are
looked at once per distinct value, and no span becomes a :class:`~sre_agent.models.Span` record
(the error spans of the incident window are walked on their codes).  A recording whose span ids repeat falls back to ``analyse_spans`` over every row
(``analyse_spans`` keeps the last span of an id; the column path assumes ids are unique).

:func:`flag_span_rows` picks the rows :func:`~sre_agent.analysis.flags.evaluations_from_spans`
can learn from (flag events or a ``feature_flag.key`` attribute, plus their callers).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .traces import EdgeStats, ServiceWindowStats, TraceAnalysis, analyse_spans, peer_of

__all__ = ["analyse_span_columns", "flag_span_rows"]

_SERVERISH = ("Server", "Consumer", "SPAN_KIND_SERVER", "SPAN_KIND_CONSUMER")
_CLIENTISH = ("Client", "Producer", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER")


def _mask(values: list[str], codes: Any, test: Any) -> Any:
    """Per-row booleans of ``test(value)``, evaluated once per distinct value."""
    import numpy as np

    per_value = np.fromiter((bool(test(v)) for v in values), dtype=bool, count=len(values))
    return per_value[codes] if len(values) else np.zeros(len(codes), dtype=bool)


def _groups(keys: Any, rows: Any) -> list[tuple[int, Any]]:
    """``rows`` grouped by ``keys`` (same length), groups in order of first appearance, rows in order."""
    import numpy as np

    if len(rows) == 0:
        return []
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(inverse.reshape(-1), kind="stable")
    bounds = np.searchsorted(inverse.reshape(-1)[order], np.arange(len(uniq) + 1))
    out = [(int(uniq[g]), rows[order[bounds[g]:bounds[g + 1]]]) for g in range(len(uniq))]
    out.sort(key=lambda item: int(first[np.searchsorted(uniq, item[0])]))
    return out


def _fixed_width(array: Any) -> Any:
    """A string array (or chunked array) whose values all have one length -> numpy ``S<n>``
    (compares as bytes), else ``None``."""
    import numpy as np
    import pyarrow as pa

    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    views = []
    for chunk in chunks:
        n = len(chunk)
        if n == 0:
            continue
        if chunk.null_count:
            return None
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + n + 1]
        width = int(offsets[1] - offsets[0])
        if width == 0 or (views and views[0].dtype.itemsize != width) or not (np.diff(offsets) == width).all():
            return None
        views.append(np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]].view(f"S{width}"))
    if not views:
        return None
    return views[0] if len(views) == 1 else np.concatenate(views)


def _digest(ids: Any) -> Any:
    """64-bit digests of fixed-width byte strings (numpy ``S<n>``): equal ids, equal digests.

    >>> import numpy as np
    >>> d = _digest(np.array([b"0123456789abcdef", b"0123456789abcdef", b"fedcba9876543210"]))
    >>> bool(d[0] == d[1]), bool(d[0] == d[2])
    (True, False)
    """
    import numpy as np

    width = ids.dtype.itemsize
    ids = np.ascontiguousarray(ids)
    if width % 8 == 0:  # the usual 16 hex digits: two words each, no copy
        words = ids.view(np.uint64).reshape(len(ids), width // 8)
    else:
        words = np.zeros((len(ids), -(-width // 8) * 8), dtype=np.uint8)
        words[:, :width] = ids.view(np.uint8).reshape(len(ids), width)
        words = words.view(np.uint64)
    out = np.zeros(len(ids), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(words.shape[1]):
            out = (out ^ words[:, i]) * np.uint64(0x9E3779B97F4A7C15)
    return out


def _parent_rows(table: Any, has_parent: Any) -> Any:
    """Row of each span's parent (-1 when it has none in the recording), or ``None`` when span
    ids repeat.  Ids of one width (the usual hex) are matched by sorting bytes, else by hashing."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(table)
    out = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return out
    ids = _fixed_width(table.span_id)
    with_parent = np.flatnonzero(has_parent)
    parents = table.parent_span_id.take(pa.array(with_parent)) if len(with_parent) else None
    wanted = _fixed_width(parents) if parents is not None else None
    if ids is not None and (parents is None or wanted is not None):
        # sort 64-bit digests of the ids (sorting 16-byte strings is several times slower); a
        # repeated digest is a repeated id or a collision: then the bytes themselves are sorted
        keys = _digest(ids)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        if (ordered[1:] == ordered[:-1]).any():
            keys = ids
            order = np.argsort(ids, kind="stable")
            ordered = ids[order]
            if (ordered[1:] == ordered[:-1]).any():
                return None
        if parents is not None and wanted.dtype == ids.dtype:
            want = wanted if keys is ids else _digest(wanted)
            pos = np.minimum(np.searchsorted(ordered, want), n - 1)
            hit = ordered[pos] == want
            rows = order[pos[hit]]
            exact = ids[rows] == wanted[hit]  # a digest match is checked against the bytes
            out[with_parent[hit][exact]] = rows[exact]
        return out
    if pc.count_distinct(table.span_id).as_py() != n:
        return None
    if parents is not None:
        found = pc.fill_null(pc.index_in(parents, value_set=table.span_id), -1).to_numpy(zero_copy_only=False)
        out[with_parent] = found
    return out


def analyse_span_columns(table: Any, onset: float) -> TraceAnalysis:
    """``analyse_spans(table.rows(), onset)``, without building a record per span (see the module notes)."""
    import numpy as np
    import pyarrow.compute as pc

    n = len(table)
    has_parent = np.asarray(pc.not_equal(table.parent_span_id, "").to_numpy(zero_copy_only=False), dtype=bool)
    parent = _parent_rows(table, has_parent)
    if parent is None:
        return analyse_spans(table.rows(), onset)
    start, dur = table.start, table.duration_ns
    services, svc = table.codes("service")
    kinds, kind = table.codes("kind")
    states, status = table.codes("status")
    attrs, attr = table.codes("SpanAttributes")
    err = _mask(states, status, lambda v: v == "Error")
    inc = start >= onset
    serverish = _mask(kinds, kind, lambda v: v in _SERVERISH) | ~has_parent
    clientish = _mask(kinds, kind, lambda v: v in _CLIENTISH)
    dur_ms = dur / 1e6

    # per service and window: every service with a span there has an entry (zeros allowed)
    windows: tuple[dict[str, ServiceWindowStats], dict[str, ServiceWindowStats]] = ({}, {})
    rows = np.arange(n, dtype=np.int64)
    for key, group in _groups(svc.astype(np.int64) * 2 + inc, rows):
        st = windows[key % 2][services[key // 2]] = ServiceWindowStats()
        counted = group[serverish[group]]
        st.spans = len(counted)
        st.errors = int(err[counted].sum())
        st.durations_ms = dur_ms[counted].tolist()
    baseline, incident = windows

    has_child = np.zeros(n, dtype=bool)
    has_child[parent[parent >= 0]] = True
    # edges: caller -> callee per span, names coded in one space (services, then peer names)
    names = list(services)
    code_of = {name: i for i, name in enumerate(names)}
    cross = parent >= 0
    cross[cross] = svc[parent[cross]] != svc[cross]
    # analyse_spans' is_messaging: a consumer span, or a messaging attribute
    messaging_attr = _mask(attrs, attr, lambda v: "'messaging.operation': 'process'" in v
                           or "'messaging.operation': 'receive'" in v)
    consumer = _mask(kinds, kind, lambda v: v in ("Consumer", "SPAN_KIND_CONSUMER"))
    asking = ~cross & clientish & ~has_child  # only these spans name a peer in analyse_spans
    needed = np.zeros(len(attrs), dtype=bool)
    needed[attr[asking]] = True
    peer_code = np.full(len(attrs), -1, dtype=np.int64)
    for a in np.flatnonzero(needed).tolist():
        p = peer_of_text(attrs[a])
        if p:
            peer_code[a] = code_of.setdefault(p, len(code_of))
    names = sorted(code_of, key=code_of.get)
    row_peer = peer_code[attr] if len(attrs) else np.full(n, -1, dtype=np.int64)
    to_peer = asking & (row_peer >= 0) & (row_peer != svc)
    caller = np.where(cross, svc[np.maximum(parent, 0)], svc).astype(np.int64)
    callee = np.where(cross, svc, row_peer).astype(np.int64)
    width = len(names) + 1
    edge_sets: tuple[dict[tuple[str, str], EdgeStats], dict[tuple[str, str], EdgeStats]] = ({}, {})
    called = cross | to_peer
    for key, group in _groups((caller * width + callee)[called] * 2 + inc[called], rows[called]):
        pair = (names[key // 2 // width], names[key // 2 % width])
        e = edge_sets[key % 2][pair] = EdgeStats()
        e.calls = len(group)
        e.durations_ms = dur_ms[group].tolist()
        errs = group[err[group]]
        e.errors = len(errs)
        e.first_error = float(start[errs].min()) if len(errs) else None
    baseline_edges, edges = edge_sets
    async_rows = rows[cross & (consumer | messaging_attr)]
    sync_rows = rows[cross & ~(consumer | messaging_attr)]
    async_pairs = _pairs(services, svc, parent, async_rows)
    sync_pairs = _pairs(services, svc, parent, sync_rows)

    # error spans of the incident window: the same loop as analyse_spans, on their codes
    children_err = np.zeros(n, dtype=bool)
    children_err[parent[(parent >= 0) & err]] = True
    err_rows = rows[err & inc]
    messages, message = table.codes("StatusMessage")
    origins: Counter = Counter()
    origin_peers: Counter = Counter()
    origin_messages: dict[str, Counter] = {}
    error_spans: Counter = Counter()
    first_error: dict[str, float] = {}
    peers: dict[int, str] = {}
    for r, t, service, k, a, m in zip(err_rows.tolist(), start[err_rows].tolist(),
                                      [services[c] for c in svc[err_rows].tolist()], kind[err_rows].tolist(),
                                      attr[err_rows].tolist(), message[err_rows].tolist()):
        error_spans[service] += 1
        if service not in first_error or t < first_error[service]:
            first_error[service] = t
        if children_err[r]:
            continue
        if kinds[k] in _CLIENTISH and not has_child[r]:
            peer = peers.get(a)
            if peer is None:
                peer = peers[a] = peer_of_text(attrs[a])
            if peer and peer != service:
                origin_peers[(service, peer)] += 1
        origins[service] += 1
        if messages[m]:
            origin_messages.setdefault(service, Counter())[messages[m][:160]] += 1
    return TraceAnalysis(
        onset=onset, baseline=baseline, incident=incident, edges=edges, baseline_edges=baseline_edges,
        origins=origins, origin_peers=origin_peers, origin_messages=origin_messages, error_spans=error_spans,
        first_error=first_error, services={services[c] for c in np.unique(svc).tolist()}, span_count=n,
        async_edges=frozenset(async_pairs - sync_pairs),
    )


def _pairs(services: list[str], svc: Any, parent: Any, rows: Any) -> set[tuple[str, str]]:
    """The distinct (parent's service, service) pairs of ``rows``."""
    import numpy as np

    keys = np.unique(svc[parent[rows]].astype(np.int64) * len(services) + svc[rows])
    return {(services[k // len(services)], services[k % len(services)]) for k in keys.tolist()}


def peer_of_text(attributes_text: str) -> str:
    """:func:`~sre_agent.analysis.traces.peer_of` of a span with these attributes.

    >>> peer_of_text("{'server.address': 'cart.otel-demo.svc', 'server.port': 8080}")
    'cart'
    """
    from ..models import Span

    return peer_of(Span(0.0, "", "", "", "", "", "", 0, attributes_text=attributes_text))


def flag_span_rows(table: Any) -> Any:
    """Row positions :func:`~sre_agent.analysis.flags.evaluations_from_spans` learns from: spans
    with flag events or a ``feature_flag.key`` attribute, and each one's parent when the parent
    comes earlier (the only parents that function can look up), ascending."""
    import numpy as np

    names, name_codes = table.codes("Events.Name")
    attrs, attr_codes = table.codes("SpanAttributes")
    flagged = _mask(names, name_codes, lambda v: bool(v) and "feature_flag" in v)
    keyed = _mask(attrs, attr_codes, lambda v: "feature_flag.key" in v)
    rows = np.flatnonzero(flagged | keyed)
    if not len(np.flatnonzero(keyed)):
        return rows
    import pyarrow.compute as pc

    has_parent = np.asarray(pc.not_equal(table.parent_span_id, "").to_numpy(zero_copy_only=False), dtype=bool)
    parent = _parent_rows(table, has_parent)
    if parent is None:  # repeated ids: evaluations_from_spans' own lookup decides; give it every row
        return np.arange(len(table))
    keyed_rows = np.flatnonzero(keyed)
    parents = parent[keyed_rows]
    earlier = parents[(parents >= 0) & (parents < keyed_rows)]
    return np.unique(np.concatenate([rows, earlier]))

