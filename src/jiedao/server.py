"""The gunicorn worker class of ``make run`` and the container image: uvicorn's, with its own
access log off (it prints query strings; jiedao.asgi writes one without them) and no lifespan
events (Django does not use them)."""

from uvicorn_worker import UvicornWorker as _UvicornWorker


class UvicornWorker(_UvicornWorker):
    CONFIG_KWARGS = {"loop": "asyncio", "http": "auto", "access_log": False, "lifespan": "off"}
