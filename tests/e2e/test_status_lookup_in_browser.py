"""The status lookup in real Chromium with what a Chinese keyboard types (issue 12.3): a
full-width reference, a phone with +86 and spaces, and the SMS code typed as "123 456"."""

import pytest
from django.core.cache import caches
from django.conf import settings as django_settings
from playwright.sync_api import expect

from jiedao.intake import services
from jiedao.notices.models import Event, Notice
from tests.conftest import stored_photos_for, valid_answers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def full_width(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


def test_a_full_width_reference_a_phone_with_86_and_a_spaced_code_open_the_case(live_server, browser, programme, settings, tmp_path):
    settings.JIEDAO_SMS_PROVIDER = "console"
    settings.JIEDAO_SMS_CONSOLE_FILE = tmp_path / "sms.jsonl"
    # The code limits (per phone, per address) live in a cache table that outlives other browser
    # tests' cases; this test starts with none counted.
    caches[django_settings.JIEDAO_RATELIMIT_CACHE].clear()
    case = services.application_submit(
        programme=programme, answers=valid_answers(phone="13812340007"), photos=stored_photos_for(programme, ["disabled"])
    )
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/status/")
        page.get_by_label("受理编号").fill(full_width(case.reference)[:-2] + case.reference[-2:])
        page.get_by_label("手机号码").fill("+86 138 1234 0007")
        page.get_by_role("button", name="查询").click()
        expect(page.locator("main")).to_contain_text(case.reference)
        page.get_by_role("button", name="发送验证码到 138****0007 查看详情或补交材料").click()
        page.wait_for_url("**/status/code/")
        code = Notice.objects.filter(event=Event.ACCESS_CODE).latest("created_at").params["code"]
        box = page.get_by_label("6位数字验证码")
        box.press_sequentially(f"{code[:3]} {code[3:]}")
        assert box.input_value() == f"{code[:3]} {code[3:]}"  # the box does not cut the typed space's last digit
        page.get_by_role("button", name="确认").click()
        page.wait_for_url("**/status/case/")
    finally:
        context.close()
