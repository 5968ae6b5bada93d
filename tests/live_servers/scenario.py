"""Every live source of one recorded incident, on loopback, behind a :class:`LiveBackend`.

Example::

    with LiveScenario(SnapshotBackend("Scenario-27"), tmp_path) as live:
        live.backend.metric_series("container_memory_rss", {"pod": "cart-..."})
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from sre_agent.backends._retry import RetryPolicy
from sre_agent.backends.alertmanager import AlertmanagerBackend
from sre_agent.backends.jaeger import JaegerBackend
from sre_agent.backends.kubernetes import KubernetesBackend
from sre_agent.backends.live import LiveBackend
from sre_agent.backends.prometheus import PrometheusBackend
from sre_agent.models import MetricSeries

from .alertmanager import AlertmanagerServer, alerts_to_alertmanager
from .jaeger_process import JaegerProcess
from .kube import KubeMockServer, kube_setup_from_backend, namespace_routes, write_kubeconfig
from .prometheus import PrometheusServer
from .stub_http import StubHTTPServer, forward_to


class LiveScenario:
    """A recorded incident served live.

    From a snapshot backend (normally :class:`~sre_agent.snapshot.SnapshotBackend`): all metric
    series backfilled into a real Prometheus, the current objects, events and pod logs in kmock,
    the spans behind a Jaeger query-API stand-in (a process of its own, as Jaeger is), the firing
    alerts posted to a real Alertmanager.

    Clocks: :attr:`backend` has ``now()`` = the end of the recording and the recording's window;
    each source's default look-back is widened to cover every recorded sample (a snapshot's
    "whole recording" for metrics can reach a fraction of a second past its window), as a
    live deployment's one-hour look-back would.
    """

    def __init__(self, source: Any, workdir: Path, *, with_alertmanager: bool = True, with_logs: bool = True) -> None:
        self.source = source
        self.workdir = Path(workdir)
        self.with_alertmanager = with_alertmanager
        self.with_logs = with_logs
        self.backend: Any = None
        self.prometheus: PrometheusServer | None = None
        self.kube: KubeMockServer | None = None
        self.kube_front: StubHTTPServer | None = None
        self.jaeger: JaegerProcess | None = None
        self.webhook: StubHTTPServer | None = None
        self.alertmanager: AlertmanagerServer | None = None
        self.series: list[MetricSeries] = []
        self._stack: contextlib.ExitStack | None = None

    def __enter__(self) -> "LiveScenario":
        src = self.source
        start, end = src.window()
        self.series = [s for n in src.metric_names() for s in src.metric_series(n)]
        spans = list(src.spans())
        times = [t for s in self.series for t, _ in s.points] + [s.start for s in spans]
        data_start = min([start] + times)
        data_end = max([end] + times)
        lookback = data_end - data_start + 1.0
        stack = self._stack = contextlib.ExitStack()
        try:
            self.prometheus = stack.enter_context(PrometheusServer(self.series, self.workdir / "prometheus"))
            self.kube = stack.enter_context(KubeMockServer(kube_setup_from_backend(src, self.with_logs)))
            # kmock cannot parse the cluster-scoped /api/v1/namespaces paths: a front server answers
            # them from the recording and relays every other request to kmock
            self.kube_front = stack.enter_context(StubHTTPServer(routes=namespace_routes(src),
                                                                 fallback=forward_to(self.kube.url)))
            self.jaeger = stack.enter_context(JaegerProcess(spans, self.workdir / "jaeger"))
            self._kubeconfig = write_kubeconfig(self.workdir / "kubeconfig", self.kube_front.url)
            if self.with_alertmanager:
                self.webhook = stack.enter_context(StubHTTPServer(routes={"/hook": (200, {})}))
                self.alertmanager = stack.enter_context(
                    AlertmanagerServer(f"{self.webhook.url}/hook", self.workdir / "alertmanager"))
                self.alertmanager.post_alerts(alerts_to_alertmanager(src.alerts()))
            self._clocks = (data_end, lookback, start, end)
            self.backend = self.fresh_backend()
            stack.callback(self.backend.close)
        except BaseException:
            stack.close()
            raise
        return self

    def fresh_backend(self) -> LiveBackend:
        """A new :class:`LiveBackend` over the running servers (the caller closes it)."""
        data_end, lookback, start, end = self._clocks
        clock = lambda: data_end  # noqa: E731
        policy = RetryPolicy(attempts=1, timeout=30.0, deadline=60.0)
        kube = KubernetesBackend.from_kubeconfig(str(self._kubeconfig), policy=policy, log_tail_lines=10 ** 6,
                                                 max_log_pods=10 ** 4, lookback_s=lookback, clock=clock)
        assert self.prometheus is not None and self.jaeger is not None
        prom = PrometheusBackend(self.prometheus.url, policy=policy, lookback_s=lookback, clock=clock)
        jaeger = JaegerBackend(self.jaeger.url, policy=policy, max_traces=10 ** 7, lookback_s=lookback, clock=clock)
        am = AlertmanagerBackend(self.alertmanager.url, policy=policy) if self.alertmanager else None
        return LiveBackend(kubernetes=kube, prometheus=prom, jaeger=jaeger, alertmanager=am,
                           lookback_s=end - start, clock=lambda: end)

    def __exit__(self, *exc: Any) -> None:
        if self._stack is not None:
            self._stack.close()
