"""Seeded faults a model endpoint shows: rate limits, server errors, stalls, truncated bodies.

Each chat-completion request draws at most one fault, from ``random.Random(f"{seed}:{n}")``
where ``n`` is the request's number: the same seed and the same request sequence give the same
faults.  A faulted request never reaches the reasoner, so a client that retries it sees exactly
the answers it would have seen without the fault.

Example:
    >>> plan = FaultPlan(rates={"429": 1.0})
    >>> plan.draw(1)
    '429'
    >>> FaultPlan().draw(1) is None
    True
    >>> parse_fault_rates(["5xx=0.2", "timeout=0.1"])
    {'5xx': 0.2, 'timeout': 0.1}
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import InputError

#: fault kind -> what the server does
FAULT_KINDS = {
    "429": "HTTP 429 with a Retry-After header (seconds)",
    "5xx": "HTTP 503 with an OpenAI-style error body",
    "timeout": "sleep stall_seconds before answering HTTP 504 (past a client's timeout)",
    "truncated": "HTTP 200 whose JSON body is cut in the middle",
}


class FaultPlan(BaseModel):
    """Which faults, how often (probability per request), and how they look."""

    model_config = ConfigDict(extra="forbid")

    rates: dict[str, float] = Field(default_factory=dict)
    seed: int = 0
    retry_after: int = Field(1, ge=0)
    stall_seconds: float = Field(30.0, ge=0)

    @field_validator("rates")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        for kind, rate in v.items():
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate {kind}={rate}: expected a probability in [0, 1]")
        if sum(v.values()) > 1.0 + 1e-9:
            raise ValueError("fault rates add up to more than 1")
        return v

    def draw(self, number: int) -> str | None:
        """The fault of request ``number`` (1-based), or None."""
        if not self.rates:
            return None
        roll = random.Random(f"{self.seed}:{number}").random()
        edge = 0.0
        for kind in FAULT_KINDS:  # a fixed order: the same seed gives the same kinds
            edge += self.rates.get(kind, 0.0)
            if roll < edge:
                return kind
        return None


def parse_fault_rates(items: Sequence[str]) -> dict[str, float]:
    """``KIND=RATE`` items (``--fault-rate``) as a mapping; :class:`InputError` when malformed."""
    out: dict[str, float] = {}
    for item in items:
        kind, sep, value = item.partition("=")
        kind = kind.strip()
        try:
            rate = float(value)
        except ValueError:
            rate = -1.0
        if not sep or kind not in FAULT_KINDS or not 0.0 <= rate <= 1.0:
            raise InputError(f"--fault-rate {item!r}: expected KIND=RATE with KIND one of "
                             f"{', '.join(FAULT_KINDS)} and RATE in [0, 1]")
        out[kind] = rate
    return out
