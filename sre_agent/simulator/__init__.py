"""ITBench-Lite incident simulator: a real ITBench ground truth in, a recorded-looking snapshot out.

``simulate("Scenario-27.yaml", "out/")`` writes ``out/Scenario-27/`` in the ITBench-Lite layout
(alerts, per-pod and per-service metrics, Kubernetes objects and events, logs, traces, and a
copy of the ground truth).  The package is self-contained: it imports nothing else from
``sre_agent`` and nothing of it is imported by the reasoner.
"""

from __future__ import annotations

from pathlib import Path

from .groundtruth import GroundTruthError
from .hard import SWITCHES, parse_switches
from .scenario import Report, run


def simulate(ground_truth_path: str | Path, out_dir: str | Path, seed: int = 0, dump_chaos_objects: bool = False,
             scale: float = 1.0, variant: str = "normal") -> Path:
    """Simulate one ground truth; returns the scenario folder ``out_dir/Scenario-<id>``.

    ``scale`` multiplies the request rate (1.0: a few 10^4 log and span rows; tests use less).
    ``variant``: ``normal``, ``hard`` (every hard switch) or a comma list of switches (see :mod:`.hard`).
    Raises :class:`GroundTruthError` (a ``ValueError``) for a missing or malformed ground truth.
    """
    return run(ground_truth_path, out_dir, seed, dump_chaos_objects, scale, parse_switches(variant)).folder


__all__ = ["simulate", "run", "Report", "GroundTruthError", "SWITCHES", "parse_switches"]
