"""Real servers on 127.0.0.1 for the live-mode tests and the live benchmark (test scaffolding,
never imported by the ``sre_agent`` package).

* :mod:`.prometheus`: a real ``prometheus`` over a TSDB backfilled with given series;
* :mod:`.alertmanager`: a real ``prometheus-alertmanager`` routing to one webhook;
* :mod:`.kube`: kmock's Kubernetes API emulator, loaded from a recording;
* :mod:`.stub_http`: a stdlib server answering canned JSON (failure injection);
* :mod:`.jaeger`: recorded spans served as Jaeger's query API (:mod:`.jaeger_process`: in a process of its own);
* :mod:`.scenario`: all of them for one recorded incident, behind a ``LiveBackend``.

Every server takes a free port, is a context manager, and stops its process or thread on exit.
"""

from ._process import ALERTMANAGER, PROMETHEUS, PROMTOOL, binaries_present, free_port, rfc3339, wait_http
from .alertmanager import AlertmanagerServer, alerts_to_alertmanager
from .jaeger import jaeger_routes, spans_to_jaeger, trace_routes
from .jaeger_process import JaegerProcess
from .kube import (KMOCK_RESOURCES, KubeMockServer, event_to_json, kube_setup_from_backend, namespace_routes,
                   pod_log_text, write_kubeconfig)
from .prometheus import PrometheusServer, write_openmetrics
from .scenario import LiveScenario
from .stub_http import Reply, SeenRequest, StubHTTPServer, forward_to

__all__ = [
    "ALERTMANAGER", "PROMETHEUS", "PROMTOOL", "AlertmanagerServer", "JaegerProcess", "KMOCK_RESOURCES", "KubeMockServer",
    "LiveScenario", "PrometheusServer", "Reply", "SeenRequest", "StubHTTPServer", "alerts_to_alertmanager",
    "binaries_present", "event_to_json", "forward_to", "free_port", "jaeger_routes", "kube_setup_from_backend",
    "namespace_routes", "pod_log_text", "rfc3339", "spans_to_jaeger", "trace_routes", "wait_http", "write_kubeconfig",
    "write_openmetrics",
]
