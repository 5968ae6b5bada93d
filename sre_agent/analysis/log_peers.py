"""The peers a service's failed-connection log lines name: where its calls go unanswered.

When a service emits no spans (or its peer does not), the call graph cannot show that it fails to
reach a dependency; its logs often can: ``Post "http://email:8080/send": context deadline
exceeded``, ``dial tcp 10.96.12.7:9092: connect: connection refused``.  A peer is named by a
host (``email``, ``email.shop.svc.cluster.local``) or by a Service's ClusterIP; only names of
services the data shows count, and never the service itself.

Example:
    >>> lines = ['Post "http://email:8080/send": context deadline exceeded',
    ...          'dial tcp 10.96.0.7:9092: connect: connection refused',
    ...          'dial tcp 10.96.0.7:9092: i/o timeout']
    >>> unreachable_peers(lines, {"email", "kafka", "checkout"}, {"10.96.0.7": "kafka"}, "checkout")
    {'kafka': 2, 'email': 1}
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

#: a host after a URL scheme or ``dial tcp``/``connect to``, or any ``host:port``
_HOST = re.compile(r"(?:[a-z][a-z0-9+.-]*://|\bdial (?:tcp|udp) |\bconnect(?:ing)? to )?"
                   r"\b([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*):(\d{2,5})\b", re.I)
_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def peer_of(host: str, services: set[str] | frozenset[str], by_ip: Mapping[str, str]) -> str | None:
    """The service a host names: a ClusterIP, a bare service name or its in-cluster DNS name.

    >>> peer_of("email.shop.svc.cluster.local", {"email"}, {}), peer_of("10.0.0.1", {"email"}, {})
    ('email', None)
    """
    host = host.lower()
    if _IP.match(host):
        return by_ip.get(host)
    if host in services:
        return host
    first = host.split(".")[0]
    return first if "." in host and first in services and ".svc" in host else None


def unreachable_peers(lines: Iterable[str], services: set[str] | frozenset[str], by_ip: Mapping[str, str],
                      own: str) -> dict[str, int]:
    """Peer service -> how many of ``lines`` (failed-connection lines) name it, most named first."""
    counts: Counter[str] = Counter()
    for line in lines:
        named = {p for host, _port in _HOST.findall(line) if (p := peer_of(host, services, by_ip)) and p != own}
        counts.update(named)
    return dict(counts.most_common())


__all__ = ["peer_of", "unreachable_peers"]
