"""Keep credentials out of everything live mode produces: exception text, logs, traces, reports.

Secrets are registered when a live backend reads them from the environment
(:func:`register_secret`); :func:`redact` replaces every registered value, and anything shaped
like a credential (``Authorization`` headers, ``Bearer`` tokens, ``token=`` query parameters,
``user:password@`` in URLs), with ``***``.  Every error message a live backend builds passes
through :func:`redact` (via :func:`one_line`).

Example:
    >>> register_secret("s3cr3t-value")
    >>> redact("GET http://u:pw@host/x?token=abc failed: s3cr3t-value")
    'GET http://***@host/x?token=*** failed: ***'
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
_MIN_SECRET_LEN = 4  # shorter values would mask ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer xyz / 'Authorization': 'Basic xyz' / authorization=xyz
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:(bearer|basic|token)\s+)?[^\s'\",}]+"),
     r"\1\2 " + MASK),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), r"\1 " + MASK),
    # token=..., api_key: ..., password=... in query strings, dict text and headers
    (re.compile(r"(?i)\b((?:access_|id_|refresh_|api_|auth_)?(?:token|api[-_]?key|password|passwd|secret)"
                r"['\"]?\s*[:=]\s*['\"]?)[^\s&'\",}]+"), r"\1" + MASK),
    # scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), r"\1" + MASK + "@"),
)


def register_secret(value: str | None) -> None:
    """Remember a credential so that :func:`redact` masks it wherever it appears."""
    if value and len(value) >= _MIN_SECRET_LEN:
        with _lock:
            _secrets.add(value)


def redact(text: object) -> str:
    """``text`` as a string with every registered secret and credential-shaped value masked."""
    out = str(text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in out:
            out = out.replace(secret, MASK)
    for pattern, repl in _PATTERNS:
        out = pattern.sub(repl, out)
    return out.replace("Basic  " + MASK, "Basic " + MASK).replace("  " + MASK, " " + MASK)


def one_line(text: object, limit: int = 300) -> str:
    """Redacted, whitespace-collapsed, cut to ``limit`` characters: fit for an error message."""
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class RedactingFilter(logging.Filter):
    """A logging filter that redacts every record's rendered message (attach to a handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not break logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
