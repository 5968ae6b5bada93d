"""Endpoint hygiene: a concurrency limit shared across processes, and retries honouring Retry-After.

:class:`EndpointSemaphore` lets at most ``slots`` calls to one endpoint be in flight at once on
this machine, whatever runs them (the asyncio tasks of one run, the worker processes of
``eval`` / ``ablate``): each slot is a lock file (``filelock``) in a folder shared by every
process (``$SRE_AGENT_LOCK_DIR``, default ``<tmp>/sre-agent-locks``), named after the endpoint.
Runs on several machines share nothing: the limit is per machine.

:func:`retrying` runs a call with tenacity: on HTTP 429, 5xx, a connection error or a timeout it
waits (the server's ``Retry-After`` / ``retry-after-ms`` header when present, else exponential
backoff with jitter, never past the deadline) and tries again, at most ``retries`` times.

Example:
    >>> import asyncio, tempfile
    >>> sem = EndpointSemaphore("http://127.0.0.1:1/v1|m", 1, tempfile.mkdtemp())
    >>> async def one():
    ...     async with sem.slot():
    ...         return sem.held()
    >>> asyncio.run(one()), sem.held()
    (1, 0)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import random
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

T = TypeVar("T")
#: the longest Retry-After honoured (a longer one is clipped to it, then to the deadline)
MAX_RETRY_AFTER = 60.0


def lock_dir() -> Path:
    return Path(os.environ.get("SRE_AGENT_LOCK_DIR") or Path(tempfile.gettempdir()) / "sre-agent-locks")


class EndpointSemaphore:
    """At most ``slots`` holders at once across processes (one lock file per slot)."""

    def __init__(self, endpoint: str, slots: int, folder: str | Path | None = None, poll: float = 0.02) -> None:
        folder = Path(folder) if folder else lock_dir()
        folder.mkdir(parents=True, exist_ok=True)
        tag = hashlib.sha256(endpoint.encode()).hexdigest()[:16]
        self._locks = [FileLock(str(folder / f"{tag}-{i}.lock"), thread_local=False) for i in range(slots)]
        self._poll = poll

    def held(self) -> int:
        return sum(1 for lock in self._locks if lock.is_locked)

    async def acquire(self) -> FileLock:
        while True:
            for lock in self._locks:
                if lock.is_locked:  # held by another task of this process
                    continue
                try:
                    lock.acquire(timeout=0)
                except Timeout:
                    continue
                return lock
            await asyncio.sleep(self._poll)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[FileLock]:
        """Hold one slot for the body (released on any exit, cancellation included)."""
        lock = await self.acquire()
        try:
            yield lock
        finally:
            lock.release()


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked to wait (``retry-after-ms`` / ``retry-after``: seconds or a date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def is_retryable(exc: BaseException) -> bool:
    """429, 5xx, 408/409, connection errors and timeouts (of the openai SDK or plain asyncio)."""
    import openai

    if isinstance(exc, (openai.APIConnectionError, openai.APITimeoutError)):  # timeout is a connection error
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


async def retrying(call: Callable[[], Awaitable[T]], retries: int, deadline: float | None = None,
                   on_retry: Callable[[BaseException, float], None] | None = None) -> T:
    """``await call()``, retried on retryable errors (see the module docstring)."""

    def wait(state: Any) -> float:
        exc = state.outcome.exception()
        asked = retry_after(exc)
        delay = min(asked, MAX_RETRY_AFTER) if asked is not None else min(8.0, 0.5 * 2 ** (state.attempt_number - 1))
        if asked is None:
            delay *= 0.5 + 0.5 * random.random()  # jitter
        if deadline is not None:
            delay = max(0.0, min(delay, deadline - time.monotonic()))
        if on_retry:
            on_retry(exc, delay)
        return delay

    def stop(state: Any) -> bool:
        return stop_after_attempt(retries + 1)(state) or (deadline is not None and time.monotonic() >= deadline)

    async for attempt in AsyncRetrying(retry=retry_if_exception(is_retryable), wait=wait, stop=stop, reraise=True):
        with attempt:
            return await call()
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["EndpointSemaphore", "MAX_RETRY_AFTER", "is_retryable", "lock_dir", "retry_after", "retrying"]
