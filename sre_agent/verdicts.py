"""Verdicts on claimed root causes: checks that cite their evidence, and disputes between checkers.

A :class:`Check` is one test of a claim (``entity_exists``, ``anomaly_observed``,
``upstream_of_alerts``, ``not_a_downstream_symptom`` ...).  A check that passes names the tool
calls whose results it was computed from; one with nothing to cite cannot pass (a property of the
type, enforced at construction, not a convention):

    >>> Check(check="upstream_of_alerts", passed=True, call_ids=["call_4", "call_9"]).cited
    True
    >>> Check(check="upstream_of_alerts", passed=True, call_ids=[])
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Check
      Value error, check upstream_of_alerts passed with no tool call cited: a check with nothing to cite cannot pass ...

A model's answer is data: :func:`checks_from_answer` reads its checks, and a passed check that
cites nothing is read as *not passed* (it says so in ``note``).

Two checkers (the verifier agent and the verification gate's code) may disagree on a check; a
:class:`Dispute` records the claim, the check, what each side said and on which calls:

    >>> d = Dispute(entity="ns/Schedule/x", check="upstream_of_alerts",
    ...             verifier=Check(check="upstream_of_alerts", passed=False, call_ids=["call_12"]),
    ...             gate=Check(check="upstream_of_alerts", passed=True, call_ids=["call_4", "call_9"],
    ...                        note="upstream via checkout → quote"))
    >>> d.plain()
    'upstream_of_alerts: verifier: not upstream of the alerts — call_12; code check: upstream via checkout → quote — calls 4, 9'
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field, model_validator

#: what a failed check means, in plain words (the report's dispute lines)
FAILED_WORDS = {"entity_exists": "no such object", "anomaly_observed": "no anomaly of it observed",
                "upstream_of_alerts": "not upstream of the alerts", "not_a_downstream_symptom": "a symptom of a failing dependency"}
#: what a passed check means, in plain words
PASSED_WORDS = {"entity_exists": "exists", "anomaly_observed": "anomaly observed",
                "upstream_of_alerts": "upstream of the alerts", "not_a_downstream_symptom": "not a downstream symptom"}


#: what a cited call id looks like (a model's answer is data: anything else is dropped)
_CALL_ID = re.compile(r"[A-Za-z0-9_.:-]{1,40}")


class Check(BaseModel):
    """One check of a claim: its name, whether it passed, the tool calls it is computed from."""

    check: str
    passed: bool
    call_ids: list[str] = Field(default_factory=list)
    note: str = ""  #: how it was decided, in a few words (the path found, why it failed)

    @model_validator(mode="after")
    def _passed_needs_evidence(self) -> Check:
        if self.passed and not [c for c in self.call_ids if c]:
            raise ValueError(f"check {self.check} passed with no tool call cited: a check with nothing to cite cannot pass")
        return self

    @property
    def cited(self) -> bool:
        return bool(self.call_ids)

    def said(self) -> str:
        """What this check said, in plain words, with its calls."""
        words = self.note or (PASSED_WORDS if self.passed else FAILED_WORDS).get(self.check, "passed" if self.passed else "failed")
        return f"{words} — {_calls(self.call_ids)}"

    def event(self) -> dict[str, Any]:
        """The check as the trace records it."""
        return {"check": self.check, "passed": self.passed, "call_ids": list(self.call_ids)} | ({"note": self.note} if self.note else {})


def make_check(check: str, passed: bool, call_ids: list[str], note: str = "") -> Check:
    """A check as computed: one that would pass with nothing to cite fails instead, saying so.

    >>> make_check("upstream_of_alerts", True, []).passed
    False
    """
    ids = [c for c in call_ids if c]
    if passed and not ids:
        return Check(check=check, passed=False, call_ids=[], note="no tool call to cite")
    return Check(check=check, passed=passed, call_ids=ids, note=note)


def checks_from_answer(raw: Any) -> list[Check]:
    """A model's checks (``call_ids`` or ``evidence`` lists): an uncited pass is read as not passed.

    >>> [(c.check, c.passed) for c in checks_from_answer([{"check": "a", "passed": True, "evidence": ["call_1"]},
    ...                                                    {"check": "b", "passed": True, "evidence": []}, "junk"])]
    [('a', True), ('b', False)]
    """
    out = []
    for c in raw if isinstance(raw, list) else []:
        if not isinstance(c, dict) or not isinstance(c.get("check"), str):
            continue
        ids = c.get("call_ids", c.get("evidence", []))
        ids = [str(i) for i in ids if isinstance(i, (str, int)) and _CALL_ID.fullmatch(str(i))] if isinstance(ids, list) else []
        out.append(make_check(c["check"][:60], c.get("passed") is True, ids[:8]))  # a model's words are not kept
    return out


class Dispute(BaseModel):
    """The verifier and the gate's code disagree on one check of one claim."""

    entity: str
    check: str
    verifier: Check
    gate: Check
    #: tool calls that would settle it (each a re-check by a tool, not a re-vote)
    settle_with: list[dict[str, Any]] = Field(default_factory=list)

    def plain(self) -> str:
        """The dispute in plain words (report.md)."""
        return f"{self.check}: verifier: {self.verifier.said()}; code check: {self.gate.said()}"

    def event(self) -> dict[str, Any]:
        """The ``verdict_dispute`` trace event's payload."""
        return {"entity": self.entity, "check": self.check, "verifier": self.verifier.event(), "gate": self.gate.event(),
                "call_ids": sorted(set(self.verifier.call_ids) | set(self.gate.call_ids)), "settle_with": self.settle_with,
                "text": self.plain()}


def disputes(entity: str, verifier: list[Check], gate: list[Check]) -> list[Dispute]:
    """The checks both sides made and judged differently.

    >>> v = [Check(check="upstream_of_alerts", passed=False)]
    >>> g = [Check(check="upstream_of_alerts", passed=True, call_ids=["call_4"]), Check(check="x", passed=False)]
    >>> [d.check for d in disputes("ns/Pod/p", v, g)]
    ['upstream_of_alerts']
    """
    mine = {c.check: c for c in gate}
    return [Dispute(entity=entity, check=c.check, verifier=c, gate=mine[c.check])
            for c in verifier if c.check in mine and mine[c.check].passed != c.passed]


def _calls(ids: list[str]) -> str:
    if not ids:
        return "no call cited"
    if len(ids) == 1:
        return ids[0]
    nums = [i.removeprefix("call_") for i in ids]
    return "calls " + ", ".join(nums) if all(n.isdigit() for n in nums) else "calls " + ", ".join(ids)


__all__ = ["Check", "Dispute", "checks_from_answer", "disputes", "make_check"]
