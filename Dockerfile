# syntax=docker/dockerfile:1
#
# Jiedao's container image: one image for the web app (gunicorn, the default command), the notice
# worker (`jiedao notices work`) and one-shot commands (`jiedao migrate`, `jiedao drafts purge` …).
# See docs/deploy.md. Not built in this project's CI (no Docker engine there); the commands it
# runs are checked by tests/core/test_deploy_files.py.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: a virtual environment with the project and its pinned dependencies ---------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /build
# Dependencies first, so that a code change does not reinstall them: the constraints pin every
# runtime library (direct and indirect) to the versions the test suite ran with.
COPY deploy/constraints.txt /build/deploy/constraints.txt
RUN pip install --requirement /build/deploy/constraints.txt
COPY pyproject.toml README.md /build/
COPY src /build/src
RUN pip install --no-deps --constraint /build/deploy/constraints.txt /build \
    && pip check

# Static files, collected and hashed at build time (CompressedManifestStaticFilesStorage), into
# the image, not into a volume, so that every container of one image serves the same files.
# A throw-away data folder and key: nothing generated here may end up in the image.
RUN export JIEDAO_DATA_DIR=/tmp/build-data JIEDAO_MANIFEST_STATIC=1 \
        JIEDAO_SECRET_KEY=collectstatic-only-not-a-secret \
    && jiedao collectstatic --no-input --verbosity 1 \
    && mkdir -p /opt/jiedao \
    && mv /tmp/build-data/static /opt/jiedao/static \
    && rm -rf /tmp/build-data

# --- runtime ---------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="jiedao" \
      org.opencontainers.image.description="Jiedao 街道: a subdistrict office's online service desk"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    JIEDAO_ENV=production \
    JIEDAO_DATA_DIR=/var/lib/jiedao \
    JIEDAO_BIND=0.0.0.0:8000

# pg_dump / pg_restore for `jiedao backup` and `jiedao restore` (Debian bookworm's client is 15,
# the server's major version in compose.yaml; a client older than the server cannot dump it).
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged user with a fixed id (volume permissions stay predictable across rebuilds).
RUN groupadd --system --gid 10001 jiedao \
    && useradd --system --uid 10001 --gid jiedao --home-dir /var/lib/jiedao --no-create-home \
        --shell /usr/sbin/nologin jiedao \
    && install -d -o jiedao -g jiedao -m 0750 /var/lib/jiedao

COPY --from=build /opt/venv /opt/venv
# DATA_DIR holds only the collected static files (documents are in object storage, data in
# PostgreSQL, keys in the environment); it stays writable for the console SMS provider's log.
COPY --from=build --chown=jiedao:jiedao /opt/jiedao/static /var/lib/jiedao/static
COPY deploy/gunicorn.conf.py deploy/healthcheck.py deploy/daily.sh /etc/jiedao/

USER jiedao:jiedao
WORKDIR /var/lib/jiedao
EXPOSE 8000

# /healthz touches nothing but the process; the check sends the proxy's headers (see the script).
HEALTHCHECK --interval=30s --timeout=6s --start-period=30s --retries=3 \
    CMD ["python", "/etc/jiedao/healthcheck.py"]

# As `make run`: gunicorn managing uvicorn worker processes (slow clients cost a socket, not a
# thread: src/jiedao/asgi.py), settings from deploy/gunicorn.conf.py.
CMD ["gunicorn", "--config", "/etc/jiedao/gunicorn.conf.py", "jiedao.asgi:application"]
