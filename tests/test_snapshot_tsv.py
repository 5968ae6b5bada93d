"""The pandas-TSV reader and the timestamp parser: awkward but legal input, and broken input."""

from __future__ import annotations

import csv
import io

import pytest

from fixtures_itbench import E0, write_tsv
from sre_agent.snapshot.timefmt import format_utc, parse_file_stamp, parse_timestamp
from sre_agent.snapshot.tsv import read_columns


def _pandas_text(columns, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue()


def test_reads_quoted_multiline_fields_doubled_quotes_and_selects_by_name(tmp_path):
    body = 'line one\n\tline "two"\r\nline three'
    p = tmp_path / "x.tsv"
    write_tsv(p, ["Extra", "Body", "Timestamp"], [["?", body, "2025-01-01 10:00:00"], ["!", "plain", "t2"]])
    assert '""two""' in p.read_text()  # pandas doubles quotes, no backslash escapes
    r = read_columns(p, ["Timestamp", "Body"])
    assert r.rows == [("2025-01-01 10:00:00", body), ("t2", "plain")]
    assert r.skipped == 0 and r.problems == [] and r.usable


def test_missing_optional_column_reads_empty_and_is_reported(tmp_path):
    p = tmp_path / "x.tsv"
    write_tsv(p, ["Timestamp", "Body"], [["t", "b"]])
    r = read_columns(p, ["Timestamp"], ["EventName", "Body"])
    assert r.rows == [("t", "", "b")]
    assert r.missing_columns == ["EventName"]
    assert "EventName" in r.problems[0]
    quiet = read_columns(p, ["Timestamp"], ["EventName"], report_missing=False)
    assert quiet.problems == [] and quiet.missing_columns == ["EventName"]


def test_missing_required_column_makes_file_unusable_not_an_exception(tmp_path):
    p = tmp_path / "x.tsv"
    write_tsv(p, ["A", "B"], [["1", "2"]])
    r = read_columns(p, ["Timestamp", "A"])
    assert not r.usable and r.rows == [] and "Timestamp" in r.problems[0]


def test_case_insensitive_header_match(tmp_path):
    p = tmp_path / "x.tsv"
    write_tsv(p, ["timestamp", "BODY"], [["1", "2"]])
    assert read_columns(p, ["Timestamp", "Body"]).rows == [("1", "2")]


def test_malformed_rows_are_counted_and_skipped(tmp_path):
    p = tmp_path / "x.tsv"
    write_tsv(p, ["A", "B", "C"], [["1", "2", "3"]], raw_lines=["short\trow\n", "too\tmany\tfields\there\n", "4\t5\t6\n", "\n"])
    r = read_columns(p, ["A", "C"])
    assert r.rows == [("1", "3"), ("4", "6")]
    assert r.skipped == 2
    assert "2 malformed row(s)" in r.problems[0] and "line" in r.problems[0]


def test_unterminated_quote_swallows_the_rest_but_does_not_crash(tmp_path):
    p = tmp_path / "x.tsv"
    p.write_text('A\tB\n1\t2\n"open quote\t3\n4\t5\n', encoding="utf-8")
    r = read_columns(p, ["A", "B"])
    assert r.rows[0] == ("1", "2") and r.skipped >= 1


def test_missing_empty_binary_and_nul_files_never_raise(tmp_path):
    assert read_columns(tmp_path / "nope.tsv", ["A"]).problems == ["file missing"]
    (tmp_path / "empty.tsv").write_bytes(b"")
    assert "empty" in read_columns(tmp_path / "empty.tsv", ["A"]).problems[0]
    (tmp_path / "bin.tsv").write_bytes(b"A\tB\n\xff\xfe\x00\x01\t\x00\n1\t2\n" + bytes(range(256)) * 4)
    r = read_columns(tmp_path / "bin.tsv", ["A", "B"])
    assert ("1", "2") in r.rows
    d = tmp_path / "dir.tsv"
    d.mkdir()
    assert not read_columns(d, ["A"]).usable


def test_field_larger_than_128_kib(tmp_path):
    big = "x" * (300 * 1024)
    p = tmp_path / "x.tsv"
    p.write_text(_pandas_text(["Body"], [[big + '"q"']]), encoding="utf-8")
    assert read_columns(p, ["Body"]).rows == [(big + '"q"',)]


def test_utf8_bom_and_crlf_line_ends(tmp_path):
    p = tmp_path / "x.tsv"
    p.write_bytes("\ufeffA\tB\r\n1\t2\r\n".encode("utf-8"))
    assert read_columns(p, ["A", "B"]).rows == [("1", "2")]


@pytest.mark.parametrize("text, expected", [
    ("2025-01-01 10:00:00", E0),
    ("2025-01-01 10:00:00.5", E0 + 0.5),
    ("2025-01-01 10:00:00.123456789", E0 + 0.123456789),
    ("2025-01-01T10:00:00Z", E0),
    ("2025-01-01T10:00:00.250Z", E0 + 0.25),
    ("2025-01-01T12:00:00+02:00", E0),
    ("2025-01-01T05:00:00-05:00", E0),
    ("2025-01-01T10-00-00", E0),
    (" 2025-01-01 10:00:00 ", E0),
    ("1735725600", E0),
    ("1735725600.5", E0 + 0.5),
    ("1735725600000", E0),
    ("1735725600000000000", E0),
    (1735725600, E0),
])
def test_parse_timestamp(text, expected):
    assert parse_timestamp(text) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("text", ["", "garbage", "2025-13-01 10:00:00", "2025-02-30 10:00:00", None, "nan",
                                  "2025-01-01 10:00:00 +bad", True, [], "-5"])
def test_parse_timestamp_rejects(text):
    assert parse_timestamp(text) is None


def test_file_stamps_and_format():
    assert parse_file_stamp("alerts_at_2025-01-01T10-00-00.123456.json") == pytest.approx(E0 + 0.123456)
    assert parse_file_stamp("alerts_in_alerting_state_2025-01-01T10-00-00.000000Z.json") == E0
    assert parse_file_stamp("alerts_in_alerting_state_2025-01-01T10:00:00Z.json") == E0
    assert parse_file_stamp("alerts_at_latest.json") is None
    assert format_utc(E0) == "2025-01-01T10:00:00Z"
