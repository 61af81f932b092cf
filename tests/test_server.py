"""The server `make run` and the container start (gunicorn + uvicorn workers, src/jiedao/asgi.py),
run for real: slow clients do not freeze it, and a worker killed mid-upload leaves no raw photo
in the system temp folder, nor in the spool once `jiedao documents sweep` has run."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MARKER = b"JIEDAO-SPOOL-TEST-MARKER"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real server on a SQLite database of its own (never the test run's database)."""
    tmp_path = tmp_path_factory.mktemp("server")
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIEDAO_", "DATABASE_URL", "DJANGO_"))}
    env.update(JIEDAO_DATA_DIR=str(data), JIEDAO_ACCESS_LOG="-")
    subprocess.run([str(BIN / "jiedao"), "migrate", "--no-input", "-v", "0"], env=env, check=True)
    subprocess.run([str(BIN / "jiedao"), "createcachetable"], env=env, check=True)
    port = free_port()
    env.update(JIEDAO_BIND=f"127.0.0.1:{port}", JIEDAO_WEB_WORKERS="2")
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", str(ROOT / "deploy" / "gunicorn.conf.py"), "jiedao.asgi:application"],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
        try:
            if get(port, "/healthz", timeout=2)[0] == 200:
                break
        except OSError:
            assert time.monotonic() < deadline, "the server did not answer /healthz within 60 s"
            time.sleep(0.3)
    try:
        yield {"port": port, "pid": process.pid, "data": data, "env": env, "log": tmp_path / "server.log"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def get(port: int, path: str, timeout: float = 20) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def open_slow_clients(port: int, headers: int, bodies: int) -> list[socket.socket]:
    """Connections that start a request and never finish it: headers cut short, or a 20 MB upload
    of which only the first bytes arrive."""
    clients = []
    for _ in range(headers):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow")
        clients.append(s)
    for _ in range(bodies):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(
            b"POST /status/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 20000000\r\n\r\n--x\r\nContent-Disposition: form-data; name=\"photo\"; "
            b"filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" + b"\xff" * 1000
        )
        clients.append(s)
    return clients


def test_ordinary_pages_are_answered_while_slow_clients_hang_on(server):
    clients = open_slow_clients(server["port"], headers=100, bodies=50)
    try:
        time.sleep(1)  # every slow connection is accepted and waiting
        for path in ("/status/", "/", "/healthz", "/status/"):
            status, body = get(server["port"], path, timeout=20)
            assert status == 200, (path, body[:300])
        assert "查询".encode() in get(server["port"], "/status/")[1]
    finally:
        for s in clients:
            s.close()


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def marked_files(folder: Path, since: float) -> list[Path]:
    """Files in ``folder`` (top level, written since ``since``) holding the test's marker bytes."""
    found = []
    for path in folder.iterdir() if folder.exists() else []:
        try:
            if path.is_file() and path.stat().st_mtime >= since - 1 and MARKER in path.read_bytes():
                found.append(path)
        except OSError:  # another program's file came and went
            continue
    return found


def test_a_worker_killed_mid_upload_leaves_nothing_after_the_sweep(server):
    started = time.time()
    port = server["port"]
    spool = server["data"] / "spool"
    # Twenty photos of 3 MB each: above FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), so Django writes
    # each to a file as it parses the request, as it does with phone photos.
    photo = MARKER + os.urandom(3 * 1024 * 1024) + MARKER
    parts = [
        f"--x\r\nContent-Disposition: form-data; name=\"photo{i}\"; filename=\"IMG_{i:04}.jpg\"\r\n"
        f"Content-Type: image/jpeg\r\n\r\n".encode() + photo + b"\r\n"
        for i in range(20)
    ]
    body = b"".join(parts) + b"--x--\r\n"
    # A CSRF cookie without its token: the middleware parses the form (to look for the token) and
    # then refuses it, so the parsing happens on any public address.
    request = (
        f"POST /status/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: csrftoken={'a' * 32}\r\n"
        f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    def upload_and_kill_the_workers() -> list[str]:
        sockets = []
        # One upload cut off halfway (the event loop is still reading it), two complete ones.
        for complete in (False, True, True):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(request + (body if complete else body[: len(body) // 2]))
            sockets.append(s)
        # Kill the workers as soon as the parser has written photos to disk, as an OOM kill would.
        seen = []
        deadline = time.monotonic() + 20
        while not seen and time.monotonic() < deadline:
            seen = [p.name for p in spool.rglob("*") if p.is_file()]
        for pid in worker_pids(server["pid"]):
            os.kill(pid, signal.SIGKILL)
        for s in sockets:
            s.close()
        # gunicorn starts new workers; the site answers again.
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(port, "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.3)
        return seen

    # The kill races the request's own clean-up: tried again until it lands mid-parse and leaves
    # files behind (three tries are plenty on a loaded machine).
    for _attempt in range(3):
        assert upload_and_kill_the_workers(), "the uploads were never spooled under the data folder"
        if any(p.is_file() for p in spool.rglob("*")):
            break

    assert marked_files(Path(tempfile.gettempdir()), started) == []
    # What a killed request left in the spool is removed by the sweep once it is an hour old.
    an_hour_ago = time.time() - 3700
    left = [p for p in spool.rglob("*") if p.is_file()]
    assert left, "the killed workers' files should still be there before the sweep"
    for path in left:
        os.utime(path, (an_hour_ago, an_hour_ago))
    result = subprocess.run(
        [str(BIN / "jiedao"), "documents", "sweep"], env=server["env"], capture_output=True, text=True, check=True
    )
    assert "临时文件" in result.stdout
    assert [p for p in spool.rglob("*") if p.is_file()] == []
    assert marked_files(Path(tempfile.gettempdir()), started) == []


def test_the_access_log_leaves_query_strings_out(server):
    get(server["port"], "/healthz?token=s3cr3t")
    time.sleep(0.5)
    text = server["log"].read_text()
    assert "GET /healthz" in text and "s3cr3t" not in text
