"""Feature-flag evaluations as real OpenTelemetry-instrumented services record them.

A service that evaluates a flag inside a request adds a ``feature_flag.evaluation`` event to
its server span (semantic conventions: ``feature_flag.key``, ``feature_flag.result.variant``,
``feature_flag.provider.name``); now and then it also writes a log record of the evaluation
(OpenFeature's logging hook), so a service whose spans are missing still shows which flags it
reads.  A service that evaluates flags outside requests (the load generator) logs them only.

Example:
    >>> from sre_agent.simulator.incident import Incident
    >>> inc = Incident(flag_variants=[(100, "cartFailure", "on", "cartFailure")])
    >>> evaluation_attrs(inc, "cartFailure", 50)["feature_flag.result.variant"], evaluation_attrs(inc, "cartFailure", 150)["feature_flag.result.variant"]
    ('off', 'on')
    >>> evaluation_body({"feature_flag.key": "cartFailure", "feature_flag.result.variant": "on"})
    'flag evaluation flag_key=cartFailure variant=on provider_name=flagd'
"""

from __future__ import annotations

from typing import Any

from .incident import Incident

EVENT = "feature_flag.evaluation"
#: every Nth evaluation of a service is also written as a log record
LOG_EVERY = 20


def evaluation_attrs(inc: Incident, flag: str, t: int) -> dict[str, Any]:
    """The evaluation's attributes: the key as the flag file spells it, the variant in force at ``t``."""
    key, variant = inc.flag_variant(flag, t)
    return {"feature_flag.key": key, "feature_flag.result.variant": variant, "feature_flag.provider.name": "flagd"}


def evaluation_body(attrs: dict[str, Any]) -> str:
    """The log line of one evaluation."""
    return (f"flag evaluation flag_key={attrs['feature_flag.key']} variant={attrs['feature_flag.result.variant']}"
            " provider_name=flagd")
