"""What a resident typed survives the 长辈版 switch and ‹ 上一步, with JavaScript and without."""

import pytest
from tests.factories import hardship_programme


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_pressing_large_text_mid_step_keeps_the_typed_name(live_server, browser, screenshot, javascript):
    hardship_programme()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/programmes/JGBK/")
        page.get_by_role("button", name="开始申请").click()
        page.get_by_text("为我自己申请").click()
        page.get_by_role("button", name="下一步").click()
        page.get_by_label("申请人姓名").fill("俞阿娥")
        page.get_by_label("申请人手机号码").fill("138 1234")
        page.get_by_role("button", name="长辈版 大字").click()
        page.wait_for_selector("html.large-text")
        assert page.get_by_label("申请人姓名").input_value() == "俞阿娥"
        assert page.get_by_label("申请人手机号码").input_value() == "138 1234"
        assert page.locator(".error-summary").count() == 0  # nothing is checked until 下一步
        assert page.get_by_role("button", name="标准版").is_visible()
        screenshot(page, f"large-text-kept-{'js' if javascript else 'no-js'}")
        # Enter in a box still means 下一步, not the switch or ‹ 上一步.
        page.get_by_label("申请人姓名").press("Enter")
        page.wait_for_selector(".error-summary")
        assert "/step/applicant/" in page.url and page.locator("html.large-text").count() == 1
        # ‹ 上一步 keeps it too.
        page.get_by_label("申请人姓名").fill("俞阿娥娥")
        page.get_by_role("button", name="‹ 上一步").click()
        page.wait_for_url("**/step/who/")
        page.get_by_role("button", name="下一步").click()
        assert page.get_by_label("申请人姓名").input_value() == "俞阿娥娥"
    finally:
        context.close()
