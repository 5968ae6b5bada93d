"""The scenarios of an ablation: found in its folders, or simulated into ``<out>/scenarios``.

Simulation is skipped when ``<out>/scenarios/.simulated.json`` records the same ground truths
(by content), seed and simulator sources: the simulator is deterministic (same seed, same
bytes), so the folders would come out identical.

Example (no simulation: the folders are searched with the eval suite's rules)::

    scenarios = prepare_scenarios(load_spec("configs/ablations/one-at-a-time.yaml"), Path("out"), jobs=2)
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from .spec import AblationSpec, SimulateSpec

STAMP = ".simulated.json"


def ground_truth_files(sim: SimulateSpec) -> list[Path]:
    """The ground-truth files to simulate, sorted by name."""
    entries = sim.ground_truths if isinstance(sim.ground_truths, list) else [sim.ground_truths]
    files = [f for e in entries for f in (sorted(Path(e).glob("*.yaml")) if Path(e).is_dir() else [Path(e)])]
    return sorted(files, key=lambda p: p.name)


def _stamp(files: Sequence[Path], seed: int, hard: str = "") -> dict[str, object]:
    import sre_agent.simulator as simulator

    sim_root = Path(simulator.__file__).parent
    src = hashlib.sha256()
    for p in sorted(sim_root.glob("*.py")):
        src.update(p.name.encode() + b"\0" + p.read_bytes())
    return {"seed": seed, "hard": hard, "simulator": src.hexdigest()[:16],
            "ground_truths": {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in files}}


def _simulate_one(job: tuple[str, str, int, str]) -> str:
    from ..simulator.hard import parse_switches
    from ..simulator.scenario import run

    path, out, seed, hard = job
    return str(run(path, out, seed, hard=parse_switches(hard)).folder)


def simulate(sim: SimulateSpec, target: Path, *, jobs: int, progress: bool = True) -> None:
    """Simulate every ground truth into ``target`` (unless its stamp says it is up to date)."""
    from ..eval.suite import run_parallel
    from ..simulator.groundtruth import GroundTruthError

    files = ground_truth_files(sim)
    if not files:
        raise InputError(f"simulate.ground_truths {sim.ground_truths}: no *.yaml ground truth")
    stamp = _stamp(files, sim.seed, sim.hard)
    stamp_file = target / STAMP
    if stamp_file.is_file() and json.loads(stamp_file.read_text(encoding="utf-8")) == stamp:
        return
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    jobs_list = [(str(p), str(target), sim.seed, sim.hard) for p in files]
    for job, _, exc in run_parallel(_simulate_one, jobs_list, jobs=jobs, desc="simulate", progress=progress):
        if exc is not None:
            what = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if isinstance(exc, GroundTruthError):
                raise InputError(f"simulate: {job[0]}: {what}") from None
            raise RuntimeError(f"simulate: {job[0]}: {type(exc).__name__}: {what}") from None
    stamp_file.write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def prepare_scenarios(spec: AblationSpec, out: Path, *, jobs: int, progress: bool = True) -> list[Path]:
    """The scenario folders of ``spec`` (simulated into ``out/scenarios`` when it says so)."""
    from ..eval.suite import find_scenarios

    if spec.simulate is not None:
        target = Path(out) / "scenarios"
        simulate(spec.simulate, target, jobs=jobs, progress=progress)
        roots = [target]
    else:
        roots = list(spec.scenarios)
    found: list[Path] = []
    for root in roots:
        here = find_scenarios(root)
        if not here:
            raise InputError(f"ablation {spec.name}: scenarios: no scenario folder in {root} (expected folders holding alerts/)")
        found.extend(p for p in here if p not in found)
    return found
