"""The demo's flagd feature-flag file (``flagd-config`` ConfigMap, key ``demo.flagd.json``).

Flags are found in free text by name (case- and typo-tolerant: ``paymentSeriveFailure``,
``ProductCatalog feature flag``, ``adHighCpu``) and switched on by setting their
``defaultVariant`` to the failing variant.
"""

from __future__ import annotations

import json
import re
from typing import Any


def _bool_flag(description: str) -> dict[str, Any]:
    return {"description": description, "state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "off"}


DEFAULT_FLAGS: dict[str, Any] = {
    "$schema": "https://flagd.dev/schema/v0/flags.json",
    "flags": {
        "productCatalogFailure": _bool_flag("Fail product catalog service on a specific product"),
        "recommendationCacheFailure": _bool_flag("Fail recommendation service cache"),
        "adManualGc": _bool_flag("Triggers full manual garbage collections in the ad service"),
        "adServiceHighCpu": _bool_flag("Triggers high cpu load in the ad service"),
        "adFailure": _bool_flag("Fail ad service"),
        "kafkaQueueProblems": {"description": "Overloads Kafka queue while simultaneously introducing a consumer side delay leading to a lag spike",
                               "state": "ENABLED", "variants": {"on": 100, "off": 0}, "defaultVariant": "off"},
        "cartFailure": _bool_flag("Fail cart service"),
        "paymentFailure": _bool_flag("Fail payment service charge requests"),
        "paymentUnreachable": _bool_flag("Payment service is unavailable"),
        "loadgeneratorFloodHomepage": {"description": "Flood the frontend with a large amount of requests.",
                                       "state": "ENABLED", "variants": {"on": 100, "off": 0}, "defaultVariant": "off"},
        "imageSlowLoad": {"description": "slow loading images in the frontend", "state": "ENABLED",
                          "variants": {"10sec": 10000, "5sec": 5000, "off": 0}, "defaultVariant": "off"},
    },
}

DEFAULT_FLAGD_JSON = json.dumps(DEFAULT_FLAGS, indent=2) + "\n"

#: normalised spelling -> canonical flag (the canonical names of the current demo).
_SPELLINGS = {
    "productcatalogfailure": "productCatalogFailure", "productcatalog": "productCatalogFailure",
    "recommendationcachefailure": "recommendationCacheFailure", "recommendationcache": "recommendationCacheFailure",
    "admanualgc": "adManualGc", "adservicehighcpu": "adServiceHighCpu", "adhighcpu": "adServiceHighCpu",
    "adfailure": "adFailure", "kafkaqueueproblems": "kafkaQueueProblems", "cartfailure": "cartFailure",
    "paymentfailure": "paymentFailure", "paymentserivefailure": "paymentFailure", "paymentservicefailure": "paymentFailure",
    "paymentunreachable": "paymentUnreachable", "loadgeneratorfloodhomepage": "loadgeneratorFloodHomepage",
    "imageslowload": "imageSlowLoad",
}


def _norm(word: str) -> str:
    return re.sub(r"[^a-z0-9]", "", word.lower())


def canonical(name: str) -> str | None:
    """The canonical flag for a spelling, or None."""
    return _SPELLINGS.get(_norm(name))


def flags_in_text(text: str) -> list[str]:
    """Canonical flags named in free text, in order of appearance, without duplicates."""
    found: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z0-9_]+(?:\s+feature)?", text):
        flag = canonical(word.replace(" feature", ""))
        if flag and flag not in found:
            found.append(flag)
    return found


def file_flag_name(doc: dict[str, Any], flag: str) -> str | None:
    """The spelling ``flag`` has in this flag file (older demos say ``adHighCpu``)."""
    for name in doc.get("flags", {}):
        if canonical(name) == flag:
            return name
    return None


def failing_variant(spec: dict[str, Any]) -> str:
    """The variant that turns a flag's failure on (``on``, or the largest numeric variant)."""
    variants = spec.get("variants", {})
    if "on" in variants:
        return "on"
    numeric = [(v, k) for k, v in variants.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return max(numeric)[1] if numeric else next(iter(variants), "on")


def enable(flag_json: str, flags: list[str]) -> str:
    """The flag file with ``flags`` set to their failing variant (same formatting)."""
    doc = json.loads(flag_json)
    for flag in flags:
        name = file_flag_name(doc, flag)
        if name:
            doc["flags"][name]["defaultVariant"] = failing_variant(doc["flags"][name])
    return json.dumps(doc, indent=2) + "\n"


def changed_flags(before: str, after: str) -> list[str]:
    """Canonical flags whose defaultVariant differs between two flag files."""
    a, b = json.loads(before).get("flags", {}), json.loads(after).get("flags", {})
    out = []
    for name, spec in b.items():
        if a.get(name, {}).get("defaultVariant") != spec.get("defaultVariant"):
            out.append(canonical(name) or name)
    return out


def parse_fragment(text: str) -> dict[str, Any] | None:
    """A ground truth's changed text: a whole flag file, or a fragment like ``"x": {...}``."""
    for candidate in (text, "{" + text + "}"):
        try:
            doc = json.loads(candidate)
        except (ValueError, TypeError):
            continue
        if isinstance(doc, dict):
            return doc
    return None


def resolve_change(changed_from: str | None, changed_to: str | None) -> tuple[str | None, str | None]:
    """(before, after) whole flag files from a ground truth's ``changed`` entry, when usable."""
    if not changed_to:
        return None, None
    after = parse_fragment(changed_to)
    before = parse_fragment(changed_from or "")
    if after and "flags" in after:
        return (changed_from if before and "flags" in before else None), changed_to
    if after:  # fragment: {"flagName": {"defaultVariant": "on"}}
        doc = json.loads(DEFAULT_FLAGD_JSON)
        for name, patch in after.items():
            real = file_flag_name(doc, canonical(name) or name) or name
            if real in doc["flags"] and isinstance(patch, dict):
                doc["flags"][real].update(patch)
        return DEFAULT_FLAGD_JSON, json.dumps(doc, indent=2) + "\n"
    return None, None
