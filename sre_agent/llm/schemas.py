"""JSON schemas of the text answers (plan, verdicts, summary), for constrained decoding.

With a profile's ``response_format: json_schema``, the planner, verifier and summarizer calls
carry an OpenAI ``response_format`` of type ``json_schema`` with the shape their parser reads
(the object after the ``PLAN`` / ``VERDICTS`` / ``SUMMARY`` marker); a server that supports it
(OpenAI, vLLM, llama.cpp's server, Ollama) then decodes only JSON of that shape.  With
``json_object_schema`` the same schema goes in the older dialect ``{"type": "json_object",
"schema": ...}``, the only one llama-cpp-python's server accepts.  The marker itself is not part
of the schema: :func:`with_marker` puts it back in front of the answer.

Example:
    >>> fmt = response_format("planner")
    >>> fmt["type"], fmt["json_schema"]["name"], sorted(fmt["json_schema"]["schema"]["required"])
    ('json_schema', 'plan', ['action', 'hypotheses', 'root_causes', 'steps'])
    >>> sorted(response_format("verifier", "json_object_schema"))
    ['schema', 'type']
    >>> with_marker(schema_name(response_format("verifier", "json_object_schema")), '{"verdicts": []}')
    'VERDICTS\\n{"verdicts": []}'
    >>> response_format("investigator") is None
    True
"""

from __future__ import annotations

from typing import Any

_STR = {"type": "string"}
_STRS = {"type": "array", "items": _STR}
_ENTITY = {"type": "string", "description": "namespace/Kind/name"}

PLAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": ["investigate", "verify", "conclude"]},
        "hypotheses": {"type": "array", "items": {"type": "object", "properties": {
            "entity": _ENTITY, "mechanism": _STR, "score": {"type": "number"}, "evidence": _STRS, "reason": _STR},
            "required": ["entity", "mechanism", "score", "evidence"]}},
        "steps": {"type": "array", "items": {"type": "object", "properties": {
            "tool": _STR, "args": {"type": "object"}, "why": _STR}, "required": ["tool", "args"]}},
        "root_causes": {"type": "array", "items": _ENTITY},
        "propagation": {"type": "array", "items": {"type": "object", "properties": {
            "source": _ENTITY, "target": _ENTITY, "condition": _STR, "effect": _STR}, "required": ["source", "target"]}},
        "rule_out_alerts": {"type": "array", "items": {"type": "object", "properties": {"key": _STR, "reason": _STR},
                                                        "required": ["key"]}},
    },
    "required": ["action", "hypotheses", "steps", "root_causes"],
}

VERDICTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"verdicts": {"type": "array", "items": {"type": "object", "properties": {
        "entity": _ENTITY, "verdict": {"type": "string", "enum": ["confirmed", "rejected"]},
        "checks": {"type": "array", "items": {"type": "object", "properties": {
            "check": {"type": "string", "enum": ["entity_exists", "anomaly_observed", "upstream_of_alerts"]},
            "passed": {"type": "boolean"}, "evidence": _STRS}, "required": ["check", "passed", "evidence"]}},
        "reason": _STR}, "required": ["entity", "verdict", "checks"]}}},
    "required": ["verdicts"],
}

SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "evidence": {"type": "array", "items": {"type": "object", "properties": {
            "call_id": _STR, "summary": _STR,
            "findings": {"type": "array", "items": {"type": "object", "properties": {
                "entity": _ENTITY, "signal": _STR, "weight": {"type": "number"}, "detail": _STR, "related": _STRS},
                "required": ["entity", "signal"]}}},
            "required": ["call_id", "summary", "findings"]}},
        "open_questions": _STRS,
    },
    "required": ["evidence"],
}

_YES_NO = {"type": "string", "enum": ["yes", "no"]}
#: the MAST judge's answer: one yes/no per mode id and task_completion (ids as in mast.definitions)
MAST_LABELS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {m: _YES_NO for m in ("1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6",
                                         "3.1", "3.2", "3.3", "task_completion")},
    "required": ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3.1", "3.2", "3.3",
                 "task_completion"],
}

#: role -> (schema name, marker, schema)
SCHEMAS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "planner": ("plan", "PLAN", PLAN_SCHEMA),
    "verifier": ("verdicts", "VERDICTS", VERDICTS_SCHEMA),
    "summarizer": ("summary", "SUMMARY", SUMMARY_SCHEMA),
    "mast-judge": ("mast_labels", "MAST LABELS", MAST_LABELS_SCHEMA),
}
_MARKER_OF = {name: marker for name, marker, _ in SCHEMAS.values()}


def response_format(role: str, dialect: str = "json_schema") -> dict[str, Any] | None:
    """The ``response_format`` constraining ``role``'s answer (``dialect`` json_schema or
    json_object_schema), or None for the tool-calling roles."""
    if role not in SCHEMAS:
        return None
    name, _, schema = SCHEMAS[role]
    schema = {"title": name, **schema}
    if dialect == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}}


def schema_name(fmt: Any) -> str:
    """The schema name (plan, verdicts, summary) of a ``response_format`` of either dialect."""
    if not isinstance(fmt, dict):
        return ""
    schema = fmt.get("schema") or (fmt.get("json_schema") or {}).get("schema") or {}
    return str((fmt.get("json_schema") or {}).get("name") or schema.get("title") or "")


def with_marker(schema_name: str, content: str) -> str:
    """A schema-constrained answer (bare JSON) with its role's marker put back in front."""
    marker = _MARKER_OF.get(schema_name)
    if marker is None or content.lstrip().startswith(marker):
        return content
    return f"{marker}\n{content}"


__all__ = ["MAST_LABELS_SCHEMA", "PLAN_SCHEMA", "SCHEMAS", "SUMMARY_SCHEMA", "VERDICTS_SCHEMA", "response_format", "schema_name", "with_marker"]
