"""The structural MAST detectors, one module per family, each ``detect_X_Y(TraceIndex) -> Detection``.

* :mod:`._index` -- :class:`TraceIndex` (the observable events, indexed once) and helpers;
* :mod:`._specification` -- 1.1, 1.2;  :mod:`._repetition` -- 1.3, 1.4;
* :mod:`._termination` -- 1.5, 3.1 and ``task_completion``;
* :mod:`._coordination` -- 2.1 ... 2.6;  :mod:`._verification` -- 3.2, 3.3.

:data:`DETECTORS` maps each of the 14 mode ids to its detector, in taxonomy order.
"""

from __future__ import annotations

from collections.abc import Callable

from ..definitions import MODE_IDS
from ._coordination import detect_2_1, detect_2_2, detect_2_3, detect_2_4, detect_2_5, detect_2_6
from ._index import Detection, TraceIndex, canonical_call, entity_name, is_entity_id, is_refused
from ._repetition import detect_1_3, detect_1_4
from ._specification import detect_1_1, detect_1_2
from ._termination import detect_1_5, detect_3_1, limit_reached, task_completion
from ._verification import detect_3_2, detect_3_3

DETECTORS: dict[str, Callable[[TraceIndex], Detection]] = {
    "1.1": detect_1_1, "1.2": detect_1_2, "1.3": detect_1_3, "1.4": detect_1_4, "1.5": detect_1_5,
    "2.1": detect_2_1, "2.2": detect_2_2, "2.3": detect_2_3, "2.4": detect_2_4, "2.5": detect_2_5,
    "2.6": detect_2_6, "3.1": detect_3_1, "3.2": detect_3_2, "3.3": detect_3_3,
}
assert tuple(DETECTORS) == MODE_IDS

__all__ = ["DETECTORS", "Detection", "TraceIndex", "canonical_call", "entity_name", "is_entity_id",
           "is_refused", "limit_reached", "task_completion"]
