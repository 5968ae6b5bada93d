"""Kubernetes objects and events from ``k8s_objects_raw.tsv`` / ``k8s_events_raw.tsv``.

Both files use the OpenTelemetry ClickHouse logs-table columns; the interesting ones are
``Timestamp`` (when the recorder saw the row), ``Body`` (JSON) and ``LogAttributes``
(``k8s.resource.name`` = the plural resource, e.g. ``pods``).

* An object row's Body is the object itself (``apiVersion``, ``kind``, ``metadata`` ...); a
  watch-style ``{"type": ..., "object": {...}}`` wrapper is unwrapped too.
* An event row's Body is ``{"type": "ADDED"|"MODIFIED"|"DELETED", "object": <Event>}`` where the
  Event is a core v1 event (``involvedObject``, ``reason``, ``message``, ``firstTimestamp`` /
  ``lastTimestamp`` / ``eventTime``, ``count``, ``source.component``) or an
  ``events.k8s.io/v1`` event (``regarding``, ``note``, ``eventTime``, ``series``,
  ``deprecatedCount``, ``deprecatedFirstTimestamp`` / ``deprecatedLastTimestamp``,
  ``reportingController``).

>>> e = parse_event('{"type": "ADDED", "object": {"apiVersion": "events.k8s.io/v1", "kind": "Event",'
...     ' "metadata": {"name": "x.1", "namespace": "otel-demo"}, "regarding": {"kind": "Pod",'
...     ' "name": "cart-1"}, "reason": "BackOff", "note": "Back-off restarting", "type": "Warning",'
...     ' "eventTime": "2025-01-01T10:00:00Z", "deprecatedCount": 4}}', 0.0)
>>> (e.involved.id, e.reason, e.count, e.type, e.time)
('otel-demo/Pod/cart-1', 'BackOff', 4, 'Warning', 1735725600.0)
"""

from __future__ import annotations

import json
import re

import msgspec
from typing import Any

from ..models import K8sEvent, K8sObject
from .timefmt import parse_timestamp

__all__ = ["load_json", "parse_object", "parse_objects", "parse_event", "event_identity", "kind_for_resource", "resource_name"]

_RESOURCE_RE = re.compile(r"""['"]k8s\.resource\.name['"]\s*:\s*['"]([^'"]*)['"]""")

#: Plural resource -> Kind, for rows whose Body lacks ``kind`` (a list item, say).
_KINDS = {
    "pods": "Pod", "services": "Service", "endpoints": "Endpoints", "endpointslices": "EndpointSlice",
    "configmaps": "ConfigMap", "secrets": "Secret", "namespaces": "Namespace", "nodes": "Node",
    "deployments": "Deployment", "replicasets": "ReplicaSet", "statefulsets": "StatefulSet",
    "daemonsets": "DaemonSet", "jobs": "Job", "cronjobs": "CronJob", "events": "Event",
    "horizontalpodautoscalers": "HorizontalPodAutoscaler", "networkpolicies": "NetworkPolicy",
    "persistentvolumeclaims": "PersistentVolumeClaim", "persistentvolumes": "PersistentVolume",
    "serviceaccounts": "ServiceAccount", "ingresses": "Ingress", "poddisruptionbudgets": "PodDisruptionBudget",
    "resourcequotas": "ResourceQuota", "limitranges": "LimitRange",
    "networkchaos": "NetworkChaos", "podchaos": "PodChaos", "stresschaos": "StressChaos",
    "httpchaos": "HTTPChaos", "jvmchaos": "JVMChaos", "iochaos": "IOChaos", "dnschaos": "DNSChaos",
    "timechaos": "TimeChaos", "schedules": "Schedule", "workflows": "Workflow",
}


def resource_name(log_attributes_text: str) -> str:
    """``LogAttributes['k8s.resource.name']`` found without parsing the whole map.

    >>> resource_name("{'k8s.resource.name': 'pods', 'other': 1}")
    'pods'
    """
    if not log_attributes_text:
        return ""
    m = _RESOURCE_RE.search(log_attributes_text)
    return m.group(1) if m else ""


def kind_for_resource(resource: str) -> str:
    """``deployments`` -> ``Deployment`` (best effort for unknown plurals).

    >>> kind_for_resource("networkpolicies"), kind_for_resource("widgets")
    ('NetworkPolicy', 'Widget')
    """
    r = resource.lower().split(".")[0]
    if r in _KINDS:
        return _KINDS[r]
    if r.endswith("ies"):
        r = r[:-3] + "y"
    elif r.endswith("s"):
        r = r[:-1]
    return r[:1].upper() + r[1:]


_DECODER = msgspec.json.Decoder()


def load_json(text: str) -> Any:
    """A JSON body -> Python values (msgspec, several times faster than :mod:`json`); what msgspec
    refuses (``NaN``, a lone surrogate, ...) goes to :func:`json.loads`; ``None`` when neither reads it.

    >>> load_json('{"kind": "Pod", "n": NaN}')["kind"], load_json("{oops") is None
    ('Pod', True)
    """
    try:
        return _DECODER.decode(text)
    except (msgspec.DecodeError, RecursionError):
        pass
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def parse_object(
    body: str | dict[str, Any], observed: float, log_attributes_text: str = "",
) -> K8sObject | None:
    """One object row -> :class:`K8sObject`; ``None`` when the Body is not an object.

    ``body`` may be text (parsed here) or an already-decoded dict.

    >>> o = parse_object('{"kind": "Pod", "metadata": {"name": "a", "namespace": "ns"}}', 5.0)
    >>> (o.ref.id, o.observed)
    ('ns/Pod/a', 5.0)
    """
    data = load_json(body) if isinstance(body, str) else body
    if not isinstance(data, dict):
        return None
    if "object" in data and isinstance(data.get("object"), dict) and "metadata" not in data:
        data = data["object"]  # a watch event wrapper
    meta = data.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        return None
    resource = resource_name(log_attributes_text)
    kind = data.get("kind") or (kind_for_resource(resource) if resource else "")
    if not kind or not isinstance(kind, str):
        return None
    return K8sObject(
        observed=observed, kind=kind, namespace=str(meta.get("namespace") or ""), name=str(meta["name"]),
        body=data, resource=resource or kind.lower() + "s",
    )


def _as_int(value: Any, default: int = 1) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def parse_event(body: str | dict[str, Any], row_time: float) -> K8sEvent | None:
    """One event row -> :class:`K8sEvent` (core v1 or events.k8s.io/v1); ``None`` if not an event.

    ``time`` is the last occurrence (``lastTimestamp`` / ``series.lastObservedTime`` /
    ``eventTime`` / creation time / the row's Timestamp, first one present), ``first_time`` the
    first (``firstTimestamp`` / ``deprecatedFirstTimestamp`` / ``eventTime``).
    """
    data = load_json(body) if isinstance(body, str) else body
    if not isinstance(data, dict):
        return None
    watch_type = "ADDED"
    if isinstance(data.get("object"), dict):
        watch_type = str(data.get("type") or "ADDED").upper()
        data = data["object"]
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    involved = data.get("regarding") if isinstance(data.get("regarding"), dict) else None
    if involved is None:
        involved = data.get("involvedObject") if isinstance(data.get("involvedObject"), dict) else None
    if involved is None:
        return None
    series = data.get("series") if isinstance(data.get("series"), dict) else {}
    source = data.get("source") if isinstance(data.get("source"), dict) else {}
    message = data.get("note")
    if message is None:
        message = data.get("message")
    count = series.get("count") or data.get("deprecatedCount") or data.get("count") or 1
    first = (parse_timestamp(data.get("firstTimestamp")) or parse_timestamp(data.get("deprecatedFirstTimestamp"))
             or parse_timestamp(data.get("eventTime")))
    last = (parse_timestamp(data.get("lastTimestamp")) or parse_timestamp(data.get("deprecatedLastTimestamp"))
            or parse_timestamp(series.get("lastObservedTime")) or parse_timestamp(data.get("eventTime"))
            or first or parse_timestamp(meta.get("creationTimestamp")) or row_time)
    return K8sEvent(
        time=last,
        type=str(data.get("type") or "Normal"),
        reason=str(data.get("reason") or ""),
        message=str(message or ""),
        involved_kind=str(involved.get("kind") or ""),
        involved_namespace=str(involved.get("namespace") or meta.get("namespace") or ""),
        involved_name=str(involved.get("name") or ""),
        count=max(1, _as_int(count)),
        source=str(source.get("component") or data.get("reportingController") or data.get("reportingComponent")
                   or source.get("host") or ""),
        watch_type=watch_type,
        first_time=first,
    )


def event_identity(body: str | dict[str, Any]) -> str:
    """A stable id for the Event object inside an event row (uid, else namespace/name); "" if none.

    Used to collapse the ADDED/MODIFIED watch updates of one Event into its latest state.
    """
    data = load_json(body) if isinstance(body, str) else body
    if isinstance(data, dict) and isinstance(data.get("object"), dict):
        data = data["object"]
    meta = data.get("metadata") if isinstance(data, dict) else None
    if not isinstance(meta, dict):
        return ""
    return str(meta.get("uid") or (f"{meta.get('namespace', '')}/{meta['name']}" if meta.get("name") else ""))


def parse_objects(body: str | dict[str, Any], observed: float, log_attributes_text: str = "") -> list[K8sObject]:
    """Like :func:`parse_object`, but a ``*List`` body (``{"kind": "PodList", "items": [...]}``)
    yields one object per item (items without ``kind`` take it from the list's kind).

    >>> objs = parse_objects({"kind": "PodList", "items": [{"metadata": {"name": "a"}}]}, 0.0)
    >>> [(o.kind, o.name) for o in objs]
    [('Pod', 'a')]
    """
    data = load_json(body) if isinstance(body, str) else body
    if not isinstance(data, dict):
        return []
    kind = data.get("kind")
    items = data.get("items")
    if isinstance(items, list) and (not isinstance(data.get("metadata"), dict) or not data["metadata"].get("name")):
        item_kind = kind[:-4] if isinstance(kind, str) and kind.endswith("List") and kind != "List" else ""
        out = []
        for item in items:
            if isinstance(item, dict):
                if item_kind and not item.get("kind"):
                    item = {"kind": item_kind, **item}
                obj = parse_object(item, observed, log_attributes_text)
                if obj is not None:
                    out.append(obj)
        return out
    obj = parse_object(data, observed, log_attributes_text)
    return [obj] if obj is not None else []
