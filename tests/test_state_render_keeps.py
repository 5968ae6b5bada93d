"""What the rendered incident state keeps under its token budget: an item's strongest findings,
every call-direction (off-path) finding, and, of a cut item an open hypothesis cites, the
findings on that hypothesis (a flag flip seen once must not vanish under louder symptoms)."""

from __future__ import annotations

import json

from sre_agent.state import Finding, IncidentState


def _evidence(text: str) -> list[dict]:
    return json.loads(text.split("\n", 2)[-1])["untrusted_data"]["evidence"]


def test_an_item_shows_its_strongest_findings_and_every_off_path_one():
    st = IncidentState()
    routine = [Finding(entity=f"ns/Pod/p{i}", signal="event", weight=0.1) for i in range(15)]
    chaos = Finding(entity="chaos/NetworkChaos/partition", signal="chaos_experiment", weight=0.9)
    off = [Finding(entity=f"ns/Service/s{i}", signal="off_alert_path", weight=0.0) for i in range(14)]
    st.add_evidence("call_1", "get_events", "events", routine + [chaos] + off)
    shown = {(f["entity"], f["signal"]) for f in _evidence(st.render(max_tokens=100_000))[0]["findings"]}
    assert ("chaos/NetworkChaos/partition", "chaos_experiment") in shown
    assert all((f.entity, "off_alert_path") in shown for f in off)


def test_a_cut_item_an_open_hypothesis_cites_keeps_that_hypothesis_findings():
    st = IncidentState()
    flag = Finding(entity="ns/ConfigMap/flags", signal="feature_flag_change", weight=0.7, detail="x: on")
    noise = [Finding(entity=f"ns/Pod/r{i}", signal="pod_restarted", weight=0.6, detail="r" * 80) for i in range(12)]
    st.add_evidence("call_1", "recent_changes", "changes", [flag] + noise)
    for i in range(2, 40):
        st.add_evidence(f"call_{i}", "service_health", "s" * 100,
                        [Finding(entity=f"ns/Service/s{i}", signal="error_rate", weight=1.0, detail="e" * 120)])
    st.upsert_hypothesis("ns/ConfigMap/flags", mechanism="feature_flag_change", score=0.5, evidence=["call_1"])
    text = st.render(max_tokens=1500)
    items = {e["call_id"]: e for e in _evidence(text)}
    assert "call_1" in items, "the cited change stays in view"
    assert items["call_1"]["findings"][0]["entity"] == "ns/ConfigMap/flags"
    assert len(items) < 39, "louder uncited items are cut before the cited one"
    # so tight that even the cited item must be cut: the finding on the hypothesis alone stays
    items = {e["call_id"]: e for e in _evidence(st.render(max_tokens=700))}
    assert [f["entity"] for f in items["call_1"]["findings"]] == ["ns/ConfigMap/flags"]
    st.upsert_hypothesis("ns/ConfigMap/flags", status="rejected")
    assert "call_1" not in {e["call_id"] for e in _evidence(st.render(max_tokens=1500))}
