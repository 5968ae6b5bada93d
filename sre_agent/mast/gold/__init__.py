"""The MAST gold set: traces rendered for labellers, label files, agreement and detector scores.

Protocol: ``sre_agent/mast/gold/PROTOCOL.md``.  CLI: ``python -m sre_agent.mast.gold``.
"""

from __future__ import annotations

from ._build import auto_stratum, build, load_manifest, read_gold_trace
from ._labels import GoldLabels, check_adjudication, read_labels, write_labels
from ._render import render_for_reading
from ._report import gold_report, kappa_table, render_markdown, vs_gold
from ...extras import STATS, require

require("research", *STATS)  # the statistics below need numpy, scipy and scikit-learn

from ._stats import kappa, score, wilson

__all__ = ["GoldLabels", "auto_stratum", "build", "check_adjudication", "gold_report", "kappa", "kappa_table",
           "load_manifest", "read_gold_trace", "read_labels", "render_for_reading", "render_markdown", "score",
           "vs_gold", "wilson", "write_labels"]
