"""The load: many HTTP clients in a second process, and what the bench reads from their results.

The clients run in their own process (bench/run.py --loadgen SPEC, which prints a JSON result)
so that their Python does not share a GIL with the bench's bookkeeping; the server is in a third.
Each client is a thread with one keep-alive connection (http.client). A phase has a warm-up and
a measured window: every client connects and gets ready, then a barrier starts one clock for all;
requests started before the warm-up ends are sent (the server's CPU per request counts them) but
not measured. Every answer is checked (a lookup must show its case, a submission must get a
reference), and anything else is an error, counted by kind. The load is bounded in time and in
requests per client (MAX_REQUESTS_PER_CLIENT), whatever the duration.

Parent side: run_loadgen, timed_loadgen (with the server's CPU over the phase), merge_phases
(requests per second, p50/p95, errors, CPU per request over several rounds).
Load-generator side: loadgen, which picks page_loadgen (GET /healthz, GET /status/, POST
/status/, GET /), upload_loadgen (POST /api/v1/applications) or raw_sms_sender (the notices'
baseline).
"""

from __future__ import annotations

import http.client
import json
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

from .applicants import submission
from .config import ENTRY
from .procfs import cpu_seconds
from .stats import add_kinds, fmt_kinds, merged_kinds, percentile

MAX_REQUESTS_PER_CLIENT = 20_000  # a hard bound on the load, whatever the duration


# ---------------------------------------------------------------------------------------------
# In the bench's process


def loadgen_command(spec: dict) -> list[str]:
    """The command of a load-generating process for `spec`."""
    return [sys.executable, str(ENTRY), "--loadgen", json.dumps(spec)]


def _expected_seconds(spec: dict) -> float:
    """How long a phase should take: a timed window, or bursts with their pauses."""
    if "bursts" in spec:
        return spec["bursts"] * (spec["pause"] + 1)
    return spec["warmup"] + spec["duration"]


def run_loadgen(spec: dict) -> dict:
    """One load phase, in a second process (bench/run.py with --loadgen)."""
    out = subprocess.run(
        loadgen_command(spec),
        capture_output=True,
        text=True,
        timeout=_expected_seconds(spec) + 400,
    )
    if out.returncode:
        raise RuntimeError(f"load generator failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout)


def timed_loadgen(server: subprocess.Popen, spec: dict) -> dict:
    """A load phase with the server's CPU time over it."""
    cpu, wall = cpu_seconds(server.pid), time.perf_counter()
    run = run_loadgen(spec)
    run["server_cpu_s"] = cpu_seconds(server.pid) - cpu
    run["server_cores"] = run["server_cpu_s"] / (time.perf_counter() - wall)
    return run


def merge_phases(runs: list[dict]) -> dict:
    latencies = [ms for run in runs for ms in run["latencies_ms"]]
    ok = sum(run["ok"] for run in runs)
    errors = sum(run["errors"] for run in runs)
    seconds = sum(run["seconds"] for run in runs)
    return {
        "rps": ok / seconds,
        "requests": ok + errors,
        "errors": errors,
        "resent": sum(run.get("resent", 0) for run in runs),
        "error_kinds": fmt_kinds(merged_kinds(runs)),
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "server_cpu_ms": 1000 * sum(run["server_cpu_s"] for run in runs) / sum(run["sent"] for run in runs),
        "server_cores": statistics.mean(run["server_cores"] for run in runs),
        "client_cores": statistics.mean(run["cpu_cores"] for run in runs),
    }


# ---------------------------------------------------------------------------------------------
# In the load generator's process


def loadgen(spec: dict) -> dict:
    """The load generator's entry: spec["kind"] says which."""
    if spec["kind"] in ("submit", "surge"):
        return upload_loadgen(spec)
    if spec["kind"] == "sms_raw":
        return raw_sms_sender(spec)
    if spec["kind"].startswith("burst_"):
        return burst_loadgen(spec)
    return page_loadgen(spec)


class _Tally:
    """One client's counts. Every request is `sent` (the server saw it); only those started after
    the warm-up are measured: their latency, and ok or an error by kind."""

    def __init__(self, clock: dict, sent: int = 0):
        self.clock, self.sent = clock, sent
        self.ok = self.errors = self.resent = 0
        self.latencies: list[float] = []
        self.kinds: dict[str, int] = {}

    def record(self, start: float, done: float, failure: str | None) -> None:
        self.sent += 1
        if start >= self.clock["measure_from"]:
            self.latencies.append((done - start) * 1000)
            if failure:
                self.errors += 1
                self.kinds[failure] = self.kinds.get(failure, 0) + 1
            else:
                self.ok += 1


class _Phase:
    """What the clients of one phase share: one clock, started by the barrier once every client
    is connected and ready (warm-up, then the measured window), a lock, and the result."""

    def __init__(self, spec: dict, **extra):
        self.spec = spec
        self.clock: dict[str, float] = {}
        self.barrier = threading.Barrier(spec["clients"], action=self._start_clock)
        self.lock = threading.Lock()
        self.result = {"ok": 0, "errors": 0, "sent": 0, "latencies_ms": [], "error_kinds": {}, **extra}

    def _start_clock(self) -> None:  # run once, when every client is connected and ready
        self.clock["measure_from"] = time.perf_counter() + self.spec["warmup"]
        self.clock["end"] = self.clock["measure_from"] + self.spec["duration"]

    def tally(self, sent: int = 0) -> _Tally:
        return _Tally(self.clock, sent)

    def add(self, tally: _Tally) -> None:
        """One client's tallies into the shared result (the caller holds the lock)."""
        self.result["ok"] += tally.ok
        self.result["errors"] += tally.errors
        self.result["sent"] += tally.sent
        self.result["resent"] = self.result.get("resent", 0) + tally.resent
        self.result["latencies_ms"] += tally.latencies
        add_kinds(self.result["error_kinds"], tally.kinds)

    def run(self, client, *, timeout: float) -> dict:
        """Run ``client(i)`` in spec["clients"] threads at once; the result, with the CPU cores
        this process kept busy and the measured seconds."""
        wall, cpu = time.perf_counter(), time.process_time()
        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(self.spec["clients"])]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=timeout)
        self.result["cpu_cores"] = (time.process_time() - cpu) / (time.perf_counter() - wall)
        self.result["seconds"] = self.spec["duration"]
        return self.result


def page_loadgen(spec: dict) -> dict:
    """spec["clients"] threads hammer one endpoint until warm-up + duration has passed; only
    requests started after the warm-up count. Each client keeps one keep-alive connection."""
    port, kind, pairs = spec["port"], spec["kind"], spec["pairs"]
    phase = _Phase(spec, setup_failures=[])
    result = phase.result

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            # Both sides carry the same cookie (csrftoken), so both go through the same
            # middleware work; neither keeps a session cookie (each lookup is a new visitor).
            headers = csrf_headers(conn)
        except Exception as exc:  # reported below: a client that cannot start spoils the load
            with phase.lock:
                result["setup_failures"].append(repr(exc))
            phase.barrier.abort()
            return
        phase.barrier.wait()
        tally = phase.tally(sent=1)  # everything the server saw: the GET /status/ for the token too
        for n in range(MAX_REQUESTS_PER_CLIENT):
            start = time.perf_counter()
            if start >= phase.clock["end"]:
                break
            if kind == "status":
                reference, phone = pairs[(index + n) % len(pairs)]
            try:
                for attempt in range(2):
                    try:
                        if kind == "status":
                            body = urllib.parse.urlencode(
                                {"csrfmiddlewaretoken": headers["token"], "reference": reference, "phone": phone}
                            )
                            conn.request("POST", "/status/", body, {"Cookie": headers["cookie"],
                                         "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
                        elif kind == "signup":  # a new person each time (activities.py)
                            phone = f"15{spec.get('round', 0)}{index:02d}{n:06d}"
                            body = urllib.parse.urlencode(
                                {"csrfmiddlewaretoken": headers["token"], "name": "报名人", "phone": phone}
                            )
                            conn.request("POST", spec["path"], body, {"Cookie": headers["cookie"],
                                         "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
                        elif kind == "checkin":  # people signed up beforehand, checking in at the venue
                            phone = pairs[(index * 7919 + n) % len(pairs)]
                            body = urllib.parse.urlencode({"csrfmiddlewaretoken": headers["token"], "phone": phone})
                            conn.request("POST", spec["path"], body, {"Cookie": headers["cookie"],
                                         "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
                        elif kind == "form":
                            conn.request("GET", "/status/", headers={"Cookie": headers["cookie"]})
                        elif kind == "home":
                            conn.request("GET", "/", headers={"Cookie": headers["cookie"]})
                        elif kind == "page":  # any public page: spec["path"], checked for spec["expect"]
                            conn.request("GET", spec["path"], headers={"Cookie": headers["cookie"]})
                        else:
                            conn.request("GET", "/healthz", headers={"Cookie": headers["cookie"]})
                        response = conn.getresponse()
                        page = response.read()
                        break
                    except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                        # The server closed this kept-alive connection as the request went out
                        # (gunicorn recycles a worker after max_requests): a browser sends it again
                        # on a new connection, once, and so do we (counted: resent).
                        conn.close()
                        if attempt:
                            raise
                        tally.resent += 1
                if kind == "signup":  # signed up (or waitlisted): redirected to the person's own page
                    location = response.getheader("Location") or ""
                    failure = None if response.status == 302 and "/a/" in location else f"HTTP {response.status}"
                elif response.status != 200:
                    failure = f"HTTP {response.status}"
                elif kind == "checkin" and "签到成功".encode() not in page:
                    failure = "not checked in"
                # The reference alone would match the not-found page too (its form echoes it).
                elif kind == "status" and f'class="reference">{reference}<'.encode() not in page:
                    failure = "case not shown"
                elif kind == "home" and "帮困".encode() not in page:
                    failure = "programme not shown"
                elif kind == "page" and spec["expect"].encode() not in page:
                    failure = "content not shown"
                else:
                    failure = None
            except (OSError, http.client.HTTPException) as exc:
                failure = type(exc).__name__
                conn.close()  # http.client reconnects on the next request
            tally.record(start, time.perf_counter(), failure)
        conn.close()
        with phase.lock:
            phase.add(tally)

    phase.run(client, timeout=spec["warmup"] + spec["duration"] + 60)
    if result["setup_failures"]:
        raise RuntimeError(f"{len(result['setup_failures'])} clients failed to start: {result['setup_failures'][0]}")
    return result


def burst_loadgen(spec: dict) -> dict:
    """spec["bursts"] times, spec["clients"] clients send one request each at the same instant
    (a barrier), then wait spec["pause"] seconds: 50 people scanning the check-in code as the
    doors open, not 50 machines hammering. kind "burst_checkin" checks in a person signed up
    (spec["pairs"]: their phones) at spec["path"]; "burst_healthz" is the baseline."""
    port, clients = spec["port"], spec["clients"]
    barrier = threading.Barrier(clients)
    lock = threading.Lock()
    result = {"ok": 0, "errors": 0, "sent": 0, "latencies_ms": [], "error_kinds": {}}
    wall, cpu = time.perf_counter(), time.process_time()

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = csrf_headers(conn)
        tally = {"ok": 0, "errors": 0, "sent": 1, "latencies": [], "kinds": {}}
        for n in range(spec["bursts"]):
            barrier.wait()
            start = time.perf_counter()
            try:
                if spec["kind"] == "burst_checkin":
                    phone = spec["pairs"][(n * clients + index) % len(spec["pairs"])]
                    body = urllib.parse.urlencode({"csrfmiddlewaretoken": headers["token"], "phone": phone})
                    conn.request("POST", spec["path"], body, {"Cookie": headers["cookie"],
                                 "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
                else:
                    conn.request("GET", "/healthz", headers={"Cookie": headers["cookie"]})
                response = conn.getresponse()
                page = response.read()
                if response.status != 200:
                    failure = f"HTTP {response.status}"
                elif spec["kind"] == "burst_checkin" and "签到成功".encode() not in page:
                    failure = "not checked in"
                else:
                    failure = None
            except (OSError, http.client.HTTPException) as exc:
                failure = type(exc).__name__
                conn.close()
            tally["sent"] += 1
            tally["latencies"].append((time.perf_counter() - start) * 1000)
            if failure:
                tally["errors"] += 1
                tally["kinds"][failure] = tally["kinds"].get(failure, 0) + 1
            else:
                tally["ok"] += 1
            time.sleep(spec["pause"])
        conn.close()
        with lock:
            for key in ("ok", "errors", "sent"):
                result[key] += tally[key]
            result["latencies_ms"] += tally["latencies"]
            add_kinds(result["error_kinds"], tally["kinds"])

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=spec["bursts"] * (spec["pause"] + 30) + 60)
    result["seconds"] = time.perf_counter() - wall
    result["cpu_cores"] = (time.process_time() - cpu) / result["seconds"]
    return result


def upload_loadgen(spec: dict) -> dict:
    """spec["clients"] threads, each a resident after another submitting a new application (a new
    ID number and phone each time) through POST /api/v1/applications; only requests started after
    the warm-up count. Every answer but 201 with a reference is a failure, by kind."""
    port, token = spec["port"], spec["token"]
    photos = [Path(p).read_bytes() for p in spec["photos"]]
    phase = _Phase(spec, samples=[], window_ok=0.0)
    result, clock = phase.result, phase.clock

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        phase.barrier.wait()
        tally = phase.tally()
        window_ok = 0.0  # successful requests, each counted by the share of its time inside the window
        samples = []
        for n in range(MAX_REQUESTS_PER_CLIENT):
            start = time.perf_counter()
            if start >= clock["end"]:
                break
            body, content_type = submission(spec["id_base"] + index * 10_000 + n, photos)
            try:
                conn.request("POST", "/api/v1/applications", body, {"Authorization": f"Bearer {token}",
                             "Content-Type": content_type, "Accept-Language": "zh-hans"})  # fmt: skip
                response = conn.getresponse()
                page = response.read()
                failure = None if response.status == 201 and b'"reference"' in page else f"HTTP {response.status}"
                if failure and len(samples) < 2:
                    samples.append(f"{failure}: {page[:300].decode(errors='replace')}")
            except (OSError, http.client.HTTPException) as exc:
                failure = type(exc).__name__
                conn.close()
            done = time.perf_counter()
            if failure is None and done > start:
                inside = min(done, clock["end"]) - max(start, clock["measure_from"])
                window_ok += max(0.0, inside) / (done - start)
            tally.record(start, done, failure)
        conn.close()
        with phase.lock:
            phase.add(tally)
            result["samples"] += samples
            result["window_ok"] += window_ok

    phase.run(client, timeout=spec["warmup"] + spec["duration"] + 330)
    result["samples"] = result["samples"][:3]
    return result


def raw_sms_sender(spec: dict) -> dict:
    """The notices baseline (in the load generator process): POST as many messages to the gateway
    as the workers will, the way the http_json provider does (a new connection each), nothing else."""
    port = spec["gateway_port"]
    for i in range(spec["count"]):
        body = json.dumps({"id": str(uuid.uuid4()), "phone": f"136{spec['offset'] + i:08d}",
                           "sign": "芷江西路街道", "template": spec["template"], "params": {"reference": "JGBK-2026-00001"},
                           "text": "【芷江西路街道】您的申请已受理"}, ensure_ascii=False).encode()  # fmt: skip
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/sms", body, {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"})
        conn.getresponse().read()
        conn.close()
    return {"sent": spec["count"]}


def csrf_headers(conn: http.client.HTTPConnection) -> dict:
    """GET /status/ once: the csrftoken cookie and the form's csrfmiddlewaretoken."""
    conn.request("GET", "/status/")
    response = conn.getresponse()
    page = response.read().decode()
    cookies = "; ".join(c.split(";", 1)[0] for c in response.msg.get_all("Set-Cookie") or [])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if response.status != 200 or "csrftoken=" not in cookies or token is None:
        raise RuntimeError(f"GET /status/ gave no CSRF cookie or token (HTTP {response.status})")
    return {"cookie": cookies, "token": token.group(1)}
