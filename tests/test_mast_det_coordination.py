"""FM-2.1 ... FM-2.6 (sre_agent.mast.detectors._coordination)."""

from __future__ import annotations

import pytest

from mast_traces import build
from sre_agent.mast.detectors import DETECTORS, TraceIndex
from sre_agent.mast.detectors._coordination import detect_2_2, detect_2_3


@pytest.mark.parametrize("fault,mode", [("2.1", "2.1"), ("2.3", "2.3"), ("2.4", "2.4"), ("2.5", "2.5"),
                                        ("2.5b", "2.5"), ("2.6", "2.6")])
def test_each_coordination_fault_fires_its_detector_and_the_clean_run_does_not(fault: str, mode: str) -> None:
    assert DETECTORS[mode](TraceIndex(build(fault))).label == 1
    assert DETECTORS[mode](TraceIndex(build(None))).label == 0


def test_no_neighbourhood_means_no_derailment_verdict_and_2_2_is_never_judged() -> None:
    events = [dict(e) for e in build("2.3")]
    events[0].pop("neighbourhood")
    assert detect_2_3(TraceIndex(events)).label is None
    assert detect_2_2(TraceIndex(build(None))).label is None
