"""The dashboard in real Chromium, at phone and desk sizes."""

import pytest

from jiedao.ops.demo import demo_load, demo_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "size, viewport", [("phone", {"width": 390, "height": 844}), ("desk", {"width": 1366, "height": 900})]
)
def test_the_leadership_reads_the_dashboard(browser, live_server, settings, tmp_path, screenshot, size, viewport):
    settings.DATA_DIR = tmp_path
    logins = demo_load()["logins"]
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    page.goto(live_server.url + "/staff/login/")
    page.get_by_label("用户名").fill("leader")
    page.get_by_label("密码").fill(logins["leader"])
    page.get_by_role("button", name="登录").click()
    page.get_by_label("6 位验证码").fill(demo_totp_code("leader")[0])
    page.get_by_role("button", name="验证并进入").click()
    page.get_by_role("link", name="统计").click()
    headline = page.locator("[data-headline]").inner_text()
    assert headline.startswith("截至") and "共受理帮困申请 6 件" in headline
    assert page.locator("svg.chart").count() == 6
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"dashboard-{size}")
