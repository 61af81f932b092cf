"""The Jiedao under test, run the way `make run` runs it, in a throw-away data folder.

Measuring a development server or a test client would measure something residents never meet, so
every server phase starts gunicorn with the uvicorn workers and deploy/gunicorn.conf.py, as many
workers as the Makefile's WORKERS, manifest static files and an access log (to a file), on a free
127.0.0.1 port over its own JIEDAO_DATA_DIR (DATABASE_URL removed, or pointing at the bench's own
PostgreSQL database `jiedao_bench`, never `test`). `migrate`, `collectstatic` and `demo load` run
once per bench run into a template folder that each phase copies. Whatever happens, the server is
stopped and the folder removed (workspace()), so the developer's var/ and database are untouched.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .config import BIN, ROOT, run_temp_dir

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_BENCH_DB = "jiedao_bench"  # created and dropped here; never `test`, the database CI uses


def makefile_run_settings() -> tuple[int, int]:
    """Worker processes of the Makefile's `run` target, so the bench serves as `make run` does; each
    runs Django's views in one thread (ASGI), hence threads = 1."""
    text = (ROOT / "Makefile").read_text()
    workers = re.search(r"^WORKERS \?= (\d+)", text, re.M)
    return int(workers.group(1)) if workers else 3, 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jiedao(env: dict, *args: str) -> str:
    out = subprocess.run([str(BIN / "jiedao"), *args], env=env, capture_output=True, text=True, timeout=300)
    if out.returncode:
        raise RuntimeError(f"jiedao {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return out.stdout


def shell_json(env: dict, code: str, count: int = 1):
    """`jiedao shell -c code`, whose last `count` lines are JSON: the parsed object (a list of
    them when count > 1). One shell for several answers saves a Django start-up each."""
    values = [json.loads(line) for line in jiedao(env, "shell", "-c", code).strip().splitlines()[-count:]]
    return values[0] if count == 1 else values


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3):
            return True
    except Exception:  # not installed, not running, refused: no PostgreSQL run
        return False


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def data_dir_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(JIEDAO_DATA_DIR=str(tmp), JIEDAO_MANIFEST_STATIC="1", PATH=f"{BIN}:{env.get('PATH', '')}")
    return env


_TEMPLATE_DIR: list[Path] = []


def fresh_data_dir(prefix: str, database: str = "sqlite") -> tuple[Path, dict]:
    """A new JIEDAO_DATA_DIR with the demo data, and the environment to use it. `jiedao migrate`,
    `collectstatic` and `demo load` run once per bench run (they take 10-40 s on a busy machine),
    into a template folder that each phase copies: the SQLite database, the secrets and the
    collected static files. For PostgreSQL the copy keeps the secrets and static files, and
    migrate and demo load run again in the bench's own database."""
    if not _TEMPLATE_DIR:
        template = run_temp_dir("jiedao-bench-template-")
        env = data_dir_env(template)
        jiedao(env, "migrate", "--no-input")
        jiedao(env, "collectstatic", "--no-input", "--verbosity", "0")
        jiedao(env, "demo", "load")
        _TEMPLATE_DIR.append(template)
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    shutil.copytree(_TEMPLATE_DIR[0], tmp, dirs_exist_ok=True)
    env = data_dir_env(tmp)
    if database == "postgresql":
        for stale in tmp.glob("jiedao.sqlite3*"):
            stale.unlink()
        env["DATABASE_URL"] = f"{PG_SERVER}/{PG_BENCH_DB}"
        pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")  # left over by a killed run
        pg_admin(f"CREATE DATABASE {PG_BENCH_DB}")
        jiedao(env, "migrate", "--no-input")
        jiedao(env, "demo", "load")
    return tmp, env


def start_server(env: dict, tmp: Path, log) -> tuple[subprocess.Popen, int]:
    """The server as `make run` starts it: gunicorn with uvicorn workers (as many as the
    Makefile's WORKERS) and deploy/gunicorn.conf.py."""
    workers, _threads = makefile_run_settings()
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", str(ROOT / "deploy" / "gunicorn.conf.py"), "jiedao.asgi:application"],
        env={**env, "JIEDAO_BIND": f"127.0.0.1:{port}", "JIEDAO_WEB_WORKERS": str(workers),
             "JIEDAO_ACCESS_LOG": str(tmp / "access.log")},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_until_up(port, server)
    except Exception:
        stop_server(server)  # a master whose workers crash at start respawns them for ever
        raise
    return server, port


def wait_until_up(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def stop_process_groups(procs: list[subprocess.Popen], timeout: float) -> None:
    """SIGTERM to the process groups we started (each started with start_new_session: gunicorn
    and its workers, a notices worker, the fake gateway), then SIGKILL to any still there after
    `timeout` seconds."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM to the process group we started (gunicorn and its workers), then SIGKILL."""
    stop_process_groups([server], timeout=20)


class Workspace:
    """A phase's data folder, its environment, its log file and the server started over them."""

    def __init__(self, tmp: Path, env: dict, log_path: Path):
        self.tmp, self.env, self.log_path = tmp, env, log_path
        self.log = log_path.open("wb")
        self.server: subprocess.Popen | None = None

    def start_server(self) -> tuple[subprocess.Popen, int]:
        self.server, port = start_server(self.env, self.tmp, self.log)
        return self.server, port

    def stop_server(self) -> None:
        if self.server is not None:
            stop_server(self.server)
            self.server = None


@contextlib.contextmanager
def workspace(prefix: str, log_name: str, database: str = "sqlite"):
    """fresh_data_dir() for one phase, with a log file (the server's and the commands' output). On
    an error the log's tail goes to stderr; in every case the server is stopped, the folder
    removed and, for PostgreSQL, the bench's database dropped."""
    tmp, env = fresh_data_dir(prefix, database)
    ws = Workspace(tmp, env, tmp / log_name)
    try:
        yield ws
    except Exception:
        ws.log.flush()
        sys.stderr.write(ws.log_path.read_text(errors="replace")[-3000:])
        raise
    finally:
        ws.stop_server()
        ws.log.close()
        shutil.rmtree(tmp, ignore_errors=True)
        if database == "postgresql":
            pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
