"""Chaos Mesh experiments read from their own events: when each began, whether it ended, what it hit.

The recorder does not dump Chaos Mesh objects; what shows an experiment is the events naming it.
Its controller writes a few per experiment: ``Started`` / ``Applied`` when it begins (``Applied``
names the pods it hit), ``Recovered`` / ``TimeUp`` / ``AllRecovered`` ... when it ends, and
bookkeeping (``Updated``, ``FinalizerInited``) in between; a ``Schedule`` writes ``Spawned`` each
time it creates an experiment.  One experiment is one lifecycle, not one finding per event: an old,
finished experiment that wrote eight events must not crowd the running one out of a model's
context.  An experiment is *active* when nothing says it ended after it last began.

Example:
    >>> from sre_agent.analysis.analyzer import EventGroup
    >>> old = [EventGroup("cm/PodChaos/old", "Started", "Normal", 1, 100.0, 100.0, "started", ""),
    ...        EventGroup("cm/PodChaos/old", "Updated", "Normal", 3, 100.0, 130.0, "records", ""),
    ...        EventGroup("cm/PodChaos/old", "TimeUp", "Normal", 1, 400.0, 400.0, "time up", "")]
    >>> new = [EventGroup("cm/HTTPChaos/abort", "Applied", "Normal", 1, 900.0, 900.0, "apply chaos for shop/quote-7d9f8-x2x9z", "")]
    >>> [(c.entity, c.active, c.start, c.end, c.targets) for c in lifecycles(old + new, lambda m: [])]
    [('cm/HTTPChaos/abort', True, 900.0, None, []), ('cm/PodChaos/old', False, 100.0, 400.0, [])]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: event reasons that say an experiment began acting (a Schedule's ``Spawned`` included)
START_REASONS = frozenset({"Started", "Applied", "Spawned", "Injected", "Resumed"})
#: event reasons that say it stopped acting
END_REASONS = frozenset({"Recovered", "AllRecovered", "TimeUp", "Paused", "Finished", "Completed", "Deleted", "Succeeded"})


@dataclass
class ChaosLifecycle:
    """One chaos object as its events tell it."""

    entity: str
    start: float
    end: float | None
    start_detail: str
    end_detail: str = ""
    targets: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.end is None


def _detail(groups: Sequence[Any]) -> str:
    """``Reason: message`` of the most telling group (one naming targets first, ``Applied``)."""
    best = sorted(groups, key=lambda g: (g.reason != "Applied", g.reason != "Spawned", g.first))[0]
    return f"{best.reason}: {best.message[:200]}"


def lifecycles(groups: Iterable[Any], targets_of: Callable[[str], list[str]]) -> list[ChaosLifecycle]:
    """One lifecycle per chaos object among ``groups`` (every group given is a chaos object's),
    active ones first (newest start first), then the finished ones (newest end first).

    ``targets_of`` reads the pods a controller message names.  When the events saw an experiment
    begin again after it ended (a paused experiment resumed), the run that counts is the last.
    """
    by_object: dict[str, list[Any]] = {}
    for g in groups:
        by_object.setdefault(g.involved, []).append(g)
    out: list[ChaosLifecycle] = []
    for ent, gs in by_object.items():
        starts = [g for g in gs if g.reason in START_REASONS]
        ends = [g for g in gs if g.reason in END_REASONS]
        last_end = max((g.last for g in ends), default=None)
        last_start = max((g.last for g in starts), default=None)
        targets = list(dict.fromkeys(t for g in gs for t in targets_of(g.message)))
        if last_end is not None and (last_start is None or last_end >= last_start):
            first = min((g.first for g in starts), default=min(g.first for g in gs))
            ended = [g for g in ends if g.last == last_end]
            out.append(ChaosLifecycle(ent, first, last_end, _detail(starts or gs), f"{ended[0].reason}: {ended[0].message[:200]}",
                                      targets))
            continue
        # active: the run that began after the last end (or the only run)
        current = [g for g in starts if last_end is None or g.last > last_end] or gs
        began = min((g.first if last_end is None or g.first > last_end else g.last) for g in current)
        out.append(ChaosLifecycle(ent, began, None, _detail(current), targets=targets))
    out.sort(key=lambda c: (not c.active, -(c.start if c.active else (c.end or 0.0)), c.entity))
    return out


__all__ = ["END_REASONS", "START_REASONS", "ChaosLifecycle", "lifecycles"]
