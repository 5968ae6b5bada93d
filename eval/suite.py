"""Triage every scenario of a folder (× seeds) in parallel and score it against its ground truth.

A *scenario* is a folder holding an ``alerts/`` folder (or alert dumps at its root, the older
recorder) -- exactly what an ITBench-Lite download or ``sre-agent simulate`` produces.  Its
``ground_truth.yaml`` is optional: a scenario without one is triaged but not scored.  The agent
never sees the ground truth; it is read only here, after the triage, in the worker.

Each scenario × seed runs in a :class:`concurrent.futures.ProcessPoolExecutor` worker, writing
``<out>/<scenario>/seed-<n>/`` (the runner's ``agent_output.json``, ``report.md``,
``trace.jsonl``, ``stats.json``, plus ``score.json``).  A run that fails is reported with its
error line and scored as the empty answer (recall 0): it never stops the suite.

Means are taken per scenario over seeds first, then over scenarios, with a 95 % percentile
bootstrap interval over scenarios (numpy, seeded: the same runs always give the same interval).

Example (with a stand-in triage function; the real one is :func:`sre_agent.runner.run_triage`)::

    scenarios = find_scenarios(Path("scenarios"))
    result = run_suite(scenarios, config_args={}, seeds=1, jobs=4, out_dir=Path("runs"))
    print_table(result)
"""

from __future__ import annotations

import json
import os
import re
import resource
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .aa import aa_score
from .itbench import trial_scores
from .scoring import load_ground_truth, score

__all__ = [
    "GROUND_TRUTH_NAMES", "METRICS", "RunResult", "SuiteResult", "Interval",
    "find_scenarios", "ground_truth_path", "scenario_names", "run_suite", "summarize", "bootstrap_mean",
    "print_table", "run_parallel", "progress_bar", "run_one",
]

#: Ground-truth file names, in the order they are looked for.
GROUND_TRUTH_NAMES = ("ground_truth.yaml", "ground_truth.yml", "ground_truth.json")

#: Score fields summarised over scenarios.
METRICS = ("recall", "precision", "f1", "recall_at_1", "propagation_recall", "propagation_precision", "itbench_aa")

_ALERT_DUMP = re.compile(r"^alerts_(at|in_alerting_state)_.*\.json$")
_SKIP_DIRS = {"metrics", "alerts", ".git", "__pycache__", "node_modules"}

#: ``triage_fn(alert, snapshot, output_dir, config_args, seed)`` -> an object (or mapping) with
#: ``agent_output`` and ``stats``.  Must be picklable (a module-level function).
TriageFn = Callable[..., Any]


# -- finding scenarios ---------------------------------------------------------------------------

def _natural_key(text: str) -> list[Any]:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def _has_root_dumps(folder: Path) -> bool:
    try:
        return any(_ALERT_DUMP.match(p.name) for p in folder.iterdir() if p.is_file())
    except OSError:
        return False


def _is_scenario(folder: Path) -> bool:
    """The loader's notion (recorded TSVs, ``metrics/``, ``alerts/`` dumps), an ``alerts/`` folder,
    root-level alert dumps, or a ground truth (a scenario whose data is missing is then triaged,
    fails, and counts as a miss instead of vanishing from the denominator)."""
    from sre_agent.snapshot import is_scenario_dir

    return ((folder / "alerts").is_dir() or _has_root_dumps(folder) or is_scenario_dir(folder)
            or ground_truth_path(folder) is not None)


def ground_truth_path(scenario: Path) -> Path | None:
    """The scenario's ground-truth file, or ``None`` (then it is triaged but not scored)."""
    for name in GROUND_TRUTH_NAMES:
        p = Path(scenario) / name
        if p.is_file():
            return p
    return None


def find_scenarios(root: Path | str) -> list[Path]:
    """Scenario folders at or below ``root``, in natural order (Scenario-2 before Scenario-10).

    A scenario folder holds ``alerts/`` (or root-level ``alerts_*.json`` dumps), recorded TSVs
    or ``metrics/`` (:func:`sre_agent.snapshot.is_scenario_dir`), or a ``ground_truth.yaml``; the
    search does not descend into a scenario nor into hidden folders (a ``--dest`` download keeps
    its bookkeeping in ``.cache/``), so ``root`` may be one scenario, a folder of scenarios, or a
    whole ITBench-Lite download (``snapshots/sre/v0.2-<id>/Scenario-<n>/`` at any depth).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for n in ("Scenario-10", "Scenario-2", "notes"): (d / n).mkdir()
    >>> (d / "Scenario-10" / "alerts").mkdir(); (d / "Scenario-2" / "alerts").mkdir()
    >>> [p.name for p in find_scenarios(d)]
    ['Scenario-2', 'Scenario-10']
    """
    root = Path(root)
    if not root.is_dir():
        return []
    if _is_scenario(root):
        return [root]
    found: list[Path] = []
    for dirpath, dirnames, _ in os.walk(root):
        here = Path(dirpath)
        keep = []
        for d in dirnames:
            if d in _SKIP_DIRS or d.startswith("."):
                continue
            child = here / d
            if _is_scenario(child):
                found.append(child)
            else:
                keep.append(d)
        dirnames[:] = keep
    return sorted(found, key=lambda p: _natural_key(str(p.relative_to(root))))


def scenario_names(scenarios: Sequence[Path]) -> list[str]:
    """Folder names, made unique by prefixing parent folders where two scenarios share a name.

    >>> scenario_names([Path("d/v0.2-A/Scenario-2"), Path("d/v0.2-B/Scenario-2"), Path("d/v0.2-B/Scenario-5")])
    ['v0.2-A/Scenario-2', 'v0.2-B/Scenario-2', 'Scenario-5']
    """
    paths = [Path(p).absolute() for p in scenarios]
    depth = [1] * len(paths)
    names = [p.name for p in paths]
    for _ in range(8):
        clash = [i for i, name in enumerate(names) if names.count(name) > 1]
        if not clash:
            break
        for i in clash:  # only the names that collide grow, by one parent folder at a time
            depth[i] += 1
            names[i] = "/".join(paths[i].parts[-depth[i]:])
    return names


# -- one run ----------------------------------------------------------------------------------------

@dataclass
class RunResult:
    """One scenario × seed: the triage outcome and its score."""

    scenario: str
    seed: int
    path: str
    output_dir: str
    ok: bool
    error: str | None = None
    scored: bool = False
    score: dict[str, Any] | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    wall_s: float = 0.0
    worker_max_rss_kb: int = 0
    itbench: dict[str, Any] | None = None
    """ITBench-Evaluations' ``scores`` object for this trial (:mod:`sre_agent.eval.itbench`)."""

    def metric(self, name: str) -> float | None:
        return self.score.get(name) if self.score else None


@dataclass
class _Task:
    scenario: str
    seed: int
    path: Path
    output_dir: Path
    config_args: dict[str, Any]
    triage_fn: TriageFn | None


def _default_triage(alert: Path, snapshot: Path, output_dir: Path, config_args: Mapping[str, Any], seed: int) -> Any:
    """The real triage, imported lazily so the suite (and its tests) load without the runner."""
    from sre_agent.config import load_config
    from sre_agent.runner import run_triage

    args = dict(config_args)
    config = load_config(args.get("path"), tuple(args.get("fixes") or ()), args.get("model"), seed)
    return run_triage(alert=alert, snapshot=snapshot, output_dir=output_dir, config=config)


def _alert_input(scenario: Path) -> Path:
    alerts = scenario / "alerts"
    if alerts.is_dir():
        return alerts
    dumps = sorted(p for p in scenario.iterdir() if _ALERT_DUMP.match(p.name))
    return dumps[-1] if dumps else alerts


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


_EMPTY_ANSWER = {"entities": [], "propagations": [], "alerts_explained": []}


def _judge(config_args: Mapping[str, Any], s: Any, answer: Mapping[str, Any], gt: Any) -> dict[str, Any] | None:
    """``root_cause_reasoning`` from the LLM judge of ``config_args["judge_model"]``, if one is set."""
    profile_name = config_args.get("judge_model")
    if not profile_name:
        return None
    from sre_agent.config import load_config
    from sre_agent.llm import make_client

    from .judge import judge_reasoning

    try:
        profile = load_config(config_args.get("path"), (), profile_name, 0).model
        return judge_reasoning(make_client(profile), s, answer, gt)
    except Exception as exc:  # noqa: BLE001 - a judge that fails leaves the metric undetermined
        return {"calculation": None, "justification": "judge failed: " + _one_line(exc), "details": {}}


def _run_one(task: _Task) -> RunResult:
    """Worker body: triage, then score; every failure becomes the result's error line."""
    result = RunResult(scenario=task.scenario, seed=task.seed, path=str(task.path),
                       output_dir=str(task.output_dir), ok=False)
    started = time.perf_counter()
    answer: dict[str, Any] = _EMPTY_ANSWER
    try:
        task.output_dir.mkdir(parents=True, exist_ok=True)
        fn = task.triage_fn or _default_triage
        outcome = fn(alert=_alert_input(task.path), snapshot=task.path, output_dir=task.output_dir,
                     config_args=task.config_args, seed=task.seed)
        answer = _get(outcome, "agent_output") or _EMPTY_ANSWER
        result.stats = dict(_get(outcome, "stats") or {})
        result.ok = True
    except BaseException as exc:  # noqa: BLE001 - a failed scenario is reported, never fatal
        if isinstance(exc, KeyboardInterrupt):
            raise
        result.error = "triage: " + _one_line(exc)
    result.wall_s = round(time.perf_counter() - started, 4)
    gt_path = ground_truth_path(task.path)
    if gt_path is not None:
        try:
            gt = load_ground_truth(gt_path)
            try:
                s = score(answer, gt, scenario=task.scenario)
            except Exception as exc:  # noqa: BLE001 - a malformed answer scores as the empty one
                result.ok = False
                result.error = result.error or "answer: " + _one_line(exc)
                s = score(_EMPTY_ANSWER, gt, scenario=task.scenario)
            result.score = s.model_dump()
            result.score.update({f"recall_at_{k}": s.recall_at(k) for k in (1, 3, 5)})
            result.score["itbench_aa"] = aa_score(s)  # complete-or-0, then precision (eval/aa.py)
            result.itbench = trial_scores(s, answer, gt, reasoning=_judge(task.config_args, s, answer, gt))
            if result.score["itbench_aa"] is not None:
                result.itbench["itbench_aa"] = result.score["itbench_aa"]
            result.scored = True
            (task.output_dir / "score.json").write_text(json.dumps(result.score, indent=2, sort_keys=True) + "\n",
                                                        encoding="utf-8")
        except Exception as exc:  # noqa: BLE001
            result.ok = False
            result.error = (result.error + "; " if result.error else "") + "ground truth: " + _one_line(exc)
    result.worker_max_rss_kb = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return result


# -- the process pool --------------------------------------------------------------------------------

def progress_bar(total: int, *, desc: str, progress: bool = True) -> Any:
    """The suite's progress bar (tqdm on stderr; off when ``progress`` is false, and when stderr is
    not a terminal, so a log file gets no stream of redrawn bars)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="run", file=sys.stderr, disable=None if progress else True,
                dynamic_ncols=True)


def run_parallel(
    fn: Callable[[Any], Any],
    items: Sequence[Any],
    *,
    jobs: int,
    desc: str = "eval",
    progress: bool = True,
    failure: Callable[[Any], str | None] | None = None,
) -> Iterator[tuple[Any, Any, BaseException | None]]:
    """Run ``fn(item)`` for every item in a process pool, yielding ``(item, result, error)`` as
    each finishes (completion order), with a progress bar.

    ``fn`` must be picklable (module level).  ``error`` is the exception a worker raised (then
    ``result`` is ``None``); it never stops the others.  ``failure(result)`` may return a line
    to print above the bar for a result that is a failure.
    """
    if not items:
        return
    # The pool (and its forked workers) starts before tqdm's monitor thread exists.
    with ProcessPoolExecutor(max_workers=min(max(1, jobs), len(items))) as pool:
        futures = {pool.submit(fn, item): item for item in items}
        with progress_bar(len(items), desc=desc, progress=progress) as bar:
            for fut in as_completed(futures):
                item = futures[fut]
                try:
                    result, error = fut.result(), None
                except Exception as exc:  # noqa: BLE001 - reported to the caller, never fatal
                    result, error = None, exc
                bar.update(1)
                line = failure(result) if (failure and error is None) else None
                if line:
                    bar.write(line, file=sys.stderr)
                yield item, result, error


def run_one(scenario: str, seed: int, path: Path, output_dir: Path, config_args: Mapping[str, Any],
            triage_fn: TriageFn | None = None) -> RunResult:
    """Triage and score one scenario × seed into ``output_dir``, in this process (a suite worker's
    body: every failure becomes the result's error line, scored as the empty answer)."""
    return _run_one(_Task(scenario, seed, Path(path), Path(output_dir), dict(config_args), triage_fn))


# -- the suite ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Interval:
    """A mean with its 95 % bootstrap interval over ``n`` scenarios."""

    mean: float
    low: float
    high: float
    n: int


#: per-run stats summed over the suite into its JSON's ``usage`` (tokens as the model reported them)
USAGE_STATS = ("model_calls", "unusable_answers", "prompt_tokens", "completion_tokens", "cost_usd", "cached_calls")


@dataclass
class SuiteResult:
    runs: list[RunResult]
    summary: dict[str, Interval | None]
    wall_s: float
    jobs: int
    seeds: list[int]
    config_args: dict[str, Any]
    out_dir: str
    children_max_rss_kb: int = 0

    @property
    def failures(self) -> list[RunResult]:
        return [r for r in self.runs if not r.ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": {k: (asdict(v) if v else None) for k, v in self.summary.items()},
            "runs": [asdict(r) for r in self.runs],
            "wall_s": self.wall_s, "jobs": self.jobs, "seeds": self.seeds,
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in self.config_args.items()},
            "out_dir": self.out_dir, "children_max_rss_kb": self.children_max_rss_kb,
            "failures": [{"scenario": r.scenario, "seed": r.seed, "error": r.error} for r in self.failures],
            "usage": {k: round(sum(float(r.stats.get(k) or 0) for r in self.runs), 6) for k in USAGE_STATS},
        }

    def write_json(self, path: Path | str) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str) + "\n",
                              encoding="utf-8")


def _seed_list(seeds: int | Iterable[int]) -> list[int]:
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1, got {seeds}")
        return list(range(seeds))
    out = sorted(set(int(s) for s in seeds))
    if not out:
        raise ValueError("no seed given")
    return out


def run_suite(
    scenarios: Sequence[Path],
    *,
    config_args: Mapping[str, Any] | None = None,
    seeds: int | Iterable[int] = 1,
    jobs: int | None = None,
    out_dir: Path | str,
    triage_fn: TriageFn | None = None,
    progress: bool = True,
    desc: str = "eval",
) -> SuiteResult:
    """Triage and score every scenario × seed; results sorted by (scenario order, seed).

    ``config_args`` holds :func:`sre_agent.config.load_config` arguments (``path``, ``fixes``,
    ``model``); the seed is set per run.  ``seeds`` is a count (seeds 0..n-1) or explicit seeds.
    ``jobs`` defaults to the CPU count.  ``triage_fn`` replaces the real triage (tests); it must
    be a picklable module-level function taking ``alert, snapshot, output_dir, config_args, seed``.
    """
    scenarios = [Path(s) for s in scenarios]
    seed_list = _seed_list(seeds)
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    out = Path(out_dir)
    cfg = dict(config_args or {})
    names = scenario_names(scenarios)
    order = {name: i for i, name in enumerate(names)}
    tasks = [_Task(name, seed, path, out / name / f"seed-{seed}", cfg, triage_fn)
             for name, path in zip(names, scenarios) for seed in seed_list]
    started = time.perf_counter()
    runs: list[RunResult] = []
    for t, r, exc in run_parallel(_run_one, tasks, jobs=jobs, desc=desc, progress=progress,
                                  failure=lambda r: None if r.ok else f"{r.scenario} seed {r.seed}: {r.error}"):
        if exc is not None:  # e.g. a worker killed by the OS
            r = RunResult(scenario=t.scenario, seed=t.seed, path=str(t.path), output_dir=str(t.output_dir),
                          ok=False, error="worker: " + _one_line(exc))
        runs.append(r)
    wall = time.perf_counter() - started
    runs.sort(key=lambda r: (order.get(r.scenario, len(order)), r.seed))
    return SuiteResult(runs=runs, summary=summarize(runs), wall_s=round(wall, 4), jobs=jobs, seeds=seed_list,
                       config_args=cfg, out_dir=str(out),
                       children_max_rss_kb=int(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))


# -- statistics ----------------------------------------------------------------------------------------

def bootstrap_mean(values: Sequence[float], *, n_resamples: int = 10_000, seed: int = 0,
                   confidence: float = 0.95) -> Interval | None:
    """Mean and percentile-bootstrap interval, deterministic for a given ``seed``.

    >>> bootstrap_mean([1.0, 1.0, 1.0])
    Interval(mean=1.0, low=1.0, high=1.0, n=3)
    >>> iv = bootstrap_mean([0.0, 1.0] * 10)
    >>> iv.mean, 0.25 < iv.low < 0.5 < iv.high < 0.75
    (0.5, True)
    >>> bootstrap_mean([]) is None
    True
    """
    x = np.asarray([v for v in values if v is not None], dtype=float)
    if x.size == 0:
        return None
    mean = float(x.mean())
    if x.size == 1:
        return Interval(mean, mean, mean, 1)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(n_resamples, x.size))
    means = x[idx].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return Interval(round(mean, 6), round(float(low), 6), round(float(high), 6), int(x.size))


def summarize(results: Sequence[RunResult]) -> dict[str, Interval | None]:
    """Per metric: mean over scored scenarios (each first averaged over its seeds) with a 95 % CI.

    Failed runs on scored scenarios count with the empty answer's score (0 recall).  Metrics
    that are not applicable to a scenario (propagation without cross-class edges) leave it out.
    """
    per_scenario: dict[str, dict[str, list[float]]] = {}
    for r in results:
        if not r.scored:
            continue
        bucket = per_scenario.setdefault(r.scenario, {m: [] for m in METRICS})
        for m in METRICS:
            v = r.metric(m)
            if v is not None:
                bucket[m].append(float(v))
    out: dict[str, Interval | None] = {}
    for m in METRICS:
        values = [float(np.mean(b[m])) for b in per_scenario.values() if b[m]]
        out[m] = bootstrap_mean(values)
    return out


# -- output ----------------------------------------------------------------------------------------

def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def _fmt_iv(iv: Interval | None) -> str:
    return "–" if iv is None else f"{iv.mean:.3f} [{iv.low:.3f}, {iv.high:.3f}]"


def print_table(result: SuiteResult, console: Any = None) -> None:
    """Per-run rows and the summary, as rich tables (stdout unless a console is given)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"sre-agent eval: {len({r.scenario for r in result.runs})} scenarios × "
                        f"{len(result.seeds)} seed(s), {result.wall_s:.1f} s")
    table.add_column("scenario", no_wrap=True)
    for col in ("seed", "recall", "prec.", "F1", "prop.R", "rank", "wall s"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("status", overflow="fold")
    for r in result.runs:
        ranks = ",".join(str(c.get("rank") or "-") for c in (r.score or {}).get("root_causes", [])) or "–"
        status = "ok" if r.ok else f"[red]{r.error}[/red]"
        if not r.scored and r.ok:
            status = "ok (not scored)"
        table.add_row(r.scenario, str(r.seed), _fmt(r.metric("recall")), _fmt(r.metric("precision")),
                      _fmt(r.metric("f1")), _fmt(r.metric("propagation_recall")), ranks, f"{r.wall_s:.2f}", status)
    console.print(table)
    summary = Table(title="mean over scenarios (95 % bootstrap CI)")
    summary.add_column("metric")
    summary.add_column("mean [95 % CI]", justify="right")
    summary.add_column("n", justify="right")
    for m, iv in result.summary.items():
        summary.add_row(m, _fmt_iv(iv), str(iv.n) if iv else "0")
    console.print(summary)
    if result.failures:
        console.print(f"[red]{len(result.failures)} run(s) failed[/red] (scored as empty answers)")
