"""A per-sender rate limit: one token bucket per client address; over the limit -> 429.

``rate`` tokens per second refill each bucket, up to ``burst``; a request takes one token.  The
answer to a request over the limit says how long to wait (``Retry-After``, whole seconds).

Example:
    >>> parse_rate("10/s"), parse_rate("120/m"), parse_rate("5"), parse_rate("off")
    (10.0, 2.0, 5.0, 0.0)
    >>> now = [0.0]
    >>> limit = RateLimiter(rate=1.0, burst=2, clock=lambda: now[0])
    >>> [limit.wait_for("10.0.0.1") for _ in range(3)], limit.wait_for("10.0.0.2")
    ([0.0, 0.0, 1.0], 0.0)
    >>> now[0] = 1.0; limit.wait_for("10.0.0.1")
    0.0
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|second|m|min|minute))?\s*$", re.IGNORECASE)


def parse_rate(text: str) -> float:
    """``"N/s"``, ``"N/m"`` or ``"N"`` (per second) as requests per second; ``"off"`` or 0 -> 0 (no limit).

    Raises ``ValueError`` on anything else.
    """
    if text.strip().lower() in ("off", "none", "0"):
        return 0.0
    m = _RATE.match(text)
    if not m:
        raise ValueError(f"{text!r}: expected N/s, N/m or off")
    n = float(m.group(1))
    return n / 60.0 if (m.group(2) or "s").lower().startswith("m") else n


class RateLimiter:
    """Token buckets keyed by sender; thread-safe; forgets idle senders beyond ``max_senders``."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 max_senders: int = 10_000) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self._clock = clock
        self._max = max_senders
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # sender -> (tokens, last refill time)

    def wait_for(self, sender: str) -> float:
        """0.0 when ``sender`` may go on (a token is taken), else the seconds until it may."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(sender, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[sender] = (tokens - 1.0, now)
                self._evict(now)
                return 0.0
            self._buckets[sender] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def _evict(self, now: float) -> None:
        if len(self._buckets) <= self._max:
            return
        full_after = self.burst / self.rate  # a bucket idle this long is full again: forgetting it changes nothing
        for sender in [s for s, (_, last) in self._buckets.items() if now - last >= full_after]:
            del self._buckets[sender]
