"""Bounded concurrency and read-once caches for the live backends.

* :func:`bounded_map`: ``fn`` over items in a small thread pool, results in input order (reads
  wait on the network, so a few threads overlap them; the bound keeps a cluster's API server and
  the agent's two cores from being flooded).
* :class:`ReadOnce`: memoises reads for the life of one backend, which is one triage: every key
  is read once, concurrent callers of the same key wait for the one read in flight.  A read that
  raises is not kept (the next caller tries again).

Example:
    >>> bounded_map(lambda x: x * x, [1, 2, 3], max_workers=2)
    [1, 4, 9]
    >>> cache = ReadOnce()
    >>> calls = []
    >>> [cache.get("k", lambda: calls.append(1) or len(calls)) for _ in range(3)]
    [1, 1, 1]
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: threads per fan-out: enough to overlap network waits, few enough for a small API server
DEFAULT_WORKERS = 4


def bounded_map(fn: Callable[[T], R], items: Iterable[T], max_workers: int = DEFAULT_WORKERS) -> list[R]:
    """``[fn(x) for x in items]``, run by at most ``max_workers`` threads; the first exception propagates."""
    items = list(items)
    if len(items) <= 1 or max_workers <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items)), thread_name_prefix="sre-agent-read") as pool:
        return list(pool.map(fn, items))


class ReadOnce:
    """A thread-safe, single-flight memo of reads, keyed by what was read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[Hashable, Future] = {}

    def get(self, key: Hashable, read: Callable[[], Any]) -> Any:
        """The value read for ``key``, reading it (once) if nobody has yet."""
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if owner:
                future = self._futures[key] = Future()
        assert future is not None
        if owner:
            try:
                future.set_result(read())
            except BaseException as exc:
                with self._lock:
                    self._futures.pop(key, None)
                future.set_exception(exc)
                raise
        return future.result()

    def peek(self, key: Hashable) -> tuple[bool, Any]:
        """``(True, value)`` when ``key`` has been read successfully, else ``(False, None)``; never reads."""
        with self._lock:
            future = self._futures.get(key)
        if future is None or not future.done() or future.exception() is not None:
            return False, None
        return True, future.result()

    def clear(self) -> None:
        """Forget every read (the next call of each key reads again)."""
        with self._lock:
            self._futures.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._futures)
