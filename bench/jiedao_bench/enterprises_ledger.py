"""ledger_balance_ms and handout_race (issue 16): the supplies ledger of enterprise outreach, in a
fresh interpreter over a throw-away SQLite database (migrated, the demo places and staff loaded).

- ledger_balance_ms: the stock of every item (口罩, 免洗洗手液, 消毒片, …, 8 items) read as the
  staff pages and the dashboard read it (``enterprises.selectors.balances``: the running balances
  kept under each item's lock), 200 times over ``ledger_rows`` ledger rows (1,000,000 in a full run,
  bulk-inserted with their balances); p95 in ms. Baseline: the recount, ``selectors.balances_recount``
  (SUM over every row, grouped by item), which must give the same figures (checked).
- handout_race: 50 threads handing out one box each of the last 10 at the same instant through
  ``enterprises.ledger.handout_record``: how many succeeded (must be exactly 10), how many were told
  "库存不足", and the lowest balance ever written (must not be below 0); the value is the number of
  wrong outcomes (0 when exactly 10 succeeded, no balance went negative and nothing else failed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .config import BIN, ROOT, run_temp_dir
from .stats import ratio

ITEMS = 8
READS = 200
RACERS, LAST = 50, 10

SCRIPT = r"""
import io, json, os, threading, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiedao.settings")
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image, ImageDraw
from stdnum.cn import uscc
from jiedao.ops.demo import load_places, load_staff
load_places(); load_staff()
from jiedao.enterprises import ledger, selectors
from jiedao.enterprises.models import Enterprise, Item, LedgerEntry

rows, items_n, reads, racers, last = {rows}, {items}, {reads}, {racers}, {last}
admin = get_user_model().objects.get(username="admin")
def code(n):
    base = f"91310106MA1{{n:06d}}"
    return base + uscc.calc_check_digit(base)
enterprises = [Enterprise.objects.create(name=f"企业{{n}}", uscc=code(n), union_separate=True) for n in range(1, 31)]
items = [Item.objects.create(name=f"物资{{n}}", unit="只") for n in range(items_n)]
now = timezone.now()
balances = {{item.pk: 0 for item in items}}
batch = []
for n in range(rows):
    item = items[n % items_n]
    if balances[item.pk] < 10 or n % 3 == 0:
        quantity, enterprise = 50, None
    else:
        quantity, enterprise = -((n % 7) + 1), enterprises[n % 30]
    balances[item.pk] += quantity
    batch.append(LedgerEntry(item=item, kind="receipt" if quantity > 0 else "handout", quantity=quantity,
        balance_after=balances[item.pk], enterprise=enterprise, at=now, source="bench" if quantity > 0 else "",
        received_by="" if quantity > 0 else "bench", signature="" if quantity > 0 else "bench.png"))
    if len(batch) == 5000:
        LedgerEntry.objects.bulk_create(batch); batch = []
LedgerEntry.objects.bulk_create(batch)
for pk, balance in balances.items():
    Item.objects.filter(pk=pk).update(balance=balance)
with connection.cursor() as cursor:
    cursor.execute("ANALYZE") if connection.vendor == "sqlite" else None

out = {{}}
timings = []
for _ in range(reads):
    clock = time.perf_counter(); stock = {{item.pk: item.balance for item in selectors.balances()}}; timings.append(time.perf_counter() - clock)
recounts = []
for _ in range(5):
    clock = time.perf_counter(); recount = selectors.balances_recount(); recounts.append(time.perf_counter() - clock)
timings.sort(); recounts.sort()
out["p95_ms"] = timings[int(0.95 * len(timings)) - 1] * 1000
out["p50_ms"] = timings[len(timings) // 2] * 1000
out["recount_ms"] = recounts[len(recounts) // 2] * 1000
out["agree"] = stock == recount == balances

# The race: the last 10 boxes, 50 handouts at once.
boxes = Item.objects.create(name="消毒片", unit="盒")
ledger.receipt_record(item=boxes, quantity=last, source="bench", actor=admin)
image = Image.new("LA", (200, 80), (0, 0)); ImageDraw.Draw(image).line([(10, 60), (190, 20)], fill=(0, 255), width=4)
png = io.BytesIO(); image.save(png, format="PNG"); png = png.getvalue()
barrier = threading.Barrier(racers)
results, errors = [], []
def one(index):
    try:
        barrier.wait()
        ledger.handout_record(item=boxes, quantity=1, enterprise=enterprises[index % 30], received_by="bench", actor=admin, signature_png=png)
        results.append("ok")
    except ledger.OutOfStock as refused:
        results.append("short" if "库存不足" in str(refused.message) else "other")
    except Exception as error:
        errors.append(repr(error))
    finally:
        connection.close()
threads = [threading.Thread(target=one, args=(i,)) for i in range(racers)]
clock = time.perf_counter()
[t.start() for t in threads]; [t.join() for t in threads]
out["race_s"] = time.perf_counter() - clock
out["succeeded"] = results.count("ok"); out["short"] = results.count("short"); out["errors"] = errors[:3] + [r for r in results if r == "other"]
out["lowest"] = min(LedgerEntry.objects.filter(item=boxes).values_list("balance_after", flat=True))
out["final"] = Item.objects.get(pk=boxes.pk).balance
print(json.dumps(out))
"""


def bench_enterprises(profile: dict) -> list[dict]:
    folder = run_temp_dir("jiedao-bench-enterprises-")
    env = {**os.environ, "JIEDAO_DATA_DIR": str(folder), "DJANGO_SETTINGS_MODULE": "jiedao.settings"}
    env.pop("DATABASE_URL", None)
    rows = profile.get("ledger_rows", 1_000_000)
    script = SCRIPT.format(rows=rows, items=ITEMS, reads=READS, racers=RACERS, last=LAST)
    done = subprocess.run([str(BIN / "python"), "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        print(done.stderr[-3000:], file=sys.stderr)
        raise RuntimeError("the enterprises benchmark failed")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    common = {"database": "sqlite"}
    return [
        {
            **common,
            "dataset_size": rows,
            "name": "ledger_balance_ms",
            "value": round(out["p95_ms"], 3),
            "unit": "ms",
            "baseline_name": "ledger_recount_ms",
            "baseline_value": round(out["recount_ms"], 2),
            "ratio": ratio(out["p95_ms"], out["recount_ms"]),
            "notes": f"The stock of every item ({ITEMS}) over {rows:,} ledger rows, read {READS} times through "
            f"enterprises.selectors.balances (running balances kept under each item's lock): p95, p50 "
            f"{out['p50_ms']:.3f} ms. Baseline: the recount (SUM of the rows by item, median of 5), which "
            f"{'gives the same figures' if out['agree'] else 'DISAGREES'}. Goal: <= 50 ms p95.",
        },
        {
            **common,
            "dataset_size": RACERS,
            "name": "handout_race",
            "value": abs(out["succeeded"] - LAST) + (out["lowest"] < 0) + len(out["errors"]),
            "unit": "wrong outcomes",
            "baseline_name": "handouts_succeeded",
            "baseline_value": out["succeeded"],
            "ratio": None,
            "notes": f"{RACERS} threads handing out 1 of the last {LAST} boxes at the same instant through "
            f"enterprises.ledger.handout_record, SQLite: {out['succeeded']} succeeded, {out['short']} told "
            f"库存不足, errors {out['errors'] or 'none'}; lowest balance written {out['lowest']}, final "
            f"{out['final']}; {out['race_s']:.2f} s. The value counts what went wrong (handouts beyond or short "
            f"of {LAST}, a negative balance, other errors). Goal: 0.",
        },
    ]
