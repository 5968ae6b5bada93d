"""A Kubernetes API on loopback: kmock's emulator, loaded from a recorded scenario.

* :class:`KubeMockServer`: kmock's ``KubernetesEmulator`` on a loopback port, in a background
  thread (kmock is a dev dependency); :func:`write_kubeconfig` points the real ``kubernetes``
  client at it.
* :func:`kube_setup_from_backend`: a ``setup`` loading a backend's objects, events and pod logs.

Example::

    with KubeMockServer(kube_setup_from_backend(SnapshotBackend(folder))) as kube:
        KubernetesBackend.from_kubeconfig(str(write_kubeconfig(tmp / "kc", kube.url)))
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sre_agent.backends._kube_kinds import API_VERSIONS, KINDS

from ._process import rfc3339
from .stub_http import Reply

#: Kind -> kmock resource key (group/version/plural) of the kinds ``KubernetesBackend`` reads
KMOCK_RESOURCES = {kind: f"{API_VERSIONS[spec[1]]}/{spec[0]}" for kind, spec in KINDS.items()}


class KubeMockServer:
    """kmock's ``KubernetesEmulator`` served on a loopback port from a background event loop.

    ``setup(kmock)`` runs inside the loop before serving: load objects
    (``kmock.objects['v1/pods', 'ns', 'name'] = {...}``) and reactions
    (``kmock['get /api/v1/namespaces/ns/pods/p/log'] << b'...'``).  After the ``with`` block,
    :attr:`requests` lists ``(method, path)`` of every request the server saw.
    """

    def __init__(self, setup: Callable[[Any], None] | None = None) -> None:
        self.setup = setup
        self.handler: Any = None
        self.url = ""
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def requests(self) -> list[tuple[str, str]]:
        return [(str(r.method.value if hasattr(r.method, "value") else r.method).upper(), str(r.url.path))
                for r in list(self.handler)] if self.handler is not None else []

    def _run(self) -> None:
        import kmock

        async def main() -> None:
            self._stop = asyncio.Event()
            async with kmock.KubernetesEmulator() as handler, kmock.Server(handler) as server:
                self.handler = handler
                if self.setup is not None:
                    self.setup(handler)
                self.port = server.port
                self.url = f"http://127.0.0.1:{server.port}"
                self._ready.set()
                await self._stop.wait()

        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(main())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    def __enter__(self) -> "KubeMockServer":
        self._thread = threading.Thread(target=self._run, name="kmock", daemon=True)
        self._thread.start()
        if not self._ready.wait(20) or self._error is not None:
            raise RuntimeError(f"kmock did not start: {self._error!r}")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)


def write_kubeconfig(path: Path, server_url: str, token: str | None = None, context: str = "kmock") -> Path:
    """A kubeconfig pointing at ``server_url`` (optionally with a bearer token)."""
    user: dict[str, Any] = {"token": token} if token else {}
    doc = {
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": context, "cluster": {"server": server_url}}],
        "users": [{"name": context, "user": user}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
    }
    path.write_text(json.dumps(doc, indent=2))  # JSON is YAML
    return path


def namespace_routes(source: Any) -> dict[str, Reply]:
    """Routes serving a backend's Namespace objects at ``/api/v1/namespaces[/<name>]``."""
    items = [o.body for o in source.list_objects("Namespace")]
    routes: dict[str, Reply] = {"/api/v1/namespaces": (200, {"apiVersion": "v1", "kind": "NamespaceList",
                                                              "metadata": {}, "items": items})}
    for body in items:
        routes[f"/api/v1/namespaces/{body['metadata']['name']}"] = (200, body)
    return routes


def event_to_json(event: Any, index: int) -> dict[str, Any]:
    """A :class:`~sre_agent.models.K8sEvent` -> a core v1 Event object as the API server returns it."""
    ns = event.involved_namespace
    name = f"{event.involved_name}.{index:016x}"
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": ns, "uid": f"event-{index}"},
            "involvedObject": {"kind": event.involved_kind, "namespace": ns, "name": event.involved_name},
            "reason": event.reason, "message": event.message, "type": event.type, "count": event.count,
            "firstTimestamp": rfc3339(event.first_time), "lastTimestamp": rfc3339(event.time),
            "source": {"component": event.source}}


def pod_log_text(records: Iterable[Any]) -> bytes:
    """Log records -> what ``GET .../pods/<pod>/log?timestamps=true`` prints: one line per body line,
    each prefixed by its RFC 3339 (nanosecond) time, as the kubelet writes multi-line output."""
    lines = []
    for r in records:
        ns = int(round(r.time * 1e9))
        stamp = datetime.fromtimestamp(ns // 10 ** 9, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{ns % 10 ** 9:09d}Z"
        for line in (r.body or "").splitlines() or [""]:
            lines.append(f"{stamp} {line}")
    return ("\n".join(lines) + "\n").encode() if lines else b""


def kube_setup_from_backend(source: Any, with_logs: bool = True) -> Callable[[Any], None]:
    """A :class:`KubeMockServer` ``setup`` loading a backend's current objects (every kind the live
    backend reads), its events, and (``with_logs``) each pod's log records as the pod's log."""
    objects = [o for o in source.list_objects() if o.kind in KMOCK_RESOURCES]
    events = list(source.events())
    logs: dict[tuple[str, str], list[Any]] = {}
    if with_logs:
        for r in source.logs():
            if r.pod:
                logs.setdefault((r.namespace, r.pod), []).append(r)

    def setup(k: Any) -> None:
        for res in list(KMOCK_RESOURCES.values()) + ["v1/events", "events.k8s.io/v1/events"]:
            k.resources[res] = {}
        for o in objects:
            k.objects[KMOCK_RESOURCES[o.kind], o.namespace or None, o.name] = o.body
        for i, e in enumerate(events):
            body = event_to_json(e, i)
            k.objects["v1/events", body["metadata"]["namespace"] or None, body["metadata"]["name"]] = body
        for (ns, pod), recs in logs.items():
            k[f"get /api/v1/namespaces/{ns}/pods/{pod}/log"] << pod_log_text(recs)

    return setup
