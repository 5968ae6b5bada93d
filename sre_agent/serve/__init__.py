"""``serve`` as a service: Alertmanager webhooks in, one triage per new alert-group picture out.

* :mod:`._intake` — validate a version-4 webhook, fingerprint its alerts;
* :mod:`._dedupe` — is this notification a repeat of an earlier job?
* :mod:`._store` — the durable queue (SQLite, WAL) and the one-process lock;
* :mod:`._resolved` — resolved alerts recorded against their job;
* :mod:`._folders` — the job folders and the files serve writes in them;
* :mod:`._worker` — the triage thread and the graceful stop;
* :mod:`._service` — :class:`WebhookService`, all of the above behind one object;
* :mod:`._auth`, :mod:`._ratelimit` — who may post, and how often;
* :mod:`._metrics`, :mod:`._readiness`, :mod:`._probes` — ``/metrics``, ``/readyz`` and the sources' background health checks;
* :mod:`._http` — the HTTP front (:func:`make_server`);
* :mod:`._options` — the command line's options, checked.

The command itself is :mod:`sre_agent.commands.serve`.
"""

from ._auth import Authenticator, authenticator_from_options
from ._dedupe import PriorJob, find_duplicate
from ._http import MAX_BODY, WEBHOOK_PATHS, make_server
from ._intake import Notification, WebhookError, alert_fingerprint, parse_webhook, validate_webhook
from ._metrics import ServeMetrics
from ._probes import SourceProber
from ._ratelimit import RateLimiter, parse_rate
from ._service import WebhookService
from ._store import Admission, JobRecord, JobStore, QueueFull, QueueLocked
from ._worker import TriageFn

__all__ = [
    "MAX_BODY", "WEBHOOK_PATHS", "Admission", "Authenticator", "JobRecord", "JobStore", "Notification", "PriorJob",
    "QueueFull", "QueueLocked", "RateLimiter", "ServeMetrics", "SourceProber", "TriageFn", "WebhookError", "WebhookService",
    "alert_fingerprint", "authenticator_from_options", "find_duplicate", "make_server", "parse_rate",
    "parse_webhook", "validate_webhook",
]
