"""Ablations: run the agent over fix settings × model profiles × scenarios × seeds and report
which structural fix changes recall and which MAST failure mode it removes.

Modules, one idea each: :mod:`.spec` (the ablation file), :mod:`.plan` (designs -> settings ->
runs), :mod:`.scenarios` (find or simulate the scenarios), :mod:`.cache` (run keys and the done
marker), :mod:`.execute` (local process pool or Ray), :mod:`.report` (results.csv and the
statistics), :mod:`.stats` (scenario-unit bootstrap, sign-flip tests, Holm, d_z),
:mod:`.construction` (which cells are by construction), :mod:`.elsewhere` (effects apart from
construction, cost, normal vs hard), :mod:`.mast_view` (fatal vs benign, annotator vs
injections), :mod:`.render` (report.md), :mod:`.plots` (PNG figures), :mod:`.sweep` (all of it,
in order), :mod:`.power` (sizing from a pilot), :mod:`.draw_check` (are failure draws
independent?) and :mod:`.rerun` (the README's tables in one resumable command).

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
