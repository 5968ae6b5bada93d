"""Flag targets come from data: the flag definitions (a flag ConfigMap) joined with the services
seen evaluating each flag (``feature_flag.evaluation`` span events, provider spans, log records),
never from a memorised flag -> service map."""

from __future__ import annotations

import json
from pathlib import Path

from data_paths import GROUND_TRUTHS
from sre_agent.analysis.analyzer import Analyzer
from sre_agent.analysis.flags import (evaluations_from_logs, evaluations_from_spans, flag_definitions,
                                      flag_providers)
from sre_agent.analysis.profile import AppProfile
from sre_agent.eval.rename import rename_scenario
from sre_agent.models import K8sObject, LogRecord, Span
from sre_agent.simulator import simulate
from sre_agent.snapshot import SnapshotBackend
from sre_agent.tools import ToolContext
from sre_agent.tools.traces import ServiceArg, call_graph

FLAGS = {"flags": {"slowApi": {"variants": {"on": True, "off": False}, "defaultVariant": "on"},
                   "newUi": {"variants": {"a": 1, "b": 2}, "defaultVariant": "a"}}}


def _objects() -> list[K8sObject]:
    cm = K8sObject(0.0, "ConfigMap", "shop", "toggles", {"kind": "ConfigMap", "metadata": {"name": "toggles", "namespace": "shop"},
                                                        "data": {"flags.json": json.dumps(FLAGS)}})
    provider = K8sObject(0.0, "Deployment", "shop", "toggle-server", {
        "kind": "Deployment", "metadata": {"name": "toggle-server", "namespace": "shop"},
        "spec": {"template": {"metadata": {"labels": {"app": "toggle-server"}},
                              "spec": {"volumes": [{"name": "f", "configMap": {"name": "toggles"}}]}}}})
    return [cm, provider]


def test_definitions_and_providers_come_from_objects() -> None:
    defs = flag_definitions(_objects())
    assert sorted(defs) == ["newUi", "slowApi"] and defs["slowApi"].configmaps == ["shop/ConfigMap/toggles"]
    assert defs["newUi"].default_variant == "a" and defs["newUi"].variants == ["a", "b"]
    assert flag_providers(_objects(), {"toggles"}) == {"toggle-server"}


def test_evaluators_from_span_events_provider_spans_and_logs() -> None:
    event = Span(1.0, "t1", "s1", "", "GET /api", "Server", "api", 1, event_names="['feature_flag.evaluation', 'exception']",
                 event_attributes="[{'feature_flag.key': 'slowApi', 'feature_flag.result.variant': 'on'}, {'exception.type': 'E'}]")
    client = Span(2.0, "t2", "c1", "", "Resolve", "Client", "web", 1)
    served = Span(2.1, "t2", "p1", "c1", "Resolve", "Server", "toggle-server", 1,
                  attributes_text="{'feature_flag.key': 'newUi'}")
    spans = evaluations_from_spans([event, client, served], providers={"toggle-server"})
    assert {k: dict(v) for k, v in spans.items()} == {"slowApi": {"api": 1}, "newUi": {"web": 1}}
    logs = [LogRecord(3.0, "worker", "flag evaluation flag_key=slowApi variant=on"),
            LogRecord(3.0, "toggle-server", "reloaded flags: slowApi, newUi"),            # the provider: not a target
            LogRecord(3.0, "batch", "done", attributes_text="{'feature_flag.key': 'newUi'}"),
            LogRecord(3.0, "web", "slowApiary is not a flag"),
            LogRecord(3.0, "web", "flag configuration changed: newUi")]                # named, not evaluated
    found = evaluations_from_logs(logs, ["slowApi", "newUi"], providers={"toggle-server"})
    assert {k: dict(v) for k, v in found.items()} == {"slowApi": {"worker": 1}, "newUi": {"batch": 1}}


def test_a_renamed_application_keeps_its_flag_targets_even_without_traces(tmp_path: Path) -> None:
    """cartFailure acts on the cart service under any name; with the cart emitting no spans
    (hard variant root-without-traces) its evaluation log records still say so."""
    src = simulate(GROUND_TRUTHS / "Scenario-2.yaml", tmp_path / "sim", seed=0, scale=0.12, variant="root-without-traces")
    mapping = rename_scenario(src, tmp_path / "renamed")
    backend = SnapshotBackend(tmp_path / "renamed")
    an = Analyzer(backend, backend.alerts())
    assert not [s for s in backend.spans() if s.service == mapping["cart"]]  # no traces from the root
    assert an.flag_targets("cartFailure") == ([mapping["cart"]], "telemetry")
    assert an.flag_providers == {mapping["flagd"]}
    assert an.flag_targets("noSuchFlag") == ([], "")  # nothing shows a target: none invented
    hinted = Analyzer(backend, backend.alerts(), AppProfile(flags={"noSuchFlag": ["x"]}))
    assert hinted.flag_targets("noSuchFlag") == (["x"], "profile")
    # a profile edge no trace shows is a hint, and the evidence says so
    cart = mapping["cart"]
    plain = {r["callee"]: r["source"] for r in call_graph(ToolContext(backend, an), ServiceArg(service=cart)).data["calls"]}
    edged = Analyzer(backend, backend.alerts(), AppProfile(calls={cart: ["ledger"]}))
    rows = {r["callee"]: r["source"] for r in call_graph(ToolContext(backend, edged), ServiceArg(service=cart)).data["calls"]}
    assert "ledger" not in plain and rows["ledger"] == "profile"
    assert {k: v for k, v in rows.items() if k != "ledger"} == plain
