"""Duty rosters in real Chromium: a committee worker reads the coverage board on a phone and at a
desk (nothing wider than the screen, short shifts marked in words), and a volunteer takes a shift
from her own page on a phone, which passes the public pages' audit."""

import pytest

from jiedao.ops.demo import demo_load, demo_totp_code
from jiedao.rosters.models import Assignment, Volunteer
from tests.e2e.test_apply_in_browser import AUDIT_JS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "size, viewport", [("phone", {"width": 390, "height": 844}), ("desk", {"width": 1366, "height": 900})]
)
def test_the_committee_reads_the_coverage_board(browser, live_server, settings, tmp_path, screenshot, size, viewport):
    settings.DATA_DIR = tmp_path
    logins = demo_load()["logins"]
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    page.goto(live_server.url + "/staff/login/")
    page.get_by_label("用户名").fill("worker_zjxc")
    page.get_by_label("密码").fill(logins["worker_zjxc"])
    page.get_by_role("button", name="登录").click()
    page.get_by_label("6 位验证码").fill(demo_totp_code("worker_zjxc")[0])
    page.get_by_role("button", name="验证并进入").click()
    page.get_by_role("link", name="值守排班").click()
    page.wait_for_url("**/staff/rosters/")
    assert page.locator(".shift").count() > 0
    assert "芷江新村1号门岗" in page.content() and "永太小区门岗" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"roster-board-{size}")


def test_a_volunteer_takes_a_shift_from_her_link_on_a_phone(live_server, phone_page, settings, tmp_path, screenshot):
    settings.DATA_DIR = tmp_path
    demo_load()
    volunteer = Volunteer.objects.filter(neighbourhood__code="zhijiangxincun").first()
    page = phone_page
    page.goto(f"{live_server.url}/v/{volunteer.token}/")
    problems = page.evaluate(AUDIT_JS)
    before = Assignment.objects.filter(volunteer=volunteer, cancelled_at__isnull=True).count()
    page.get_by_role("button", name="认领这个班次").first.click()
    page.get_by_text("已认领这个班次").wait_for()
    screenshot(page, "roster-volunteer")
    assert Assignment.objects.filter(volunteer=volunteer, cancelled_at__isnull=True).count() == before + 1
    assert problems == []
