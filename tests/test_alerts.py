"""--alert inputs: every supported format, folders of dumps, and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures_itbench import CRASH, E0, ERRORS, NS, dump_name, write_scenario
from sre_agent.alerts import AlertInput, load_alert_input, parse_alert_payload
from sre_agent.alerts.formats import AlertFormatError
from sre_agent.errors import InputError

WEBHOOK = {
    "version": "4", "groupKey": "{}:{alertname=\"RequestErrorRate\"}", "truncatedAlerts": 0, "status": "firing",
    "receiver": "sre-agent", "groupLabels": {"alertname": "RequestErrorRate"},
    "commonLabels": {"alertname": "RequestErrorRate", "namespace": NS}, "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093",
    "alerts": [
        {"status": "firing", "labels": {"alertname": "RequestErrorRate", "namespace": NS, "service_name": "cart"},
         "annotations": {"description": "error rate high"}, "startsAt": "2025-01-01T10:02:30.5Z",
         "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus/graph?g0.expr=x", "fingerprint": "a1b2"},
        {"status": "resolved", "labels": {"alertname": "RequestErrorRate", "namespace": NS, "service_name": "ad"},
         "annotations": {}, "startsAt": "2025-01-01T09:00:00Z", "endsAt": "2025-01-01T09:30:00Z",
         "generatorURL": "", "fingerprint": "c3d4"},
    ],
}
PROM_API = {"status": "success", "data": {"alerts": [
    {"labels": {"alertname": "HighLatency", "severity": "warning", "namespace": NS, "service_name": "checkout"},
     "annotations": {"summary": "p95 high"}, "state": "pending", "activeAt": "2025-01-01T10:01:00.123456789Z",
     "value": "1.2e+00"},
]}}
AM_V2 = [
    {"labels": {"alertname": "KubePodCrashLooping", "pod": "cart-1", "namespace": NS}, "annotations": {"description": "x"},
     "startsAt": "2025-01-01T10:00:00Z", "endsAt": "2025-01-01T11:00:00Z", "updatedAt": "2025-01-01T10:05:00Z",
     "fingerprint": "ff01", "receivers": [{"name": "r"}], "generatorURL": "",
     "status": {"state": "active", "silencedBy": [], "inhibitedBy": [], "mutedBy": []}},
    {"labels": {"alertname": "Watchdog"}, "annotations": {}, "startsAt": "2025-01-01T08:00:00Z",
     "fingerprint": "ff02", "status": {"state": "suppressed", "silencedBy": ["s"], "inhibitedBy": []}},
]


def _write(tmp_path: Path, name: str, content) -> Path:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    elif isinstance(content, str):
        p.write_text(content, encoding="utf-8")
    else:
        p.write_text(json.dumps(content), encoding="utf-8")
    return p


# -- formats ---------------------------------------------------------------------------------
def test_itbench_dump_inside_a_scenario(tmp_path):
    scenario = write_scenario(tmp_path)
    ai = load_alert_input(scenario / "alerts" / dump_name(600))
    assert isinstance(ai, AlertInput)
    assert ai.format == "itbench-snapshot"
    assert [a.name for a in ai.alerts] == ["RequestErrorRate", "KubePodCrashLooping"]
    assert ai.snapshot_time == E0 + 600
    assert ai.scenario_dir == scenario
    assert ai.alerts[1].severity == "critical" and ai.alerts[1].value == "1.5e+00"
    assert ai.alerts[0].annotations["description"] == "RequestErrorRate is firing"


def test_empty_itbench_dump_is_valid(tmp_path):
    scenario = write_scenario(tmp_path)
    ai = load_alert_input(scenario / "alerts" / dump_name(0))
    assert ai.alerts == [] and ai.format == "itbench-snapshot" and ai.snapshot_time == E0


def test_older_capture_at_the_scenario_root(tmp_path):
    scenario = write_scenario(tmp_path)
    f = _write(scenario, "alerts_in_alerting_state_2025-01-01T10-08-00.000000Z.json",
               {"data": {"alerts": [ERRORS]}, "status": "success", "timestamp": "2025-01-01T10:07:59Z"})
    ai = load_alert_input(f)
    assert ai.format == "itbench-capture" and [a.name for a in ai.alerts] == ["RequestErrorRate"]
    assert ai.snapshot_time == E0 + 480 and ai.scenario_dir == scenario


def test_older_capture_time_from_its_timestamp_field_when_the_name_has_none(tmp_path):
    f = _write(tmp_path, "capture.json", {"data": {"alerts": []}, "status": "success", "timestamp": E0 + 5})
    ai = load_alert_input(f)
    assert ai.format == "itbench-capture" and ai.snapshot_time == E0 + 5 and ai.scenario_dir is None


def test_alertmanager_webhook(tmp_path):
    ai = load_alert_input(_write(tmp_path, "hook.json", WEBHOOK))
    assert ai.format == "alertmanager-webhook" and ai.scenario_dir is None and ai.snapshot_time is None
    firing, resolved = ai.alerts
    assert (firing.name, firing.state, firing.fingerprint, firing.subject) == ("RequestErrorRate", "firing", "a1b2", "cart")
    assert firing.active_at == E0 + 150.5 and firing.key == "a1b2"
    assert resolved.state == "resolved"


def test_prometheus_api_response(tmp_path):
    ai = load_alert_input(_write(tmp_path, "prom.json", PROM_API))
    assert ai.format == "prometheus-api"
    [a] = ai.alerts
    assert a.state == "pending" and a.active_at == pytest.approx(E0 + 60.123456789) and a.value == "1.2e+00"
    assert a.annotations == {"summary": "p95 high"} and a.fingerprint == ""
    assert a.key == "HighLatency{alertname=HighLatency,namespace=otel-demo,service_name=checkout,severity=warning}"


def test_alertmanager_v2_api_list(tmp_path):
    ai = load_alert_input(_write(tmp_path, "am.json", AM_V2))
    assert ai.format == "alertmanager-v2"
    active, silenced = ai.alerts
    assert (active.state, active.active_at, active.fingerprint) == ("firing", E0, "ff01")
    assert silenced.state == "suppressed"


def test_parse_alert_payload_on_decoded_json():
    assert parse_alert_payload([]) == ([], "itbench-snapshot")
    assert parse_alert_payload(WEBHOOK)[1] == "alertmanager-webhook"
    assert parse_alert_payload({"version": "4", "status": "resolved", "alerts": []}) == ([], "alertmanager-webhook")
    assert parse_alert_payload(PROM_API)[1] == "prometheus-api"
    assert parse_alert_payload({"status": "success", "data": AM_V2})[1] == "alertmanager-v1"
    assert parse_alert_payload(AM_V2)[1] == "alertmanager-v2"
    alerts, fmt = parse_alert_payload(CRASH)  # a single alert object
    assert [a.name for a in alerts] == ["KubePodCrashLooping"]
    with pytest.raises(AlertFormatError):
        parse_alert_payload({"status": "error", "errorType": "timeout", "error": "query timed out", "data": None})
    with pytest.raises(InputError):
        parse_alert_payload([{"labels": {"alertname": "ok"}}, {"nolabels": 1}])


# -- folders ---------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["alerts", "scenario"])
def test_alerts_folder_dumps_are_merged(tmp_path, which):
    scenario = write_scenario(tmp_path)
    ai = load_alert_input(scenario / "alerts" if which == "alerts" else scenario)
    assert ai.format == "itbench-folder"
    assert ai.snapshot_time == E0 + 660 and ai.scenario_dir == scenario
    assert [a.name for a in ai.alerts] == ["RequestErrorRate", "KubePodCrashLooping"]
    errors = ai.alerts[0]
    assert errors.active_at == E0 + 150  # earliest activeAt seen across dumps
    assert errors.value == "2.5e+00"     # the latest dump's copy
    assert ai.skipped == []


def test_a_corrupt_dump_in_a_folder_is_skipped_and_named(tmp_path):
    scenario = write_scenario(tmp_path)
    _write(scenario / "alerts", dump_name(700), b"\xff\xfe not json")
    ai = load_alert_input(scenario / "alerts")
    assert len(ai.alerts) == 2 and len(ai.skipped) == 1 and dump_name(700) in ai.skipped[0]
    assert ai.snapshot_time == E0 + 660  # the unreadable dump does not count


def test_a_folder_of_only_corrupt_dumps_is_an_input_error(tmp_path):
    folder = tmp_path / "alerts"
    folder.mkdir()
    _write(folder, dump_name(0), "nope")
    with pytest.raises(InputError, match="no readable alert dump"):
        load_alert_input(folder)


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("name, content, fragment", [
    ("not-json.json", "this is not json", "not JSON"),
    ("empty.json", "", "empty file"),
    ("blank.json", "  \n\t ", "empty file"),
    ("latin1.json", "[{\"labels\": {\"alertname\": \"caf\xe9\"}}]".encode("latin-1"), "not UTF-8"),
    ("binary.json", bytes(range(256)), "not UTF-8"),
    ("object.json", {"hello": "world"}, "not an alert payload"),
    ("numbers.json", [1, 2, 3], "is not an alert"),
    ("string.json", "\"firing\"", "a JSON str"),
    ("number.json", "42", "a JSON int"),
    ("noalerts.json", {"status": "success", "data": {"result": []}}, "no 'alerts' list"),
    ("promerror.json", {"status": "error", "errorType": "bad_data", "error": "bad\nquery"}, "status 'error'"),
    ("alerts-not-list.json", {"alerts": {"a": 1}}, "alerts is not a list"),
    ("deep.json", "[" * 100_000 + "]" * 100_000, "JSON"),
    ("bigint.json", "[" + "9" * 5000 + "]", "JSON"),
])
def test_bad_files_are_one_line_input_errors_naming_the_file(tmp_path, name, content, fragment):
    path = _write(tmp_path, name, content)
    with pytest.raises(InputError) as info:
        load_alert_input(path)
    message = str(info.value)
    assert str(path) in message and fragment in message
    assert "\n" not in message


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_alert_input(tmp_path / "nope.json")
    with pytest.raises(InputError, match="holds no alert dumps") as info:
        load_alert_input(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_huge_file_is_refused_unread(tmp_path, monkeypatch):
    big = tmp_path / "huge.json"
    with open(big, "wb") as fh:
        fh.truncate(65 * 1024 * 1024)  # sparse: no real disk use
    import builtins
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda f, *a, **k: (_ for _ in ()).throw(AssertionError("read"))
                        if str(f) == str(big) else real_open(f, *a, **k))
    with pytest.raises(InputError, match="larger than") as info:
        load_alert_input(big)
    assert str(big) in str(info.value)


def test_cli_turns_bad_alert_input_into_exit_code_2(tmp_path, capsys):
    from sre_agent.cli import main

    bad = _write(tmp_path, "bad.json", "{")
    assert main(["triage", "--alert", str(bad), "--output-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert str(bad) in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_an_alert_without_a_component_label_concerns_its_namespace() -> None:
    from sre_agent.models import Alert

    assert Alert("CPUSpend", {"namespace": "shop", "severity": "warning"}).namespace_wide
    assert not Alert("RequestErrorRate", {"namespace": "shop", "service_name": "cart"}).namespace_wide
    assert not Alert("KubePodCrashLooping", {"namespace": "shop", "pod": "cart-7d9f8-x2x9z"}).namespace_wide
