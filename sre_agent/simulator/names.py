"""Concrete Kubernetes names: hashed pod names and names that satisfy ground-truth filters.

Ground-truth filters are regexes written by people (``checkout-.*``, ``ad\\b``,
``.*email-checkout-network-partition``) and sometimes not even valid regexes (``*.*``).
:func:`compile_filter` reads them leniently and :func:`matches` applies the rule the
evaluator uses (full match, and a filter ending in ``-.*`` also matches the bare prefix).
"""

from __future__ import annotations

import random
import re

#: The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes).
K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def compile_filter(pattern: str) -> re.Pattern[str]:
    """Compile a ground-truth filter, repairing a leading ``*`` (glob habit) into ``.*``.

    >>> compile_filter("*.*").fullmatch("frontend") is not None
    True
    """
    try:
        return re.compile(pattern)
    except re.error:
        repaired = re.sub(r"(^|[^.\\])\*", lambda m: m.group(1) + ".*", pattern)
        try:
            return re.compile(repaired)
        except re.error:
            return re.compile(re.escape(pattern))


def matches(pattern: str, name: str) -> bool:
    """True when ``name`` satisfies ``pattern`` as the evaluator reads it.

    >>> matches("product-catalog-.*", "product-catalog"), matches("ad\\\\b", "ad")
    (True, True)
    """
    rx = compile_filter(pattern)
    if rx.fullmatch(name):
        return True
    return pattern.endswith("-.*") and name == pattern[:-3]


def k8s_suffix(rng: random.Random, length: int) -> str:
    """A random suffix in the Kubernetes name alphabet."""
    return "".join(rng.choice(K8S_ALPHABET) for _ in range(length))


def replicaset_name(rng: random.Random, deployment: str) -> str:
    """``checkout-8546fdc74d``: a Deployment's ReplicaSet (pod-template-hash, 9-10 characters)."""
    return f"{deployment}-{k8s_suffix(rng, rng.choice((9, 10)))}"


def pod_name(rng: random.Random, replicaset: str) -> str:
    """``checkout-8546fdc74d-d68cn``: a ReplicaSet's pod."""
    return f"{replicaset}-{k8s_suffix(rng, 5)}"


def statefulset_pod(statefulset: str, ordinal: int = 0) -> str:
    """``kafka-0``: a StatefulSet's pod."""
    return f"{statefulset}-{ordinal}"


_STRIP_SUFFIX = re.compile(r"-\d+$")


def name_for_group(group_id: str, filters: list[str], name: str | None, hints: list[str] = ()) -> str:
    """A concrete object name for a ground-truth group that its ``name``/``filter`` accepts.

    Candidates, in order: the exact ``name``; the hints (e.g. the real object the simulator
    would create); the group id without its ``-1`` counter; the group id; and finally a
    name synthesized from the first filter.
    """
    if name:
        return name
    candidates = [*hints, _STRIP_SUFFIX.sub("", group_id), group_id]
    for cand in candidates:
        if cand and (not filters or any(matches(f, cand) for f in filters)):
            return cand
    return synthesize(filters[0]) if filters else group_id


def synthesize(pattern: str) -> str:
    """Turn a simple filter regex into a literal name it matches (``.*x`` -> ``otel-demo-x``)."""
    text = pattern
    text = text.replace("\\b", "").replace("\\.", ".")
    if text.startswith(".*"):
        text = "otel-demo-" + text[2:]
    text = text.replace(".*", "x").replace("*", "x").replace(".", "-")
    text = re.sub(r"[^a-z0-9-]", "", text.lower()).strip("-")
    cand = text or "object"
    return cand if matches(pattern, cand) else cand
