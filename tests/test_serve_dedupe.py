"""Dedupe over real HTTP on 127.0.0.1: Alertmanager re-sends a group; only a new picture is triaged."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from serve_helpers import Recorder, running, session, webhook
from sre_agent.serve import WebhookService


def _service(tmp_path: Path, recorder: Recorder, **kwargs) -> WebhookService:
    return WebhookService(tmp_path / "out", recorder, lambda: None, **kwargs)


def test_three_identical_posts_are_one_triage(tmp_path: Path) -> None:
    recorder = Recorder()
    service = _service(tmp_path, recorder)
    with running(service) as url, session() as s:
        answers = [s.post(url + "/", json=webhook(["cart", "frontend"]), timeout=5) for _ in range(3)]
        assert service.wait_idle(10)
        stats = service.stats()
    assert [a.status_code for a in answers] == [202, 200, 200]
    first = answers[0].json()["id"]
    assert all(a.json()["duplicate_of"] == first and a.json()["queued"] is False for a in answers[1:])
    assert recorder.services() == [["cart", "frontend"]]
    assert stats["done"] == 1 and stats["deduplicated"] == 2
    assert [p.name for p in (tmp_path / "out").iterdir() if p.is_dir()] == [first]  # no folder for a repeat


def test_identical_posts_at_once_are_still_one_triage(tmp_path: Path) -> None:
    recorder = Recorder()
    service = _service(tmp_path, recorder)
    with running(service) as url:
        codes: list[int] = []

        def post() -> None:
            with session() as s:
                codes.append(s.post(url + "/", json=webhook(["cart"]), timeout=10).status_code)
        threads = [threading.Thread(target=post) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert service.wait_idle(10)
    assert sorted(codes) == [200] * 11 + [202]
    assert len(recorder.calls) == 1


def test_a_changed_alert_set_is_a_new_triage(tmp_path: Path) -> None:
    recorder = Recorder()
    service = _service(tmp_path, recorder)
    with running(service) as url, session() as s:
        a = s.post(url + "/", json=webhook(["cart"]), timeout=5)
        b = s.post(url + "/", json=webhook(["cart", "checkout"]), timeout=5)  # a new alert in the group
        c = s.post(url + "/", json=webhook(["cart"], group="other"), timeout=5)  # same alerts, other group
        d = s.post(url + "/", json=webhook(["cart", "checkout"]), timeout=5)  # b again
        assert service.wait_idle(10)
    assert [r.status_code for r in (a, b, c, d)] == [202, 202, 202, 200]
    assert len({a.json()["id"], b.json()["id"], c.json()["id"]}) == 3
    assert d.json()["duplicate_of"] == b.json()["id"]
    assert recorder.services() == [["cart"], ["cart", "checkout"], ["cart"]]


def test_resolved_notifications_are_recorded_against_the_job(tmp_path: Path) -> None:
    recorder = Recorder()
    service = _service(tmp_path, recorder)
    with running(service) as url, session() as s:
        job = s.post(url + "/", json=webhook(["cart", "frontend"]), timeout=5).json()["id"]
        # frontend resolves: the group shrinks, nothing new fires -> no new triage
        shrink = s.post(url + "/", json=webhook(["cart"], resolved=["frontend"]), timeout=5)
        # then everything resolves (sent twice, as Alertmanager may)
        done = [s.post(url + "/", json=webhook([], resolved=["cart", "frontend"]), timeout=5) for _ in range(2)]
        refire = s.post(url + "/", json=webhook(["cart"]), timeout=5)  # resolved, then firing again
        # in another group, a shrink that no resolved alert explains is a new picture too
        other = [s.post(url + "/", json=webhook(f, group="other"), timeout=5) for f in (["cart", "frontend"], ["cart"])]
        assert service.wait_idle(10)
        metrics = s.get(url + "/metrics", timeout=5).text
    assert shrink.status_code == 200 and shrink.json()["duplicate_of"] == job
    assert shrink.json()["resolved_recorded"] == [job]
    assert [r.status_code for r in done] == [200, 200]
    assert done[0].json() == {"queued": False, "reason": "no firing alerts", "resolved_recorded": [job]}
    assert "resolved_recorded" not in done[1].json()  # already recorded
    resolved = json.loads((tmp_path / "out" / job / "resolved.json").read_text())
    assert sorted(r["labels"]["service_name"] for r in resolved) == ["cart", "frontend"]
    assert all(r["endsAt"] == "2025-10-29T00:45:00Z" for r in resolved)
    assert refire.status_code == 202 and [r.status_code for r in other] == [202, 202]
    assert len(recorder.calls) == 4
    assert "sre_agent_resolved_notifications_total 2.0" in metrics


def test_the_window_and_failed_jobs(tmp_path: Path) -> None:
    recorder = Recorder(fail=True)
    service = _service(tmp_path, recorder, dedupe_window=1.0)
    with running(service) as url, session() as s:
        first = s.post(url + "/", json=webhook(["cart"]), timeout=5)
        assert service.wait_idle(10)
        retry = s.post(url + "/", json=webhook(["cart"]), timeout=5)  # the first failed: retried, not a repeat
        assert service.wait_idle(10)
        recorder.fail = False
        time.sleep(1.2)  # past the window: triaged again
        late = s.post(url + "/", json=webhook(["cart"]), timeout=5)
        repeat = s.post(url + "/", json=webhook(["cart"]), timeout=5)
        assert service.wait_idle(10)
    assert [r.status_code for r in (first, retry, late, repeat)] == [202, 202, 202, 200]
    assert repeat.json()["duplicate_of"] == late.json()["id"]
    assert len(recorder.calls) == 3


def test_dedupe_off(tmp_path: Path) -> None:
    recorder = Recorder()
    service = _service(tmp_path, recorder, dedupe_window=0)
    with running(service) as url, session() as s:
        codes = [s.post(url + "/", json=webhook(["cart"]), timeout=5).status_code for _ in range(3)]
        assert service.wait_idle(10)
    assert codes == [202, 202, 202] and len(recorder.calls) == 3
