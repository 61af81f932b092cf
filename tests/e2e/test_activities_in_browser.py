"""An activity's pages on a 390 px phone: signing up for a group, the own sign-up page reached from
the SMS link, cancelling; each page passes the public pages' audit (text ≥ 18 px, targets ≥ 44 px,
contrast ≥ 4.5:1)."""

import pytest

from jiedao.activities.models import Signup, SignupStatus
from tests.e2e.test_apply_in_browser import AUDIT_JS
from tests.factories import ActivityFactory, hardship_programme

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_resident_signs_up_for_gate_duty_on_a_phone_and_cancels(live_server, phone_page, screenshot):
    hardship_programme()
    activity = ActivityFactory(title="小区门岗值守志愿服务", capacity=5, groups=["早班", "午班"])
    page = phone_page
    problems = {}
    page.goto(live_server.url + "/activities/")
    problems["list"] = page.evaluate(AUDIT_JS)
    page.get_by_role("link", name="小区门岗值守志愿服务").click()
    page.get_by_role("button", name="确认报名").click()  # nothing typed: the error state
    page.locator(".error-summary").wait_for()
    problems["detail (with errors)"] = page.evaluate(AUDIT_JS)
    page.get_by_label("姓名").fill("王秀英")
    page.get_by_label("手机号码").fill("139 0000 0013")
    page.get_by_role("radio", name="午班：午班的任务").check()
    page.get_by_role("button", name="确认报名").click()
    page.wait_for_url("**/a/*/")
    screenshot(page, "activity-signed-up")
    problems["own sign-up"] = page.evaluate(AUDIT_JS)
    assert "已报名" in page.content() and "午班" in page.content()
    page.get_by_role("button", name="取消报名").click()
    page.get_by_text("已取消报名").wait_for()
    assert Signup.objects.get(activity=activity).status == SignupStatus.CANCELLED
    assert {name: found for name, found in problems.items() if found} == {}
