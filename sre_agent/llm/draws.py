"""Keyed random draws for the failure-injecting profiles: one stream per incident, seed and profile.

Every injection decision of :class:`~sre_agent.llm.profiles.FaultyReasoner` reads its random
number from :meth:`Draws.uniform` (or an index from :meth:`Draws.pick`) keyed by

* the **incident** (the scenario folder's name; else the sorted alert keys), the **seed** and the
  **profile** -- so two scenarios at one seed, or one scenario at two seeds, draw independently;
* the **role** asking (planner, investigator, verifier), the **decision** (a MAST code, or the
  code with ``:pick`` for "which target") and the **decision index**: how many times this role
  has faced this decision before in the run (its k-th opportunity), not the model-call number.

The fix setting is not part of the key: for one incident × seed every setting sees the same
draws (common random numbers), so a pair of settings differs by the fix, not by luck.  A fix that
changes how many model calls happen before an opportunity does not shift the draw of that
opportunity; only the opportunities a setting never reaches go unused.

The key is hashed with SHA-256 (stable across processes and Python versions, unlike the salted
built-in ``hash``) into the integer seed of a :class:`random.Random` (integer seeding and its
``random``/``randrange`` are stable across Python versions; the standard library keeps this
module free of the research dependencies, since triage runs these profiles).

Example:
    >>> d = Draws("Scenario-27", seed=0, profile="loses-exit")
    >>> d.uniform("planner", "3.1", 0) == Draws("Scenario-27", 0, "loses-exit").uniform("planner", "3.1", 0)
    True
    >>> d.uniform("planner", "3.1", 0) != Draws("Scenario-2", 0, "loses-exit").uniform("planner", "3.1", 0)
    True
    >>> 0 <= d.pick("planner", "2.3:pick", 0, 5) < 5
    True
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence


def incident_key(snapshot: str, alert_keys: Sequence[str] = ()) -> str:
    """The incident's name for the draws: the snapshot folder's last path part, else the sorted
    alert keys joined (an incident served without a folder).

    >>> incident_key("/tmp/scen/Scenario-27")
    'Scenario-27'
    >>> incident_key("", ["b", "a"])
    'a|b'
    """
    name = str(snapshot).rstrip("/").replace("\\", "/").rsplit("/", 1)[-1] if snapshot else ""
    return name or "|".join(sorted(alert_keys))


class Draws:
    """Uniform draws in [0, 1) keyed by (incident, seed, profile, role, decision, index)."""

    def __init__(self, incident: str, seed: int, profile: str) -> None:
        self.incident = incident
        self.seed = int(seed)
        self.profile = profile

    def _entropy(self, role: str, decision: str, index: int) -> int:
        doc = json.dumps([self.incident, self.seed, self.profile, role, decision, int(index)], separators=(",", ":"))
        return int.from_bytes(hashlib.sha256(doc.encode()).digest(), "big")

    def uniform(self, role: str, decision: str, index: int) -> float:
        """The draw of the ``index``-th opportunity of ``decision`` for ``role``."""
        return random.Random(self._entropy(role, decision, index)).random()

    def pick(self, role: str, decision: str, index: int, n: int) -> int:
        """An index in ``range(n)`` for the ``index``-th choice of ``decision`` (``n`` > 0)."""
        if n <= 0:
            raise ValueError("pick from an empty range")
        return random.Random(self._entropy(role, decision, index)).randrange(n)


__all__ = ["Draws", "incident_key"]
