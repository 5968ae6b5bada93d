"""The column-wise snapshot reader (issue 26) against the row-at-a-time reader it replaced.

Every shipped ITBench-Lite ground truth is simulated small (scale 0.05: a few hundred spans, but
every fault mechanism and file shape), and the backend's spans, logs, Kubernetes objects and
events, metric series (one pod and one service file a scenario), trace analysis and flag
evaluations must equal, value for value and in the same order, what the old csv-module reader and
the per-row builders (``snapshot_legacy``) make of the same files.  The same check at full size
runs over any folder of scenarios with ``python tests/snapshot_equivalence.py DIR``.
"""

from __future__ import annotations

import random

import pytest

from data_paths import GROUND_TRUTHS
from fixtures_itbench import write_tsv
from snapshot_equivalence import compare_folder
from sre_agent.snapshot import SnapshotBackend
from sre_agent.snapshot.columns import read_table
from sre_agent.snapshot.timefmt import parse_timestamp, parse_timestamp_column
from sre_agent.snapshot.tsv import read_columns

SHIPPED = sorted(p.stem for p in GROUND_TRUTHS.glob("Scenario-*.yaml"))


@pytest.fixture(scope="module")
def small_scenarios(tmp_path_factory):
    from sre_agent.simulator import simulate

    root = tmp_path_factory.mktemp("shipped")
    return {name: simulate(GROUND_TRUTHS / f"{name}.yaml", root / name, seed=0, scale=0.05) for name in SHIPPED}


def test_all_29_shipped_ground_truths_are_checked():
    assert len(SHIPPED) == 29


@pytest.mark.parametrize("name", SHIPPED)
def test_new_reader_equals_old_on_every_shipped_scenario(small_scenarios, name):
    report = compare_folder(small_scenarios[name], metric_files_each=1, quick=True)
    assert report.spans > 0 and report.logs > 0
    assert report.differences == []


def _both(path, required, optional=(), **kw):
    old = read_columns(path, required, optional, **kw)
    new = read_table(path, required, optional, **kw)
    names = list(required) + list(optional)
    rows = list(zip(*(new.table.column(n).to_pylist() for n in names))) if new.table.num_rows else []
    return old, new, rows


def test_awkward_but_legal_tsv_reads_the_same(tmp_path):
    p = tmp_path / "x.tsv"
    body = 'line one\n\tline "two"\r\nline three'
    write_tsv(p, ["Extra", "Body", "timestamp"], [["?", body, "2025-01-01 10:00:00"], ["!", "plain", ""]],
              raw_lines=["short\trow\n", "too\tmany\tfields\there\n", "\n", "4\t5\t6\n"])
    old, new, rows = _both(p, ["Timestamp", "Body"], ["Missing"])
    assert rows == old.rows == [("2025-01-01 10:00:00", body, ""), ("", "plain", ""), ("6", "5", "")]
    assert new.skipped == old.skipped == 2
    assert new.missing_columns == old.missing_columns == ["Missing"]
    assert any("2 malformed row(s)" in problem for problem in new.problems)


def test_files_the_compiled_reader_refuses_are_read_by_the_old_one(tmp_path, capsys):
    p = tmp_path / "bin.tsv"
    p.write_bytes(b"A\tB\n\xff\xfe\x00\x01\t\x00\n1\t2\n")
    old, new, rows = _both(p, ["A", "B"])
    assert rows == old.rows and ("1", "2") in rows
    assert "slow reader" in new.problems[0]
    bad_row = tmp_path / "bad-row.tsv"  # a malformed row that is not UTF-8 either
    bad_row.write_bytes(b"A\tB\n1\t2\nx\xff\n3\t4\n")
    old, new, rows = _both(bad_row, ["A", "B"])
    assert rows == old.rows == [("1", "2"), ("3", "4")] and new.skipped == old.skipped == 1
    assert capsys.readouterr().err == ""  # pyarrow's complaint about the row is not printed
    (tmp_path / "empty.tsv").write_bytes(b"")
    assert not read_table(tmp_path / "empty.tsv", ["A"]).usable
    missing = read_table(tmp_path / "nope.tsv", ["A"])
    assert not missing.usable and any("file missing" in problem for problem in missing.problems)
    lacking = read_table(p, ["Timestamp"])
    assert not lacking.usable and lacking.table.num_rows == 0


def test_timestamp_column_matches_the_row_parser_bit_for_bit():
    rng = random.Random(7)
    values = ["2025-01-01 10:00:00.25", "2025-01-01T10:00:00Z", "2025-02-30 10:00:00", "2025-01-01 10:00:60",
              "2025-01-01 24:00:00", "", "garbage", "1735725600", "2025-01-01 10:00:00.1234567891",
              " 2025-01-01 10:00:00", "1969-12-31 23:59:59.5", "2025-01-01 11:00:00+01:00", "2025-01-01"]
    for _ in range(5000):
        digits = str(rng.randrange(10**9)).zfill(9)[: rng.randint(0, 9)]
        values.append(f"{rng.randint(1900, 2200):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
                      f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
                      + (f".{digits}" if digits else ""))
    import pyarrow as pa

    got = parse_timestamp_column(pa.array(values)).tolist()
    want = [parse_timestamp(v) for v in values]
    assert [None if g != g else g for g in got] == want


def test_spans_are_records_only_for_the_rows_asked_for(small_scenarios):
    b = SnapshotBackend(small_scenarios["Scenario-27"])
    table = b.span_table()
    everything = b.spans()
    assert len(table) == len(everything)
    service = everything[len(everything) // 2].service
    t0, t1 = everything[10].start, everything[-10].start
    assert b.spans(service=service, since=t0, until=t1) == [
        s for s in everything if s.service == service and t0 <= s.start <= t1]
    assert b.spans(service="no-such-service") == [] and b.spans(since=t1 + 1e6) == []


def test_metric_values_parse_as_float_does(tmp_path):
    from snapshot_legacy import legacy_metric_file
    from sre_agent.snapshot.metrics import read_metric_file

    values = ["1.5", "-2", ".5", "1e3", "nan", " 7 ", "1_000", "inf", "x", "", "0x10", "+3.25E-2"]
    p = tmp_path / "metrics" / "pod_cart-1_raw.tsv"
    write_tsv(p, ["metric_name", "timestamp", "value", "namespace", "tags"],
              [["m", f"2025-01-01 10:00:{i:02d}", v, "ns", "{'le': '0.5'}"] for i, v in enumerate(values)]
              + [["", "2025-01-01 10:01:00", "1", "ns", ""], ["m", "1735725700", "2", "ns", ""]])
    old, old_read = legacy_metric_file(p, "pod", "cart-1")
    new, new_read = read_metric_file(p, "pod", "cart-1")
    assert repr(new) == repr(old) and new_read.skipped == old_read.skipped == 4  # x, "", 0x10, no name


@pytest.mark.parametrize("raw", [
    b'A\tB\n1\ta"b\n2\t3\n',                  # a quote inside an unquoted field is text
    b'A\tB\n"a"b\tc\n2\t3\n',                 # text after a closing quote joins the field
    b'A\tB\n1\t2\n"open quote\t3\n4\t5\n',    # an unterminated quote swallows the rest: one bad row
    b'A\tB\r\n1\t2\r\n3\t4\r\n',              # CRLF line ends
    b'\xef\xbb\xbfA\tB\n1\t2\n',              # a byte-order mark before the header
    b'A\tB\n1\t2',                            # no final newline
    b'A\tB\n\n\n1\t2\n\n',                    # blank lines are not rows
    b'A\tB\n""\t"x""y"\n',                    # empty quoted field, doubled quote
])
def test_quoting_edge_cases_read_as_the_csv_module_reads_them(tmp_path, raw):
    p = tmp_path / "q.tsv"
    p.write_bytes(raw)
    old, new, rows = _both(p, ["A", "B"])
    assert rows == old.rows and new.skipped == old.skipped


def _write_spans(folder, ids_and_parents):
    cols = ["Timestamp", "TraceId", "SpanId", "ParentSpanId", "SpanName", "SpanKind", "ServiceName", "Duration",
            "StatusCode", "StatusMessage", "SpanAttributes", "ResourceAttributes", "Events.Name", "Events.Attributes"]
    services = ["frontend", "checkout", "cart"]
    rows = [[f"2025-01-01 10:00:{i:02d}.5", "t1", sid, parent, "op", "Server" if i % 2 else "Client",
             services[i % 3], str(1000 * (i + 1)), "Error" if i % 4 == 0 else "Unset", "boom" if i % 4 == 0 else "",
             "{'server.address': 'cart.ns.svc'}", "{}", "[]", "[]"] for i, (sid, parent) in enumerate(ids_and_parents)]
    write_tsv(folder / "otel_traces_raw.tsv", cols, rows)
    return folder


@pytest.mark.parametrize("ids", [
    [("a" * 16, ""), ("b" * 16, "a" * 16), ("c" * 16, "b" * 16), ("d" * 16, "f" * 16), ("e" * 16, "c" * 16)],
    [("a", ""), ("bb", "a"), ("ccc", "bb"), ("dddd", "ccc"), ("e", "nope")],          # ids of mixed widths
    [("a" * 16, ""), ("b" * 16, "a" * 16), ("a" * 16, "b" * 16), ("c" * 16, "a" * 16)],  # an id repeats
])
def test_trace_analysis_on_columns_equals_the_record_walk_on_odd_ids(tmp_path, ids):
    from snapshot_legacy import legacy_spans
    from sre_agent.analysis.span_columns import analyse_span_columns
    from sre_agent.analysis.traces import analyse_spans

    folder = _write_spans(tmp_path, ids)
    table = SnapshotBackend(folder).span_table()
    old_spans = legacy_spans(folder)
    for onset in (old_spans[0].start - 1, old_spans[2].start):
        assert analyse_span_columns(table, onset) == analyse_spans(old_spans, onset)
