"""Alert tools: what is firing, on what, since when."""

from __future__ import annotations

from pydantic import BaseModel

from sre_agent.analysis.traces import OFF_PATH_SIGNAL
from sre_agent.state import Finding

from .base import Tool, ToolContext, ToolOutput


class NoArgs(BaseModel):
    pass


def get_alerts(ctx: ToolContext, args: NoArgs) -> ToolOutput:
    an = ctx.analyzer
    rows = []
    findings = []
    for a in an.alerts:
        subject = a.labels.get("service_name") or a.labels.get("service") or a.labels.get("pod") or a.labels.get("deployment") or ""
        entity = an.resolve(subject) if subject else f"{a.namespace or an.namespace}/Namespace/{a.namespace or an.namespace}"
        rows.append({"alert": a.name, "entity": entity, "labels": a.labels, "active_at": a.active_at,
                     "description": a.annotations.get("description", "") or a.annotations.get("summary", "")})
        findings.append(Finding(entity=entity, signal="alert", weight=0.3, detail=a.name, time=a.active_at))
    # call direction (not anomalies): the services whose failure cannot show on an alerting service
    findings += [Finding(entity=an.resolve(s), signal=OFF_PATH_SIGNAL, weight=0.0, detail=why)
                 for s, why in an.off_alert_path().items()]
    return ToolOutput(summary=f"{len(rows)} alert(s) firing on {', '.join(sorted({r['entity'] for r in rows})) or 'nothing'}",
                      findings=findings, data={"alerts": rows, "alerting_services": an.alert_services})


TOOLS = [Tool("get_alerts", "List the firing alerts with their labels, subject entity and activation time.", NoArgs, get_alerts, "alerts")]
