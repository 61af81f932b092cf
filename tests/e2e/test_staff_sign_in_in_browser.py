"""A new member of staff's first sign-in in real Chromium: password, then enrolling an
authenticator from the page's QR code (or its key typed in), then the back office."""

import base64
import time

import pytest
from playwright.sync_api import expect
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP

from jiedao.core.models import Role, StaffProfile
from tests.factories import hardship_programme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_from_key_text(key_text: str) -> str:
    """What an authenticator app computes from the key as the page shows it (base32, grouped)."""
    key = key_text.replace(" ", "")
    key += "=" * (-len(key) % 8)
    totp = TOTP(base64.b32decode(key))
    totp.time = time.time()
    return str(totp.token()).zfill(6)


def test_a_new_member_of_staff_enrols_an_authenticator_at_first_sign_in(browser, live_server, settings, screenshot):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    hardship_programme()
    user = get_user_model().objects.create_user("newcomer", password="a long pass phrase", is_staff=True)
    StaffProfile.objects.create(user=user, role=Role.REVIEWER)
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    page.goto(live_server.url + "/staff/")
    page.get_by_label("用户名").fill("newcomer")
    page.get_by_label("密码").fill("a long pass phrase")
    page.get_by_role("button", name="登录").click()

    page.wait_for_url("**/staff/login/enrol/**")
    qr = page.locator("[data-otp-qr] svg")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 200  # big enough to scan from a screen
    screenshot(page, "staff-enrol-phone")
    page.get_by_label("6 位验证码").fill(code_from_key_text(page.locator("[data-otp-key]").inner_text()))
    page.get_by_role("button", name="完成设置并进入").click()
    page.wait_for_url(live_server.url + "/staff/")
    assert page.get_by_role("link", name="申请队列").is_visible()


def test_a_locked_out_member_of_staff_is_told_why_and_for_how_long(browser, live_server, settings, screenshot):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    hardship_programme()
    get_user_model().objects.create_user("reviewer", password="a long pass phrase", is_staff=True)
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    page.goto(live_server.url + "/staff/login/")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        page.get_by_label("用户名").fill("reviewer")
        page.get_by_label("密码").fill("a wrong guess")
        with page.expect_navigation():  # the next attempt types into the page the server sent back
            page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="暂时不能登录")).to_be_visible()
    assert "15 分钟后再试" in page.content()
    screenshot(page, "staff-locked-out-phone")
