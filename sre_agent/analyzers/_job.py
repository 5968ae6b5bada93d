"""Job and CronJob: a Job that failed (backoff limit, deadline), a CronJob whose Jobs fail or
that is suspended.

Example:
    >>> from sre_agent.models import K8sObject
    >>> j = K8sObject(0.0, "Job", "ops", "backup-1", {"status": {"failed": 4, "conditions": [
    ...     {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}})
    >>> [f.reason for f in JobAnalyzer().analyze([j], [])]
    ['job_failed']
"""

from __future__ import annotations

from .base import Analyzer, Cluster, Finding, condition, first_last, spec, status, status_time


class JobAnalyzer(Analyzer):
    kind = "Job"
    kinds = ("Job", "CronJob")

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        failed_jobs: dict[str, list[str]] = {}
        for j in cluster.of_kind("Job"):
            jid = j.ref.id
            failed = condition(j, "Failed")
            if not failed or failed.get("status") != "True":
                continue
            owners = cluster.owners(j)
            evs = cluster.events_of(jid, "BackoffLimitExceeded", "DeadlineExceeded", "FailedCreate")
            first, last = first_last(evs, status_time(failed.get("lastTransitionTime")))
            out.append(Finding(object=jid, reason="job_failed", severity="warning", related=owners, first_seen=first, last_seen=last,
                               message=f"{failed.get('reason', 'Failed')}: {failed.get('message', '')} "
                                       f"({status(j).get('failed', 0)} failed pod(s))".strip()))
            for o in owners[:1]:
                failed_jobs.setdefault(o, []).append(jid)
        for cj in cluster.of_kind("CronJob"):
            cid = cj.ref.id
            if failed_jobs.get(cid):
                out.append(Finding(object=cid, reason="cronjob_failing", severity="warning", related=failed_jobs[cid],
                                   message=f"{len(failed_jobs[cid])} of its Jobs failed"))
            if spec(cj).get("suspend"):
                out.append(Finding(object=cid, reason="cronjob_suspended", severity="info", message="suspended: no Job runs"))
        return out
