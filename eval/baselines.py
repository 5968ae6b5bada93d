"""Naive baselines, scored with the same scorer as the agent.

``most_error_spans``: name the service that emitted the most error spans as the only root cause
(``<namespace>/Service/<name>``; ties go to the alphabetically first service; the namespace is
the ``k8s.namespace.name`` resource attribute of the winner's first error span, else ``otel-demo``).  It needs
no model and reads only ``otel_traces_raw.tsv`` through the backend protocol's ``spans()``.

Run it over a folder of scenarios (prints one line per scenario and the mean recall)::

    python -m sre_agent.eval.baselines DIR
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .scoring import Score, load_ground_truth, score
from .suite import Interval, bootstrap_mean, find_scenarios, ground_truth_path, scenario_names

__all__ = ["DEFAULT_NAMESPACE", "BaselineRun", "most_error_spans", "run_baseline", "main"]

DEFAULT_NAMESPACE = "otel-demo"

#: ``backend_factory(scenario_folder) -> ObservabilityBackend``
BackendFactory = Callable[[Path], Any]


def most_error_spans(backend: Any) -> dict[str, Any]:
    """The ITBench-Lite answer naming the service with the most error spans (empty if none).

    >>> from types import SimpleNamespace as S
    >>> spans = [S(service="cart", is_error=True, resource={"k8s.namespace.name": "shop"}),
    ...          S(service="ad", is_error=True, resource={}), S(service="cart", is_error=True, resource={}),
    ...          S(service="ad", is_error=False, resource={})]
    >>> most_error_spans(S(spans=lambda: spans))["entities"][0]["id"]
    'shop/Service/cart'
    """
    counts: Counter[str] = Counter()
    first_error: dict[str, Any] = {}
    for span in backend.spans():
        if span.is_error and span.service:
            counts[span.service] += 1
            first_error.setdefault(span.service, span)
    answer: dict[str, Any] = {"entities": [], "propagations": [], "alerts_explained": []}
    if not counts:
        return answer
    service, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    namespace = str(first_error[service].resource.get("k8s.namespace.name") or DEFAULT_NAMESPACE)
    answer["entities"].append({
        "id": f"{namespace}/Service/{service}", "contributing_factor": True,
        "reasoning": f"most error spans: {n} of {sum(counts.values())}", "evidence": [],
    })
    return answer


@dataclass
class BaselineRun:
    scenario: str
    answer: dict[str, Any] | None
    score: Score | None
    error: str | None = None


def _snapshot_backend(folder: Path) -> Any:
    from sre_agent.snapshot import SnapshotBackend

    return SnapshotBackend(folder)


def run_baseline(
    root: Path | str,
    *,
    baseline: Callable[[Any], dict[str, Any]] = most_error_spans,
    backend_factory: BackendFactory | None = None,
) -> tuple[list[BaselineRun], Interval | None]:
    """Run ``baseline`` on every scenario under ``root``; returns the runs and the mean recall
    (with its 95 % bootstrap interval) over scenarios that have a ground truth.  A scenario whose
    data cannot be read scores as the empty answer and carries its error line."""
    factory = backend_factory or _snapshot_backend
    scenarios = find_scenarios(Path(root))
    runs: list[BaselineRun] = []
    empty = {"entities": [], "propagations": [], "alerts_explained": []}
    for name, folder in zip(scenario_names(scenarios), scenarios):
        error = None
        try:
            answer: dict[str, Any] | None = baseline(factory(folder))
        except Exception as exc:  # noqa: BLE001 - reported per scenario
            answer, error = None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        gt = ground_truth_path(folder)
        s = None
        if gt is not None:
            try:
                s = score(answer or empty, load_ground_truth(gt), scenario=name)
            except Exception as exc:  # noqa: BLE001
                error = (error + "; " if error else "") + f"ground truth: {exc}"
        runs.append(BaselineRun(name, answer, s, error))
    return runs, bootstrap_mean([r.score.recall for r in runs if r.score is not None])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sre_agent.eval.baselines",
                                     description="naive baseline: the service with the most error spans")
    parser.add_argument("scenarios", type=Path, help="a folder of ITBench-Lite scenario folders")
    args = parser.parse_args(argv)
    if not args.scenarios.is_dir():
        print(f"baselines: error: {args.scenarios}: not a folder", file=sys.stderr)
        return 2
    runs, mean = run_baseline(args.scenarios)
    if not runs:
        print(f"baselines: error: {args.scenarios}: no scenario folder found", file=sys.stderr)
        return 2
    for r in runs:
        named = r.answer["entities"][0]["id"] if r.answer and r.answer["entities"] else "(none)"
        rec = "not scored" if r.score is None else f"recall {r.score.recall:.2f}"
        print(f"{r.scenario}\t{named}\t{rec}" + (f"\t{r.error}" if r.error else ""))
    if mean is None:
        print("most-error-spans baseline: no scenario with a ground truth")
    else:
        print(f"most-error-spans baseline: mean recall {mean.mean:.3f} "
              f"[95% CI {mean.low:.3f}, {mean.high:.3f}] over {mean.n} scenarios")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
