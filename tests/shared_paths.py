"""Where ``../shared/`` (beside the project root) is, for tests that read its data."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = PROJECT_ROOT.parent / "shared"
GROUND_TRUTHS = SHARED / "itbench-lite" / "ground_truths"
