"""Where the status lookup's time goes: the WSGI application called directly, in one process.

    .venv/bin/python bench/profile_status.py              # CPU ms per request: lookup, GET /status/, /healthz
    .venv/bin/python bench/profile_status.py --profile    # + a pyinstrument tree of the lookup
    .venv/bin/python bench/profile_status.py --profile --all   # every frame (Django's included)

No server, no sockets, no test client (whose instrumentation would be in the profile): a WSGI
environ is built by hand and ``jiedao.wsgi.application`` is called with it, so the time is
Django's and the app's, as inside a gunicorn worker. Runs over a throw-away JIEDAO_DATA_DIR with
SQLite and the demo data (``--data-dir`` reuses one), never your ``var/``.

Each lookup is a new visitor (a csrftoken cookie, no session cookie), as in the benchmark.
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
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument tree of the lookup")
    parser.add_argument("--all", action="store_true", help="show every frame in the tree")
    parser.add_argument("--data-dir", help="an existing JIEDAO_DATA_DIR with the demo data (default: a new one)")
    args = parser.parse_args()

    made = None
    if args.data_dir:
        data_dir = Path(args.data_dir)
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


def measure(args) -> int:
    from jiedao.wsgi import application as app
    from jiedao.intake.models import Application

    pairs = [(a.reference, a.phone) for a in Application.objects.order_by("pk")]

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

    funcs = {"POST /status/ (lookup)": lookup, "GET /status/ (the form)": status_form, "GET /healthz": healthz}
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

    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
        for i in range(args.n):
            lookup(i)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=args.all))
    return 0


if __name__ == "__main__":
    sys.exit(main())
