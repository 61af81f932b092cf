"""Gunicorn settings of the container image (``gunicorn --config /etc/jiedao/gunicorn.conf.py``).

The same numbers as ``make run``, read from the environment so that one image serves any size of
machine. Not a Django settings file: nothing here is read by the application.
"""

import os

# Inside a container the app listens on every interface of its own network namespace; the reverse
# proxy (deploy/nginx.conf) is the only thing that reaches it.
bind = [os.environ.get("JIEDAO_BIND", "0.0.0.0:8000")]
# Processes, each an event loop (uvicorn) that reads requests however slowly they arrive and hands
# complete ones to Django (src/jiedao/asgi.py explains why). Django runs sync views one at a time
# per process, so the processes are the parallelism: photo processing in Pillow and the database
# are most of a request's time; 2–4 processes per core is the usual starting point.
workers = int(os.environ.get("JIEDAO_WEB_WORKERS", "3"))
worker_class = "jiedao.server.UvicornWorker"
# The heartbeat a worker must give the arbiter; a worker stuck for longer is replaced. Slow
# uploads do not count against it: the event loop keeps beating while it reads them.
timeout = int(os.environ.get("JIEDAO_WEB_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak in a C library cannot grow without bound.
# Not too often: an ASGI worker that retires closes its keep-alive connections, and a new one
# pays Django's start-up before it answers.
max_requests = 20000
max_requests_jitter = 2000
# Heartbeat files in memory, not on the container's overlay file system.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Which addresses may set X-Forwarded-Proto for gunicorn itself (Django reads the header through
# SECURE_PROXY_SSL_HEADER). The app port is reachable only on the compose network, hence "*"
# there; on a shared network list the proxies' addresses.
forwarded_allow_ips = os.environ.get("JIEDAO_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Access log to stdout, without the query string: the SMS delivery-report token may travel as
# ?token=…, and no query string here carries anything an operator needs. The line is written by
# jiedao.asgi (address, time, "method path protocol", status, bytes, ms), through this logger.
accesslog = os.environ.get("JIEDAO_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("JIEDAO_LOG_LEVEL", "INFO").lower()
