"""Inter-agent misalignment: FM-2.1 (conversation reset), 2.2 (fail to ask for clarification),
2.3 (task derailment), 2.4 (information withholding), 2.5 (ignored other agent's input) and
2.6 (reasoning-action mismatch).

Example:
    >>> t = TraceIndex([{"seq": 0, "type": "run_start", "neighbourhood": ["cart"]},
    ...                 {"seq": 1, "type": "plan", "agent": "planner", "steps": [{"tool": "logs", "args": {"service": "ads"}}]}])
    >>> detect_2_3(t).label, detect_2_2(t).label
    (1, None)
"""

from __future__ import annotations

import re
from typing import Any

from ._index import (TARGET_KEYS, WORKLOAD_KINDS, Detection, TraceIndex, _emptied, _names_match, _nonempty,
                     _text, canonical_call, entity_name, is_entity_id, is_refused)
from ._repetition import _reproposals

def detect_2_5(t: TraceIndex) -> Detection:
    """FM-2.5: the verifier rejected entity X and (a) a later plan holds X as an active
    hypothesis again with no new evidence about it -- whether or not a plan in between had
    acknowledged the rejection (an acknowledged-then-revived rejection is also FM-1.4: the
    planner disregards the verifier's input *and* forgets it had dropped X), or (b) the diagnosis
    reports X while the last verdict on X before it is rejected."""
    found, has_hyps = _reproposals(t)
    hits = {s for d, p, _ in found if d.by_verifier for s in (d.seq, int(p["seq"]))}
    ents = {d.entity for d, _, _ in found if d.by_verifier}
    d = t.diagnosis
    if d is not None:
        verdicts = t.latest_verdicts(before=int(d["seq"]))
        for ent in t.diagnosis_entities():
            v = verdicts.get(ent)
            if v is not None and str(v.get("verdict")) == "rejected":
                hits.update({int(v["seq"]), int(d["seq"])})
                ents.add(ent)
    if hits:
        return Detection(1, sorted(hits), "verifier rejection ignored for: " + ", ".join(sorted(ents)))
    note = "" if has_hyps else "no plan carries hypotheses: only the diagnosis was checked"
    return Detection(0, note=note)


def _digest_counts(digest: Any) -> dict[str, Any]:
    """Counts from a ``state_update.digest``: a mapping, or text like ``"5 evidence, 2 hypotheses"``.

    >>> _digest_counts("5 evidence, 0 hypotheses")
    {'evidence': 5, 'hypotheses': 0}
    """
    if isinstance(digest, dict):
        return digest
    if isinstance(digest, str):
        return {name: int(n) for n, name in re.findall(r"(\d+)\s+(evidence|hypotheses)\b", digest)}
    return {}


def detect_2_1(t: TraceIndex) -> Detection:
    """FM-2.1: a ``state_update`` before the diagnosis empties ``hypotheses`` or ``evidence``
    (change value empty / zero / "cleared" / "reset" / "N -> 0", or a ``digest`` count, as a
    mapping or as text "N evidence, M hypotheses", dropping to 0) after that field held something (earlier non-empty change or digest count; for
    hypotheses also a plan listing hypotheses; for evidence also an executed ok tool result)."""
    held = {"hypotheses": False, "evidence": False}
    counts: dict[str, int] = {}
    end = int(t.diagnosis["seq"]) if t.diagnosis else None
    hits: list[int] = []
    fields: list[str] = []
    for e in t.events:
        kind = e.get("type")
        if end is not None and int(e["seq"]) >= end:
            break
        if kind == "plan" and e.get("hypotheses"):
            held["hypotheses"] = True
        elif kind == "tool_result" and e.get("ok") and not is_refused(e):
            held["evidence"] = True
        elif kind == "state_update":
            changes = e.get("changes") or {}
            digest = _digest_counts(e.get("digest"))
            for name in held:
                reset = name in changes and _emptied(changes[name]) and held[name]
                count = digest.get(name)
                count = len(count) if isinstance(count, (list, dict)) else count
                if isinstance(count, int) and not isinstance(count, bool):
                    reset = reset or (count == 0 and counts.get(name, 0) > 0)
                    counts[name] = count
                if reset:
                    hits.append(int(e["seq"]))
                    fields.append(name)
                    held[name] = False
                elif name in changes and _nonempty(changes[name]) or (isinstance(count, int) and count > 0):
                    held[name] = True
    if hits:
        return Detection(1, sorted(set(hits)), "emptied mid-run: " + ", ".join(sorted(set(fields))))
    return Detection(0)


def detect_2_2(t: TraceIndex) -> Detection:
    """FM-2.2: not detectable here (always ``None``)."""
    return Detection(None, note="the agents have no channel to ask the operator or each other for "
                                "clarification, so a missing question cannot be told from the trace; "
                                "missing data is reported via diagnosis.missing/incomplete instead")


def _targets(args: dict[str, Any] | None) -> list[str]:
    out: list[str] = []
    for key in TARGET_KEYS:
        value = (args or {}).get(key)
        values = value if isinstance(value, list) else [value]
        out.extend(str(v) for v in values if isinstance(v, str) and v)
    return out


def _in_neighbourhood(t: TraceIndex, target: str) -> bool | None:
    """True/False for a checkable target, ``None`` for one this rule does not judge."""
    hood = t.neighbourhood or []
    if target in hood:
        return True
    if "/" in target:
        if not is_entity_id(target):
            return None
        ns, kind, _ = target.split("/")
        if kind.lower() == "namespace":
            return t.namespace is None or entity_name(target) == t.namespace
        if kind.lower() not in WORKLOAD_KINDS:
            return None
        if t.namespace and ns != t.namespace:
            return False
    return any(_names_match(target, h) for h in hood)


def _evidence_led(t: TraceIndex, target: str, before: int) -> bool:
    """Did an executed, ok tool result before ``before`` name ``target`` (an entity or an
    anomaly of it)?  Then looking at it follows the evidence, whatever the neighbourhood says."""
    return any(int(r["seq"]) < before and r.get("ok") and not is_refused(r)
               and (t.mentions(r, target) or any(_names_match(target, str(x)) for x in r.get("entities") or []))
               for r in t.of("tool_result"))


def _evidence_namespaces(t: TraceIndex, before: int) -> set[str]:
    """Namespaces of the entities named by executed, ok tool results before ``before`` and by the
    planner's hypotheses: where the evidence has pointed so far."""
    ids = [str(x) for r in t.of("tool_result") if int(r["seq"]) < before and r.get("ok") and not is_refused(r)
           for x in list(r.get("entities") or []) + _anomaly_entities(r)]
    ids += [str(h.get("entity") or "") for p in t.of("plan") if int(p["seq"]) < before for h in p.get("hypotheses") or []]
    return {x.split("/")[0] for x in ids if is_entity_id(x)}


def _foreign_namespace(t: TraceIndex, seq: int, args: dict[str, Any]) -> str | None:
    """The namespace a listing/lookup step names (``namespace`` argument) when it is neither the
    run's namespace nor one the evidence or the hypotheses pointed to before ``seq``."""
    ns = args.get("namespace")
    if not isinstance(ns, str) or not ns or not t.namespace or ns == t.namespace:
        return None
    return None if ns in _evidence_namespaces(t, seq) else ns


def detect_2_3(t: TraceIndex) -> Detection:
    """FM-2.3: a planned step or an executed tool call (a) whose target arguments (service,
    entity, target, pod, deployment, workload, and their plurals) name a workload (a plain name,
    or an id of kind Service/Deployment/Pod/StatefulSet/DaemonSet/ReplicaSet) that is not in
    ``run_start.neighbourhood`` (same name, or a pod of a listed workload) or that lies in
    another namespace, unless an earlier tool result named it (the evidence led there); or (b)
    whose ``namespace`` argument names a namespace other than the run's that neither the
    evidence nor a hypothesis had pointed to (e.g. listing objects in kube-system for an
    otel-demo alert).  A planned step counts even if a guard later refused it: the team's
    attention drifted.  Configuration objects (ConfigMap, NetworkPolicy, chaos objects ...) are
    not judged by (a).  ``None`` when the run has no neighbourhood."""
    if not t.neighbourhood:
        return Detection(None, note="run_start has no neighbourhood: cannot tell what is unrelated")
    hits: list[int] = []
    off: list[str] = []
    actions = [(int(p["seq"]), s.get("args")) for p in t.of("plan") for s in p.get("steps") or []]
    actions += [(int(c["seq"]), c.get("args")) for c in t.executed_calls()]
    for seq, args in sorted(actions, key=lambda a: a[0]):
        args = args if isinstance(args, dict) else {}
        outside = [x for x in _targets(args) if _in_neighbourhood(t, x) is False and not _evidence_led(t, x, seq)]
        foreign = _foreign_namespace(t, seq, args)
        outside += [f"namespace {foreign}"] if foreign else []
        if outside:
            if seq not in hits:
                hits.append(seq)
            off.extend(x for x in outside if x not in off)
    if hits:
        return Detection(1, hits, "outside the alert's neighbourhood: " + ", ".join(off[:6]))
    return Detection(0)


def _anomaly_entities(result: dict[str, Any]) -> list[str]:
    """Entities of a result's anomalies: ``{"entity": ...}`` items or ``"entity:signal"`` strings."""
    out = []
    for a in result.get("anomalies") or []:
        if isinstance(a, dict) and a.get("entity"):
            out.append(str(a["entity"]))
        elif isinstance(a, str) and ":" in a:
            out.append(a.rsplit(":", 1)[0])
    return out


def _withheld_by_count(t: TraceIndex, updates: list[dict[str, Any]]) -> Detection | None:
    """2.4 from counts, when ``state_update.changes.evidence_added`` lists the items added: an
    update that adds fewer items than the executed, ok results with anomalies since the previous
    update certainly dropped one of them.  ``None`` when updates carry no such list."""
    if not any(isinstance((u.get("changes") or {}).get("evidence_added"), list) for u in updates):
        return None
    calls = {str(c.get("call_id")): c for c in t.of("tool_call")}
    hits: list[int] = []
    prev = -1
    for u in updates:
        added = (u.get("changes") or {}).get("evidence_added")
        if not isinstance(added, list):
            continue
        pending = [r for r in t.of("tool_result") if prev < int(r["seq"]) < int(u["seq"]) and r.get("ok")
                   and not is_refused(r) and r.get("anomalies")
                   and not t.is_verification_actor(calls.get(str(r.get("call_id")), {}).get("agent"))]
        if len(added) < len(pending):
            hits.append(int(u["seq"]))
        prev = int(u["seq"])
    if hits:
        return Detection(1, hits, f"{len(hits)} state update(s) added fewer evidence items than anomalous results")
    return Detection(0)


def detect_2_4(t: TraceIndex) -> Detection:
    """FM-2.4: an executed, ok tool result with non-empty ``anomalies`` (from a non-verification
    actor) after which at least one ``state_update`` happens, but no later ``state_update``
    mentions its ``call_id`` or the entity of any of its anomalies.  When no ``state_update``
    cites call ids, the count rule of :func:`_withheld_by_count` applies instead.  ``None``
    when there is no ``state_update``, or neither link exists."""
    updates = t.of("state_update")
    if not updates:
        return Detection(None, note="no state_update events: there is no shared state to withhold from")
    texts = [(int(u["seq"]), _text({"changes": u.get("changes"), "digest": u.get("digest")})) for u in updates]
    call_ids = [str(c.get("call_id")) for c in t.of("tool_call") if c.get("call_id")]
    if not any(cid in text for cid in call_ids for _, text in texts):
        by_count = _withheld_by_count(t, updates)
        if by_count is not None:
            return by_count
        return Detection(None, note="state_update events neither cite call ids nor list evidence_added: "
                                    "passing-on cannot be traced")
    calls = {str(c.get("call_id")): c for c in t.of("tool_call")}
    hits: list[int] = []
    for r in t.of("tool_result"):
        if not r.get("ok") or is_refused(r) or not r.get("anomalies"):
            continue
        call = calls.get(str(r.get("call_id")), {})
        if t.is_verification_actor(call.get("agent")):
            continue
        later = [text for seq, text in texts if seq > int(r["seq"])]
        if not later:
            continue
        keys = [str(r.get("call_id"))] + _anomaly_entities(r)
        if not any(k in text for k in keys for text in later):
            hits.append(int(r["seq"]))
    if hits:
        return Detection(1, hits, f"{len(hits)} tool result(s) with anomalies never reached the state")
    return Detection(0)


def _announced(t: TraceIndex, call: dict[str, Any]) -> dict[str, Any] | None:
    """The step this call was announced as: ``tool_call.announced``, else the step with the
    call's ``step_id`` in the latest plan before it."""
    if isinstance(call.get("announced"), dict):
        return call["announced"]
    step_id = call.get("step_id")
    for p in reversed(t.of("plan")):
        if int(p["seq"]) > int(call["seq"]):
            continue
        for s in p.get("steps") or []:
            if s.get("id") == step_id:
                return s
    return None


def detect_2_6(t: TraceIndex) -> Detection:
    """FM-2.6: an executed tool call whose announcement differs from it: the tool differs, or
    the canonical arguments differ (when the announcement has args).  The announcement is
    ``tool_call.announced`` when present (the runner sets it to the next pending step when the
    call matches no pending step), else the step named by ``step_id`` in the latest plan before
    the call; a ``step_id`` that no earlier plan announced is a mismatch too.  Calls with
    neither (nothing was pending) are not judged."""
    hits: list[int] = []
    why: list[str] = []
    for c in t.executed_calls():
        if c.get("step_id") in (None, "") and not isinstance(c.get("announced"), dict):
            continue
        ann = _announced(t, c)
        if ann is None:
            hits.append(int(c["seq"]))
            why.append(f"{c.get('call_id')}: step {c.get('step_id')} never announced")
            continue
        if str(ann.get("tool")) != str(c.get("tool")) or (
                "args" in ann and canonical_call("", ann.get("args")) != canonical_call("", c.get("args"))):
            hits.append(int(c["seq"]))
            why.append(f"{c.get('call_id')}: announced {canonical_call(str(ann.get('tool')), ann.get('args'))}, "
                       f"ran {canonical_call(str(c.get('tool')), c.get('args'))}")
    if hits:
        return Detection(1, hits, "; ".join(why[:4]))
    return Detection(0)
