"""Deterministic scorer for ITBench-Lite SRE answers (``agent_output.json``) against a ground truth.

ITBench's official evaluator asks an LLM judge whether a predicted entity "is" a ground-truth
group.  Offline we apply the README's rules deterministically.  Every decision is listed here
so a score can be re-derived by hand.

Entity matching (:func:`entity_matches_group`)
    * **kind** agrees, compared case-insensitively (ground truths write ``HttpChaos`` /
      ``JVMChaos``, Chaos Mesh says ``HTTPChaos``), after expanding kubectl short names
      (``svc``, ``deploy``, ``hpa`` ... see :data:`KIND_SYNONYMS`);
    * **name** equals the group's exact ``name``, or *fully* matches one of its ``filter``
      regexes (``re.fullmatch``; ``\\b`` works as Python reads it, so ``frontend\\b`` matches
      ``frontend`` but not ``frontend-proxy``).  A filter ending in ``-.*`` also matches the bare
      prefix (``product-catalog-.*`` matches the Deployment ``product-catalog``);
    * **namespace** agrees when both the group and the prediction name one; cluster-scoped kinds
      (Namespace, Node, ...: :data:`CLUSTER_SCOPED_KINDS`) skip the check;
    * a prediction that leaves out its kind or namespace (``Kind/name``, ``namespace/name`` or a
      bare ``name``) is not constrained on the missing part.

Invalid filters (:func:`compile_filter`)
    A filter that is not a valid regex is repaired, never fatal: a ``*`` with nothing to repeat
    (at the start, or after ``(`` or ``|``) is read as the glob ``.*``; so Scenario-38's ``*.*``
    becomes ``.*.*`` (any name).  If the repair still does not compile the filter is matched as
    a literal string.  Repairs are listed in :attr:`GroundTruth.repairs`.

Aliases
    ``aliases`` lists are merged transitively (union-find) into *classes* of equivalent groups
    (Scenario-20: service~pod and pod~deployment make one class).  A root-cause class is a class
    holding at least one ``root_cause: true`` group; a prediction matching *any* group of that
    class counts for it (Scenario-1: naming the frontend-proxy Service counts for the
    load-generator root cause because the ground truth aliases them).

Root-cause precision / recall / F1 and entity@k
    * only entities with ``contributing_factor: true`` are predictions; they count in list order
      (rank 1, 2, ...), ignoring entities in :data:`IGNORED_NAMESPACES` (monitoring and
      infrastructure), which are dropped before ranking;
    * **recall** = matched root-cause classes / root-cause classes, where each prediction is
      credited to at most one class (a maximum matching built in list order: the first
      prediction able to satisfy a class gets it).  This stops one wildcard prediction from
      satisfying all three ``*.*`` HPA groups of Scenario-38; on every other ground truth it is
      the plain "some prediction matches" rule;
    * **rank** of a class = list position of the prediction credited to it; ``recall_at(k)`` is
      the share of classes whose rank is <= k (entity@k);
    * **precision** = predictions that match some root-cause class / predictions (a second
      prediction of the same class, e.g. the Pod after the Deployment, is still correct);
      precision is 0.0 when nothing is predicted (recall is 0.0 for a ground truth without root cause);
    * **F1** = harmonic mean (0.0 when both are 0).

Propagation chain
    Ground-truth edges are ``source group -> target group`` collapsed onto alias classes,
    deduplicated, with edges inside one class dropped.  A predicted propagation
    (``source``/``target`` entity ids) *covers* a ground-truth edge when its source matches a
    group of the edge's source class and its target a group of the target class (direction
    counts, no transitivity).  ``propagation_recall`` = covered ground-truth edges / ground-truth
    edges; ``propagation_precision`` = predicted edges (both ends outside ignored namespaces)
    covering at least one ground-truth edge / such predicted edges.  Both are ``None`` when the
    ground truth has no edge between distinct classes (Scenario-1, -37, -38): not applicable,
    left out of means.

Example:
    >>> gt = GroundTruth.model_validate({"groups": [
    ...     {"id": "cm", "kind": "ConfigMap", "namespace": "otel-demo", "name": "flagd-config", "root_cause": True}]})
    >>> out = {"entities": [{"id": "otel-demo/ConfigMap/flagd-config", "contributing_factor": True}],
    ...        "propagations": [], "alerts_explained": []}
    >>> s = score(out, gt)
    >>> s.recall, s.precision, s.f1
    (1.0, 1.0, 1.0)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from sre_agent.errors import InputError

__all__ = [
    "IGNORED_NAMESPACES", "CLUSTER_SCOPED_KINDS", "KIND_SYNONYMS",
    "AgentOutputError", "GroundTruthError",
    "GTGroup", "GTPropagation", "GTAlert", "GroundTruth", "PredictedEntity",
    "ClassMatch", "EdgeMatch", "Score",
    "compile_filter", "filter_matches", "normalise_kind", "parse_entity", "entity_matches_group",
    "validate_agent_output", "load_ground_truth", "load_agent_output", "score",
]

#: Namespaces of the monitoring / infrastructure stack: the evaluator ignores entities there.
#: ``chaos-mesh`` is deliberately absent: Chaos Mesh experiments are root causes.
IGNORED_NAMESPACES: frozenset[str] = frozenset({
    "kube-system", "kube-public", "kube-node-lease", "local-path-storage",
    "prometheus", "monitoring", "grafana", "alertmanager",
    "clickhouse", "clickhouse-operator", "opensearch", "jaeger", "loki",
    "opentelemetry-collectors", "opentelemetry-operator", "opentelemetry-operator-system",
    "metrics-server", "cert-manager",
})

#: Kinds without a namespace: the namespace check is skipped for them.
CLUSTER_SCOPED_KINDS: frozenset[str] = frozenset({
    "namespace", "node", "persistentvolume", "clusterrole", "clusterrolebinding",
    "storageclass", "customresourcedefinition", "priorityclass",
})

#: kubectl short names and plurals -> the kind they stand for (all lower case).
KIND_SYNONYMS: Mapping[str, str] = {
    "svc": "service", "services": "service", "po": "pod", "pods": "pod",
    "deploy": "deployment", "deployments": "deployment", "cm": "configmap", "configmaps": "configmap",
    "ns": "namespace", "namespaces": "namespace", "hpa": "horizontalpodautoscaler",
    "horizontalpodautoscalers": "horizontalpodautoscaler", "netpol": "networkpolicy",
    "networkpolicies": "networkpolicy", "rs": "replicaset", "replicasets": "replicaset",
    "sts": "statefulset", "statefulsets": "statefulset", "ds": "daemonset", "daemonsets": "daemonset",
    "no": "node", "nodes": "node",
}


class AgentOutputError(InputError):
    """An ``agent_output.json`` does not have the ITBench-Lite answer shape (one line)."""


class GroundTruthError(InputError):
    """A ground-truth file is missing, not YAML/JSON, or not an ITBench ground truth (one line)."""


# -- ground truth -----------------------------------------------------------------------------

def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return [value]
    return list(value)


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class GTGroup(_Loose):
    """One entity group of a ground truth."""

    id: str
    kind: str
    namespace: str | None = None
    name: str | None = None
    filter: list[str] = Field(default_factory=list)
    root_cause: bool = False

    @field_validator("filter", mode="before")
    @classmethod
    def _filters(cls, v: Any) -> list[str]:
        return [str(x) for x in _as_list(v)]

    @field_validator("id", "name", "namespace", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return None if v is None else str(v)


class GTPropagation(_Loose):
    source: str
    target: str
    condition: str = ""
    effect: str = ""


class GTAlert(_Loose):
    id: str
    group_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class GroundTruth(_Loose):
    """An ITBench SRE ground truth (the ``spec`` of a Kubernetes-style file, or its top level)."""

    id: str | None = None
    groups: list[GTGroup]
    aliases: list[list[str]] = Field(default_factory=list)
    propagations: list[GTPropagation] = Field(default_factory=list)
    alerts: list[GTAlert] = Field(default_factory=list)
    fault: list[dict[str, Any]] = Field(default_factory=list)
    recommended_actions: list[dict[str, Any]] = Field(default_factory=list)

    _classes: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, v: Any) -> Any:
        return None if v is None else str(v)

    @field_validator("aliases", "propagations", "alerts", "fault", "recommended_actions", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v

    @field_validator("aliases", mode="before")
    @classmethod
    def _alias_lists(cls, v: Any) -> Any:
        return [[str(x) for x in _as_list(a)] for a in _as_list(v)]

    def model_post_init(self, __context: Any) -> None:
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for g in self.groups:
            parent.setdefault(g.id, g.id)
        known = set(parent)
        for alias in self.aliases:
            ids = [a for a in alias if a in known]
            for other in ids[1:]:
                ra, rb = find(ids[0]), find(other)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        # The representative of a class is its first group in file order (stable, readable).
        first: dict[str, str] = {}
        for g in self.groups:
            first.setdefault(find(g.id), g.id)
        self._classes = {gid: first[find(gid)] for gid in parent}

    def class_of(self, group_id: str) -> str:
        """The representative group id of the alias class holding ``group_id``."""
        return self._classes.get(group_id, group_id)

    def classes(self) -> dict[str, list[GTGroup]]:
        """Alias classes: representative id -> its groups (file order)."""
        out: dict[str, list[GTGroup]] = {}
        for g in self.groups:
            out.setdefault(self.class_of(g.id), []).append(g)
        return out

    def root_cause_classes(self) -> dict[str, list[GTGroup]]:
        """The classes holding at least one ``root_cause`` group (file order)."""
        return {rep: gs for rep, gs in self.classes().items() if any(g.root_cause for g in gs)}

    def edges(self) -> list[tuple[str, str]]:
        """Propagation edges between distinct alias classes, deduplicated, in file order."""
        seen: dict[tuple[str, str], None] = {}
        known = {g.id for g in self.groups}
        for p in self.propagations:
            if p.source not in known or p.target not in known:
                continue  # an edge to a group the ground truth never defines cannot be matched (see repairs)
            s, t = self.class_of(p.source), self.class_of(p.target)
            if s != t:
                seen.setdefault((s, t), None)
        return list(seen)

    @property
    def repairs(self) -> list[str]:
        """Human-readable notes on filters that were not valid regexes and how they are read."""
        notes = []
        known = {g.id for g in self.groups}
        for p in self.propagations:
            for end in (p.source, p.target):
                if end not in known:
                    notes.append(f"propagation {p.source} -> {p.target}: group {end!r} is not defined; edge left out")
        for g in self.groups:
            for f in g.filter:
                rx, note = compile_filter(f)
                if note:
                    notes.append(f"group {g.id}: {note}")
        return notes


def load_ground_truth(path: Path | str) -> GroundTruth:
    """Read a ground truth (YAML or JSON; top-level keys or ``spec: {...}``).

    Raises :class:`GroundTruthError` (one line) when the file is missing or malformed.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise GroundTruthError(f"ground truth {p}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        raise GroundTruthError(f"ground truth {p}: not YAML ({first})") from None
    if not isinstance(data, dict):
        raise GroundTruthError(f"ground truth {p}: expected a mapping with 'groups'")
    spec = data.get("spec", data)
    if not isinstance(spec, dict) or "groups" not in spec:
        raise GroundTruthError(f"ground truth {p}: no 'groups' (not an ITBench ground truth)")
    try:
        return GroundTruth.model_validate(spec)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise GroundTruthError(f"ground truth {p}: {where}: {err['msg']}") from None


# -- matching ---------------------------------------------------------------------------------

_BARE_STAR = re.compile(r"(^|(?<=[(|]))\*")


@functools.lru_cache(maxsize=1024)
def compile_filter(pattern: str) -> tuple[re.Pattern[str], str]:
    """Compile a ground-truth filter; returns ``(regex, repair note or "")``. Never raises.

    >>> compile_filter("checkout-.*")[1]
    ''
    >>> rx, note = compile_filter("*.*")
    >>> bool(rx.fullmatch("frontend")), note
    (True, "invalid regex '*.*' read as '.*.*'")
    """
    try:
        return re.compile(pattern), ""
    except re.error:
        pass
    repaired = _BARE_STAR.sub(".*", pattern)
    try:
        return re.compile(repaired), f"invalid regex {pattern!r} read as {repaired!r}"
    except re.error:
        return re.compile(re.escape(pattern)), f"invalid regex {pattern!r} matched literally"


def filter_matches(pattern: str, name: str) -> bool:
    """True when ``name`` satisfies the filter (full match; ``x-.*`` also matches ``x``).

    >>> filter_matches("product-catalog-.*", "product-catalog")
    True
    >>> filter_matches("frontend\\\\b", "frontend"), filter_matches("frontend\\\\b", "frontend-proxy")
    (True, False)
    """
    rx, _ = compile_filter(pattern)
    if rx.fullmatch(name):
        return True
    return pattern.endswith("-.*") and len(pattern) > 3 and name == pattern[:-3]


def normalise_kind(kind: str | None) -> str | None:
    """Lower-case kind with kubectl short names expanded (``svc`` -> ``service``); None stays None.

    >>> normalise_kind("HTTPChaos") == normalise_kind("HttpChaos"), normalise_kind("hpa")
    (True, 'horizontalpodautoscaler')
    """
    if not kind:
        return None
    k = kind.strip().lower()
    return KIND_SYNONYMS.get(k, k)


class PredictedEntity(BaseModel):
    """A predicted entity as parsed from its id; a missing part is ``None`` (unconstrained)."""

    model_config = ConfigDict(frozen=True)

    namespace: str | None
    kind: str | None
    name: str
    raw: str

    @property
    def ignored(self) -> bool:
        """In a monitoring / infrastructure namespace (or is such a Namespace)."""
        if self.namespace in IGNORED_NAMESPACES:
            return True
        return normalise_kind(self.kind) == "namespace" and self.name in IGNORED_NAMESPACES


def parse_entity(ref: str | Mapping[str, Any]) -> PredictedEntity:
    """Parse ``namespace/Kind/name``, ``Kind/name``, ``namespace/name`` or a bare ``name``.

    A two-part id is ``Kind/name`` when its first part starts with an upper-case letter, else
    ``namespace/name``.  Extra slashes belong to the name.  A mapping is read from its ``id``
    (or ``name`` with optional ``kind`` and ``namespace`` fields).

    >>> parse_entity("otel-demo/Pod/checkout-8546fdc74d-d68cn").kind
    'Pod'
    >>> parse_entity("Deployment/checkout").namespace is None, parse_entity("cart").name
    (True, 'cart')
    """
    if isinstance(ref, Mapping):
        if isinstance(ref.get("id"), str) and ref["id"].strip():
            return parse_entity(ref["id"])
        name = str(ref.get("name") or "").strip()
        return PredictedEntity(namespace=ref.get("namespace") or None, kind=ref.get("kind") or None,
                               name=name, raw=name)
    text = str(ref).strip()
    parts = [p.strip() for p in text.split("/")]
    if len(parts) >= 3:
        ns, kind, name = parts[0] or None, parts[1] or None, "/".join(parts[2:])
    elif len(parts) == 2:
        if parts[0][:1].isupper():
            ns, kind, name = None, parts[0], parts[1]
        else:
            ns, kind, name = parts[0] or None, None, parts[1]
    else:
        ns, kind, name = None, None, text
    return PredictedEntity(namespace=ns, kind=kind, name=name, raw=text)


def entity_matches_group(entity: PredictedEntity, group: GTGroup) -> bool:
    """Kind, namespace and name rules of the module docstring."""
    if not entity.name:
        return False
    ekind, gkind = normalise_kind(entity.kind), normalise_kind(group.kind)
    if ekind is not None and ekind != gkind:
        return False
    if (gkind not in CLUSTER_SCOPED_KINDS and group.namespace and entity.namespace
            and entity.namespace != group.namespace):
        return False
    if group.name is not None and entity.name == group.name:
        return True
    return any(filter_matches(f, entity.name) for f in group.filter)


def _matches_class(entity: PredictedEntity, groups: Sequence[GTGroup]) -> bool:
    return any(entity_matches_group(entity, g) for g in groups)


# -- the answer -------------------------------------------------------------------------------

def validate_agent_output(data: Any, source: str = "agent_output") -> dict[str, Any]:
    """Check the ITBench-Lite answer shape; returns ``data`` or raises :class:`AgentOutputError`.

    Required: a JSON object with list-valued ``entities``, ``propagations`` and
    ``alerts_explained``; each entity an object with a non-empty string ``id`` (or ``name``) and
    a boolean ``contributing_factor``; each propagation an object with string ``source`` and
    ``target``; each ``alerts_explained`` item an object.

    >>> try:
    ...     validate_agent_output({"entities": []})
    ... except AgentOutputError as exc:
    ...     print(exc)
    agent_output: missing 'propagations' (expected a list, [] when empty)
    """
    if not isinstance(data, dict):
        raise AgentOutputError(f"{source}: expected a JSON object, got {type(data).__name__}")
    for key in ("entities", "propagations", "alerts_explained"):
        if key not in data:
            raise AgentOutputError(f"{source}: missing {key!r} (expected a list, [] when empty)")
        if not isinstance(data[key], list):
            raise AgentOutputError(f"{source}: {key!r} must be a list, got {type(data[key]).__name__}")
    for i, e in enumerate(data["entities"]):
        if not isinstance(e, dict):
            raise AgentOutputError(f"{source}: entities[{i}] must be an object")
        ident = e.get("id", e.get("name"))
        if not isinstance(ident, str) or not ident.strip():
            raise AgentOutputError(f"{source}: entities[{i}] needs a non-empty string 'id' (namespace/Kind/name)")
        if not isinstance(e.get("contributing_factor"), bool):
            raise AgentOutputError(f"{source}: entities[{i}] ({ident}) needs a boolean 'contributing_factor'")
    for i, p in enumerate(data["propagations"]):
        if not isinstance(p, dict):
            raise AgentOutputError(f"{source}: propagations[{i}] must be an object")
        for end in ("source", "target"):
            if not isinstance(p.get(end), str) or not p[end].strip():
                raise AgentOutputError(f"{source}: propagations[{i}] needs a non-empty string {end!r}")
    for i, a in enumerate(data["alerts_explained"]):
        if not isinstance(a, dict):
            raise AgentOutputError(f"{source}: alerts_explained[{i}] must be an object")
    return data


def load_agent_output(path: Path | str) -> dict[str, Any]:
    """Read and validate an ``agent_output.json``."""
    import json

    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AgentOutputError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise AgentOutputError(f"{p}: not JSON ({exc})") from None
    return validate_agent_output(data, str(p))


# -- the score --------------------------------------------------------------------------------

class ClassMatch(BaseModel):
    """One root-cause class and the prediction credited to it (if any)."""

    group_ids: list[str]
    kind: str
    matched: bool
    matched_by: str | None = None
    rank: int | None = None
    """1-based position among counted predictions of the entity credited to this class."""


class EdgeMatch(BaseModel):
    """One ground-truth propagation edge (alias classes) and the predicted edges covering it."""

    source: str
    target: str
    matched: bool
    matched_by: list[str] = Field(default_factory=list)


class Score(BaseModel):
    """The score of one answer against one ground truth."""

    scenario: str | None = None
    precision: float
    recall: float
    f1: float
    n_predicted: int
    n_root_causes: int
    root_causes: list[ClassMatch]
    predictions: list[str]
    correct_predictions: list[bool]
    ignored: list[str] = Field(default_factory=list)
    propagation_recall: float | None = None
    propagation_precision: float | None = None
    propagation_edges: list[EdgeMatch] = Field(default_factory=list)
    n_predicted_edges: int = 0
    repairs: list[str] = Field(default_factory=list)

    def recall_at(self, k: int) -> float:
        """entity@k: share of root-cause classes credited to one of the first ``k`` predictions."""
        if not self.root_causes:
            return 0.0
        return sum(1 for c in self.root_causes if c.rank is not None and c.rank <= k) / len(self.root_causes)

    @property
    def hit_at_1(self) -> bool:
        """The first counted prediction is a root cause."""
        return bool(self.correct_predictions) and self.correct_predictions[0]


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _max_matching(candidates: list[list[int]], n_right: int) -> list[int | None]:
    """Kuhn's augmenting paths, left vertices in list order: ``owner[right] -> left`` or None.

    Processing predictions in order makes the set of credited predictions the earliest possible;
    a free class is taken before any earlier credit is re-routed.
    """
    owner: list[int | None] = [None] * n_right

    def augment(left: int, seen: set[int]) -> bool:
        for right in candidates[left]:          # a free class first: keeps ranks in list order
            if owner[right] is None:
                owner[right] = left
                return True
        for right in candidates[left]:
            if right in seen:
                continue
            seen.add(right)
            if owner[right] is None or augment(owner[right], seen):  # type: ignore[arg-type]
                owner[right] = left
                return True
        return False

    for left in range(len(candidates)):
        augment(left, set())
    return owner


def score(agent_output: dict[str, Any], gt: GroundTruth, *, scenario: str | None = None) -> Score:
    """Score an answer against a ground truth (rules in the module docstring).

    Raises :class:`AgentOutputError` when ``agent_output`` has the wrong shape.
    """
    validate_agent_output(agent_output)
    rc_classes = list(gt.root_cause_classes().items())
    all_classes = gt.classes()

    predictions: list[PredictedEntity] = []
    ignored: list[str] = []
    for e in agent_output["entities"]:
        if not e["contributing_factor"]:
            continue
        ent = parse_entity(e)
        if ent.ignored:
            ignored.append(ent.raw)
        else:
            predictions.append(ent)
    candidates = [[j for j, (_, groups) in enumerate(rc_classes) if _matches_class(p, groups)] for p in predictions]
    owner = _max_matching(candidates, len(rc_classes))
    correct = [bool(c) for c in candidates]

    root_causes = []
    for j, (rep, groups) in enumerate(rc_classes):
        left = owner[j]
        rc_group = next(g for g in groups if g.root_cause)
        root_causes.append(ClassMatch(
            group_ids=[g.id for g in groups], kind=rc_group.kind, matched=left is not None,
            matched_by=predictions[left].raw if left is not None else None,
            rank=left + 1 if left is not None else None))
    n_rc = len(rc_classes)
    recall = sum(c.matched for c in root_causes) / n_rc if n_rc else 0.0
    precision = sum(correct) / len(predictions) if predictions else 0.0

    # propagation chain
    gt_edges = gt.edges()
    pred_edges: list[tuple[str, PredictedEntity, PredictedEntity]] = []
    for p in agent_output["propagations"]:
        s, t = parse_entity(p["source"]), parse_entity(p["target"])
        if s.ignored or t.ignored:
            continue
        pred_edges.append((f"{s.raw} -> {t.raw}", s, t))
    edge_matches: list[EdgeMatch] = []
    covering: set[int] = set()
    for src, tgt in gt_edges:
        by = []
        for i, (label, s, t) in enumerate(pred_edges):
            if _matches_class(s, all_classes[src]) and _matches_class(t, all_classes[tgt]):
                by.append(label)
                covering.add(i)
        edge_matches.append(EdgeMatch(source=src, target=tgt, matched=bool(by), matched_by=by))
    if gt_edges:
        prop_recall: float | None = sum(m.matched for m in edge_matches) / len(gt_edges)
        prop_precision: float | None = len(covering) / len(pred_edges) if pred_edges else 0.0
    else:
        prop_recall = prop_precision = None

    return Score(
        scenario=scenario if scenario is not None else gt.id,
        precision=precision, recall=recall, f1=_f1(precision, recall),
        n_predicted=len(predictions), n_root_causes=n_rc, root_causes=root_causes,
        predictions=[p.raw for p in predictions], correct_predictions=correct, ignored=ignored,
        propagation_recall=prop_recall, propagation_precision=prop_precision,
        propagation_edges=edge_matches, n_predicted_edges=len(pred_edges), repairs=gt.repairs,
    )
