"""The container's health check: GET /healthz on this container's own gunicorn.

Exit 0 when it answers 200 "ok", 1 otherwise. Sent as the reverse proxy would send it: with an
allowed Host and ``X-Forwarded-Proto: https``, so that production's host check and SSL redirect
(JIEDAO_ENV=production) answer the check instead of a 400 or a redirect. Standard library only.
"""

import http.client
import os
import sys


def main() -> int:
    bind = os.environ.get("JIEDAO_BIND", "0.0.0.0:8000")
    port = int(bind.rsplit(":", 1)[1]) if ":" in bind else 8000
    hosts = [
        h.strip()
        for h in os.environ.get("JIEDAO_ALLOWED_HOSTS", "localhost").split(",")
        if h.strip()
    ]
    # ".example.org" allows every subdomain; "*" anything.
    host = next((h.lstrip(".") for h in hosts if h != "*"), "localhost")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(
            "GET", "/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"}
        )
        response = connection.getresponse()
        body = response.read(64)
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if response.status == 200 and body.strip() == b"ok":
        return 0
    print(f"unhealthy: HTTP {response.status}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
