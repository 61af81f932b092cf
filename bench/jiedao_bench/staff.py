"""dashboard_p50_ms, dashboard_p95_ms, queue_p95_ms, search_p95_ms: the staff pages at city scale,
as one member of staff at a desk feels them.

Sequential requests on one keep-alive connection, each page alternating with GET /healthz (the
baseline: gunicorn + the middleware, nothing else), after warm-up rounds: the dashboard as
`leader` (checked for the headline with the right total), the queue as `reviewer` (the whole
programme, rotating QUEUE_PATHS; every page must list cases), and the queue's search box as the
browser uses it (POST /staff/ with q, then the ?s= page it redirects to, timed together) with
texts from random generated applications: a name, its pinyin or initials, an ID number's last 4,
a phone. The bench types what staff type; how the app finds it is the app's business.

The staff sign-in has a second factor (TOTP) and a lockout, which a benchmark should not script:
_STAFF_SESSIONS makes the signed-in sessions directly in the session store. If the sign-in
changes, that is the one place to follow it.
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.parse
from pathlib import Path

from .goals import GOAL_APPLICATIONS
from .stats import percentile, ratio


class StaffBrowser:
    """One signed-in member of staff: a keep-alive connection and its cookies."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        headers = {**(headers or {}), "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        self.conn.request(method, path, body, headers)
        response = self.conn.getresponse()
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _eq, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def get(self, path: str) -> tuple[int, bytes, float]:
        start = time.perf_counter()
        response = self.send("GET", path)
        body = response.read()
        return response.status, body, (time.perf_counter() - start) * 1000

    @property
    def csrf_token(self) -> str:
        """The form token of the queue page (with its csrftoken cookie), fetched once."""
        if not getattr(self, "_csrf", None):
            status, page, _ms = self.get("/staff/")
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            if status != 200 or token is None or "csrftoken" not in self.cookies:
                raise RuntimeError(f"GET /staff/ gave no CSRF token (HTTP {status})")
            self._csrf = token.group(1).decode()
        return self._csrf

    def download(self, path: str, target: Path) -> tuple[int, str, float]:
        """GET to a file on a fresh connection (gunicorn closes one after a streamed file);
        milliseconds to the last byte."""
        self.conn.close()  # http.client connects again on the next request
        start = time.perf_counter()
        response = self.send("GET", path)
        with target.open("wb") as out:
            while chunk := response.read(1 << 16):
                out.write(chunk)
        return response.status, response.getheader("Content-Type", ""), (time.perf_counter() - start) * 1000


# Signed-in staff sessions, made directly in the session store rather than through the login form:
# the form now has a second factor (TOTP, django-otp) and a lockout (django-axes), which a
# benchmark should not have to script. What a real sign-in leaves in the session is put there:
# Django's auth keys (through django.contrib.auth.login, so its signals run), the staff session's
# clocks if the project keeps them (jiedao.core.staff_auth.staff_session_start), and django-otp's
# verified device (a confirmed TOTPDevice made for the bench) if django-otp is installed.
_STAFF_SESSIONS = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.http import HttpRequest
out = {{}}
for username in {usernames!r}:
    user = get_user_model().objects.get(username=username)
    request = HttpRequest()
    request.META.update(REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT="jiedao-bench")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    backend = next((b for b in settings.AUTHENTICATION_BACKENDS if b.endswith("ModelBackend")),
                   settings.AUTHENTICATION_BACKENDS[-1])
    login(request, user, backend=backend)
    request.user = user  # login() sets it only on a request that had one; django-otp's login needs it
    if "django_otp" in settings.INSTALLED_APPS:
        from django_otp import login as otp_login
        from django_otp.plugins.otp_totp.models import TOTPDevice
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="jiedao-bench", confirmed=True)
        otp_login(request, device)
    try:
        from jiedao.core.staff_auth import staff_session_start
    except ImportError:
        staff_session_start = None
    if staff_session_start is not None:
        request.session.save()
        staff_session_start(session=request.session, user=user)
    request.session.save()
    out[username] = request.session.session_key
print(json.dumps({{"cookie_name": settings.SESSION_COOKIE_NAME, "sessions": out}}))
"""

# Search texts the way staff type them into the queue's search box, taken from random generated
# applications: a name, its full pinyin or its initials, the ID number's last 4, a phone.
_SEARCH_SAMPLES = """
import json, random
from jiedao.intake.models import Application
rng = random.Random(8)
top = Application.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
picked = []
for _ in range(200):
    a = Application.objects.filter(pk__gte=rng.randint(1, top)).order_by("pk").first()
    if a is not None:
        picked.append(a)
    if len(picked) >= {count}:
        break
samples = {{"name": [], "pinyin": [], "id_last4": [], "phone": []}}
for a in picked:
    samples["name"].append(a.applicant_name)
    if getattr(a, "name_pinyin", ""):
        samples["pinyin"].append(a.name_pinyin if len(samples["pinyin"]) % 2 else (a.name_initials or a.name_pinyin))
    try:
        number = a.id_number
    except Exception:
        number = ""
    if number:
        samples["id_last4"].append(number[-4:])
    samples["phone"].append(a.phone)
print(json.dumps(samples, ensure_ascii=False))
"""

# The queue as staff page through it: the newest first, filtered by status, the longest-waiting
# open cases, a neighbourhood, and a page further back.
QUEUE_PATHS = [
    "/staff/",
    "/staff/?status=submitted",
    "/staff/?order=waiting",
    "/staff/?neighbourhood=zhijiangxincun",
    "/staff/?page=20",
]

SESSIONS_SOURCE = "bench/jiedao_bench/staff.py"  # where _STAFF_SESSIONS is, for the notes and errors


def staff_browser(port: int, sessions: dict, username: str) -> StaffBrowser:
    """A browser already signed in as `username` (its session cookie), checked on /staff/."""
    browser = StaffBrowser(port)
    browser.cookies[sessions["cookie_name"]] = sessions["sessions"][username]
    status, page, _ms = browser.get("/staff/")
    if status != 200 or b'name="csrfmiddlewaretoken"' not in page:
        raise RuntimeError(f"the bench's staff session for {username} was not accepted on /staff/ (HTTP {status}); "
                           f"see _STAFF_SESSIONS in {SESSIONS_SOURCE}")  # fmt: skip
    return browser


def bench_staff_pages(port: int, sessions: dict, profile: dict, expected_total: int, samples: dict) -> dict:
    """Sequential requests by one member of staff at a desk, each page alternating with GET /healthz
    (A,B,A,B): the dashboard as leader, the queue and searches as reviewer (the whole programme)."""
    leader = staff_browser(port, sessions, "leader")
    reviewer = staff_browser(port, sessions, "reviewer")
    headline = f"共受理帮困申请 {expected_total} 件".encode()
    kinds = [kind for kind in ("name", "pinyin", "id_last4", "phone") if samples.get(kind)]

    def dashboard() -> float:
        status, page, ms = leader.get("/staff/dashboard/")
        if status != 200 or headline not in page:
            raise RuntimeError(f"dashboard: HTTP {status}, headline with {expected_total} applications not found")
        return ms

    def queue(n: int) -> float:
        path = QUEUE_PATHS[n % len(QUEUE_PATHS)]
        status, page, ms = reviewer.get(path)
        if status != 200 or b"JGBK-" not in page:
            raise RuntimeError(f"queue {path}: HTTP {status} or no case listed")
        return ms

    def search(n: int) -> tuple[str, float, float]:
        """POST the search box (the text goes into the session), then GET the ?s= page it redirects
        to: what a member of staff waits for. Returns (kind, total ms, ms of the GET alone)."""
        kind = kinds[n % len(kinds)]
        values = samples[kind]
        text = values[(n // len(kinds)) % len(values)]
        token = reviewer.csrf_token
        start = time.perf_counter()
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "q": text})
        response = reviewer.send("POST", "/staff/", body, {"Content-Type": "application/x-www-form-urlencoded"})
        response.read()
        location = response.getheader("Location", "")
        if response.status != 302 or "s=" not in location:
            raise RuntimeError(f"search POST: HTTP {response.status} ({location!r})")
        status, page, get_ms = reviewer.get(urllib.parse.urlsplit(location)._replace(scheme="", netloc="").geturl())
        total = (time.perf_counter() - start) * 1000
        if status != 200:
            raise RuntimeError(f"search {kind}: HTTP {status}")
        if b"JGBK-" not in page:  # every sample comes from an existing application
            raise RuntimeError(f"search {kind} ({text!r}) found nothing")
        return kind, total, get_ms

    for n in range(max(3, len(QUEUE_PATHS))):  # warm-up: imports, templates, the database's caches
        leader.get("/healthz")
        dashboard()
        queue(n)  # every queue address once: a first visit reads its index pages from disk
        search(n)
    times = {"healthz": [], "dashboard": [], "queue": [], "search": [], "search_get": []}
    by_kind: dict[str, list[float]] = {kind: [] for kind in kinds}
    for n in range(profile["dashboard_requests"]):  # A, B, A, B
        for page in ("dashboard", "queue", "search"):
            times["healthz"].append(leader.get("/healthz")[2])
            if page == "dashboard":
                times["dashboard"].append(dashboard())
            elif page == "queue":
                times["queue"].append(queue(n))
            else:
                for m in range(len(kinds)):  # one of each kind per round
                    kind, total, get_ms = search(n * len(kinds) + m)
                    times["search"].append(total)
                    times["search_get"].append(get_ms)
                    by_kind[kind].append(total)
    stats = {name: {"p50": percentile(t, 50), "p95": percentile(t, 95), "max": max(t), "n": len(t)}
             for name, t in times.items()}  # fmt: skip
    stats["search_by_kind"] = {kind: {"p50": percentile(t, 50), "p95": percentile(t, 95)} for kind, t in by_kind.items()}
    return stats


def staff_page_rows(common: dict, total: int, pages: dict, profile: dict, server: str) -> list[dict]:
    h = pages["healthz"]
    n = profile["dashboard_requests"]

    def row(name: str, page: str, q: int, notes: str) -> dict:
        d = pages[page]
        key = f"p{q}"
        return {
            **common,
            "dataset_size": total,
            "name": name,
            "value": round(d[key], 1),
            "unit": "ms",
            "baseline_name": f"healthz_{key}_ms",
            "baseline_value": round(h[key], 1),
            "ratio": ratio(d[key], h[key], 2),
            "notes": notes,
        }

    session = ("signed in through a session made in the session store with the auth keys and a verified "
               f"TOTP device (see _STAFF_SESSIONS in {SESSIONS_SOURCE})")  # fmt: skip
    by_kind = ", ".join(f"{kind} {v['p50']:.0f}/{v['p95']:.0f}" for kind, v in pages["search_by_kind"].items())
    return [
        row("dashboard_p50_ms", "dashboard", 50,
            f"GET /staff/dashboard/ as leader, {session}; {n} sequential requests on one keep-alive connection, "
            f"each alternating with GET /healthz, after 5 warm-up rounds (each queue address once); every page is checked for the headline "
            f"\"共受理帮困申请 {total} 件\". {server}. Lower is better."),
        row("dashboard_p95_ms", "dashboard", 95,
            f"As dashboard_p50_ms; slowest {pages['dashboard']['max']:.0f} ms. Goal: <= 300 ms at "
            f"{GOAL_APPLICATIONS:,} applications on PostgreSQL."),
        row("queue_p95_ms", "queue", 95,
            f"GET of the queue as reviewer (the whole programme, 30 a page), {session}, rotating "
            f"{', '.join(QUEUE_PATHS)}; {n} sequential requests alternating with GET /healthz; each page must list "
            f"cases. p50 {pages['queue']['p50']:.0f} ms, slowest {pages['queue']['max']:.0f} ms. {server}. "
            f"Goal: <= 50 ms at {GOAL_APPLICATIONS:,}."),
        row("search_p95_ms", "search", 95,
            f"The queue's search box as reviewer: POST /staff/ with q (kept in the session), then GET the "
            f"/staff/?s=<token> page it redirects to, timed together (what staff wait for); texts from random "
            f"generated applications: a name, full pinyin or initials, the ID number's last 4, a phone, "
            f"one of each per round, {pages['search']['n']} searches alternating with GET /healthz; every result "
            f"page must list a case. p50 {pages['search']['p50']:.0f} ms; the GET alone p50/p95 "
            f"{pages['search_get']['p50']:.0f}/{pages['search_get']['p95']:.0f} ms; by kind p50/p95 (ms): {by_kind}. "
            f"Goal: <= 50 ms at {GOAL_APPLICATIONS:,}."),
    ]
