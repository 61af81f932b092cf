from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from jiedao.activities.urls import staff_urlpatterns as activities_staff
from jiedao.api.api import api as partner_api
from jiedao.ratings.urls import staff_urlpatterns as ratings_staff
from jiedao.bulletins.urls import staff_urlpatterns as bulletins_staff
from jiedao.news.urls import staff_urlpatterns as news_staff
from jiedao.enterprises.urls import staff_urlpatterns as enterprises_staff
from jiedao.rosters.urls import staff_urlpatterns as rosters_staff
from jiedao.sites.urls import staff_urlpatterns as sites_staff
from jiedao.core.views import healthz
from jiedao.notices.urls import receipt_urlpatterns as notice_receipts

# Django's own request limits (too many files or fields) answer in words, not a bare 400; every
# other error page in the frame of where it happened (public, staff, or JSON under /api/).
handler400 = "jiedao.core.views.bad_request"
handler403 = "jiedao.core.views.permission_denied"
handler404 = "jiedao.core.views.page_not_found"
handler500 = "jiedao.core.views.server_error"

admin.site.site_header = _("街道线上服务 · 工作人员后台")
admin.site.site_title = _("街道线上服务")
admin.site.index_title = _("管理")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Providers post delivery reports to a fixed address, outside the language prefix.
    path("notices/receipts/", include((notice_receipts, "notice_receipts"))),
    # The partner REST API (OpenAPI at /api/v1/openapi.json), outside the language prefix.
    path("api/v1/", partner_api.urls),
    *i18n_patterns(
        path("staff/notices/", include("jiedao.notices.urls")),
        path("staff/activities/", include((activities_staff, "activities_staff"))),
        path("staff/rosters/", include((rosters_staff, "rosters_staff"))),
        path("staff/ratings/", include((ratings_staff, "ratings_staff"))),
        path("staff/bulletins/", include((bulletins_staff, "bulletins_staff"))),
        path("staff/news/", include((news_staff, "news_staff"))),
        path("staff/sites/", include((sites_staff, "sites_staff"))),
        path("staff/", include((enterprises_staff, "enterprises_staff"))),
        path("staff/", include("jiedao.review.urls")),
        path("staff/", include("jiedao.reports.urls")),
        path("", include("jiedao.activities.urls")),
        path("", include("jiedao.rosters.urls")),
        path("", include("jiedao.ratings.urls")),
        path("", include("jiedao.bulletins.urls")),
        path("", include("jiedao.news.urls")),
        path("", include("jiedao.sites.urls")),
        path("", include("jiedao.enterprises.urls")),
        path("", include("jiedao.intake.urls")),
        prefix_default_language=False,
    ),
]
