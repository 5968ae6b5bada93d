"""Expand an ablation's design into fix settings, and settings × profiles × scenarios × seeds
into planned runs.

Designs (``vary`` = the fixes the design varies, default all six; a fix outside ``vary`` keeps
the design's baseline value):

* ``one-at-a-time``: ``all-off``, then ``only-<fix>`` for each fix (in FIX_NAMES order), then ``all-on``; baseline
  ``all-off``.
* ``leave-one-out``: ``all-on``, then ``without-<fix>`` for each fix; baseline ``all-on``.
* ``grid``: every on/off combination of ``vary`` (2^k), or the listed subset; each named
  ``all-off``, ``all-on`` or ``on:<fix>+<fix>``; baseline ``all-off`` when present, else the first.
* ``explicit``: the named settings in file order; baseline the first.

Example:
    >>> [s.name for s in expand_settings("one-at-a-time", ["loop_breaker", "task_anchoring"])]
    ['all-off', 'only-task_anchoring', 'only-loop_breaker', 'all-on']
    >>> [s.name for s in expand_settings("grid", ["loop_breaker", "task_anchoring"])]
    ['all-off', 'on:task_anchoring', 'on:loop_breaker', 'all-on']
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import FIX_NAMES
from ..errors import InputError
from .spec import AblationSpec, parse_switches


@dataclass(frozen=True)
class Setting:
    """A named on/off value for every one of the six fixes."""

    name: str
    fixes: tuple[tuple[str, bool], ...]

    @classmethod
    def of(cls, name: str, switches: Mapping[str, bool]) -> "Setting":
        return cls(name, tuple((n, bool(switches[n])) for n in FIX_NAMES))

    def switches(self) -> dict[str, bool]:
        return dict(self.fixes)

    def overrides(self) -> list[str]:
        """The ``--fix NAME=on|off`` items that give exactly this setting."""
        return [f"{n}={'on' if v else 'off'}" for n, v in self.fixes]


@dataclass(frozen=True)
class PlannedRun:
    """One run of the sweep: a scenario × profile × setting × seed."""

    scenario: str
    scenario_path: Path
    profile: str
    setting: Setting
    seed: int


def _named(on: Sequence[str], vary: Sequence[str]) -> str:
    if not on:
        return "all-off"
    if set(on) == set(vary):
        return "all-on"
    return "on:" + "+".join(n for n in FIX_NAMES if n in on)


def expand_settings(design: str, vary: Sequence[str], listed: Any = None) -> list[Setting]:
    """The fix settings of ``design`` (see the module docstring), in report order."""
    vary = [n for n in FIX_NAMES if n in vary]

    def with_on(on: Sequence[str], rest: bool = False) -> dict[str, bool]:
        return {n: (n in on) if n in vary else rest for n in FIX_NAMES}

    if design == "one-at-a-time":
        return ([Setting.of("all-off", with_on([]))]
                + [Setting.of(f"only-{f}", with_on([f])) for f in vary]
                + [Setting.of("all-on", with_on(vary))])
    if design == "leave-one-out":
        return ([Setting.of("all-on", with_on(vary, True))]
                + [Setting.of(f"without-{f}", with_on([g for g in vary if g != f], True)) for f in vary])
    if design == "grid":
        if listed:
            combos = [list(on) for on in listed]
        else:
            combos = [[f for f, bit in zip(vary, bits) if bit]
                      for bits in itertools.product((False, True), repeat=len(vary))]
            combos.sort(key=lambda on: (len(on), [vary.index(f) for f in on]))
        out = [Setting.of(_named(on, vary), with_on(on)) for on in combos]
    elif design == "explicit":
        out = [Setting.of(str(name), parse_switches(value, f"settings.{name}")) for name, value in (listed or {}).items()]
    else:
        raise InputError(f"design {design!r}: expected one-at-a-time, leave-one-out, grid or explicit")
    names = [s.name for s in out]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise InputError(f"settings: {dup!r} appears twice")
    return out


def default_baseline(design: str, settings: Sequence[Setting]) -> str:
    """The baseline setting a design compares against when the file names none."""
    names = [s.name for s in settings]
    if design == "leave-one-out":
        return "all-on"
    if "all-off" in names and design != "explicit":
        return "all-off"
    return names[0]


def plan_settings(spec: AblationSpec) -> tuple[list[Setting], str]:
    """The spec's settings and its baseline name (InputError if the baseline is unknown)."""
    settings = expand_settings(spec.design, spec.vary, spec.settings)
    baseline = spec.baseline or default_baseline(spec.design, settings)
    if baseline not in {s.name for s in settings}:
        raise InputError(f"ablation {spec.name}: baseline {baseline!r} is not one of the settings: "
                         + ", ".join(s.name for s in settings))
    return settings, baseline


def profile_seeds(spec: AblationSpec, profile: str) -> list[int]:
    """The seeds a profile runs with: all of them, or only the first for a profile that ignores
    the seed (``deterministic: true``, e.g. ``clean``): its other seeds would repeat the run."""
    from ..config import load_config

    seeds = spec.seed_list()
    return seeds[:1] if load_config(spec.config, (), profile, 0).model.deterministic else seeds


def plan_runs(spec: AblationSpec, scenarios: Sequence[Path], settings: Sequence[Setting]) -> list[PlannedRun]:
    """Every run, ordered profile, setting, scenario, seed (the order of results.csv)."""
    from ..eval.suite import scenario_names

    names = scenario_names(list(scenarios))
    seeds = {profile: profile_seeds(spec, profile) for profile in spec.profiles}
    return [PlannedRun(name, Path(path), profile, setting, seed)
            for profile in spec.profiles for setting in settings
            for name, path in zip(names, scenarios) for seed in seeds[profile]]
