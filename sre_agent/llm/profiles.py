"""Model profiles that fail the way real models fail, for offline ablations.

:class:`FaultyReasoner` wraps the offline reasoner and, at seeded rates per opportunity, injects
the failure signatures published for real models on ITBench (MAST study of 310 SRE traces):

================  =================================================================================
MAST code         what the profile does (each injection is written to the trace with its code)
================  =================================================================================
3.2               planner concludes on the first plausible signal, never asking for verification
3.3               verifier confirms a claim whose own checks failed ("declaring victory")
3.1               planner stops before the investigation reached the deepest anomalous service
1.5               planner never stops: keeps planning busy-work steps when it should verify
2.6               investigator announces one step and runs another (another tool / another target)
1.3               investigator re-runs a call it already made (same tool, same arguments)
1.4               planner forgets: reverts its hypotheses to an entity whose rejection it had
                  already taken in (an earlier plan was made with the rejection in view)
2.3               planner derails to a service outside the alert's neighbourhood and fixates on it
                  until the verifier rejects it
================  =================================================================================

Rates live in ``configs/models/*.yaml`` (``failure_rates: {code: probability}``).  Every
injection decision draws from :class:`~sre_agent.llm.draws.Draws`, keyed by (incident, seed,
profile, role, decision, decision index): scenarios and seeds draw independently, and every fix
setting sees the same draws for one incident × seed.  The targets a profile derails to, busies
itself with or swaps in come from the incident itself (its neighbourhood, its namespace and the
cluster's own ``kube-system`` / ``default``), never from one application's service names.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from autogen_core import FunctionCall
from autogen_core.models import LLMMessage
from autogen_core.tools import Tool, ToolSchema

from . import reasoning
from .draws import Draws
from .offline import OfflineReasoner, build_view, role_of
from .reasoning import canonical

#: namespaces every Kubernetes cluster has: where a derailed planner wanders off to
CLUSTER_NAMESPACES = ("kube-system", "default")
BUSY_KINDS = ("ConfigMap", "Service", "Deployment", "HorizontalPodAutoscaler", "NetworkPolicy", "StatefulSet", "ReplicaSet")


def home_namespace(view: Any) -> str | None:
    """The incident's namespace as the role's context shows it: its alerts' (the first one
    named), else that of the first entity id in the evidence, the hypotheses or the calls made;
    ``None`` when the context names none (an investigator sees only its steps)."""
    ns = next((a["namespace"] for a in view.alerts if a.get("namespace")), "")
    if ns:
        return str(ns)
    ids = [str(f.get("entity", "")) for f in view.findings()] + [str(h.get("entity", "")) for h in view.hypotheses]
    ids += [str(v) for c in view.calls for v in c.args.values() if isinstance(v, str)]
    return next((i.split("/")[0] for i in ids if i.count("/") == 2 and i.split("/")[0]), None)


def busy_work(namespace: str | None) -> list[tuple[str, dict[str, Any]]]:
    """Endless, never-repeating busy work for a planner that does not know when to stop: listings
    of every kind in the incident's namespace (when known), then in all namespaces.

    >>> busy_work("shop")[0], len(busy_work("shop"))
    (('list_objects', {'kind': 'ConfigMap', 'namespace': 'shop'}), 14)
    """
    return [("list_objects", {"kind": k} | ({"namespace": ns} if ns else {})) for ns in dict.fromkeys((namespace, None)) for k in BUSY_KINDS]


def drift_targets(namespace: str | None, neighbourhood: Sequence[str]) -> list[str]:
    """Where a derailed planner goes: a service of the incident's own neighbourhood, looked for
    in a cluster namespace the incident does not live in (an entity id outside the alert's
    neighbourhood, though every name comes from the incident).

    >>> drift_targets("shop", ["cart", "ad"])
    ['default/Deployment/ad', 'default/Deployment/cart', 'kube-system/Deployment/ad', 'kube-system/Deployment/cart']
    """
    return [f"{ns}/Deployment/{s}" for ns in sorted(CLUSTER_NAMESPACES) if ns != namespace for s in sorted(set(neighbourhood))]


class FaultyReasoner(OfflineReasoner):
    """The offline reasoner with seeded failure injection (see the module docstring)."""

    def __init__(self, profile: str, rates: dict[str, float], seed: int = 0, incident: str = "") -> None:
        super().__init__()
        self.profile = profile
        self.rates = dict(rates)
        self.seed = seed
        self.draws = Draws(incident, seed, profile)
        #: (role, decision) -> opportunities met so far: the next draw's decision index
        self._index: Counter[tuple[str, str]] = Counter()
        #: every draw read, by (role, decision, index): what a pair of settings shares
        self.drawn: dict[tuple[str, str, int], float] = {}
        self.trace: Any = None
        self._once: set[str] = set()
        self._swapped: set[str] = set()
        self._rejections_seen: set[str] = set()  # rejected entities an earlier plan already had in view
        self._last_active: set[str] = set()  # entities the previous plan still held as hypotheses

    @property
    def incident(self) -> str:
        return self.draws.incident

    @incident.setter
    def incident(self, name: str) -> None:
        """Set before the first call (the team does, from the scenario's folder)."""
        self.draws = Draws(name, self.seed, self.profile)

    def _next(self, role: str, decision: str) -> tuple[float, int]:
        index = self._index[(role, decision)]
        self._index[(role, decision)] += 1
        u = self.draws.uniform(role, decision, index)
        self.drawn[(role, decision, index)] = u
        return u, index

    def _roll(self, code: str, role: str = "planner") -> bool:
        """Inject ``code`` at this opportunity? (the role's next draw for the code < its rate)"""
        rate = self.rates.get(code, 0.0)
        if rate <= 0:
            return False
        return self._next(role, code)[0] < rate

    def _pick(self, role: str, decision: str, n: int) -> int:
        """Which of ``n`` targets, for the role's next choice of ``decision``."""
        index = self._index[(role, decision + ":pick")]
        self._index[(role, decision + ":pick")] += 1
        return self.draws.pick(role, decision + ":pick", index, n)

    def _inject(self, code: str, what: str) -> None:
        if self.trace is not None:
            self.trace.emit("injected_failure", mast=code, profile=self.profile, what=what)

    def respond(self, messages: Sequence[LLMMessage], tools: Sequence[Tool | ToolSchema] = ()) -> str | list[FunctionCall]:
        role = role_of(messages)
        if role == "planner":
            return self._planner(messages, tools)
        if role == "investigator":
            return self._investigator(messages, tools)
        if role == "verifier":
            return self._verifier(messages, tools)
        return super().respond(messages, tools)

    # -- planner ---------------------------------------------------------------------------
    def _planner(self, messages: Sequence[LLMMessage], tools: Sequence[Tool | ToolSchema]) -> str:
        plan = self._plan(messages, tools)
        self._last_active = {h.get("entity") for h in plan.get("hypotheses", []) if isinstance(h, dict)} \
            | set(plan.get("root_causes", []))
        return "PLAN\n" + json.dumps(plan, sort_keys=True)

    def _plan(self, messages: Sequence[LLMMessage], tools: Sequence[Tool | ToolSchema]) -> dict[str, Any]:
        view = build_view(messages)
        clean = json.loads(super().respond(messages, tools)[len("PLAN\n"):])  # type: ignore[index]
        survey_done = all(canonical(t, a) in view.done for t, a in reasoning.SURVEY)
        walked = any(c.tool == "trace_errors" for c in view.calls)
        rejected = [e for e, v in view.verdicts.items() if v == "rejected"] or list(view.ruled_out)
        # forgetting is losing what was once taken in: a rejection an earlier plan already knew
        # of and acted on (it dropped the entity).  Re-proposing an entity in the very plan that
        # first sees its rejection, or one never let go of, is ignoring the verifier (FM-2.5).
        known = [e for e in rejected if e in self._rejections_seen and e not in self._last_active]
        self._rejections_seen.update(rejected)
        if known and "1.4" not in self._once and self._roll("1.4"):
            self._once.add("1.4")
            ent = known[0]
            clean["hypotheses"] = [{"entity": ent, "mechanism": "re-proposed", "score": 0.99, "evidence": [], "reason": "recalled"}] \
                + [h for h in clean.get("hypotheses", []) if h.get("entity") != ent]
            if clean.get("action") in ("verify", "conclude"):
                clean["root_causes"] = [ent]
                clean["action"] = "verify"
            self._inject("1.4", f"forgot that {ent} was rejected and proposed it again")
        if survey_done and not walked and "3.2" not in self._once and self._roll("3.2"):
            self._once.add("3.2")
            hyps = reasoning.hypotheses(view) or clean.get("hypotheses", [])
            if hyps:
                self._inject("3.2", f"concluded on the first plausible signal ({hyps[0]['entity']}) without verification")
                return {"action": "conclude", "hypotheses": hyps[:1], "steps": [], "root_causes": [hyps[0]["entity"]]}
        if survey_done and not walked and "3.1" not in self._once and "1.5" not in self._once and self._roll("3.1"):
            self._once.add("3.1")
            self._inject("3.1", "gave up before walking the call graph from the alerting services, naming no root cause")
            return {"action": "conclude", "hypotheses": [], "steps": [], "root_causes": []}
        if clean.get("action") in ("verify", "conclude") and "3.1" not in self._once and ("1.5" in self._once or self._roll("1.5")):
            todo = [(t, a) for t, a in busy_work(home_namespace(view)) if canonical(t, a) not in view.done]
            if todo:
                tool, args = todo[self._pick("planner", "1.5", len(todo))]
                if "1.5" not in self._once:
                    self._inject("1.5", f"did not stop when the investigation was done; planned {tool}({args})")
                self._once.add("1.5")
                clean.update(action="investigate", steps=[{"tool": tool, "args": args, "why": "double-check"}])
                clean.pop("root_causes", None)
        if survey_done and "2.3" not in self._once and self._roll("2.3"):
            outside = drift_targets(home_namespace(view), view.neighbourhood or [a["subject"] for a in view.alerts
                                                                                 if a.get("subject")])
            if outside:
                self._once.add("2.3")
                target = outside[self._pick("planner", "2.3", len(outside))]
                self.drift = target
                self._inject("2.3", f"derailed to {target}, outside the alert's neighbourhood")
                look = [{"tool": "list_objects", "args": {"kind": "Deployment", "namespace": target.split("/")[0]},
                         "why": "look around"}, {"tool": "search_logs", "args": {"service": target}, "why": "look around"}]
                clean["steps"] = look + clean.get("steps", [])
                clean["action"] = "investigate"
        drift = getattr(self, "drift", None)
        fixated = drift or ""
        # the fixation lasts until the verifier rejects it (holding on after that is FM-2.5)
        if drift and view.verdicts.get(fixated) != "rejected" and any(
                c.tool == "search_logs" and c.args.get("service") == drift and not c.summary.startswith("BLOCKED")
                for c in view.calls) and clean.get("action") in ("verify", "conclude"):
            ent = fixated
            clean["hypotheses"] = [{"entity": ent, "mechanism": "fixated after derailment", "score": 0.95, "evidence": [],
                                    "reason": "looked at it last"}] + clean.get("hypotheses", [])
            clean["root_causes"] = [ent]
            clean["action"] = "verify"
        return clean

    # -- investigator ----------------------------------------------------------------------
    def _investigator(self, messages: Sequence[LLMMessage], tools: Sequence[Tool | ToolSchema]) -> str | list[FunctionCall]:
        out = super().respond(messages, tools)
        if not isinstance(out, list):
            return out
        view = build_view(messages)
        calls: list[FunctionCall] = []
        for call in out:
            if self._roll("2.6", "investigator"):
                args = json.loads(call.arguments)
                home = home_namespace(view)
                options = [("list_objects", {"kind": k, "namespace": home}) for k in ("Pod", "Service") if home] \
                    + [("list_objects", {"kind": "Pod"})]
                if "service" in args:
                    options = [(call.name, {**args, "service": s}) for s in view.neighbourhood if s != args["service"]] + options
                options = [(t, a) for t, a in options if canonical(t, a) not in view.done and canonical(t, a) not in self._swapped]
                if not options:
                    calls.append(call)
                    continue
                tool, other = options[self._pick("investigator", "2.6", len(options))]
                self._swapped.add(canonical(tool, other))
                swapped = FunctionCall(id=call.id, name=tool, arguments=json.dumps(other, sort_keys=True))
                self._inject("2.6", f"announced {call.name}({args}) but ran {swapped.name}({swapped.arguments})")
                calls.append(swapped)
            else:
                calls.append(call)
        if view.calls and self._roll("1.3", "investigator"):
            prev = view.calls[0]
            self._calls += 1
            calls.append(FunctionCall(id=f"call_{self._calls}", name=prev.tool, arguments=json.dumps(prev.args, sort_keys=True)))
            self._inject("1.3", f"re-ran {prev.tool}({prev.args}) already made as {prev.call_id}")
        return calls

    # -- verifier --------------------------------------------------------------------------
    def _verifier(self, messages: Sequence[LLMMessage], tools: Sequence[Tool | ToolSchema]) -> str:
        clean = json.loads(super().respond(messages, tools)[len("VERDICTS\n"):])  # type: ignore[index]
        for v in clean.get("verdicts", []):
            if v.get("verdict") == "rejected" and self._roll("3.3", "verifier"):
                failed = [c["check"] for c in v.get("checks", []) if not c.get("passed")]
                v["verdict"] = "confirmed"
                v["reason"] = "looks right"
                self._inject("3.3", f"confirmed {v['entity']} although checks failed: {', '.join(failed)}")
        return "VERDICTS\n" + json.dumps(clean, sort_keys=True)
