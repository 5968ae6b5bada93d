"""Execute planned runs, each in its cache folder, on a local process pool or on Ray.

Every run goes through :func:`execute_task` (in a worker process or a Ray task): triage and
score with :func:`sre_agent.eval.suite.run_one`, label the trace with the structural MAST
annotator, write ``result.json`` (the run's outcome: only deterministic fields) and
``timing.json``, then the :data:`~sre_agent.ablation.cache.DONE` marker.  The driver reads
every row back from ``result.json``, fresh or reused, so the results do not depend on which
executor ran them.

Ray: ``RAY_ADDRESS`` set -> join that cluster (its nodes must see the scenarios and ``--out``
at the same paths, e.g. on a shared filesystem, and have sre-agent installed); otherwise a
local Ray is started in this process with ``num_cpus=jobs`` and shut down afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .cache import DONE, code_version, is_done, key_document, mark_done, run_key, scenario_digest
from .plan import PlannedRun

Executor = Literal["local", "ray"]

RESULT = "result.json"
TIMING = "timing.json"
KEY = "key.json"

#: Stats of the runner copied into result.json (wall time goes to timing.json).
STAT_FIELDS = ("tool_calls", "model_calls", "max_context_tokens", "incomplete", "steps", "total_tokens", "stop_reason",
               "unusable_answers", "prompt_tokens", "completion_tokens", "cost_usd")
SCORE_FIELDS = ("recall", "precision", "f1", "recall_at_1", "propagation_recall")


@dataclass(frozen=True)
class RunTask:
    """What a worker needs to execute one run (picklable)."""

    key: str
    run_dir: str
    scenario: str
    scenario_path: str
    seed: int
    config_args: dict[str, Any]
    key_doc: dict[str, Any]


@dataclass
class Execution:
    """What :func:`execute` did: the outcome document per run key, and the counts."""

    keys: list[str]
    results: dict[str, dict[str, Any]]
    run_dirs: dict[str, str]
    executed: int
    reused: int
    wall_s: float
    timings: dict[str, float] = field(default_factory=dict)


def _mast_labels(run_dir: Path) -> tuple[dict[str, int | None] | None, str | None]:
    from ..mast import MODE_IDS, annotate_run

    try:
        ann = annotate_run(run_dir)
    except Exception as exc:  # noqa: BLE001 - a run without a usable trace has no labels
        return None, f"mast: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return {m: ann.labels[m] for m in MODE_IDS}, None


def execute_task(task: RunTask) -> dict[str, Any]:
    """Run one task into its folder (a finished folder is reused) and return its result document."""
    from ..eval.suite import run_one

    run_dir = Path(task.run_dir)
    if is_done(run_dir):
        return json.loads((run_dir / RESULT).read_text(encoding="utf-8"))
    if run_dir.exists():
        shutil.rmtree(run_dir)  # an interrupted run: start it over
    run_dir.mkdir(parents=True)
    (run_dir / KEY).write_text(json.dumps(task.key_doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    started = time.perf_counter()
    r = run_one(task.scenario, task.seed, Path(task.scenario_path), run_dir, task.config_args)
    labels, mast_error = _mast_labels(run_dir)
    errors = [e for e in (r.error, mast_error) if e]
    result = {
        "key": task.key, "scenario": task.scenario, "seed": task.seed, "ok": r.ok and not mast_error,
        "error": "; ".join(errors) or None, "scored": r.scored,
        "score": {k: (r.score or {}).get(k) for k in SCORE_FIELDS} if r.scored else None,
        "stats": {k: r.stats.get(k) for k in STAT_FIELDS},
        "mast": labels,
    }
    (run_dir / RESULT).write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    timing = {"wall_s": round(time.perf_counter() - started, 4), "triage_wall_s": r.wall_s}
    (run_dir / TIMING).write_text(json.dumps(timing, sort_keys=True) + "\n", encoding="utf-8")
    worker_code = code_version()
    if worker_code != task.key_doc.get("code"):
        # This worker hashed (and imported) different sources than the sweep's key says: the
        # result is reported but not cached, so the next sweep runs it again with one code version.
        result = {**result, "ok": False, "error": f"code changed during the sweep (worker {worker_code}, "
                                                   f"sweep {task.key_doc.get('code')}); run the ablation again"}
        return result
    mark_done(run_dir)
    return result


def build_tasks(runs: Sequence[PlannedRun], out: Path,
                base_config: Path | None = None) -> tuple[list[RunTask], list[str]]:
    """The tasks (one per distinct run key, in plan order: two settings with the same fixes share
    one) and the run key of every planned run."""
    from ..config import load_config

    code = code_version()
    digests: dict[Path, str] = {}
    configs: dict[tuple[str, tuple[tuple[str, bool], ...]], Any] = {}
    tasks: dict[str, RunTask] = {}
    keys: list[str] = []
    for run in runs:
        if run.scenario_path not in digests:
            digests[run.scenario_path] = scenario_digest(run.scenario_path)
        ck = (run.profile, run.setting.fixes)
        if ck not in configs:
            configs[ck] = load_config(base_config, run.setting.overrides(), run.profile, 0)
        config = configs[ck].model_copy(update={"seed": run.seed})
        doc = key_document(run.scenario_path, config.describe(), run.seed, code, digests[run.scenario_path])
        key = run_key(doc)
        keys.append(key)
        if key not in tasks:
            args = {"path": str(base_config) if base_config else None, "fixes": run.setting.overrides(),
                    "model": run.profile}
            tasks[key] = RunTask(key, str(Path(out) / "runs" / key), run.scenario, str(run.scenario_path),
                                 run.seed, args, doc)
    return list(tasks.values()), keys


def _error_result(task: RunTask, exc: BaseException) -> dict[str, Any]:
    first = str(exc).splitlines()[0] if str(exc) else ""
    return {"key": task.key, "scenario": task.scenario, "seed": task.seed, "ok": False, "scored": False,
            "error": f"worker: {type(exc).__name__}: {first}", "score": None, "stats": {}, "mast": None}


def _failure_line(result: dict[str, Any] | None) -> str | None:
    if result and not result.get("ok"):
        return f"{result.get('scenario')} seed {result.get('seed')}: {result.get('error')}"
    return None


def _preload() -> None:
    """Import the triage stack in the driver, so forked workers share one snapshot of the code
    (the one :func:`~sre_agent.ablation.cache.code_version` hashed) and skip the imports."""
    import importlib

    for name in ("sre_agent.runner", "sre_agent.team", "sre_agent.snapshot", "sre_agent.report",
                 "sre_agent.alerts", "sre_agent.mast"):
        importlib.import_module(name)


def _local(tasks: Sequence[RunTask], jobs: int, progress: bool) -> Iterator[tuple[RunTask, Any, BaseException | None]]:
    from ..eval.suite import run_parallel

    _preload()
    yield from run_parallel(execute_task, tasks, jobs=jobs, desc="ablate", progress=progress, failure=_failure_line)


def _ray(tasks: Sequence[RunTask], jobs: int, progress: bool) -> Iterator[tuple[RunTask, Any, BaseException | None]]:
    import ray

    from ..eval.suite import progress_bar

    started_here = False
    if not ray.is_initialized():
        if os.environ.get("RAY_ADDRESS"):
            ray.init(log_to_driver=False)
        else:
            ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False)
        started_here = True
    try:
        remote = ray.remote(num_cpus=1, max_retries=1)(execute_task)
        pending = {remote.remote(t): t for t in tasks}
        with progress_bar(len(tasks), desc="ablate (ray)", progress=progress) as bar:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    task = pending.pop(ref)
                    try:
                        result, error = ray.get(ref), None
                    except Exception as exc:  # noqa: BLE001 - a failed task is reported, never fatal
                        result, error = None, exc
                    bar.update(1)
                    line = _failure_line(result)
                    if line:
                        bar.write(line, file=sys.stderr)
                    yield task, result, error
    finally:
        if started_here:
            ray.shutdown()


EXECUTORS: dict[str, Callable[..., Iterator[tuple[RunTask, Any, BaseException | None]]]] = {"local": _local, "ray": _ray}


def execute(runs: Sequence[PlannedRun], out: Path, *, executor: Executor = "local", jobs: int = 1,
            progress: bool = True, base_config: Path | None = None) -> Execution:
    """Execute every planned run not already finished in ``out/runs``; return every run's result
    (``keys[i]`` is the run key of ``runs[i]``)."""
    started = time.perf_counter()
    tasks, keys = build_tasks(runs, out, base_config)
    todo = [t for t in tasks if not is_done(Path(t.run_dir))]
    results: dict[str, dict[str, Any]] = {}
    if todo:
        for task, result, exc in EXECUTORS[executor](todo, jobs, progress):
            if exc is not None:
                results[task.key] = _error_result(task, exc)
            elif not is_done(Path(task.run_dir)):
                results[task.key] = result  # finished but not cached (see execute_task)
    for t in tasks:
        if t.key in results:
            continue
        path = Path(t.run_dir) / RESULT
        if is_done(Path(t.run_dir)) and path.is_file():
            results[t.key] = json.loads(path.read_text(encoding="utf-8"))
        else:
            results[t.key] = _error_result(t, RuntimeError("run folder not finished"))
    timings = {}
    for t in tasks:
        tp = Path(t.run_dir) / TIMING
        if tp.is_file():
            timings[t.key] = float(json.loads(tp.read_text(encoding="utf-8")).get("wall_s", 0.0))
    return Execution(keys=keys, results=results, run_dirs={t.key: t.run_dir for t in tasks}, executed=len(todo),
                     reused=len(tasks) - len(todo), wall_s=round(time.perf_counter() - started, 3), timings=timings)


__all__ = ["DONE", "Execution", "Executor", "RunTask", "build_tasks", "execute", "execute_task"]
