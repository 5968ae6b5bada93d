"""Log tools: error and warning messages of one service or pod, grouped into templates."""

from __future__ import annotations

import re
from collections import Counter

from pydantic import BaseModel, Field

from sre_agent.analysis.analyzer import Analyzer
from sre_agent.analysis.log_peers import unreachable_peers
from sre_agent.state import Finding

from .base import Tool, ToolContext, ToolOutput

_VARIABLE = re.compile(r"\b[0-9a-f]{8,}\b|\b\d+(\.\d+)?\b|'[^']*'|\"[^\"]*\"")
_CONN = re.compile(r"connection refused|unavailable|timed? ?out|deadline exceeded|no route|unreachable|reset by peer|"
                   r"could not connect|failed to connect|noauth|authentication|econnrefused|dns", re.I)


class LogArgs(BaseModel):
    service: str = Field(..., description="service name, or namespace/Kind/name of a Pod/Deployment/Service")
    pattern: str | None = Field(None, description="only lines containing this text (case-insensitive)")
    min_severity: str = Field("WARN", description="lowest severity to report: DEBUG, INFO, WARN or ERROR")


def template(body: str) -> str:
    """A log line with its variable parts (ids, numbers, quoted values) replaced by ``*``.

    >>> template("order 1234 failed for user 'bob'")
    'order * failed for user *'
    """
    return _VARIABLE.sub("*", body.splitlines()[0] if body else "")[:200]


def search_logs(ctx: ToolContext, args: LogArgs) -> ToolOutput:
    an = ctx.analyzer
    target = args.service.strip()
    service = pod = None
    if target.count("/") == 2:
        _, kind, name = target.split("/")
        if kind == "Pod":
            pod = name
        else:
            service = name
    else:
        service = target
    min_rank = {"DEBUG": 0, "INFO": 1, "WARN": 2, "WARNING": 2, "ERROR": 3}.get(args.min_severity.upper(), 2)
    pat = args.pattern.lower() if args.pattern else None
    counts: Counter = Counter()
    first_seen: dict[str, float] = {}
    example: dict[str, str] = {}
    total = errors = warnings = baseline_errors = 0
    conn_lines: list[str] = []
    onset = an.onset
    for rec in ctx.backend.logs(service=service, pod=pod):
        total += 1
        rank = 3 if rec.is_error else 2 if rec.is_warning else 1
        if rank < min_rank:
            continue
        if pat and pat not in rec.body.lower():
            continue
        if rec.time < onset:
            if rank == 3:
                baseline_errors += 1
            continue
        errors += rank == 3
        warnings += rank == 2
        if len(conn_lines) < 500 and _CONN.search(rec.body):
            conn_lines.append(rec.body[:400])
        key = ("ERROR " if rank == 3 else "WARN ") + template(rec.body)
        counts[key] += 1
        if key not in first_seen:
            first_seen[key] = rec.time
            example[key] = rec.body[:300]
    entity = an.resolve(pod or service or "")
    findings = []
    if errors >= 3 and errors > 3 * baseline_errors:
        top = counts.most_common(1)[0][0] if counts else ""
        conn = sum(n for k, n in counts.items() if _CONN.search(k))
        findings.append(Finding(entity=entity, signal="error_logs", weight=min(1.0, 0.3 + errors / 200),
                                detail=f"{errors} error lines since onset (before: {baseline_errors}); top: {top[:160]!r}",
                                time=min(first_seen.values()) if first_seen else None))
        if conn >= 3:
            findings.append(Finding(entity=entity, signal="connection_errors", weight=0.6,
                                    detail=f"{conn} lines about failed connections/auth"))
            findings += _peers(an, entity, conn_lines)
    templates = [{"template": k, "count": n, "first_seen": first_seen[k], "example": example[k]} for k, n in counts.most_common()]
    return ToolOutput(summary=f"{target}: {total} log lines, since onset {errors} error and {warnings} warning lines "
                              f"in {len(counts)} template(s)",
                      findings=findings, data={"templates": templates}, missing=[] if total else ["logs"])


def _peers(an: Analyzer, entity: str, lines: list[str]) -> list[Finding]:
    """The services these failed-connection lines name (log_peers.py): unreachable from ``entity``."""
    own = an.service_of(entity)
    return [Finding(entity=an.resolve(peer), signal="unreachable_peer", weight=min(1.0, 0.4 + n / max(1, len(lines))),
                    detail=f"{n} failed-connection log lines of {own or entity} name {peer}", related=[entity])
            for peer, n in unreachable_peers(lines, an.service_names, an.cluster_ips, own).items() if n >= 3][:3]


TOOLS = [Tool("search_logs", "Search one service's or pod's logs since the incident onset; returns error/warning message templates with counts and examples.", LogArgs, search_logs, "logs")]
