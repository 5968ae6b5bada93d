"""Reading an ITBench ground truth into typed records, and mapping its groups onto the app.

A ground truth is either top-level keys or Kubernetes style (``spec: {...}``).  Only the
structure is used to drive the simulation; none of its free text is ever written into the
observability files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .app import SERVICE_ALIASES, SERVICES
from .names import matches


class GroundTruthError(ValueError):
    """The file is missing, not YAML, or not an ITBench ground truth."""


@dataclass(frozen=True)
class Group:
    id: str
    kind: str
    namespace: str
    filters: tuple[str, ...] = ()
    name: str | None = None
    root_cause: bool = False


@dataclass(frozen=True)
class Propagation:
    source: str
    target: str
    condition: str = ""
    effect: str = ""


@dataclass(frozen=True)
class GTAlert:
    id: str
    group_id: str


@dataclass(frozen=True)
class Fault:
    category: str
    condition: str
    mechanism: str
    entity_kind: str
    entity_name: str
    group_id: str
    changed_from: str | None = None
    changed_to: str | None = None


@dataclass
class GroundTruth:
    id: str
    groups: list[Group]
    propagations: list[Propagation] = field(default_factory=list)
    alerts: list[GTAlert] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    aliases: list[list[str]] = field(default_factory=list)
    raw_text: str = ""

    def group(self, gid: str) -> Group | None:
        return next((g for g in self.groups if g.id == gid), None)

    @property
    def root_causes(self) -> list[Group]:
        rc = [g for g in self.groups if g.root_cause]
        return rc or self.groups[:1]

    def all_text(self) -> str:
        """Every free-text condition and effect, lower-cased (used to pick mechanisms)."""
        parts = [f.condition for f in self.faults] + [f.mechanism for f in self.faults]
        parts += [p.condition + " " + p.effect for p in self.propagations]
        return " ".join(parts).lower()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


#: Largest ground-truth file read (real ones are a few kilobytes).
MAX_GT_BYTES = 4 * 1024 * 1024


def load(path: str | Path) -> GroundTruth:
    """Read and validate a ground-truth YAML file; raises :class:`GroundTruthError`."""
    p = Path(path)
    if not p.is_file():
        raise GroundTruthError(f"{p}: no such file (expected an ITBench ground-truth YAML file)")
    try:
        if p.stat().st_size > MAX_GT_BYTES:
            raise GroundTruthError(f"{p}: {p.stat().st_size / 2**20:.0f} MiB is larger than the {MAX_GT_BYTES // 2**20} MiB "
                                   "a ground truth may be; expected an ITBench ground-truth YAML file")
        raw = p.read_text(encoding="utf-8")
        data = yaml.safe_load(raw)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise GroundTruthError(f"{p}: not readable YAML ({type(exc).__name__}); expected an ITBench ground truth") from None
    if not isinstance(data, dict):
        raise GroundTruthError(f"{p}: expected a YAML mapping with 'groups' (an ITBench ground truth)")
    try:
        return _build(p, data, raw)
    except GroundTruthError:
        raise
    except (TypeError, AttributeError, KeyError, ValueError) as exc:  # a field of the wrong type
        raise GroundTruthError(f"{p}: malformed ground truth ({type(exc).__name__}: {str(exc)[:120]}); "
                               "expected an ITBench ground truth") from None


def _build(p: Path, data: dict[str, Any], raw: str) -> GroundTruth:
    spec = data.get("spec", data)
    if not isinstance(spec, dict) or not isinstance(spec.get("groups"), list) or not spec["groups"]:
        raise GroundTruthError(f"{p}: expected an ITBench ground truth with a non-empty 'groups' list")
    for key in ("propagations", "fault", "alerts", "aliases"):
        if spec.get(key) is not None and not isinstance(spec[key], list):
            raise GroundTruthError(f"{p}: '{key}' must be a list (an ITBench ground truth)")
    groups = []
    for g in spec["groups"]:
        if not isinstance(g, dict) or "id" not in g or "kind" not in g:
            raise GroundTruthError(f"{p}: every group needs 'id' and 'kind' (an ITBench ground truth)")
        filters = g.get("filter") or []
        if isinstance(filters, str):
            filters = [filters]
        groups.append(Group(id=_text(g["id"]), kind=_text(g["kind"]), namespace=_text(g.get("namespace") or "otel-demo"),
                            filters=tuple(_text(f) for f in filters), name=g.get("name"),
                            root_cause=bool(g.get("root_cause"))))
    props = [Propagation(_text(x.get("source")), _text(x.get("target")), _text(x.get("condition")), _text(x.get("effect")))
             for x in spec.get("propagations") or [] if isinstance(x, dict)]
    alerts = [GTAlert(_text(x.get("id")), _text(x.get("group_id"))) for x in spec.get("alerts") or []
              if isinstance(x, dict) and x.get("id")]
    faults = []
    for x in spec.get("fault") or []:
        if not isinstance(x, dict):
            continue
        ent = x.get("entity") if isinstance(x.get("entity"), dict) else {}
        ch = ent.get("changed") or {}
        faults.append(Fault(_text(x.get("category")), _text(x.get("condition")), _text(x.get("fault_mechanism")),
                            _text(ent.get("kind")), _text(ent.get("name")), _text(ent.get("group_id")),
                            ch.get("from") if isinstance(ch, dict) else None,
                            ch.get("to") if isinstance(ch, dict) else None))
    aliases = [list(map(_text, a)) for a in spec.get("aliases") or [] if isinstance(a, list)]
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    gid = _text(spec.get("id") or meta.get("name") or p.stem.replace("Scenario-", ""))
    return GroundTruth(id=gid, groups=groups, propagations=props, alerts=alerts, faults=faults,
                       aliases=aliases, raw_text=raw)


_ID_TAIL = re.compile(r"-(service|pod|deployment|endpoint|svc|horizontal-pod-autoscalers?|hpa|namespace)?-?\d*$")


def service_of(group_id: str, filters: tuple[str, ...] = (), name: str | None = None) -> str | None:
    """The OTel-demo service a group (or a bare group id) is about, or ``None``.

    The group id's stem (``productcatalog-pod-2`` -> ``productcatalog``) is tried first
    through the alias table, then each filter against the service names.
    """
    stem = _ID_TAIL.sub("", group_id.lower())
    for cand in (stem, stem.replace("-", ""), (name or "").lower()):
        if cand in SERVICES:
            return cand
        if cand in SERVICE_ALIASES:
            return SERVICE_ALIASES[cand]
    for f in filters:
        exact = [s for s in SERVICES if matches(f, s)]
        if exact:
            return min(exact, key=len)
    for f in filters:
        pods = [s for s in SERVICES if matches(f, f"{s}-7d4f9c8b6d-x2v9k")]
        if pods:
            return min(pods, key=len)
    return None


def group_service(gt: GroundTruth, gid: str) -> str | None:
    """:func:`service_of` for a group id of ``gt`` (unknown ids are read from their text)."""
    g = gt.group(gid)
    if g is None:
        return service_of(gid)
    return service_of(g.id, g.filters, g.name)
