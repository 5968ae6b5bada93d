"""The ITBench-AA task score: complete or nothing, then every extra entity costs.

ITBench-AA (IBM and Artificial Analysis, May 2026) scores an SRE task 0 when any true root
cause is missing from the answer, and otherwise by the answer's precision.  We apply it to our
deterministic matcher (:mod:`sre_agent.eval.scoring`) as follows:

* the predictions are the answer's ``contributing_factor: true`` entities outside the ignored
  monitoring namespaces, in list order (exactly those :func:`~sre_agent.eval.scoring.score`
  counts; ranked ``alternatives`` outside ``entities`` are not part of the answer);
* **complete** means every root-cause alias class is credited to some prediction
  (``Score.recall == 1``); an incomplete answer scores **0.0**, and so does an empty one;
* otherwise the score is ``root-cause classes / predictions``: each class is satisfied by one
  prediction, and every further prediction is an extra entity, *including a second entity of the
  same class* (a Pod reported beside its Deployment the ground truth aliases with it).  This is
  stricter than :attr:`Score.precision`, which counts such a duplicate as correct; ITBench-AA's
  "every extra entity costs" does not.
* a ground truth without a root-cause class has no task score (``None``; left out of means).

Example:
    >>> from sre_agent.eval.scoring import GroundTruth, score
    >>> gt = GroundTruth.model_validate({"groups": [
    ...     {"id": "p", "kind": "Pod", "namespace": "d", "filter": ["cart-.*"], "root_cause": True},
    ...     {"id": "dep", "kind": "Deployment", "namespace": "d", "name": "cart"}], "aliases": [["p", "dep"]]})
    >>> one = {"entities": [{"id": "d/Pod/cart-1", "contributing_factor": True}], "propagations": [], "alerts_explained": []}
    >>> aa_score(score(one, gt))
    1.0
    >>> two = {**one, "entities": one["entities"] + [{"id": "d/Deployment/cart", "contributing_factor": True}]}
    >>> aa_score(score(two, gt)), score(two, gt).precision
    (0.5, 1.0)
    >>> aa_score(score({**one, "entities": [{"id": "d/Pod/shop-1", "contributing_factor": True}]}, gt))
    0.0
"""

from __future__ import annotations

from .scoring import Score

__all__ = ["aa_score"]


def aa_score(s: Score) -> float | None:
    """ITBench-AA score of one scored answer (rules in the module docstring); ``None`` when the
    ground truth names no root cause."""
    if not s.n_root_causes:
        return None
    if s.n_predicted == 0 or not all(c.matched for c in s.root_causes):
        return 0.0
    return s.n_root_causes / s.n_predicted
