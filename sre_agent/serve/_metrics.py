"""``/metrics``: serve's Prometheus series (``prometheus_client``, one registry per service).

===================================================  =======================================================
``sre_agent_webhooks_total{result}``                 posts by answer: accepted, duplicate, no_firing,
                                                     invalid, queue_full, error
``sre_agent_triages_total{outcome}``                 finished triages: complete, incomplete (a partial
                                                     diagnosis), failed
``sre_agent_triage_duration_seconds``                histogram of triage wall time
``sre_agent_queue_depth``                            jobs waiting (gauge, read at scrape time)
``sre_agent_dedupes_total``                          notifications acknowledged as repeats
``sre_agent_resolved_notifications_total``           resolved alerts recorded against a job
``sre_agent_model_calls_total`` / ``_tool_calls_total``
                                                     from each finished run's ``stats.json``
``sre_agent_auth_failures_total``                    posts refused with 401
``sre_agent_rate_limited_total``                     posts refused with 429
``sre_agent_jobs_resumed_total``                     jobs found unfinished at start-up
``sre_agent_source_up{source}``                      1 when the source answered its last background check,
                                                     0 when not (live mode; see :mod:`._probes`)
``sre_agent_source_last_check_timestamp_seconds``   Unix time of that check, per ``source``
===================================================  =======================================================

Nothing here carries a label from a request (no sender address, no header): the series are
bounded and hold no secret.

Example:
    >>> m = ServeMetrics()
    >>> m.triages.labels(outcome="complete").inc()
    >>> body, content_type = m.render()
    >>> b'sre_agent_triages_total{outcome="complete"} 1.0' in body, content_type.startswith("text/plain")
    (True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

DURATION_BUCKETS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class ServeMetrics:
    """Every series serve exports, registered in a private :class:`CollectorRegistry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.webhooks = Counter("sre_agent_webhooks", "Webhook posts by answer", ["result"], registry=r)
        self.triages = Counter("sre_agent_triages", "Finished triages by outcome", ["outcome"], registry=r)
        self.duration = Histogram("sre_agent_triage_duration_seconds", "Wall time of one triage",
                                  buckets=DURATION_BUCKETS, registry=r)
        self.queue_depth = Gauge("sre_agent_queue_depth", "Jobs waiting to be triaged", registry=r)
        self.dedupes = Counter("sre_agent_dedupes", "Notifications acknowledged as repeats of a job", registry=r)
        self.resolved = Counter("sre_agent_resolved_notifications", "Resolved alerts recorded against a job", registry=r)
        self.model_calls = Counter("sre_agent_model_calls", "Model calls of finished triages", registry=r)
        self.tool_calls = Counter("sre_agent_tool_calls", "Tool calls of finished triages", registry=r)
        self.auth_failures = Counter("sre_agent_auth_failures", "Posts refused for missing or wrong credentials",
                                     registry=r)
        self.rate_limited = Counter("sre_agent_rate_limited", "Posts refused by the per-sender rate limit", registry=r)
        self.resumed = Counter("sre_agent_jobs_resumed", "Unfinished jobs found in the queue at start-up", registry=r)
        self.source_up = Gauge("sre_agent_source_up", "1 if the source answered its last health check, else 0",
                               ["source"], registry=r)
        self.source_checked = Gauge("sre_agent_source_last_check_timestamp_seconds",
                                    "Unix time of the source's last health check", ["source"], registry=r)
        for outcome in ("complete", "incomplete", "failed"):
            self.triages.labels(outcome=outcome)  # present (at 0) before the first triage

    def track_queue_depth(self, depth: Callable[[], int]) -> None:
        """Read the queue depth from ``depth()`` at each scrape."""
        self.queue_depth.set_function(depth)

    def record_run(self, outcome: str, seconds: float, stats: dict[str, Any]) -> None:
        """Count one finished triage (``stats`` is its ``stats.json``, ``{}`` when there is none)."""
        self.triages.labels(outcome=outcome).inc()
        self.duration.observe(max(0.0, seconds))
        for key, counter in (("model_calls", self.model_calls), ("tool_calls", self.tool_calls)):
            value = stats.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                counter.inc(value)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
