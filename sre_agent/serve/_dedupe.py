"""Dedupe: is this group notification one we already triaged?

Alertmanager re-sends a group every ``group_interval`` while it changes and every
``repeat_interval`` while it does not.  A notification repeats an earlier job when, within the
window (seconds since the earlier job was received), it has the same ``groupKey`` and

* the same set of firing alert fingerprints, or
* a smaller set whose missing alerts are resolved (in this notification or recorded before):
  an alert of the group ended, nothing new started.

Any other change (a new alert firing in the group, or one that had resolved firing again) is a
new incident picture: a new triage.
Failed jobs never absorb a repeat (the caller leaves them out), so a re-send retries them.

Example:
    >>> earlier = PriorJob("job-1", frozenset({"a", "b"}), received=100.0)
    >>> find_duplicate([earlier], frozenset({"a", "b"}), frozenset(), now=160.0, window=3600).id
    'job-1'
    >>> find_duplicate([earlier], frozenset({"a", "b", "c"}), frozenset(), now=160.0, window=3600) is None
    True
    >>> find_duplicate([earlier], frozenset({"a"}), frozenset({"b"}), now=160.0, window=3600).id
    'job-1'
    >>> find_duplicate([earlier], frozenset({"a"}), frozenset(), now=160.0, window=3600) is None
    True
    >>> find_duplicate([earlier], frozenset({"a", "b"}), frozenset(), now=5000.0, window=3600) is None
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PriorJob:
    """An earlier, not failed job of the same group, as dedupe sees it."""

    id: str
    fingerprints: frozenset[str]
    received: float
    #: fingerprints of this job's alerts recorded as resolved since
    resolved: frozenset[str] = field(default_factory=frozenset)


def find_duplicate(prior: Iterable[PriorJob], firing: frozenset[str], resolved_now: frozenset[str],
                   now: float, window: float) -> PriorJob | None:
    """The newest earlier job this notification repeats, or ``None`` (a new triage).

    ``window <= 0`` switches dedupe off; a notification without firing alerts repeats nothing.
    """
    if window <= 0 or not firing:
        return None
    for job in sorted(prior, key=lambda j: j.received, reverse=True):
        if now - job.received > window or firing & job.resolved:
            continue
        if firing == job.fingerprints:
            return job
        if firing < job.fingerprints and (job.fingerprints - firing) <= (resolved_now | job.resolved):
            return job
    return None
