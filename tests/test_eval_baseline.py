"""The most-error-spans baseline on tiny hand-made scenarios (recorder-format TSVs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures_itbench import TRACE_COLUMNS, span_row, write_alerts, write_tsv
from sre_agent.eval.baselines import main, most_error_spans, run_baseline

GT = """groups:
- {id: cart-svc, kind: Service, namespace: otel-demo, filter: ['cart\\b'], root_cause: true}
- {id: fe-svc, kind: Service, namespace: otel-demo, filter: ['frontend\\b']}
"""


def scenario(root: Path, name: str, errors: dict[str, int]) -> Path:
    d = root / name
    d.mkdir(parents=True)
    write_alerts(d)
    rows, k = [], 0
    for svc, n in errors.items():
        for i in range(n):
            k += 1
            rows.append(span_row(100 + k, f"t{k}", f"s{k}", "", "GET /", "Server", svc, 1_000_000, "Error"))
        rows.append(span_row(200 + k, f"u{k}", f"v{k}", "", "GET /", "Server", svc, 1_000_000, "Ok"))
    write_tsv(d / "otel_traces_raw.tsv", TRACE_COLUMNS, rows)
    (d / "ground_truth.yaml").write_text(GT)
    return d


def test_baseline_names_the_service_with_most_error_spans(tmp_path):
    scenario(tmp_path, "Scenario-1", {"cart": 3, "frontend": 2})      # right
    scenario(tmp_path, "Scenario-2", {"cart": 1, "frontend": 4})      # wrong
    runs, mean = run_baseline(tmp_path)
    assert [r.scenario for r in runs] == ["Scenario-1", "Scenario-2"]
    assert runs[0].answer["entities"][0]["id"] == "otel-demo/Service/cart"
    assert runs[1].answer["entities"][0]["id"] == "otel-demo/Service/frontend"
    assert [r.score.recall for r in runs] == [1.0, 0.0]
    assert mean.mean == 0.5 and mean.n == 2


def test_baseline_cli_prints_mean_recall(tmp_path, capsys):
    scenario(tmp_path, "Scenario-1", {"cart": 3})
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "mean recall 1.000" in out and "otel-demo/Service/cart" in out
    assert main([str(tmp_path / "nope")]) == 2


def test_no_error_spans_gives_empty_answer():
    class B:
        def spans(self, service=None, since=None, until=None):
            return []
    assert most_error_spans(B())["entities"] == []


def test_unreadable_scenario_scores_as_empty(tmp_path):
    scenario(tmp_path, "Scenario-1", {"cart": 1})

    def broken(_folder):
        raise OSError("disk gone")
    runs, mean = run_baseline(tmp_path, backend_factory=broken)
    assert runs[0].error == "OSError: disk gone" and runs[0].score.recall == 0.0
