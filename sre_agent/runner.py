"""Run one triage end to end: alert -> IncidentState -> tool calls -> evidence -> diagnosis.

Example (offline, on a simulated scenario)::

    from sre_agent.runner import run_triage
    result = run_triage(alert=Path("Scenario-2/alerts"), output_dir=Path("run"))
    print(result.agent_output["entities"][0]["id"])
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .config import RunConfig, load_config
from .errors import InputError
from .models import Alert
from .trace import TraceWriter


def usage_stats(orch: Any, config: RunConfig) -> dict[str, Any]:
    """Tokens as the model reported them, their cost at the profile's prices, and how many
    answers came from the response cache."""
    prices = config.model.openai
    cost = 0.0
    if prices is not None:
        cost = orch.prompt_tokens / 1000 * prices.price_per_1k_prompt + orch.completion_tokens / 1000 * prices.price_per_1k_completion
    return {"prompt_tokens": orch.prompt_tokens, "completion_tokens": orch.completion_tokens,
            "cost_usd": round(cost, 6), "cached_calls": orch.cached_calls}


@dataclass
class TriageResult:
    agent_output: dict[str, Any]
    output_dir: Path
    report_md: str
    stats: dict[str, Any] = field(default_factory=dict)


def default_output_dir() -> Path:
    return Path("sre-agent-runs") / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _open_backend(snapshot: Path | None) -> Any:
    from .snapshot import SnapshotBackend
    from .snapshot.layout import scenario_dir_problem
    if snapshot is None:
        raise InputError("no snapshot: pass --snapshot DIR (an ITBench-Lite scenario folder), or an alert file inside one")
    snapshot = Path(snapshot)
    problem = scenario_dir_problem(snapshot)
    if problem:
        raise InputError(f"--snapshot {snapshot}: {problem}")
    return SnapshotBackend(snapshot)


def run_triage(
    alert: Path | None = None,
    snapshot: Path | None = None,
    output_dir: Path | None = None,
    config: RunConfig | None = None,
    backend: Any = None,
    alerts: list[Alert] | None = None,
    client: Any = None,
) -> TriageResult:
    """Triage one incident; writes agent_output.json, report.md and trace.jsonl into output_dir."""
    from .alerts import load_alert_input

    config = config or load_config()
    started = time.monotonic()
    source = "alerts"
    if alerts is None:
        if alert is None:
            raise InputError("no alert given")
        parsed = load_alert_input(Path(alert))
        alerts = list(parsed.alerts)
        source = str(alert)
        if snapshot is None and backend is None:
            snapshot = parsed.scenario_dir
    if backend is None:
        backend = _open_backend(snapshot)
    if callable(getattr(type(backend), "prefetch", None)):  # a live backend starts, concurrently, the reads
        backend.prefetch()                                     # every triage needs (a method, never a proxy's)
    if not alerts:
        alerts = list(backend.alerts())
    if not alerts:
        raise InputError(f"{source}: no firing alert to triage")
    output_dir = Path(output_dir) if output_dir else default_output_dir()
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--output-dir {output_dir}: cannot be created ({exc.strerror})") from None
    from . import telemetry
    with open(output_dir / "trace.jsonl", "w", encoding="utf-8") as sink, \
            telemetry.span("sre_agent.triage", alerts=len(alerts), backend=getattr(backend, "name", ""),
                           model=config.model.name) as root:
        trace = TraceWriter(sink)
        from .team import run_team
        orch = asyncio.run(run_team(backend, alerts, config, trace, snapshot_name=str(snapshot or getattr(backend, "name", "")),
                                  client=client))
        orch.turn_spans.close()
        telemetry.set_attributes(root, model_calls=orch.model_calls, tool_calls=orch.tool_calls, turns=orch.turns,
                                 total_tokens=orch.total_tokens, stop_reason=orch.stop_reason)
    from .report import build_agent_output, build_report
    agent_output = build_agent_output(orch)
    stats = {
        "wall_s": round(time.monotonic() - started, 4), "model_calls": orch.model_calls, "tool_calls": orch.tool_calls,
        "steps": orch.turns, "max_context_tokens": orch.max_context_tokens,
        "incomplete": orch.state.incomplete, "stop_reason": orch.stop_reason,
        "unusable_answers": orch.unusable.total, **usage_stats(orch, config),
        # what the token budgets count: every call's context, counted here
        "counted_context_tokens": orch.total_tokens,
    }
    # tokens in (as the endpoint reported them, else as counted) plus tokens out
    stats["total_tokens"] = (stats["prompt_tokens"] or orch.total_tokens) + stats["completion_tokens"]
    report = build_report(orch, agent_output, config)
    (output_dir / "agent_output.json").write_text(json.dumps(agent_output, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (output_dir / "report.md").write_text(report, encoding="utf-8")
    (output_dir / "stats.json").write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return TriageResult(agent_output=agent_output, output_dir=output_dir, report_md=report, stats=stats)
