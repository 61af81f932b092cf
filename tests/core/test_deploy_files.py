"""The deployment files (Dockerfile, compose.yaml, deploy/) agree with the code they deploy.

No Docker engine runs where these tests run, so the image is never built and compose never starts
here (docs/deploy.md says so). What can be checked without one is checked: the compose file's
services, dependencies and health checks; that its environment is one the real settings accept
(Django's deployment checks included) and wires the database, Redis and S3 to the right services;
that every variable the settings read is documented in deploy/env.example; that the commands the
image and compose run exist; and the image's own command (gunicorn with deploy/gunicorn.conf.py)
and its health check, run for real against production settings.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import tomllib
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
JIEDAO_SERVICES = ("migrate", "app", "worker", "jobs")
VENV_BIN = Path(sys.executable).parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def services() -> dict:
    return compose()["services"]


def env_example() -> dict[str, str]:
    """The uncommented NAME=value lines of deploy/env.example."""
    values = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _sep, value = line.partition("=")
            values[name] = value
    return values


def documented_names() -> set[str]:
    """Every NAME=… in deploy/env.example, commented out or not."""
    return set(
        re.findall(
            r"^#?\s?([A-Z][A-Z0-9_]+)=",
            (DEPLOY / "env.example").read_text(),
            re.MULTILINE,
        )
    )


def settings_env_names() -> set[str]:
    """Every environment variable src/jiedao/settings.py reads."""
    text = (ROOT / "src" / "jiedao" / "settings.py").read_text()
    # os.environ.get("X"), os.environ["X"] and helpers called with the name first, like
    # _flag("JIEDAO_X"); not template codes such as "received": "JIEDAO_RECEIVED".
    names = set(
        re.findall(
            r"""[(\[]\s*["']((?:JIEDAO|DATABASE)_[A-Z0-9_]*[A-Z0-9])["']""", text
        )
    )
    names |= set(
        re.findall(r"""environ(?:\.get)?[(\[]\s*["']([A-Z][A-Z0-9_]+)["']""", text)
    )
    return names


def deploy_env_names() -> set[str]:
    """Variables read by the deployment files themselves (gunicorn, health check, scripts, compose)."""
    names = set()
    for path in [*DEPLOY.rglob("*.py"), *DEPLOY.rglob("*.sh"), ROOT / "compose.yaml"]:
        text = path.read_text()
        names |= set(
            re.findall(r"""environ(?:\.get)?[(\[]\s*["']([A-Z][A-Z0-9_]+)["']""", text)
        )
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", text))
    return names


def interpolate(value, env: dict):
    """compose's ${VAR}, ${VAR:-default} and ${VAR:?message}, as far as this file uses them."""
    if isinstance(value, str):

        def substitute(match):
            name, op, arg = match.group(1), match.group(2), match.group(3)
            if env.get(name):
                return env[name]
            if op == ":?":
                raise AssertionError(f"{name} is required: {arg}")
            return arg or ""

        return re.sub(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", substitute, value)
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    return value


@functools.cache
def _filled_env() -> tuple:
    """deploy/env.example with every change-me filled in, as an operator would (once per run)."""
    env = env_example()
    fresh = {
        "JIEDAO_SECRET_KEY": secrets.token_urlsafe(50),
        "JIEDAO_ID_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "JIEDAO_ID_HASH_KEY": secrets.token_urlsafe(32),
    }
    return tuple(
        (
            name,
            fresh.get(name)
            or (secrets.token_hex(16) if value == "change-me" else value),
        )
        for name, value in env.items()
    )


def filled_env() -> dict[str, str]:
    return dict(_filled_env())


def container_env(service: str) -> dict[str, str]:
    """The environment a Jiedao container gets: the .env file, then compose's own settings."""
    env = filled_env()
    return {
        **env,
        **{
            k: str(v)
            for k, v in interpolate(
                services()[service].get("environment", {}), env
            ).items()
        },
    }


def run_settings(env: dict, script: str, tmp_path) -> subprocess.CompletedProcess:
    # Nothing of this test run's own environment: e.g. the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE.
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JIEDAO_", "DATABASE_URL", "AWS_", "DJANGO_"))
    }
    clean.update(
        env,
        JIEDAO_DATA_DIR=str(tmp_path / "data"),
        DJANGO_SETTINGS_MODULE="jiedao.settings",
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        env=clean,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


# compose.yaml


def test_compose_has_every_service_and_scalable_app_and_worker():
    all_services = services()
    for name in (
        "app",
        "worker",
        "migrate",
        "postgres",
        "redis",
        "minio",
        "minio-setup",
        "proxy",
    ):
        assert name in all_services, name
    for name in ("app", "worker"):
        # Several replicas: no fixed container name, no host port of their own.
        assert "container_name" not in all_services[name]
        assert "ports" not in all_services[name]
        assert all_services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert all_services[name]["depends_on"]["minio-setup"] == {
            "condition": "service_completed_successfully"
        }
    assert all_services["worker"]["command"] == ["jiedao", "notices", "work"]
    assert all_services["migrate"]["depends_on"]["postgres"] == {
        "condition": "service_healthy"
    }
    assert (
        all_services["migrate"]["restart"] == "no"
        and all_services["minio-setup"]["restart"] == "no"
    )
    assert all_services["minio-setup"]["depends_on"]["minio"] == {
        "condition": "service_healthy"
    }
    assert all_services["proxy"]["depends_on"]["app"] == {
        "condition": "service_healthy"
    }
    assert all_services["postgres"]["image"].startswith("postgres:15")
    for name in ("postgres", "redis", "minio"):
        assert all_services[name]["healthcheck"]["test"], name
    # Only the image's HTTP health check fits the app; the one-shots and the worker turn it off.
    assert "healthcheck" not in all_services["app"]
    for name in ("worker", "migrate", "jobs"):
        assert all_services[name]["healthcheck"] == {"disable": True}
    assert set(compose()["volumes"]) >= {"pgdata", "minio-data"}
    assert "pgdata:/var/lib/postgresql/data" in all_services["postgres"]["volumes"]
    assert "minio-data:/data" in all_services["minio"]["volumes"]


def test_compose_wires_the_app_to_its_database_redis_and_bucket():
    all_services = services()
    env = filled_env()
    postgres = interpolate(all_services["postgres"]["environment"], env)
    redis_command = interpolate(all_services["redis"]["command"], env)
    setup = interpolate(all_services["minio-setup"]["environment"], env)
    for service in JIEDAO_SERVICES:
        app = container_env(service)
        assert app["JIEDAO_ENV"] == "production"
        database = urlsplit(app["DATABASE_URL"])
        assert (
            database.scheme == "postgres"
            and database.hostname == "postgres"
            and database.port == 5432
        )
        assert (
            database.username == postgres["POSTGRES_USER"]
            and database.password == postgres["POSTGRES_PASSWORD"]
        )
        assert database.path == "/" + postgres["POSTGRES_DB"]
        redis = urlsplit(app["JIEDAO_REDIS_URL"])
        assert redis.hostname == "redis" and redis.port == 6379
        assert redis_command[redis_command.index("--requirepass") + 1] == redis.password
        assert urlsplit(app["JIEDAO_S3_ENDPOINT_URL"]).hostname == "minio"
        assert app["JIEDAO_S3_BUCKET"] == setup["JIEDAO_S3_BUCKET"]
        assert app["JIEDAO_S3_ACCESS_KEY_ID"] == setup["JIEDAO_S3_ACCESS_KEY_ID"]
        assert (
            app["JIEDAO_S3_SECRET_ACCESS_KEY"] == setup["JIEDAO_S3_SECRET_ACCESS_KEY"]
        )
        # The proxies trusted for client addresses are the compose network itself.
        subnet = compose()["networks"]["backend"]["ipam"]["config"][0]["subnet"]
        assert app["JIEDAO_TRUSTED_PROXIES"] == interpolate(subnet, env)
        assert app["JIEDAO_TRUSTED_PROXY_COUNT"] == "1"


def test_every_variable_compose_gives_the_app_is_one_the_code_reads():
    known = settings_env_names() | deploy_env_names()
    for service in JIEDAO_SERVICES:
        for name in services()[service].get("environment", {}):
            assert name in known, f"{service}: {name} is read by nothing"


def test_the_settings_accept_composes_production_environment(tmp_path):
    script = (
        "import json\n"
        "from django.conf import settings\n"
        "import django; django.setup()\n"
        "print(json.dumps({'storage': settings.STORAGES['default'], 'cache': settings.CACHES['default']['BACKEND'],"
        " 'db': settings.DATABASES['default']['HOST'], 'engine': settings.DATABASES['default']['ENGINE'],"
        " 'debug': settings.DEBUG, 'production': settings.PRODUCTION, 'secure': settings.SESSION_COOKIE_SECURE,"
        " 'proxy_header': settings.SECURE_PROXY_SSL_HEADER}))\n"
    )
    result = run_settings(container_env("app"), script, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["production"] and not seen["debug"] and seen["secure"]
    assert seen["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert (
        seen["engine"] == "django.db.backends.postgresql" and seen["db"] == "postgres"
    )
    assert seen["cache"] == "django.core.cache.backends.redis.RedisCache"
    storage = seen["storage"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["endpoint_url"] == "http://minio:9000"
    assert storage["OPTIONS"]["addressing_style"] == "path"
    assert storage["OPTIONS"]["default_acl"] == "private"


def test_composes_environment_passes_djangos_deployment_checks(tmp_path):
    script = "from jiedao.cli import main; main(['jiedao', 'check', '--deploy', '--fail-level', 'WARNING'])"
    result = run_settings(container_env("app"), script, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_the_commands_compose_and_the_image_run_exist():
    commands = get_commands()

    def check(argv: list[str]):
        assert argv[0] == "jiedao", argv
        name = argv[1]
        assert name in commands, f"jiedao {name} does not exist"
        parser = load_command_class(commands[name], name).create_parser("jiedao", name)
        parser.parse_args(
            argv[2:]
        )  # an unknown sub-command or option raises CommandError

    all_services = services()
    migrate = shlex.split(all_services["migrate"]["command"][-1])
    steps = [migrate[: migrate.index("&&")], migrate[migrate.index("&&") + 1 :]]
    assert steps[0][:2] == ["jiedao", "migrate"] and steps[1] == [
        "jiedao",
        "createcachetable",
    ]
    for argv in [*steps, all_services["worker"]["command"]]:
        check(argv)
    daily = (DEPLOY / "daily.sh").read_text()
    jobs = re.findall(
        r'"((?:[a-z]+ ?)+)"', daily.split("for job in", 1)[1].split(";", 1)[0]
    )
    assert jobs == ["drafts purge", "documents sweep", "retention run"]
    for job in jobs:
        check(["jiedao", *job.split()])
    assert all_services["jobs"]["command"] == ["sh", "/etc/jiedao/daily.sh"]


# The image


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def instruction(name: str) -> list[str]:
    """Every NAME instruction of the Dockerfile, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", dockerfile())
    return [
        line.split(None, 1)[1]
        for line in joined.splitlines()
        if line.split(None, 1)[:1] == [name]
    ]


def copied_into_image() -> dict[str, str]:
    """Destination path in the image → source file in the repository, for COPY from the context."""
    mapping = {}
    for args in instruction("COPY"):
        if args.startswith("--from"):
            continue
        parts = [part for part in args.split() if not part.startswith("--")]
        *sources, destination = parts
        for source in sources:
            target = (
                destination + Path(source).name
                if destination.endswith("/")
                else destination
            )
            mapping[target] = source
    return mapping


def test_the_image_is_slim_python_311_non_root_with_pinned_dependencies():
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in dockerfile()
    assert instruction("USER") == ["jiedao:jiedao"]
    runs = " ".join(instruction("RUN"))
    assert "pip install --requirement /build/deploy/constraints.txt" in runs
    assert (
        "JIEDAO_MANIFEST_STATIC=1" in runs and "jiedao collectstatic --no-input" in runs
    )
    # Nothing generated during the build (keys in a demo data folder) stays in the image.
    assert "rm -rf /tmp/build-data" in runs
    env = " ".join(instruction("ENV"))
    assert "JIEDAO_ENV=production" in env
    # `jiedao backup` / `jiedao restore` run pg_dump / pg_restore, from Debian's client (15).
    assert (
        "bookworm" in dockerfile()
        and "install --yes --no-install-recommends postgresql-client" in runs
    )
    source = (ROOT / "src" / "jiedao" / "ops" / "backup.py").read_text()
    assert '"pg_dump"' in source and '"pg_restore"' in source
    for source in copied_into_image().values():
        assert (ROOT / source).exists(), source


def test_the_constraints_pin_what_the_tests_ran_with():
    pins = dict(
        line.split("==")
        for line in (DEPLOY / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    for name, version in pins.items():
        assert metadata.version(name) == version, (
            f"{name}: constraints {version}, installed {metadata.version(name)}"
        )
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name, version = re.split(r"\[[^\]]*\]==|==", requirement)
        key = re.sub(r"[-_.]+", "-", name).lower()
        assert pins.get(key) == version, (
            f"{requirement} is not pinned in deploy/constraints.txt"
        )


def test_the_dockerignore_keeps_secrets_and_local_data_out_and_the_build_inputs_in():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "var", ".env", "deploy/certs", "tests"} <= ignored
    for source in [*copied_into_image().values(), "pyproject.toml", "README.md", "src"]:
        top = source.split("/")[0]
        assert source not in ignored and top not in ignored, source


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raw_get(port: int, path: bytes, *, proxied: bool = False) -> str:
    """A bare HTTP/1.1 GET, as a client that is not the proxy sends it (or, ``proxied``, as nginx
    passes one on); the whole answer."""
    forwarded = b"X-Forwarded-Proto: https\r\n" if proxied else b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        raw.sendall(
            b"GET "
            + path
            + b" HTTP/1.1\r\nHost: jiedao.example.gov.cn\r\n"
            + forwarded
            + b"Connection: close\r\n\r\n"
        )
        chunks = []
        while chunk := raw.recv(4096):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def build_static(tmp_path) -> Path:
    """The Dockerfile's collectstatic step: a throw-away data folder and key, the manifest storage;
    the static folder is then moved into the runtime data folder, as the image's COPY does."""
    step = next(run for run in instruction("RUN") if "collectstatic" in run)
    exported = dict(re.findall(r"(JIEDAO_[A-Z_]+)=(\S+)", step.split("&&", 1)[0]))
    assert exported["JIEDAO_MANIFEST_STATIC"] == "1" and "JIEDAO_ENV" not in exported
    build_dir = tmp_path / "build-data"
    exported["JIEDAO_DATA_DIR"] = str(build_dir)
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JIEDAO_", "DATABASE_URL", "AWS_"))
    }
    result = subprocess.run(
        [str(VENV_BIN / "jiedao"), "collectstatic", "--no-input", "--verbosity", "0"],
        env={**clean, **exported},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = tmp_path / "data"
    data.mkdir()
    (build_dir / "static").rename(data / "static")
    return data


def test_the_images_command_serves_and_its_health_check_passes(tmp_path):
    """Build the static files as the Dockerfile does, run the image's CMD (gunicorn with
    deploy/gunicorn.conf.py) with production settings as the container would, then the image's
    HEALTHCHECK command against it, and fetch a hashed static file the build produced."""
    data = build_static(tmp_path)
    manifest = json.loads((data / "static" / "staticfiles.json").read_text())["paths"]
    css = next(hashed for name, hashed in manifest.items() if name.endswith(".css"))
    cmd = json.loads(instruction("CMD")[0])
    assert cmd[0] == "gunicorn" and cmd[-1] == "jiedao.asgi:application"
    files = copied_into_image()
    config = cmd[cmd.index("--config") + 1]
    assert files[config] == "deploy/gunicorn.conf.py"
    health = json.loads(instruction("HEALTHCHECK")[0].split("CMD", 1)[1])
    assert health[0] == "python" and files[health[1]] == "deploy/healthcheck.py"

    port = free_port()
    env = container_env("app")
    env.pop(
        "DATABASE_URL"
    )  # /healthz touches no database; nothing listens on "postgres" here
    env.pop("JIEDAO_REDIS_URL")
    env.update(
        JIEDAO_BIND=f"127.0.0.1:{port}",
        JIEDAO_WEB_WORKERS="1",
        JIEDAO_ALLOWED_HOSTS="jiedao.example.gov.cn",
        JIEDAO_DATA_DIR=str(data),
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JIEDAO_", "DATABASE_URL", "AWS_"))
    }
    clean.update(env)
    argv = [
        str(VENV_BIN / cmd[0]),
        *[str(ROOT / files[a]) if a in files else a for a in cmd[1:]],
    ]
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        argv, env=clean, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        check = [sys.executable, str(ROOT / files[health[1]])]
        deadline = time.monotonic() + 30
        while True:
            result = subprocess.run(
                check, env=clean, capture_output=True, text=True, check=False
            )
            if (
                result.returncode == 0
                or time.monotonic() > deadline
                or server.poll() is not None
            ):
                break
            time.sleep(0.3)
        assert result.returncode == 0, (
            result.stderr + (tmp_path / "gunicorn.log").read_text()[-3000:]
        )
        # Without the proxy's headers, production answers with a redirect to https (which is why
        # the health check sends them), so a passing check really went through the app.
        answer = raw_get(port, b"/healthz")
        assert (
            answer.startswith("HTTP/1.1 301")
            and "https://jiedao.example.gov.cn/healthz" in answer
        )
        # The static files collected at build time are served, hashed and cacheable for long.
        static = raw_get(port, f"/static/{css}".encode(), proxied=True)
        assert static.startswith("HTTP/1.1 200") and "max-age=315360000" in static
        # The access log has no query strings (tokens may travel in them).
        raw_get(port, b"/healthz?token=s3cr3t")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    text = (tmp_path / "gunicorn.log").read_text()
    assert "GET /healthz" in text and "s3cr3t" not in text


# The proxy


def nginx() -> str:
    return (DEPLOY / "nginx.conf").read_text()


def test_the_proxy_forwards_scheme_and_client_and_allows_the_apps_upload_limit(
    tmp_path,
):
    conf = nginx()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert "proxy_set_header Host $host;" in conf
    # Nothing is ever cached by the proxy: no cache zone exists at all.
    assert "proxy_cache_path" not in conf and "proxy_cache off;" in conf
    size = re.search(r"client_max_body_size (\d+)m;", conf)
    nginx_bytes = int(size.group(1)) * 1024 * 1024
    result = run_settings(
        {}, "import jiedao.settings as s; print(s.JIEDAO_MAX_REQUEST_BYTES)", tmp_path
    )
    app_bytes = int(result.stdout.strip())
    assert app_bytes <= nginx_bytes <= app_bytes + 2 * 1024 * 1024
    # The upstream is compose's app service on gunicorn's port; the certificates are mounted where read.
    assert re.search(r"server app:8000 resolve", conf)
    assert "0.0.0.0:8000" in (DEPLOY / "gunicorn.conf.py").read_text()
    proxy = services()["proxy"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    assert "./deploy/certs:/etc/nginx/certs:ro" in proxy["volumes"]
    assert (
        "/etc/nginx/certs/fullchain.pem" in conf
        and "/etc/nginx/certs/privkey.pem" in conf
    )


# deploy/env.example


def test_every_variable_the_settings_read_is_documented():
    missing = settings_env_names() - documented_names()
    assert not missing, f"not in deploy/env.example: {sorted(missing)}"


def test_every_documented_variable_is_read_by_something():
    unknown = documented_names() - settings_env_names() - deploy_env_names()
    # Read by Docker images of others (postgres, minio) through compose.yaml's ${…}.
    assert not unknown, f"documented but read by nothing: {sorted(unknown)}"


def test_the_example_has_no_real_secrets():
    for name, value in env_example().items():
        if any(
            word in name for word in ("SECRET", "PASSWORD", "KEY")
        ) and not name.endswith("_KEY_ID"):
            assert value == "change-me", name


# Documentation


def test_the_deployment_guide_says_what_was_not_run_and_is_linked_from_the_readme():
    text = (ROOT / "docs" / "deploy.md").read_text()
    guide = " ".join(
        text.replace("**", "").replace("\n>", "\n").split()
    )  # as a reader sees it
    assert "not run in this project's CI" in guide
    for topic in (
        "SKIP LOCKED",
        "pg_basebackup",
        "jiedao backup",
        "jiedao restore",
        "jiedao drafts purge",
        "jiedao documents sweep",
        "jiedao retention run",
        "replica",
        "TLS",
    ):
        assert topic in guide, topic
    assert "docs/deploy.md" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("path", ["deploy/minio/setup.sh", "deploy/daily.sh"])
def test_the_shell_scripts_parse(path):
    assert subprocess.run(["sh", "-n", str(ROOT / path)], check=False).returncode == 0
