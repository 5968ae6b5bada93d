"""Load on ``serve``: 1,000 Alertmanager webhooks from 20 concurrent senders on 127.0.0.1.

Simulates a small scenario, starts ``python -m sre_agent serve`` on it (real triage over the
snapshot, bearer-token auth, its own queue database), then 20 sender threads post the webhooks:
``--groups`` alert groups, each re-sent many times (as Alertmanager does every group_interval) and
changing once half-way (a new alert fires in it), so exactly ``2 x groups`` triages are expected
whatever the arrival order.  A sender honours 429/503 ``Retry-After`` and retries a few times.

Prints answered / accepted / deduplicated / triaged / lost and the peak memory of the serve
process (and of this one); exits 1 when a webhook is lost or the triage count is off.
"Lost" is a webhook never answered 2xx, or a job answered 202 that did not finish.

Usage::

    python -m sre_agent.eval.bench_serve [--webhooks 1000] [--senders 20] [--groups 10]
                                         [--scenario Scenario-2] [--scale 0.12]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sre_agent.localhttp import free_port

SERVICES_A = ["cart", "frontend"]
SERVICES_B = ["cart", "frontend", "frontend-proxy"]
STARTS_AT = "2025-10-29T00:31:20Z"  # inside the simulated incident's window


def _webhook(group: int, services: list[str]) -> dict[str, Any]:
    alerts = [{"status": "firing", "fingerprint": f"g{group}-{s}", "startsAt": STARTS_AT,
               "labels": {"alertname": "RequestErrorRate", "namespace": "otel-demo", "service_name": s,
                          "severity": "critical", "bench_group": str(group)},
               "annotations": {"description": f"error rate of {s} above 5%"}} for s in services]
    return {"version": "4", "groupKey": f'{{}}:{{alertname="RequestErrorRate", bench_group="{group}"}}',
            "receiver": "sre-agent", "status": "firing", "groupLabels": {"bench_group": str(group)},
            "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://alertmanager", "alerts": alerts}


def _peak_rss_mib(pid: int) -> float | None:
    """VmHWM (peak resident set) of a live process, Linux only."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class _Sender(threading.Thread):
    def __init__(self, url: str, token: str, work: queue.Queue, results: dict[int, dict[str, Any]], attempts: int) -> None:
        super().__init__(daemon=True)
        self.url, self.token, self.work, self.results, self.attempts = url, token, work, results, attempts

    def run(self) -> None:
        import requests
        with requests.Session() as s:
            s.trust_env = False
            while True:
                try:
                    i, body = self.work.get_nowait()
                except queue.Empty:
                    return
                self.results[i] = self._post(s, body)

    def _post(self, s: Any, body: dict[str, Any]) -> dict[str, Any]:
        import requests
        retries, started, last = 0, time.monotonic(), "no answer"
        for _ in range(self.attempts):
            try:
                r = s.post(self.url, json=body, headers={"Authorization": f"Bearer {self.token}"}, timeout=30)
            except requests.RequestException as exc:
                last = type(exc).__name__
                retries += 1
                time.sleep(0.2)
                continue
            if r.status_code in (429, 503):
                retries += 1
                last = str(r.status_code)
                time.sleep(min(5.0, float(r.headers.get("Retry-After", "1"))))
                continue
            return {"status": r.status_code, "body": r.json() if r.headers.get("Content-Type", "").startswith("application/json") else {},
                    "retries": retries, "latency": time.monotonic() - started}
        return {"status": None, "error": last, "retries": retries, "latency": time.monotonic() - started}


def _wait_drained(url: str, expect: int, timeout: float) -> tuple[dict[str, Any], float]:
    import requests
    started, health = time.monotonic(), {}
    with requests.Session() as s:
        s.trust_env = False
        while time.monotonic() - started < timeout:
            health = s.get(url + "/healthz", timeout=10).json()
            if health["queued"] == 0 and not health["running"] and health["done"] + health["failed"] >= expect:
                break
            time.sleep(0.25)
    return health, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_serve", description=__doc__.splitlines()[0])
    p.add_argument("--webhooks", type=int, default=1000)
    p.add_argument("--senders", type=int, default=20)
    p.add_argument("--groups", type=int, default=10, help="alert groups; each changes once (2 triages per group)")
    p.add_argument("--scenario", default="Scenario-2")
    p.add_argument("--scale", type=float, default=0.12, help="request-rate scale of the simulated scenario")
    p.add_argument("--ground-truths", type=Path,
                   default=Path(__file__).resolve().parent / "data" / "itbench-lite" / "ground_truths")
    p.add_argument("--rate-limit", default="1000/s", help="serve's --rate-limit (all senders share 127.0.0.1)")
    p.add_argument("--timeout", type=float, default=900, help="give up waiting for the triages after this many s")
    args = p.parse_args(argv)
    truth = args.ground_truths / f"{args.scenario}.yaml"
    if not truth.is_file():
        print(f"bench_serve: {truth}: not found", file=sys.stderr)
        return 2
    if args.webhooks < 2 * args.groups or args.senders < 1 or args.groups < 1:
        print("bench_serve: need --webhooks >= 2 x --groups >= 2 and --senders >= 1", file=sys.stderr)
        return 2
    from sre_agent.simulator import simulate

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        work = Path(tmp)
        scenario = simulate(truth, work / "sim", seed=0, scale=args.scale)
        token = secrets.token_urlsafe(24)
        (work / "token").write_text(token + "\n", encoding="utf-8")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(work / "serve.log", "wb")  # noqa: SIM115 - closed below
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc = subprocess.Popen([sys.executable, "-m", "sre_agent", "serve", "--port", str(port), "--snapshot", str(scenario),
                                 "--out", str(work / "runs"), "--auth-token-file", str(work / "token"),
                                 "--rate-limit", args.rate_limit, "--rate-burst", str(max(50, args.senders * 5)),
                                 "--max-queue", str(max(100, 4 * args.groups))],
                                stdout=log, stderr=log, env=env)
        try:
            _wait_up(url, proc, 120)
            plan = [(i, _webhook(i % args.groups, SERVICES_A if i < args.webhooks // 2 else SERVICES_B))
                    for i in range(args.webhooks)]
            work_q: queue.Queue = queue.Queue()
            for item in plan:
                work_q.put(item)
            results: dict[int, dict[str, Any]] = {}
            t0 = time.monotonic()
            senders = [_Sender(url + "/", token, work_q, results, attempts=8) for _ in range(args.senders)]
            for s in senders:
                s.start()
            for s in senders:
                s.join()
            send_wall = time.monotonic() - t0
            accepted = {r["body"]["id"] for r in results.values() if r["status"] == 202}
            health, drain = _wait_drained(url, len(accepted), args.timeout)
            serve_peak = _peak_rss_mib(proc.pid)
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            log.close()
        states = {}
        for job in accepted:
            try:
                states[job] = json.loads((work / "runs" / job / "status.json").read_text())["state"]
            except (OSError, ValueError):
                states[job] = "missing"
        tail = (work / "serve.log").read_text(errors="replace")[-1500:]

    answered = sum(1 for r in results.values() if r["status"] is not None and 200 <= r["status"] < 300)
    duplicates = [r for r in results.values() if r["status"] == 200 and "duplicate_of" in r["body"]]
    dangling = sum(1 for r in duplicates if r["body"]["duplicate_of"] not in accepted)
    triaged = sum(1 for s in states.values() if s == "done")
    failed = sum(1 for s in states.values() if s == "failed")
    unfinished = sum(1 for s in states.values() if s not in ("done", "failed"))
    lost = (args.webhooks - answered) + unfinished + dangling
    expected = 2 * args.groups
    latencies = sorted(r["latency"] for r in results.values())
    retried = sum(r["retries"] for r in results.values())
    bench_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bench_serve: {args.webhooks} webhooks from {args.senders} concurrent senders on 127.0.0.1; {args.groups} alert "
          f"groups x 2 alert sets; real triage over {args.scenario} (simulated, scale {args.scale})")
    print(f"  answered      {answered:5d}   (2xx; {retried} retries after 429/503/connection errors)")
    print(f"  accepted      {len(accepted):5d}   (202, queued on disk)")
    print(f"  deduplicated  {len(duplicates):5d}   (200 naming the earlier job)")
    print(f"  triaged       {triaged:5d}   (expected {expected}; failed {failed})")
    print(f"  lost          {lost:5d}   (unanswered {args.webhooks - answered}, accepted but unfinished {unfinished}, "
          f"repeat of an unknown job {dangling})")
    print(f"  send {send_wall:.1f} s ({args.webhooks / send_wall:.0f} webhooks/s); answer latency p50 "
          f"{1000 * statistics.median(latencies):.0f} ms, p99 {1000 * latencies[int(0.99 * (len(latencies) - 1))]:.0f} ms; "
          f"queue drained {drain:.1f} s after the last answer")
    peak = f"{serve_peak:.0f} MiB" if serve_peak is not None else "n/a"
    print(f"  peak memory   serve {peak} (VmHWM), bench {bench_peak:.0f} MiB (ru_maxrss); serve exit code {code} on SIGTERM")
    ok = lost == 0 and triaged == expected and code == 0
    if not ok:
        print(f"bench_serve: FAILED; serve log tail:\n{tail}", file=sys.stderr)
    return 0 if ok else 1


def _wait_up(url: str, proc: subprocess.Popen, timeout: float) -> None:
    import requests
    deadline = time.monotonic() + timeout
    with requests.Session() as s:
        s.trust_env = False
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"bench_serve: serve exited with {proc.returncode}")
            try:
                if s.get(url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
    raise SystemExit(f"bench_serve: serve did not come up within {timeout} s")


if __name__ == "__main__":
    sys.exit(main())
