"""``python -m sre_agent serve``: receive Alertmanager webhooks and triage each new alert group.

    python -m sre_agent serve --port 9095 [--host 127.0.0.1] [--out DIR] [--live-config live.yaml | --snapshot DIR]
        (--auth-token-file FILE | --auth-token-env NAME | --basic-auth-file FILE | --no-auth)
        [--queue-db PATH] [--dedupe-window 3600] [--rate-limit 10/s] [--rate-burst 50]
        [--max-queue 100] [--shutdown-grace 20] [--config run.yaml]
        [--source-check-interval 15] [--source-check-timeout 3]

* ``POST /`` (also ``/webhook``, ``/alerts``): an Alertmanager webhook (``version: "4"``), with a
  bearer token or basic auth (401 without; 429 over the sender's rate).  A new group picture is
  written to the durable queue and answered 202; a repeat (same groupKey, same firing alerts,
  within ``--dedupe-window``) is answered 200 naming the earlier job; resolved alerts are
  recorded against their job.  One worker triages the queue in arrival order.
* ``GET /healthz`` (alive), ``GET /readyz`` (queue, folder, worker: the service itself, in
  milliseconds), ``GET /metrics`` (Prometheus; each live source's health as
  ``sre_agent_source_up{source}``, checked in the background every ``--source-check-interval``
  seconds, each check given ``--source-check-timeout`` seconds).
* Each job gets ``<out>/<UTC timestamp>-<sha256(groupKey)[:12]>/`` with ``alerts.json``, what
  ``triage`` writes, ``status.json`` and, once alerts resolve, ``resolved.json``.
* SIGTERM: stop taking posts, give the running triage ``--shutdown-grace`` seconds, else put it
  back in the queue; the next start resumes every unfinished job.

The pieces live in :mod:`sre_agent.serve`; this module is the command line.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ..backends._redact import RedactingFilter
from ..errors import InputError
from ..serve import WebhookService, make_server, validate_webhook  # noqa: F401 - re-exported for callers
from ..serve._metrics import ServeMetrics
from ..serve._options import check_settings
from ..serve._probes import SourceProber
from ..serve._store import QueueLocked
from ..serve._worker import TriageFn

log = logging.getLogger("sre_agent.serve")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, required=True, help="TCP port to listen on (0 = any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--out", type=Path, default=Path("sre-agent-runs"),
                   help="where each alert group's results go (default ./sre-agent-runs)")
    p.add_argument("--live-config", type=Path,
                   help="live-mode config (see configs/live.yaml): sources, timeouts, tokens' env vars")
    p.add_argument("--snapshot", type=Path, help="triage against this recorded ITBench-Lite scenario instead of live sources")
    p.add_argument("--config", type=Path, help="agent run configuration, as triage's --config (configs/default.yaml)")
    p.add_argument("--run-config", type=Path, help=argparse.SUPPRESS)  # the old name of --config, deprecated
    p.add_argument("--otel-console", action="store_true",
                   help="print the agent's OpenTelemetry spans to stderr (needs opentelemetry-sdk)")
    a = p.add_argument_group("who may post, and how often (one of the first four is required; Alertmanager's http_config sends them)")
    a.add_argument("--auth-token-file", type=Path, metavar="FILE", help="accept 'Authorization: Bearer <token in FILE>'")
    a.add_argument("--auth-token-env", metavar="NAME", help="accept 'Authorization: Bearer <$NAME>'")
    a.add_argument("--basic-auth-file", type=Path, metavar="FILE", help="accept basic auth with the user:password in FILE")
    a.add_argument("--no-auth", action="store_true", help="accept posts without credentials (only on a loopback --host)")
    a.add_argument("--rate-limit", default="10/s", metavar="RATE",
                   help="posts per sender address: N/s, N/m or off (default 10/s); over it -> 429 with Retry-After")
    a.add_argument("--rate-burst", type=int, default=50, metavar="N", help="posts a sender may make at once (default 50)")
    q = p.add_argument_group("queue")
    q.add_argument("--queue-db", type=Path, metavar="PATH", help="the durable queue, SQLite (default <out>/queue.sqlite3)")
    q.add_argument("--dedupe-window", type=float, default=3600.0, metavar="SECONDS",
                   help="a group re-sent with the same firing alerts within this many seconds is not triaged again "
                        "(default 3600; 0 = off)")
    q.add_argument("--max-queue", type=int, default=100, metavar="N", help="jobs waiting at most; beyond -> 503 (default 100)")
    h = p.add_argument_group("source health (live mode; /metrics: sre_agent_source_up{source})")
    h.add_argument("--source-check-interval", type=float, default=15.0, metavar="SECONDS",
                   help="how often each source is checked in the background (default 15)")
    h.add_argument("--source-check-timeout", type=float, default=3.0, metavar="SECONDS",
                   help="how long a check may take before its source counts as down (default 3)")
    q.add_argument("--shutdown-grace", type=float, default=20.0, metavar="SECONDS",
                   help="on SIGTERM, how long the running triage may finish before it is re-queued (default 20)")


def _default_triage(run_config: Any, snapshot: bool = False) -> TriageFn:
    """The runner; against a recording, alerts stamped outside it are anchored on its own alerts
    (:mod:`sre_agent.snapshot.anchor`), and report.md and the log say so."""
    def triage(alert: Path, backend: Any, output_dir: Path) -> Any:
        from ..runner import run_triage
        if not snapshot:
            return run_triage(alert=alert, backend=backend, output_dir=output_dir, config=run_config)
        from ..alerts import load_alert_input
        from ..snapshot.anchor import anchor_alerts
        alerts, note = anchor_alerts(list(load_alert_input(alert).alerts), backend)
        if note:
            log.warning("group %s: %s", output_dir.name, note)
        result = run_triage(alerts=alerts, backend=backend, output_dir=output_dir, config=run_config)
        if note:
            report = output_dir / "report.md"
            title, _, rest = report.read_text(encoding="utf-8").partition("\n")
            report.write_text(f"{title}\n\n> **{note}**\n{rest}", encoding="utf-8")
        return result
    return triage


def run(args: argparse.Namespace) -> int:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("sre-agent serve: %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        return _serve(args)
    finally:
        log.removeHandler(handler)


def _serve(args: argparse.Namespace) -> int:
    from ..telemetry import setup_tracing
    setup_tracing(console=getattr(args, "otel_console", False))
    settings = check_settings(args)
    metrics = ServeMetrics()
    prober = SourceProber(settings.backend_factory, metrics, interval=args.source_check_interval,
                          timeout=args.source_check_timeout) if settings.snapshot is None else None
    try:
        service = WebhookService(settings.out, _default_triage(settings.run_config, snapshot=settings.snapshot is not None), settings.backend_factory,
                                 args.max_queue, queue_db=settings.queue_db, dedupe_window=args.dedupe_window,
                                 metrics=metrics, sources=prober.status if prober else None)
    except QueueLocked as exc:
        raise InputError(f"--queue-db {settings.queue_db}: {exc}") from None
    except Exception as exc:  # sqlite3.Error, OSError: a database we cannot use
        raise InputError(f"--queue-db {settings.queue_db}: cannot be used ({type(exc).__name__}: {exc})") from None
    try:
        server = make_server(args.host, args.port, service, settings.auth, settings.limiter)
    except OSError as exc:
        service.stop(0)
        raise InputError(f"--host {args.host} --port {args.port}: cannot listen ({exc.strerror})") from None
    host, port = server.server_address[:2]
    auth = "off (--no-auth)" if settings.auth is None else settings.auth.describe()
    sources = f"recording {settings.snapshot}" if settings.snapshot is not None else "live sources"
    print(f"sre-agent serve: listening on http://{host}:{port}; triaging against {sources}; results in "
          f"{settings.out}; queue {settings.queue_db}; auth: {auth}", file=sys.stderr, flush=True)

    def on_term(signum: int, frame: Any) -> None:
        service.stopping = True
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = signal.signal(signal.SIGTERM, on_term)
    if prober is not None:
        prober.start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
        if prober is not None:
            prober.stop()
        requeued = service.stop(args.shutdown_grace)
    note = f" (group {requeued} put back in the queue)" if requeued else ""
    print(f"sre-agent serve: stopped{note}", file=sys.stderr, flush=True)
    return 0
