"""Where a public request's time goes: the WSGI application called directly, in one process.

    .venv/bin/python bench/profile_requests.py             # CPU ms per request of each, and /healthz
    .venv/bin/python bench/profile_requests.py --profile checkin   # + a pyinstrument tree of one
    .venv/bin/python bench/profile_requests.py --profile lookup --all   # every frame (Django's included)
    .venv/bin/python bench/profile_requests.py --profile lookup --by-function   # functions by own time

The requests are those of the benchmarks with goals: the status lookup (status_lookup_rps), an
activity sign-up by a new person (signup_rps) and a check-in at the venue (checkin_p95_ms).

No server, no sockets, no test client (whose instrumentation would be in the profile): a WSGI
environ is built by hand and ``jiedao.wsgi.application`` is called with it, so the time is
Django's and the app's, as inside a gunicorn worker. Runs over a throw-away JIEDAO_DATA_DIR with
SQLite and the demo data (``--data-dir`` reuses one), never your ``var/``.

Each request is a new visitor (a csrftoken cookie, no session cookie), as in the benchmarks.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

BIN = Path(sys.executable).parent


def prepare(data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(JIEDAO_DATA_DIR=str(data_dir), JIEDAO_MANIFEST_STATIC="1")
    for args in (["migrate", "--no-input"], ["collectstatic", "--no-input", "--verbosity", "0"], ["demo", "load"]):
        subprocess.run([str(BIN / "jiedao"), *args], env=env, check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", type=int, default=300, help="requests per measurement (default 300)")
    parser.add_argument("--profile", choices=("lookup", "signup", "checkin"), help="print a pyinstrument tree of one")
    parser.add_argument("--all", action="store_true", help="show every frame in the tree")
    parser.add_argument("--by-function", action="store_true",
                        help="with --profile: cProfile's functions by own time instead of a tree")  # fmt: skip
    parser.add_argument("--data-dir", help="an existing JIEDAO_DATA_DIR with the demo data (default: a new one)")
    args = parser.parse_args()

    made = None
    if args.data_dir:
        data_dir = Path(args.data_dir)
        if not (data_dir / "jiedao.sqlite3").exists():
            prepare(data_dir)
    else:
        made = data_dir = Path(tempfile.mkdtemp(prefix="jiedao-profile-"))
        prepare(data_dir)
    try:
        os.environ.pop("DATABASE_URL", None)
        os.environ.update(JIEDAO_DATA_DIR=str(data_dir), JIEDAO_MANIFEST_STATIC="1",
                          DJANGO_SETTINGS_MODULE="jiedao.settings")  # fmt: skip
        return measure(args)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


def activities() -> tuple[str, str, list[str]]:
    """An activity to sign up for (room for everyone), and one today with people signed up."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from jiedao.activities.models import Activity, Signup, SignupStatus
    from jiedao.activities.services import checkin_code

    admin = get_user_model().objects.get(username="admin")
    now = timezone.localtime()
    Activity.objects.filter(code__in=("profile-signup", "profile-checkin")).delete()
    open_one = Activity.objects.create(code="profile-signup", title="profile", organiser="profile", place="profile",
        starts_at=now + dt.timedelta(days=7), ends_at=now + dt.timedelta(days=7, hours=2), capacity=10**6,
        created_by=admin)  # fmt: skip
    end_of_day = now.replace(hour=23, minute=59, second=0, microsecond=0)
    venue = Activity.objects.create(code="profile-checkin", title="profile", organiser="profile", place="profile",
        starts_at=end_of_day, ends_at=end_of_day + dt.timedelta(minutes=1), capacity=5000, created_by=admin)  # fmt: skip
    phones = [f"136{i:08d}" for i in range(5000)]
    Signup.objects.bulk_create(
        Signup(activity=venue, name="到场人", phone=p, status=SignupStatus.CONFIRMED, token=f"p{i:09d}")
        for i, p in enumerate(phones)
    )
    day_code = checkin_code(venue, timezone.localdate())
    return f"/activities/{open_one.code}/", f"/activities/{venue.code}/checkin/{day_code}/", phones


def measure(args) -> int:
    from jiedao.wsgi import application as app  # isort: skip (sets Django up: first)
    from jiedao.intake.models import Application  # isort: skip

    pairs = [(a.reference, a.phone) for a in Application.objects.order_by("pk")]
    signup_path, checkin_path, attendees = activities()

    def call(method: str, path: str, body: bytes = b"", cookie: str = ""):
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000", "wsgi.url_scheme": "http",
            "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
            "wsgi.errors": sys.stderr, "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.version": (1, 0),
            "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9", "HTTP_USER_AGENT": "jiedao-profile",
        }  # fmt: skip
        if body:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        out = {}

        def start_response(status, headers, exc_info=None):
            out["status"], out["headers"] = status, headers

        result = app(environ, start_response)
        data = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        return out["status"], out["headers"], data

    _status, headers, page = call("GET", "/status/")
    cookie = "; ".join(v.split(";", 1)[0] for k, v in headers if k == "Set-Cookie")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()

    def lookup(i: int) -> None:
        reference, phone = pairs[i % len(pairs)]
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "reference": reference, "phone": phone}).encode()
        status, _headers, page = call("POST", "/status/", body, cookie)
        if not status.startswith("200") or f'class="reference">{reference}<'.encode() not in page:
            raise SystemExit(f"the lookup did not show {reference}: {status}")

    def status_form(i: int) -> None:
        call("GET", "/status/", b"", cookie)

    def healthz(i: int) -> None:
        call("GET", "/healthz", b"", cookie)

    new_people = iter(range(10**6))

    def signup(i: int) -> None:
        phone = f"137{next(new_people):08d}"
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "name": "新报名", "phone": phone}).encode()
        status, _headers, _page = call("POST", signup_path, body, cookie)
        if not status.startswith("302"):
            raise SystemExit(f"the sign-up was not taken: {status}")

    arrivals = iter(attendees)  # each checks in once, as at the door: the first check-in writes

    def checkin(i: int) -> None:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "phone": next(arrivals)}).encode()
        status, _headers, page = call("POST", checkin_path, body, cookie)
        if not status.startswith("200") or "签到成功".encode() not in page:
            raise SystemExit(f"the check-in failed: {status}")

    funcs = {"POST /status/ (lookup)": lookup, "GET /status/ (the form)": status_form,
             "POST /activities/<code>/ (sign-up)": signup, "POST …/checkin/<code>/": checkin,
             "GET /healthz": healthz}  # fmt: skip
    for func in funcs.values():
        for i in range(30):
            func(i)
    best: dict[str, float] = {}
    for _round in range(3):  # A, B, C, A, B, C...: the best of three
        for name, func in funcs.items():
            start = time.process_time()
            for i in range(args.n):
                func(i)
            ms = (time.process_time() - start) / args.n * 1000
            best[name] = min(best.get(name, ms), ms)
    for name, ms in best.items():
        print(f"{name:28s} {ms:6.2f} ms CPU per request (best of 3 x {args.n})")

    profiled = {"lookup": lookup, "signup": signup, "checkin": checkin}.get(args.profile)
    if profiled and args.by_function:
        import cProfile
        import pstats

        with cProfile.Profile() as profile:
            for i in range(args.n):
                profiled(i)
        pstats.Stats(profile).sort_stats("tottime").print_stats(40)
    elif profiled:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
        for i in range(args.n):
            profiled(i)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=args.all))
    return 0


if __name__ == "__main__":
    sys.exit(main())
