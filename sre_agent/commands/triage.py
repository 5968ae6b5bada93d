"""``python -m sre_agent triage``: diagnose one incident from an alert."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError


def add_arguments(p: argparse.ArgumentParser) -> None:
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--alert", type=Path,
                        help="an ITBench-Lite alert dump, an Alertmanager webhook payload, a Prometheus /api/v1/alerts "
                             "response, or a scenario's alerts/ folder")
    source.add_argument("--from-alertmanager", metavar="URL",
                        help="pull the firing alerts from this Alertmanager (v2 API) and triage them; needs "
                             "--live-config FILE (live sources) or --snapshot DIR")
    p.add_argument("--live-config", type=Path, help="live-mode config (see configs/live.yaml): investigate the live "
                                                   "sources it names (with --from-alertmanager)")
    p.add_argument("--snapshot", type=Path, help="the recorded incident (ITBench-Lite scenario folder); "
                                                 "default: the scenario holding the alert file")
    p.add_argument("--output-dir", type=Path, help="where to write agent_output.json, report.md, trace.jsonl "
                                                   "(default ./sre-agent-runs/<timestamp>)")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown", help="what to print on stdout")
    p.add_argument("--config", type=Path, help="a YAML run configuration (see configs/default.yaml)")
    p.add_argument("--model", help="model profile name from configs/models/ (default: clean)")
    p.add_argument("--fix", action="append", default=[], metavar="NAME=on|off",
                   help="switch a structural fix (repeatable; all=off switches every fix)")
    p.add_argument("--seed", type=int, help="seed for model profiles that inject failures")
    p.add_argument("--record-model", type=Path, metavar="FILE",
                   help="record every model answer to FILE (replay it later with a profile of kind: replay)")
    p.add_argument("--otel-console", action="store_true",
                   help="print this run's OpenTelemetry spans (turns, model and tool calls) to stderr "
                        "(needs opentelemetry-sdk: pip install 'sre-agent[otel]')")


def _alertmanager_alerts(url: str) -> list[Any]:
    """The firing alerts of the Alertmanager at ``url``; :class:`InputError` (one line) if unusable."""
    from urllib.parse import urlsplit

    from ..backends._retry import BackendRequestError, RetryPolicy
    from ..backends.alertmanager import AlertmanagerBackend
    from ..backends.base import BackendUnavailable

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"--from-alertmanager {url}: not an http(s) URL")
    am = AlertmanagerBackend(url, policy=RetryPolicy(attempts=2, timeout=5.0, deadline=15.0))
    try:
        return am.fetch()
    except (BackendUnavailable, BackendRequestError) as exc:
        from ..backends._redact import one_line
        raise InputError(f"--from-alertmanager {url}: {one_line(str(exc))}") from None
    finally:
        am.close()


def _triage_from_alertmanager(args: argparse.Namespace, config: Any) -> Any:
    from ..runner import run_triage

    if args.live_config is None and args.snapshot is None:
        raise InputError("--from-alertmanager needs --live-config FILE (live sources) or --snapshot DIR")
    if args.live_config is not None and args.snapshot is not None:
        raise InputError("--live-config and --snapshot cannot be combined")
    alerts = [a for a in _alertmanager_alerts(args.from_alertmanager) if a.state == "firing"]
    if not alerts:
        raise InputError(f"--from-alertmanager {args.from_alertmanager}: no firing alert to triage")
    if args.snapshot is not None:
        return run_triage(alerts=alerts, snapshot=args.snapshot, output_dir=args.output_dir, config=config)
    from ..backends.live import LiveBackend
    from ..backends.live_config import load_live_config

    backend = LiveBackend.from_config(load_live_config(args.live_config))
    try:
        return run_triage(alerts=alerts, backend=backend, output_dir=args.output_dir, config=config)
    finally:
        backend.close()


def run(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..runner import run_triage

    from ..telemetry import setup_tracing

    setup_tracing(console=args.otel_console)
    config = load_config(args.config, args.fix, args.model, args.seed)
    if args.from_alertmanager is None:
        if args.live_config is not None:
            raise InputError("--live-config goes with --from-alertmanager URL")
        result = run_triage(alert=args.alert, snapshot=args.snapshot, output_dir=args.output_dir, config=config)
    else:
        result = _triage_from_alertmanager(args, config)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.agent_output, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(result.report_md)
    if result.stats.get("stop_reason") in ("model_unusable", "model_error"):
        print(f"sre-agent triage: incomplete: {result.agent_output.get('incomplete_reason', '')}", file=sys.stderr)
    print(f"sre-agent triage: wrote {result.output_dir}/agent_output.json, report.md, trace.jsonl", file=sys.stderr)
    return 0
