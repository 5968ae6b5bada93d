"""What a claimed root cause acts on, read from recorded tool findings: one computation shared by
every checker (the verifier agent's reasoner and the verification gate's code), so that they judge
a claim from the same cited tool results.

A finding is ``(call_id, entity, signal, related)``.  A claim acts on what its own findings relate
to; a chaos ``Schedule`` acts through the experiments it spawns (same namespace, named after it),
so their findings count as its own.

Example:
    >>> fs = [("call_4", "chaos/Schedule/quote-abort", "chaos_experiment", []),
    ...       ("call_4", "chaos/HTTPChaos/quote-abort-x1", "chaos_experiment", ["shop/Pod/quote-7d9f-abcde"])]
    >>> acts_on("chaos/Schedule/quote-abort", fs)
    (['shop/Pod/quote-7d9f-abcde'], ['call_4'])
    >>> acts_on("shop/Deployment/cart", fs)
    ([], [])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Finding = tuple[str, str, str, Sequence[str]]


def spawned_by(entity: str, finding_entity: str) -> bool:
    """Whether ``finding_entity`` is an experiment the chaos Schedule ``entity`` spawned.

    >>> spawned_by("c/Schedule/x", "c/HTTPChaos/x-1"), spawned_by("c/Schedule/x", "d/HTTPChaos/x-1")
    (True, False)
    """
    parts = entity.split("/")
    if len(parts) != 3 or parts[1] != "Schedule" or finding_entity == entity:
        return False
    other = finding_entity.split("/")
    return len(other) == 3 and other[0] == parts[0] and other[2].startswith(parts[2])


def own_findings(entity: str, findings: Iterable[Finding]) -> list[Finding]:
    """The claim's own findings, and for a chaos Schedule those of the experiments it spawned."""
    return [f for f in findings if f[1] == entity or spawned_by(entity, f[1])]


def acts_on(entity: str, findings: Iterable[Finding]) -> tuple[list[str], list[str]]:
    """The entities the claim's findings relate to (what it acts on), and the calls that show it."""
    related: set[str] = set()
    calls: set[str] = set()
    for cid, _, _, rel in own_findings(entity, findings):
        if rel:
            related |= set(rel)
            calls.add(cid)
    return sorted(related), sorted(calls, key=call_order)


def call_order(call_id: str) -> tuple[int, str]:
    """Sort key of call ids in the order they were made (``call_9`` before ``call_12``).

    >>> sorted(["call_12", "call_9"], key=call_order)
    ['call_9', 'call_12']
    """
    tail = call_id.rsplit("_", 1)[-1]
    return (int(tail), call_id) if tail.isdigit() else (1 << 30, call_id)


__all__ = ["acts_on", "call_order", "own_findings", "spawned_by"]
