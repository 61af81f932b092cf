"""notices_per_s, notices_lost, notices_duplicated: the SMS outbox drained by the real workers
into a fake gateway (bench/sms_gateway.py, its own process).

Residents hear about their case by SMS, and a notice lost or sent twice is a complaint. N notices
(10,000; --quick 1,000), each to its own made-up number so that the per-number limits hold none
back, are drained by three `jiedao notices work` processes claiming at once (SKIP LOCKED on
PostgreSQL, SQLite's write lock otherwise) with the http_json provider pointed at the gateway,
which records every message id. The rate runs from the first to the last message received (the
workers' start-up is in the notes); lost = queued - distinct ids, duplicated = received - distinct.
Baseline, side by side: as many processes POSTing the same number of messages the way the
provider does and nothing else (load.raw_sms_sender): the ceiling of the gateway and the machine.
"""

from __future__ import annotations

import http.client
import json
import math
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .config import BENCH_DIR, BIN
from .load import loadgen_command
from .server import shell_json, stop_process_groups
from .stats import ratio

NOTICE_WORKERS = 3  # several `jiedao notices work` processes: disjoint claims (SKIP LOCKED on PostgreSQL)
BENCH_TEMPLATE = "JIEDAO_BENCH"  # the template code of the bench's notices, counted apart at the gateway

# N notices of a real application's "received" text, each to its own made-up number (the
# per-number limits would hold back a second message to one number for a minute).
_QUEUE_NOTICES = """
import json, uuid
from django.db import connection
from django.utils import timezone
from jiedao.intake.models import Application
from jiedao.notices.models import Notice
from jiedao.notices.services import notice_queue
application = Application.objects.order_by("pk").first()
model = notice_queue(application=application, event="received")[0]
Notice.objects.filter(pk=model.pk).delete()  # only a template to copy from
now = timezone.now()
notices = [Notice(id=uuid.uuid4(), application=application, recipient=model.recipient, phone=f"137{{{offset} + i:08d}}",
                  event=model.event, template_code="{template}", params=model.params, text=model.text,
                  created_at=now, next_attempt_at=now) for i in range({count})]
Notice.objects.bulk_create(notices, batch_size=1000)
print(json.dumps({{"vendor": connection.vendor, "queued": Notice.objects.filter(template_code="{template}", status="queued").count()}}))
"""

_NOTICE_STATUSES = """
import json
from django.db.models import Count
from jiedao.notices.models import Notice
print(json.dumps(dict(Notice.objects.filter(template_code="{template}").values_list("status").annotate(n=Count("pk")))))
"""


def gateway_call(port: int, method: str, path: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, b"" if method == "POST" else None)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def gateway_rate(stats: dict) -> float:
    if not stats["distinct"] or stats["distinct"] < 2 or stats["last"] == stats["first"]:
        return float("nan")
    return (stats["distinct"] - 1) / (stats["last"] - stats["first"])


def bench_notices(env: dict, tmp: Path, profile: dict) -> dict:
    """Rounds A,B: the raw sender (NOTICE_WORKERS processes) then the real workers, each with a
    fresh batch of notices; the gateway counts every message it receives."""
    count = profile["notices"]
    gateway = subprocess.Popen([sys.executable, str(BENCH_DIR / "sms_gateway.py")], stdout=subprocess.PIPE, text=True,
                               start_new_session=True)  # fmt: skip
    rounds = []
    try:
        gport = int(gateway.stdout.readline())
        worker_env = {**env, "JIEDAO_SMS_PROVIDER": "http_json", "JIEDAO_SMS_HTTP_URL": f"http://127.0.0.1:{gport}/sms",
                      "JIEDAO_SMS_HTTP_TOKEN": "bench"}  # fmt: skip
        for n in range(profile["notice_rounds"]):
            # A: the raw sender, as many processes as workers
            gateway_call(gport, "POST", "/__reset")
            raw_template = f"RAW_{n}"
            share = -(-count // NOTICE_WORKERS)
            senders = [subprocess.Popen(loadgen_command(
                {"kind": "sms_raw", "gateway_port": gport, "count": min(share, count - i * share),
                 "offset": n * 10_000_000 + i * share, "template": raw_template}), stdout=subprocess.DEVNULL)
                for i in range(NOTICE_WORKERS)]  # fmt: skip
            for sender in senders:
                sender.wait(timeout=600)
            raw = gateway_call(gport, "GET", f"/__stats?template={raw_template}")

            # B: the real workers draining the outbox
            template = f"{BENCH_TEMPLATE}_{n}"
            queued = shell_json(env, _QUEUE_NOTICES.format(count=count, offset=n * 10_000_000, template=template))
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.time()
            workers = [subprocess.Popen([str(BIN / "jiedao"), "notices", "work"], env=worker_env,
                                        stdout=subprocess.DEVNULL, stderr=(tmp / f"notices-{n}-{i}.log").open("wb"),
                                        start_new_session=True) for i in range(NOTICE_WORKERS)]  # fmt: skip
            last_progress, seen = time.time(), -1
            deadline = started + 120 + count / 20
            try:
                while time.time() < deadline:
                    stats = gateway_call(gport, "GET", f"/__stats?template={template}")
                    if stats["distinct"] >= count:
                        break
                    if stats["distinct"] != seen:
                        seen, last_progress = stats["distinct"], time.time()
                    elif time.time() - last_progress > 30:
                        break  # stuck: what is missing counts as lost
                    time.sleep(0.2)
                time.sleep(1.0)  # let a duplicate in flight arrive
            finally:
                stop_process_groups(workers, timeout=30)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            stats = gateway_call(gport, "GET", f"/__stats?template={template}")
            statuses = shell_json(env, _NOTICE_STATUSES.format(template=template))
            errors = "".join((tmp / f"notices-{n}-{i}.log").read_text(errors="replace") for i in range(NOTICE_WORKERS))
            rounds.append({
                "queued": queued["queued"], "vendor": queued["vendor"], "stats": stats, "raw": raw,
                "rate": gateway_rate(stats), "raw_rate": gateway_rate(raw), "statuses": statuses,
                "worker_cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
                "first_after_start_s": (stats["first"] - started) if stats["first"] else None,
                "error_lines": [line for line in errors.splitlines() if "ERROR" in line or "error" in line][:3],
            })  # fmt: skip
    finally:
        stop_process_groups([gateway], timeout=10)
    return {"rounds": rounds, "workers": NOTICE_WORKERS}


def notices_rows(result: dict, profile: dict) -> list[dict]:
    rounds = result["rounds"]
    vendor = rounds[0]["vendor"]
    queued = sum(r["queued"] for r in rounds)
    received = sum(r["stats"]["received"] for r in rounds)
    distinct = sum(r["stats"]["distinct"] for r in rounds)
    lost, duplicated = queued - distinct, received - distinct
    rate = statistics.mean(r["rate"] for r in rounds)
    raw_rate = statistics.mean(r["raw_rate"] for r in rounds)
    cpu_ms = 1000 * sum(r["worker_cpu_s"] for r in rounds) / max(1, distinct)
    statuses = "; ".join(", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items())) for r in rounds)
    starts = ", ".join(f"{r['first_after_start_s']:.1f}" for r in rounds if r["first_after_start_s"] is not None)
    locking = ("claims with SELECT ... FOR UPDATE SKIP LOCKED" if vendor == "postgresql"
               else "claims serialised by SQLite's write lock (BEGIN IMMEDIATE)")  # fmt: skip
    how = (f"{queued:,} queued notices (each to its own number, so the per-number limits hold none back), "
           f"drained by {result['workers']} `jiedao notices work` processes ({locking}) with "
           f"JIEDAO_SMS_PROVIDER=http_json into a fake gateway in its own process (bench/sms_gateway.py), "
           f"{len(rounds)} round(s)")  # fmt: skip
    common = {"database": vendor, "dataset_size": queued}
    return [
        {
            **common,
            "name": "notices_per_s",
            "value": round(rate, 1),
            "unit": "notices/s",
            "baseline_name": "raw_http_sender_per_s",
            "baseline_value": round(raw_rate, 1),
            "ratio": None if math.isnan(raw_rate) else ratio(rate, raw_rate),
            "notes": f"{how}; rate from the first to the last message the gateway received (the workers' start-up "
            f"excluded: first message {starts} s "
            f"after starting them). Worker CPU {cpu_ms:.1f} ms per notice (all three processes, their "
            f"Django start-up included). Baseline, side by side: "
            f"{result['workers']} processes POSTing as many messages to the same gateway the way the provider does "
            f"(a new connection each) and nothing else: the ceiling of the gateway and the machine. "
            f"Statuses in the database afterwards: {statuses}. Goal: >= 300/s.",
        },
        {
            **common,
            "name": "notices_lost",
            "value": lost,
            "unit": "notices",
            "baseline_name": "notices_queued",
            "baseline_value": queued,
            "ratio": None,
            "notes": f"Queued minus the distinct message ids the gateway received ({distinct:,}). Goal: 0."
            + (f" Worker log: {' | '.join(l for r in rounds for l in r['error_lines'])}" if any(r["error_lines"] for r in rounds) else ""),
        },
        {
            **common,
            "name": "notices_duplicated",
            "value": duplicated,
            "unit": "notices",
            "baseline_name": "notices_received",
            "baseline_value": received,
            "ratio": None,
            "notes": f"Messages the gateway received minus distinct ids: the same notice sent twice. Goal: 0 "
            f"(with {result['workers']} workers claiming at once).",
        },
    ]
