"""One retry policy for every live backend (tenacity).

* every call has a per-call timeout (passed to the HTTP client by the caller, ``policy.timeout``);
* retries happen **only** on transient errors: connection errors, timeouts, HTTP 5xx and 429;
  a 4xx (bad query, missing object, no permission) fails at once;
* exponential backoff with jitter, a bounded number of attempts and an overall deadline;
* when the source stays unreachable: :class:`~sre_agent.backends.base.BackendUnavailable`
  with one redacted line naming the source; any other failure: :class:`BackendRequestError`,
  also one redacted line.

Example::

    policy = RetryPolicy(timeout=2.0, attempts=3)
    data = policy.call("jaeger", get_json, session, url, params=..., timeout=policy.timeout)
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
import tenacity
import urllib3.exceptions

from ._redact import one_line
from .base import BackendUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

_STATUS_IN_TEXT = re.compile(r"HTTP Status Code (\d{3})")


class BackendRequestError(RuntimeError):
    """A source answered, but not with what was asked (4xx, bad JSON ...): one redacted line."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class HTTPStatusError(RuntimeError):
    """A non-2xx HTTP answer (raised by :func:`get_json`); ``status`` drives the retry decision."""

    def __init__(self, status: int, url: str, body: str = "") -> None:
        super().__init__(f"HTTP {status} from {url}" + (f": {body}" if body else ""))
        self.status = status


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an exception carries, whatever client raised it (``None`` if none)."""
    status = getattr(exc, "status", None)  # kubernetes ApiException, HTTPStatusError
    if isinstance(status, int) and status > 0:
        return status
    response = getattr(exc, "response", None)  # requests.HTTPError
    code = getattr(response, "status_code", None)
    if isinstance(code, int):
        return code
    match = _STATUS_IN_TEXT.search(str(exc)[:200])  # prometheus-api-client's exception
    return int(match.group(1)) if match else None


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: connection trouble, timeouts, HTTP 5xx / 429."""
    if isinstance(exc, (BackendRequestError, BackendUnavailable)):
        return False
    status = status_of(exc)
    if status is not None:
        return status == 429 or 500 <= status <= 599
    transient_types = (
        requests.ConnectionError, requests.Timeout, urllib3.exceptions.HTTPError,
        ConnectionError, TimeoutError, socket.timeout,
    )
    if isinstance(exc, transient_types):
        return True
    # kubernetes ApiException with status 0 wraps a urllib3 failure
    reason = getattr(exc, "reason", None)
    return isinstance(reason, BaseException) and is_transient(reason)


def describe(exc: BaseException) -> str:
    """A short, redacted description of an exception (no nested reprs, no credentials)."""
    status = status_of(exc)
    inner: BaseException = exc
    # unwrap urllib3/requests wrappers to the root cause for a readable line
    for _ in range(4):
        nxt = getattr(inner, "reason", None)
        if isinstance(nxt, BaseException):
            inner = nxt
            continue
        args = getattr(inner, "args", ())
        if args and isinstance(args[0], BaseException):
            inner = args[0]
            continue
        break
    if isinstance(inner, (ConnectionRefusedError, urllib3.exceptions.NewConnectionError)) or \
            "Connection refused" in str(inner):
        text = "connection refused"
    elif isinstance(inner, (TimeoutError, socket.timeout, requests.Timeout, urllib3.exceptions.TimeoutError)) or \
            "timed out" in str(inner).lower():
        text = "timed out"
    elif status is not None:
        text = f"HTTP {status}"
        reason = getattr(exc, "reason", None)
        if isinstance(reason, str) and reason:
            text += f" {reason}"
    else:
        text = f"{type(inner).__name__}: {inner}"
    return one_line(text, 200)


@dataclass(frozen=True)
class RetryPolicy:
    """Timeout, attempts and backoff for one source."""

    timeout: float = 5.0          # seconds, per HTTP call (connect and read)
    attempts: int = 3             # total tries, first included
    backoff_initial: float = 0.2  # seconds before the 2nd try; doubles after that
    backoff_max: float = 2.0
    jitter: float = 0.2           # up to this many random seconds added to every wait
    deadline: float | None = 30.0 # overall seconds for one call including retries

    def retrying(self) -> tenacity.Retrying:
        stop = tenacity.stop_after_attempt(max(1, self.attempts))
        if self.deadline is not None:
            stop = stop | tenacity.stop_after_delay(self.deadline)
        return tenacity.Retrying(
            stop=stop,
            wait=tenacity.wait_exponential_jitter(multiplier=self.backoff_initial, max=self.backoff_max, jitter=self.jitter),
            retry=tenacity.retry_if_exception(is_transient),
            before_sleep=self._log_retry,
            reraise=True,
        )

    @staticmethod
    def _log_retry(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.debug("retrying after attempt %d: %s", state.attempt_number, describe(exc) if exc else "?")

    def call(self, source: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` under this policy; failures become one-line backend errors."""
        retrying = self.retrying()
        try:
            return retrying(fn, *args, **kwargs)
        except (BackendUnavailable, BackendRequestError):
            raise
        except Exception as exc:  # noqa: BLE001 - every client error becomes one line
            attempts = retrying.statistics.get("attempt_number", 1)
            if is_transient(exc):
                raise BackendUnavailable(
                    f"{source} unavailable after {attempts} attempt{'s' if attempts != 1 else ''}: {describe(exc)}"
                ) from None
            raise BackendRequestError(f"{source}: {describe(exc)}", status_of(exc)) from None


def get_json(session: requests.Session, url: str, *, params: Any = None, headers: dict[str, str] | None = None,
             timeout: float = 5.0) -> Any:
    """GET ``url`` and decode its JSON; raises :class:`HTTPStatusError` on a non-2xx answer."""
    response = session.get(url, params=params, headers=headers, timeout=timeout)
    if not 200 <= response.status_code <= 299:
        raise HTTPStatusError(response.status_code, url, response.text[:200])
    try:
        return response.json()
    except ValueError:
        raise BackendRequestError(f"{url}: answer is not JSON") from None


def get_bytes(session: requests.Session, url: str, *, params: Any = None, headers: dict[str, str] | None = None,
              timeout: float = 5.0) -> bytes:
    """GET ``url`` and return its body undecoded; raises :class:`HTTPStatusError` on a non-2xx answer.

    The body is read in 1 MiB chunks (requests' default is 10 KiB: thousands of reads for the
    tens of megabytes a trace search can answer)."""
    with session.get(url, params=params, headers=headers, timeout=timeout, stream=True) as response:
        if not 200 <= response.status_code <= 299:
            raise HTTPStatusError(response.status_code, url, response.text[:200])
        return b"".join(response.iter_content(chunk_size=1 << 20))


def plain_session() -> requests.Session:
    """A requests session that never retries on its own (the policy does) and ignores proxies."""
    session = requests.Session()
    session.trust_env = False  # no proxy / netrc credentials from the environment
    adapter = requests.adapters.HTTPAdapter(max_retries=urllib3.util.Retry(
        total=None, connect=0, read=0, status=0, other=0, redirect=3, raise_on_status=False))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
