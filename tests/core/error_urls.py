"""The site's URLs plus views that fail on purpose, for the error-page tests: nothing in the
real site raises PermissionDenied on a public page or a server error on demand."""

from django.conf.urls.i18n import i18n_patterns
from django.core.exceptions import PermissionDenied
from django.urls import path

from jiedao.core.views import too_many_requests
from jiedao.urls import handler400, handler403, handler404, handler500, urlpatterns as site_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def broken(request):
    raise RuntimeError("a bug")


def forbidden(request):
    raise PermissionDenied


def limited(request):
    return too_many_requests(request, retry_after_seconds=60)


urlpatterns = [
    path("api/v1/broken", broken),
    *i18n_patterns(
        path("broken/", broken),
        path("forbidden/", forbidden),
        path("limited/", limited),
        path("staff/broken/", broken),
        path("staff/forbidden/", forbidden),
        prefix_default_language=False,
    ),
    *site_urlpatterns,
]
