"""Answers that carry people's data or photos."""

from django.http import FileResponse, HttpResponse
from django.utils.cache import add_never_cache_headers


def private_photo_response(file, *, filename: str) -> FileResponse:
    """A stored JPEG, served so that no browser or proxy keeps it and nothing in it can run."""
    response = FileResponse(file, content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, private"
    return response


def no_store(response: HttpResponse) -> HttpResponse:
    """Pages showing personal data are not kept by the browser's back button or a shared cache."""
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, private"
    return response
