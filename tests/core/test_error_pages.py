"""Error pages (issue 12.7): every 404, 403, 400/CSRF, 429 and 500 in the frame of where it
happened, in the reader's language, with a plain explanation and a way back; JSON under /api/.
DEBUG is off in tests, as in production."""

import json
import re

import pytest
from django.test import Client

from jiedao.lib.context_processors import LARGE_TEXT_COOKIE
from jiedao.core.models import Role
from jiedao.intake import services
from tests.conftest import sign_in, stored_photos_for, valid_answers
from tests.factories import make_staff

ERROR_URLS = "tests.core.error_urls"


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = ERROR_URLS
    settings.DEBUG = False


@pytest.fixture
def anonymous():
    # Django's test client re-raises a view's exception by default; a browser gets the 500 page.
    return Client(raise_request_exception=False)


def text(response) -> str:
    return response.content.decode()


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def assert_public_frame(page: str, *, lang: str):
    """The public frame: the 长辈版 button, the language switch, a way home and to the lookup."""
    assert html_lang(page) == lang
    assert 'class="site-header"' in page and 'name="on" value="1"' in page
    prefix = "/en" if lang == "en" else ""
    assert f'href="{prefix}/"' in page and f'href="{prefix}/status/"' in page


def assert_staff_frame(page: str, *, lang: str):
    assert html_lang(page) == lang and 'class="staff"' in page
    prefix = "/en" if lang == "en" else ""
    assert f'href="{prefix}/staff/"' in page


# 404


@pytest.mark.django_db
def test_an_unknown_public_address_is_a_chinese_page_in_the_sites_frame(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = text(response)
    assert_public_frame(page, lang="zh-CN")
    assert "没有找到这个页面" in page and "网址不存在" in page
    assert 'href="/en/no-such-page/"' in page  # the language switch stays on the same address
    assert 'href="/no-such-page/"' in text(client.get("/en/no-such-page/"))
    assert "Not Found" not in page  # not Django's bare page


@pytest.mark.django_db
def test_an_unknown_address_under_en_is_an_english_page(client):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    page = text(response)
    assert_public_frame(page, lang="en")
    assert "Page not found" in page  # with the merged English catalogue


@pytest.mark.django_db
def test_the_404_page_keeps_the_large_text_mode_and_its_button_works(client):
    client.cookies[LARGE_TEXT_COOKIE] = "1"
    page = text(client.get("/no-such-page/"))
    assert '<html lang="zh-CN" class="large-text">' in page and 'name="on" value="0"' in page
    response = client.post("/large-text/", {"on": "0", "next": "/no-such-page/"})
    assert response.status_code == 302 and response["Location"] == "/no-such-page/"


@pytest.mark.django_db
def test_an_unknown_staff_address_is_in_the_back_office_frame_with_the_way_to_the_queue(client, programme):
    reviewer = make_staff("reviewer", Role.REVIEWER)
    sign_in(client, reviewer)
    for url, lang in (("/staff/no-such-page/", "zh-CN"), ("/en/staff/no-such-page/", "en")):
        response = client.get(url)
        assert response.status_code == 404
        page = text(response)
        assert_staff_frame(page, lang=lang)
        assert "长辈版" not in page and 'class="staff-nav"' in page
    assert "没有找到这个页面" in text(client.get("/staff/no-such-page/"))
    assert "Page not found" in text(client.get("/en/staff/no-such-page/"))


@pytest.mark.django_db
def test_a_case_outside_a_workers_scope_is_a_404_in_the_back_office_frame(client, programme):
    worker = make_staff("worker_yt", Role.WORKER, ["yongtai"])
    case = services.application_submit(
        programme=programme, answers=valid_answers(), photos=stored_photos_for(programme, ["disabled"])
    )
    assert case.neighbourhood.code == "zhijiangxincun"
    sign_in(client, worker)
    response = client.get(f"/staff/cases/{case.reference}/")
    assert response.status_code == 404
    assert_staff_frame(text(response), lang="zh-CN")


@pytest.mark.django_db
def test_an_unknown_admin_address_is_in_the_back_office_frame(client, programme):
    admin = make_staff("admin", Role.ADMIN, is_superuser=True)
    sign_in(client, admin)
    response = client.get("/admin/no-such-page/")
    assert response.status_code == 404
    assert_staff_frame(text(response), lang="zh-CN")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/nonexistent", "/api/v1/nonexistent/", "/api/nonexistent", "/api/v1/applications/x/y/z"])
def test_an_unknown_api_address_answers_json(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content) == {"code": "not_found", "message": "没有找到。"}
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert json.loads(english.content)["message"] == "Not found."


# 403


@pytest.mark.django_db
def test_a_forbidden_public_page_is_a_page_in_the_sites_frame(client, failing_urls):
    response = client.get("/forbidden/")
    assert response.status_code == 403
    page = text(response)
    assert_public_frame(page, lang="zh-CN")
    assert "不能打开这个页面" in page
    english = client.get("/en/forbidden/")
    assert english.status_code == 403
    assert_public_frame(text(english), lang="en")
    assert "You cannot open this page" in text(english)


@pytest.mark.django_db
def test_an_admin_page_beyond_a_workers_rights_is_a_403_in_the_back_office_frame(client, programme):
    worker = make_staff("worker_yt", Role.WORKER, ["yongtai"])
    sign_in(client, worker)
    response = client.get("/admin/intake/application/")
    assert response.status_code == 403
    page = text(response)
    assert_staff_frame(page, lang="zh-CN")
    assert "没有打开这个页面的权限" in page


@pytest.mark.django_db
def test_a_forbidden_staff_page_in_english_is_in_the_back_office_frame(client, programme, failing_urls):
    reviewer = make_staff("reviewer", Role.REVIEWER)
    sign_in(client, reviewer)
    response = client.get("/en/staff/forbidden/")
    assert response.status_code == 403
    assert_staff_frame(text(response), lang="en")


# CSRF (a 403 too) and 400


@pytest.mark.django_db
def test_a_form_sent_without_its_token_explains_and_offers_the_page_again(programme):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/status/", {"reference": "JGBK-2026-00001", "phone": "13812345678"})
    assert response.status_code == 403
    page = text(response)
    assert_public_frame(page, lang="zh-CN")
    assert "页面已过期" in page and 'href="/status/"' in page and "重新打开这一页" in page
    english = browser.post("/en/status/", {"reference": "JGBK-2026-00001"})
    assert english.status_code == 403
    assert_public_frame(text(english), lang="en")
    assert "This page has expired" in text(english)
    # The page set the cookie again: the form opened from the link now goes through.
    fresh = browser.get("/status/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(fresh)).group(1)
    retried = browser.post("/status/", {"reference": "JGBK-2026-00001", "phone": "13812345678", "csrfmiddlewaretoken": token})
    assert retried.status_code == 200


@pytest.mark.django_db
def test_the_way_back_from_a_refused_form_is_the_page_it_was_on(programme):
    browser = Client(enforce_csrf_checks=True)
    # The 长辈版 button names its page; another form's page is in the Referer; another site's is not followed.
    page = text(browser.post("/large-text/", {"on": "1", "next": "/status/"}))
    assert 'href="/status/"' in page and "页面已过期" in page
    page = text(browser.post("/apply/JGBK/step/who/", {"who": "self"}, HTTP_REFERER="http://testserver/apply/JGBK/step/who/?x=1"))
    assert 'class="button button-wide" href="/apply/JGBK/step/who/?x=1"' in page
    page = text(browser.post("/status/", {}, HTTP_REFERER="https://evil.example/phish/"))
    assert "evil.example" not in page and 'class="button button-wide" href="/status/"' in page


@pytest.mark.django_db
def test_a_staff_form_sent_without_its_token_is_in_the_back_office_frame(programme):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/staff/login/", {"username": "reviewer", "password": "x"})
    assert response.status_code == 403
    page = text(response)
    assert_staff_frame(page, lang="zh-CN")
    assert "页面已过期" in page and 'href="/staff/login/"' in page


@pytest.mark.django_db
def test_too_many_fields_on_a_staff_page_is_said_in_the_back_office_frame(client, programme, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = client.post("/en/staff/login/", {f"f{n}": "x" for n in range(20)})
    assert response.status_code == 413
    assert_staff_frame(text(response), lang="en")


# 429


@pytest.mark.django_db
def test_a_rate_limit_answers_in_the_sites_frame(client, failing_urls):
    response = client.get("/limited/")
    assert response.status_code == 429 and response["Retry-After"] == "60"
    page = text(response)
    assert_public_frame(page, lang="zh-CN")
    assert "操作太频繁了" in page
    english = client.get("/en/limited/")
    assert_public_frame(text(english), lang="en")
    assert "Too many tries" in text(english)


@pytest.mark.django_db
def test_the_status_lookups_rate_limit_answers_in_the_sites_frame(client, programme, settings):
    settings.JIEDAO_STATUS_LOOKUP_ADDRESS_LIMITS = "600:2"
    for _ in range(3):
        response = client.post("/status/", {"reference": "JGBK-2026-99999", "phone": "13812345678"})
    assert response.status_code == 429
    assert_public_frame(text(response), lang="zh-CN")


# 500: no database, no context processors


@pytest.mark.parametrize(
    "url, lang, staff",
    [("/broken/", "zh-CN", False), ("/en/broken/", "en", False), ("/staff/broken/", "zh-CN", True), ("/en/staff/broken/", "en", True)],
)
def test_a_server_error_is_a_plain_page_that_needs_no_database(anonymous, failing_urls, url, lang, staff):
    # No django_db mark: any database access while answering would fail this test.
    response = anonymous.get(url)
    assert response.status_code == 500
    page = text(response)
    assert html_lang(page) == lang and "Server Error (500)" not in page
    prefix = "/en" if lang == "en" else ""
    if staff:
        assert 'class="staff"' in page and f'href="{prefix}/staff/"' in page
    else:
        assert f'href="{prefix}/"' in page and f'href="{prefix}/status/"' in page
        assert ("系统出了点问题" if lang == "zh-CN" else "Something went wrong") in page


def test_a_server_error_keeps_the_large_text_mode(anonymous, failing_urls):
    anonymous.cookies[LARGE_TEXT_COOKIE] = "1"
    assert 'class="large-text"' in text(anonymous.get("/broken/"))


def test_a_server_error_in_the_api_answers_json(anonymous, failing_urls):
    response = anonymous.get("/api/v1/broken")
    assert response.status_code == 500
    assert json.loads(response.content)["code"] == "server_error"
