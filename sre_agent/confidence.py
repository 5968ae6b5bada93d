"""Calibrated confidence: the probability that a reported entity is a true root cause.

A root cause's confidence is computed from *evidence features* of the run (:func:`features`:
was it confirmed, how many of its checks passed and cited tool calls, how many independent
tools saw it anomalous, whether its anomaly came before the alerts, how strong the competing
hypotheses are, how many alerts it explains, ...) through a fitted map (:class:`CalibrationMap`):
a logistic model over the features, then an optional isotonic correction, both fitted with
scikit-learn on simulated tuning seeds by ``python -m sre_agent.eval.calibrate`` and committed as
plain numbers in ``configs/calibration.yaml``.  Applying the map needs only numpy
(``numpy.interp``): a triage never imports scikit-learn or scipy.

What the number means: among answers reported with confidence *c* on the tuning seeds, a share
of about *c* named a true root cause (``eval`` prints the expected calibration error).

Example:
    >>> m = CalibrationMap(names=("confirmed", "score"), mean=(0.5, 0.5), scale=(0.5, 0.25),
    ...                    coef=(1.0, 2.0), intercept=-1.0, iso_x=(0.0, 0.5, 1.0), iso_y=(0.1, 0.5, 0.9))
    >>> round(m.apply({"confirmed": 1.0, "score": 0.5}), 3)
    0.5
    >>> m.apply({"confirmed": 0.0, "score": 0.0}) < 0.2
    True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import yaml

from .candidates import NOT_ANOMALOUS
from .llm.reasoning import CHANGE_SIGNALS, service_of

__all__ = ["FEATURES", "CalibrationMap", "features", "load_calibration"]

#: The evidence features, in the order the fitted map expects them (each in [0, 1] or [-1, 1]).
FEATURES: tuple[str, ...] = (
    "confirmed",        # the verification recorded it confirmed
    "claimed",          # among the planner's reported root causes (not only a ranked candidate)
    "score",            # the reasoner's own score (mechanism strength, link to the alerts)
    "margin",           # its score minus the best competing hypothesis' of another component
    "competitors",      # open hypotheses on other components (/5, at most 1)
    "sources",          # distinct tools that saw it (or what it acts on) anomalous (/4, at most 1)
    "checks_passed",    # share of the last verification's checks that passed
    "checks_cited",     # share of passed checks naming the tool calls behind them
    "change",           # its mechanism is a change (chaos, flag, spec edit, scale to zero, ...)
    "symptom_only",     # blamed from symptoms only (deepest anomalous component, owner of, anomalous)
    "before_alerts",    # its earliest own finding precedes the first alert (0.5: no time known)
    "alerts_explained",  # share of the alerts whose explanation names it
)

#: how a mechanism blamed from symptoms alone reads (report.py, candidates.py, llm/reasoning.py)
SYMPTOM_MECHANISMS = ("deepest anomalous component", "owner of", "anomalous", "hypothesis", "runs ")


@dataclass(frozen=True)
class CalibrationMap:
    """A fitted confidence map: ``iso(sigmoid(coef · (x - mean) / scale + intercept))``.

    ``iso_x``/``iso_y`` are isotonic thresholds (empty: no isotonic step).  ``meta`` records what
    it was fitted on (seeds, folders, points, the check seeds' ECE)."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    iso_x: tuple[float, ...] = ()
    iso_y: tuple[float, ...] = ()
    meta: Mapping[str, Any] | None = None

    def raw(self, feats: Mapping[str, float]) -> float:
        """The logistic model's probability before the isotonic step."""
        x = np.array([float(feats.get(n, 0.0)) for n in self.names])
        z = float(np.dot(np.asarray(self.coef), (x - np.asarray(self.mean)) / np.asarray(self.scale)) + self.intercept)
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def apply(self, feats: Mapping[str, float]) -> float:
        """The calibrated probability, in [0, 1]."""
        p = self.raw(feats)
        if self.iso_x:
            p = float(np.interp(p, self.iso_x, self.iso_y))
        return min(1.0, max(0.0, p))

    def to_dict(self) -> dict[str, Any]:
        def r(values: Iterable[float]) -> list[float]:
            return [round(float(v), 6) for v in values]

        return {"features": list(self.names), "mean": r(self.mean), "scale": r(self.scale), "coef": r(self.coef),
                "intercept": round(float(self.intercept), 6), "isotonic": {"x": r(self.iso_x), "y": r(self.iso_y)},
                "meta": dict(self.meta or {})}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CalibrationMap:
        iso = data.get("isotonic") or {}
        return cls(names=tuple(data["features"]), mean=tuple(map(float, data["mean"])),
                   scale=tuple(float(s) or 1.0 for s in data["scale"]), coef=tuple(map(float, data["coef"])),
                   intercept=float(data["intercept"]), iso_x=tuple(map(float, iso.get("x") or ())),
                   iso_y=tuple(map(float, iso.get("y") or ())), meta=data.get("meta") or {})


@lru_cache(maxsize=4)
def load_calibration(path: str | None = None) -> CalibrationMap:
    """The committed map (``configs/calibration.yaml`` in the package), or the one at ``path``."""
    if path:
        with open(path, encoding="utf-8") as fh:
            return CalibrationMap.from_dict(yaml.safe_load(fh))
    from importlib import resources

    text = resources.files("sre_agent.configs").joinpath("calibration.yaml").read_text(encoding="utf-8")
    return CalibrationMap.from_dict(yaml.safe_load(text))


def _signals(mechanism: str) -> set[str]:
    return {s.strip() for s in mechanism.replace(",", "+").split("+") if s.strip()}


def _last_checks(verifications: Sequence[Mapping[str, Any]], entity: str) -> list[Mapping[str, Any]]:
    for v in reversed(verifications):
        if v.get("entity") == entity:
            return [c for c in v.get("checks") or [] if isinstance(c, Mapping)]
    return []


def features(state: Any, entity: str, mechanism: str, score: float, *, claimed: bool,
             verifications: Sequence[Mapping[str, Any]] = (), competing: Iterable[tuple[str, float]] = ()) -> dict[str, float]:
    """The evidence features of one reported entity (names in :data:`FEATURES`).

    ``state`` is the run's :class:`~sre_agent.state.IncidentState`; ``verifications`` the run's
    ``verification`` trace events; ``competing`` the (entity, score) of the open hypotheses.

    >>> from sre_agent.state import AlertSummary, Finding, IncidentState
    >>> st = IncidentState(alerts=[AlertSummary(key="a", name="Err", active_at=100.0)])
    >>> _ = st.add_evidence("call_1", "recent_changes", "s", [Finding(entity="d/ConfigMap/f", signal="feature_flag_change", time=50.0)])
    >>> st.upsert_hypothesis("d/ConfigMap/f", status="confirmed", score=0.9).id
    'H1'
    >>> f = features(st, "d/ConfigMap/f", "feature_flag_change", 0.9, claimed=True, competing=[("d/Service/cart", 0.4)])
    >>> f["confirmed"], f["change"], f["before_alerts"], f["margin"], f["sources"]
    (1.0, 1.0, 1.0, 0.5, 0.25)
    """
    h = state.hypothesis_for(entity)
    component = service_of(entity)
    others = [(e, s) for e, s in competing if e != entity and service_of(e) != component]
    own = [(item, f) for item, f in state.findings() if f.signal not in NOT_ANOMALOUS
           and (f.entity == entity or entity in f.related)]
    times = [f.time for _, f in own if f.entity == entity and f.time is not None]
    alert_times = [a.active_at for a in state.alerts if a.active_at is not None]
    checks = _last_checks(verifications, entity)
    passed = [c for c in checks if c.get("passed")]
    explained = [a for a in state.alerts if a.explained and a.explanation.startswith(entity + " ")]
    sig = _signals(mechanism)
    score = min(1.0, max(0.0, float(score)))
    return {
        "confirmed": float(getattr(h, "status", "") == "confirmed"),
        "claimed": float(bool(claimed)),
        "score": score,
        "margin": max(-1.0, min(1.0, score - max((s for _, s in others), default=0.0))),
        "competitors": min(1.0, len(others) / 5),
        "sources": min(1.0, len({item.tool for item, _ in own}) / 4),
        "checks_passed": len(passed) / len(checks) if checks else 0.0,
        "checks_cited": sum(1 for c in passed if c.get("call_ids")) / len(passed) if passed else 0.0,
        "change": float(bool(sig & CHANGE_SIGNALS)),
        "symptom_only": float(not sig & CHANGE_SIGNALS and mechanism.startswith(SYMPTOM_MECHANISMS)),
        "before_alerts": 0.5 if not times or not alert_times else float(min(times) <= min(alert_times)),
        "alerts_explained": len(explained) / len(state.alerts) if state.alerts else 0.0,
    }
