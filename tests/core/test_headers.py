"""Security headers on every kind of response: a public page, a staff page, the API, a 404, a
refused upload and a static file. What they protect: no injected script runs (CSP), no other
site frames our pages (clickjacking), no address leaks in the Referer, and behind the HTTPS proxy
no browser talks to us over plain HTTP again (HSTS)."""

import re

import pytest
from django.test import override_settings

from jiedao.core.models import Role
from tests.conftest import sign_in
from tests.factories import make_staff
from tests.intake.test_public_form import upload
from tests.intake.test_upload_limits import to_first_photo_step

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

PAGES = {
    "public page": "/",
    "English public page": "/en/",
    "status lookup": "/status/",
    "staff sign-in": "/staff/login/",
    "API": "/api/v1/programmes",
    "API docs": "/api/v1/docs",
    "404": "/no-such-page/",
    "static file": "/static/jiedao/site.css",
    "static SVG": "/static/jiedao/favicon.svg",
}


def directives(header: str) -> dict[str, str]:
    parts = (part.strip() for part in header.split(";"))
    return {name: value.strip() for name, _sep, value in (part.partition(" ") for part in parts if part)}


def assert_protected(response):
    assert directives(response["Content-Security-Policy"]) == POLICY
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_every_kind_of_response_carries_the_policy(client, programme, path):
    response = client.get(path)
    assert response.status_code in (200, 401, 404)
    assert_protected(response)


def test_pages_cannot_be_framed_by_another_site(client, programme):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert directives(response["Content-Security-Policy"])["frame-ancestors"] == "'none'"


def test_a_signed_in_staff_page_carries_the_policy(client, programme):
    sign_in(client, make_staff("reviewer", Role.REVIEWER))
    response = client.get("/staff/")
    assert response.status_code == 200
    assert_protected(response)


def test_a_refused_upload_page_carries_the_policy(client, programme, settings):
    photo_step = to_first_photo_step(client)
    settings.JIEDAO_MAX_REQUEST_BYTES = 1024
    response = client.post(photo_step, {"page_1": upload()})
    assert response.status_code == 413
    assert_protected(response)


def test_the_private_photo_keeps_its_stricter_sandbox(client, programme):
    # The middleware must not replace the photo view's own policy with the site's looser one.
    photo_step = to_first_photo_step(client)
    client.post(photo_step, {"page_1": upload(seed=1), "page_2": upload(seed=2)})
    page = client.get(photo_step).content.decode()
    photo_url = re.search(r'src="(/apply/JGBK/photos/\d+/)"', page)[1]
    response = client.get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_pages_have_no_inline_script_style_or_handlers(client, programme):
    # What the policy would block, it must not be needed: a page relying on inline code would
    # break in the browser. (The e2e tests load the real pages with the policy on.)
    photo_step = to_first_photo_step(client)
    for path in ["/", "/programmes/JGBK/", "/status/", photo_step, "/staff/login/"]:
        html = client.get(path).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html and " style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path


PRODUCTION_HTTPS = {
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
}


@override_settings(**PRODUCTION_HTTPS)
@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_behind_the_https_proxy_every_response_carries_hsts(client, programme, path):
    response = client.get(path, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code in (200, 401, 404)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert_protected(response)


@override_settings(**PRODUCTION_HTTPS)
def test_plain_http_in_production_is_sent_to_https(client, programme):
    response = client.get("/status/", HTTP_X_FORWARDED_PROTO="http")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/status/"


# In the browser (Chromium reports what the policy blocks): tests/e2e/test_csp_in_browser.py.
