"""Alerts: a run that ends "explained" has every alert reached by the propagation chain or ruled
out with a reason the evidence backs (issue 11: the bundled example stopped "explained" with
``RequestLatency: not explained`` behind a blanket "no path" reason)."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_paths import PROJECT_ROOT
from sre_agent.runner import run_triage
from sre_agent.simulator import simulate


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(PROJECT_ROOT / "examples" / "Scenario-27.yaml", tmp_path_factory.mktemp("ex"), seed=0, scale=0.12)


def test_the_bundled_example_explains_or_rules_out_every_alert_with_a_reason(example: Path, tmp_path: Path) -> None:
    result = run_triage(alert=example / "alerts", output_dir=tmp_path / "run")
    assert result.stats["stop_reason"] == "explained"
    alerts = result.agent_output["alerts_explained"]
    ruled = [a for a in alerts if a["ruled_out"]]
    assert all(a["explained"] or a["ruled_out"] for a in alerts)
    assert ruled, "the example's latency alert on recommendation is off the chain"
    for a in ruled:
        reason = a["explanation"]
        assert "not on the propagation chain" in reason and "no path from the confirmed root cause" not in reason
        assert "[call_" in reason or "no anomaly of its own" in reason  # backed by tool results, or by their absence
        assert reason in result.report_md  # the report shows the reason, not "not explained"
    assert "not explained" not in result.report_md.split("## Alerts")[1].split("## Ruled out")[0]
