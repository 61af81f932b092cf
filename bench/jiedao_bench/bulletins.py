"""notice_page_rps (issue 17): the current public notices page (/notices/), on the same real
server as the other public pages, side by side with /healthz.

50 keep-alive clients GET /notices/ (ten notices in their period, each with its countdown, and
the archive under them), the answer checked for "公示期还有"; rounds A,B,A,B against GET /healthz
with the same cookie through the same middleware. The ratio is what the page's own work costs.
"""

from __future__ import annotations

import subprocess

from .load import merge_phases, timed_loadgen
from .server import makefile_run_settings, shell_json
from .stats import ratio

CLIENTS = 50
CURRENT, ARCHIVED = 10, 20

_SETUP = f"""
import datetime as dt, json
from django.contrib.auth import get_user_model
from django.utils import timezone
from jiedao.bulletins.models import Bulletin
admin = get_user_model().objects.get(username="admin")
today = timezone.localdate()
rows = [Bulletin(title=f"公示 {{n}}", body="正文", starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=3 + n),
                 office="社区自治办", office_phone="021-56330104", status="published", created_by=admin) for n in range({CURRENT})]
rows += [Bulletin(title=f"往期公示 {{n}}", body="正文", starts_on=today - dt.timedelta(days=40), ends_on=today - dt.timedelta(days=30 - n),
                  office="街道旧改办", office_phone="021-56330100", status="published", created_by=admin) for n in range({ARCHIVED})]
Bulletin.objects.bulk_create(rows)
print(json.dumps({{"current": Bulletin.objects.filter(ends_on__gte=today, status="published").count()}}))
"""


def notice_page_rows(server: subprocess.Popen, port: int, env: dict, profile: dict, vendor: str) -> list[dict]:
    setup = shell_json(env, _SETUP)
    phases = {"healthz": [], "page": []}
    half = profile["http_seconds"] / 2
    for _round in range(2):
        for kind in phases:
            spec = {"port": port, "kind": kind, "clients": CLIENTS, "warmup": profile["http_warmup"], "duration": half,
                    "pairs": [], "path": "/notices/", "expect": "公示期还有"}  # fmt: skip
            phases[kind].append(timed_loadgen(server, spec))
    h, p = merge_phases(phases["healthz"]), merge_phases(phases["page"])
    workers, _threads = makefile_run_settings()
    return [
        {
            "database": vendor,
            "dataset_size": setup["current"],
            "name": "notice_page_rps",
            "value": round(p["rps"], 1),
            "unit": "requests/s",
            "baseline_name": "healthz_rps",
            "baseline_value": round(h["rps"], 1),
            "ratio": ratio(p["rps"], h["rps"]),
            "notes": f"GET /notices/ ({setup['current']} notices in their period with their countdowns, "
            f"{ARCHIVED} archived), page checked for 公示期还有. gunicorn with {workers} uvicorn workers (as "
            f"`make run`), {vendor}; {CLIENTS} keep-alive clients in a second process, {profile['http_seconds']:g} s "
            f"per endpoint in rounds A,B,A,B after {profile['http_warmup']} s warm-up each. p50 {p['p50']:.1f} ms, "
            f"p95 {p['p95']:.1f} ms; server CPU per request {p['server_cpu_ms']:.2f} ms (healthz "
            f"{h['server_cpu_ms']:.2f}); errors {p['errors']} of {p['requests']} ({p['error_kinds']}), healthz "
            f"{h['errors']} of {h['requests']}. Goal: ratio >= 0.45.",
        }
    ]
