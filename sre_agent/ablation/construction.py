"""Which cells of an ablation table hold "by construction": the profile injects a mode the fix targets.

Each failure-injecting profile injects MAST modes (its ``failure_rates`` with a rate above 0)
and each structural fix declares the modes it targets (``Fix.mast``).  A comparison of a setting
against its baseline *targets* a profile when a fix switched differently in the two settings
targets a mode the profile injects: there the fix was built to stop exactly what the profile
does, so its effect is partly true by design.  The other cells show what a fix does elsewhere.
Both sets come from code (the model profile files and the fix classes), never from a hand list.

Example:
    >>> sorted(fix_modes()["termination_fsm"])
    ['1.5', '3.1']
    >>> targeted("loses-exit", {"termination_fsm": True}, {"termination_fsm": False})
    ['1.5', '3.1']
    >>> targeted("clean", {"termination_fsm": True}, {"termination_fsm": False})
    []
"""

from __future__ import annotations

import functools
from collections.abc import Mapping


@functools.lru_cache(maxsize=None)
def fix_modes() -> dict[str, frozenset[str]]:
    """The MAST modes each structural fix targets (its class's ``mast``)."""
    from ..config import FixesConfig
    from ..fixes import build_fixes

    return {f.name: frozenset(f.mast) for f in build_fixes(FixesConfig())}


@functools.lru_cache(maxsize=None)
def injected_modes(profile: str) -> frozenset[str]:
    """The MAST modes a model profile injects (rate > 0); empty for a profile that injects none
    or that cannot be loaded here (an endpoint profile)."""
    from ..config import load_config
    from ..errors import ConfigError

    try:
        rates = load_config(model=profile).model.failure_rates or {}
    except ConfigError:
        return frozenset()
    return frozenset(code for code, rate in rates.items() if rate > 0)


def targeted(profile: str, setting: Mapping[str, bool], baseline: Mapping[str, bool]) -> list[str]:
    """The modes ``profile`` injects that a fix switched differently between ``setting`` and
    ``baseline`` targets (sorted; empty: the comparison is not by construction)."""
    changed = [n for n in set(setting) | set(baseline) if bool(setting.get(n)) != bool(baseline.get(n))]
    modes = fix_modes()
    aimed = set().union(*(modes.get(n, frozenset()) for n in changed)) if changed else set()
    return sorted(aimed & injected_modes(profile))


#: the marker of a by-construction cell in the report's tables
MARK = "◆"

__all__ = ["MARK", "fix_modes", "injected_modes", "targeted"]
