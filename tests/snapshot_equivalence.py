"""Old and new snapshot readers compared on one scenario folder (or every one under a folder).

``compare_folder`` reads a scenario with the backend (column-wise, pyarrow) and with the reader
before issue 26 (csv module, one record per row: ``snapshot_legacy``) and lists every difference in
spans, logs, metric series, Kubernetes objects and events, the trace analysis (at three onsets) and the flag
evaluations of spans and logs, dict orders included.
Run as a script it checks every scenario folder under DIR, e.g. the 29 shipped ground truths
simulated at full size::

    python -m sre_agent simulate --all eval/data/itbench-lite/ground_truths --out scen --seed 0
    python tests/snapshot_equivalence.py scen
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from snapshot_legacy import legacy_events, legacy_logs, legacy_metric_file, legacy_objects, legacy_spans  # noqa: E402
from sre_agent.snapshot.layout import metric_files  # noqa: E402
from sre_agent.snapshot.metrics import read_metric_file  # noqa: E402
from sre_agent.analysis.flags import evaluations_from_logs, evaluations_from_spans  # noqa: E402
from sre_agent.analysis.span_columns import analyse_span_columns, flag_span_rows  # noqa: E402
from sre_agent.analysis.traces import analyse_spans  # noqa: E402
from sre_agent.snapshot import SnapshotBackend, is_scenario_dir  # noqa: E402


@dataclass
class Report:
    folder: Path
    spans: int = 0
    logs: int = 0
    differences: list[str] = field(default_factory=list)


def _first_difference(old: list, new: list) -> str:
    if len(old) != len(new):
        return f"{len(old)} old vs {len(new)} new"
    for i, (a, b) in enumerate(zip(old, new)):
        if a != b:
            return f"row {i}: old {a!r} new {b!r}"[:400]
    return ""


def compare_folder(folder: Path, metric_files_each: int | None = None, quick: bool = False) -> Report:
    """Every difference between the old and the new reader on ``folder`` (none: ``differences == []``).

    ``metric_files_each`` limits the metric files compared to that many pod and as many service
    files (the test's budget); ``None`` compares every one.  ``quick`` checks the trace analysis
    at one onset (mid-recording) instead of three."""
    report = Report(Path(folder))
    backend = SnapshotBackend(folder)
    old_spans, new_spans = legacy_spans(folder), backend.spans()
    old_logs, new_logs = legacy_logs(folder), backend.logs()
    report.spans, report.logs = len(new_spans), len(new_logs)
    for what, old, new in (("spans", old_spans, new_spans), ("logs", old_logs, new_logs)):
        if old != new:
            report.differences.append(f"{what}: {_first_difference(old, new)}")
    old_objects = legacy_objects(folder)
    new_objects = {key: backend.object_history(*key) for key in old_objects}
    if old_objects != new_objects or len(backend.list_objects()) != len(old_objects):
        report.differences.append("kubernetes objects")
    if legacy_events(folder) != backend.events():
        report.differences.append(f"events: {_first_difference(legacy_events(folder), backend.events())}")
    by_kind: dict[str, int] = {}
    for (kind, entity), paths in sorted(metric_files(folder).items()):
        by_kind[kind] = by_kind.get(kind, 0) + 1
        if metric_files_each is not None and by_kind[kind] > metric_files_each:
            continue
        for path in paths:
            old_series, old_read = legacy_metric_file(path, kind, entity)
            new_series, new_read = read_metric_file(path, kind, entity)
            if old_series != new_series or old_read.skipped != new_read.skipped:
                report.differences.append(f"metrics {path.name}")
    for service in sorted({r.service for r in old_logs})[:5]:
        if backend.logs(service=service) != [r for r in old_logs if r.service == service]:
            report.differences.append(f"logs(service={service!r})")
    table = backend.span_table()
    if table is None or not old_spans:
        return report
    starts = [s.start for s in old_spans]
    onsets = (starts[len(starts) // 2],) if quick else (starts[0] - 1.0, starts[len(starts) // 2], starts[-1] + 1.0)
    for onset in onsets:
        old, new = analyse_spans(old_spans, onset), analyse_span_columns(table, onset)
        for f in fields(old):
            a, b = getattr(old, f.name), getattr(new, f.name)
            if a != b or (isinstance(a, dict) and list(a) != list(b)):
                report.differences.append(f"trace analysis at onset {onset}: {f.name}")
    services = sorted({s.service for s in old_spans})
    for providers in (set(), set(services[:2])):
        if evaluations_from_spans(old_spans, providers) != evaluations_from_spans(
                table.rows(flag_span_rows(table)), providers):
            report.differences.append(f"flag evaluations (providers {sorted(providers)})")
    log_table = backend.log_table()
    keys = sorted({w for r in old_logs[:200] for w in r.body.split() if w.isalpha()})[:20] + ["adFailure"]
    for providers in (set(), set(services[:2])):
        want = evaluations_from_logs(old_logs, keys, providers)
        got = evaluations_from_logs(log_table.rows(log_table.containing(keys, ["feature_flag"])), keys, providers)
        if want != got:
            report.differences.append(f"flag evaluations from logs (providers {sorted(providers)})")
    return report


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(".")
    folders = sorted({p.parent for p in root.rglob("otel_traces_raw.tsv") if is_scenario_dir(p.parent)})
    bad = 0
    for folder in folders:
        report = compare_folder(folder)
        verdict = "same" if not report.differences else "DIFFERENT: " + "; ".join(report.differences)
        bad += bool(report.differences)
        print(f"{folder.name}: {report.spans} spans, {report.logs} logs: {verdict}")
    print(f"{len(folders) - bad} of {len(folders)} scenario folders read the same by the old and the new reader")
    return 1 if bad or not folders else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
