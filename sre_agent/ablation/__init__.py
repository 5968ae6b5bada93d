"""Ablations: run the agent over fix settings × model profiles × scenarios × seeds and report
which structural fix changes recall and which MAST failure mode it removes.

Modules, one idea each: :mod:`.spec` (the ablation file), :mod:`.plan` (designs -> settings ->
runs), :mod:`.scenarios` (find or simulate the scenarios), :mod:`.cache` (run keys and the done
marker), :mod:`.execute` (local process pool or Ray), :mod:`.report` (results.csv, statistics,
report.md), :mod:`.plots` (PNG figures) and :mod:`.sweep` (all of it, in order).

Example::

    from sre_agent.ablation import run_ablation
    result = run_ablation("configs/ablations/smoke.yaml", Path("/tmp/smoke"))
    print(result.executed, result.reused)
"""

from __future__ import annotations

from .plan import PlannedRun, Setting, expand_settings, plan_runs, plan_settings
from .spec import AblationSpec, load_spec
from .sweep import AblationResult, report_only, run_ablation

__all__ = ["AblationResult", "AblationSpec", "PlannedRun", "Setting", "expand_settings", "load_spec",
           "plan_runs", "plan_settings", "report_only", "run_ablation"]
