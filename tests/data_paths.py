"""Where the project's bundled data is, for tests that read it (nothing outside the clone)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA = PROJECT_ROOT / "eval" / "data"
#: The 29 real ITBench SRE ground truths shipped with the project (see eval/data/itbench-lite/NOTICE).
GROUND_TRUTHS = DATA / "itbench-lite" / "ground_truths"
#: Ground truths written by this project in ITBench's schema (ours, not ITBench's).
OUR_GROUND_TRUTHS = DATA / "ours" / "ground_truths"
