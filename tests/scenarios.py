"""Small simulated scenarios for tests, built once per test session (never committed)."""

from __future__ import annotations

from pathlib import Path

from data_paths import GROUND_TRUTHS

_CACHE: dict[tuple[str, int, float], Path] = {}


def simulated(tmp_root: Path, scenario: str, seed: int = 0, scale: float = 0.35) -> Path:
    """The folder of ``scenario`` (e.g. "Scenario-27") simulated at a small scale, cached per session."""
    from sre_agent.simulator import simulate

    key = (scenario, seed, scale)
    if key not in _CACHE:
        _CACHE[key] = simulate(GROUND_TRUTHS / f"{scenario}.yaml", tmp_root / f"{scenario}-s{seed}-x{scale}", seed=seed, scale=scale)
    return _CACHE[key]
