"""Feature-flag targets from data: which flags exist (the flag definitions in ConfigMaps) and
which services act on each (the services seen evaluating it), never a memorised map.

* **Definitions**: a ConfigMap whose data holds flagd-style JSON (``{"flags": {key: {"variants":
  ..., "defaultVariant": ...}}}``) defines those flag keys; the workloads mounting it are the
  flag *providers* (they serve flags; they are not what a flag acts on).
* **Evaluations in traces**: ``feature_flag.evaluation`` span events (older SDKs: ``feature_flag``)
  whose attributes carry ``feature_flag.key``: the span's service evaluated that flag.  A flag
  provider's own server span carrying ``feature_flag.key`` names its caller (the parent span's
  service) as the evaluator.
* **Evaluations in logs**: a log record whose attributes carry ``feature_flag.key``, or whose
  body names a defined flag key as a whole word, from a service that is not a provider.

When nothing shows who evaluates a flag its targets are empty: the flag's ConfigMap change stays
a candidate (a change without a known target), it is never dropped.

Example:
    >>> from sre_agent.models import Span
    >>> s = Span(0.0, "t", "a1", "", "GetAds", "Server", "svc-ads", 1,
    ...          event_names="['feature_flag.evaluation']",
    ...          event_attributes="[{'feature_flag.key': 'adFailure', 'feature_flag.result.variant': 'on'}]")
    >>> dict(evaluations_from_spans([s])["adFailure"])
    {'svc-ads': 1}
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..models import K8sObject, LogRecord, Span

__all__ = ["FlagDefinition", "flag_definitions", "flag_providers", "evaluations_from_spans",
           "evaluations_from_logs", "EVENT_NAMES"]

#: span / log event names of a flag evaluation (current and older semantic conventions)
EVENT_NAMES = ("feature_flag.evaluation", "feature_flag")
_KEY_ATTR_RE = re.compile(r"'feature_flag\.key':\s*'([^']+)'|\"feature_flag\.key\":\s*\"([^\"]+)\"")
_MAX_EVENT_TEXT = 20_000


@dataclass
class FlagDefinition:
    """One flag key as a flag ConfigMap defines it."""

    key: str
    configmaps: list[str] = field(default_factory=list)   # entity ids defining it
    default_variant: str = ""
    variants: list[str] = field(default_factory=list)


def _flags_in(value: Any) -> dict[str, Any]:
    try:
        doc = json.loads(value) if isinstance(value, str) else None
    except (ValueError, RecursionError):
        return {}
    flags = doc.get("flags") if isinstance(doc, dict) else None
    return flags if isinstance(flags, dict) else {}


def flag_definitions(objects: Iterable[K8sObject]) -> dict[str, FlagDefinition]:
    """Flag key -> its definition, from every ConfigMap whose data holds a flag file."""
    out: dict[str, FlagDefinition] = {}
    for o in objects:
        if o.kind != "ConfigMap":
            continue
        for value in (o.body.get("data") or {}).values():
            for key, spec in _flags_in(value).items():
                d = out.setdefault(str(key), FlagDefinition(str(key)))
                if o.ref.id not in d.configmaps:
                    d.configmaps.append(o.ref.id)
                if isinstance(spec, dict):
                    d.default_variant = str(spec.get("defaultVariant", ""))
                    d.variants = sorted(str(v) for v in (spec.get("variants") or {}))
    return out


def flag_providers(objects: Iterable[K8sObject], configmap_names: set[str]) -> set[str]:
    """Workload names (and their pods' app labels) that mount one of the flag ConfigMaps."""
    out: set[str] = set()
    for o in objects:
        if o.kind not in ("Deployment", "StatefulSet", "DaemonSet", "Pod"):
            continue
        spec = o.body.get("spec") or {}
        pod_spec = ((spec.get("template") or {}).get("spec") or {}) if o.kind != "Pod" else spec
        for vol in pod_spec.get("volumes") or []:
            names = [(vol.get("configMap") or {}).get("name")]
            names += [(src.get("configMap") or {}).get("name")
                      for src in ((vol.get("projected") or {}).get("sources") or [])]
            if configmap_names & {n for n in names if n}:
                out.add(o.name)
                labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or o.labels
                for key in ("app.kubernetes.io/component", "app.kubernetes.io/name", "app"):
                    if labels.get(key):
                        out.add(str(labels[key]))
                        break
    return out


def _literal_list(text: str) -> list[Any]:
    if not text or len(text) > _MAX_EVENT_TEXT:
        return []
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return []
    return value if isinstance(value, list) else []


def evaluations_from_spans(spans: Iterable[Span], providers: set[str] = frozenset()) -> dict[str, Counter]:
    """Flag key -> Counter of evaluating services, from span events and provider spans."""
    out: dict[str, Counter] = defaultdict(Counter)
    service_of: dict[str, str] = {}
    for s in spans:
        service_of[s.span_id] = s.service
        if s.event_names and "feature_flag" in s.event_names:
            for name, attrs in zip(_literal_list(s.event_names), _literal_list(s.event_attributes)):
                if name in EVENT_NAMES and isinstance(attrs, dict) and attrs.get("feature_flag.key"):
                    out[str(attrs["feature_flag.key"])][s.service] += 1
        if "feature_flag.key" in s.attributes_text:
            found = _KEY_ATTR_RE.search(s.attributes_text)
            if not found:
                continue
            key = found.group(1) or found.group(2)
            evaluator = s.service
            if s.kind == "Server" or s.service in providers:  # the provider answering: its caller evaluates
                evaluator = service_of.get(s.parent_span_id, "")
            if evaluator and evaluator not in providers:
                out[key][evaluator] += 1
    return dict(out)


def evaluations_from_logs(logs: Iterable[LogRecord], keys: Iterable[str],
                          providers: set[str] = frozenset()) -> dict[str, Counter]:
    """Flag key -> Counter of services whose logs evaluate (or name) a defined flag key.

    A record carrying ``feature_flag.key`` is an evaluation; a body that merely names the key
    counts only for keys no such record covers (a service logging "flags changed: x, y" on a
    reload names flags it may never evaluate)."""
    keys = sorted(set(keys), key=len, reverse=True)
    out: dict[str, Counter] = defaultdict(Counter)
    named: dict[str, Counter] = defaultdict(Counter)
    if not keys:
        return {}
    words = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(k) for k in keys) + r")(?![A-Za-z0-9_])")
    for r in logs:
        if not r.service or r.service in providers:
            continue
        found = _KEY_ATTR_RE.search(r.attributes_text or "") if "feature_flag" in (r.attributes_text or "") else None
        if found:
            out[found.group(1) or found.group(2)][r.service] += 1
            continue
        for key in set(words.findall(r.body or "")):
            named[key][r.service] += 1
    return {**named, **out}
