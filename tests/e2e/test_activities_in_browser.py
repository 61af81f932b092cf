"""An activity's pages on a 390 px phone: signing up for a group, the own sign-up page reached from
the SMS link, cancelling; each page passes the public pages' audit (text ≥ 18 px, targets ≥ 44 px,
contrast ≥ 4.5:1)."""

import datetime as dt

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
    page.get_by_role("link", name="查看和报名 小区门岗值守志愿服务").click()
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


def test_activity_and_roster_pages_fit_320_to_390_px_in_both_text_sizes(live_server, browser, screenshot):
    from django.utils import timezone

    from jiedao.activities import services as activity_services
    from jiedao.core.models import Neighbourhood
    from jiedao.rosters import services as roster_services
    from jiedao.rosters.models import Post
    from tests.e2e.pages import problems_at_every_width, report

    hardship_programme()
    gate_duty = ActivityFactory(title="3月24日主题党日：共和新路居民区", capacity=1, unit_label="所在党支部",
                                groups=["走访慰问独居老人", "1号门岗值守", "垃圾箱房值守"])  # fmt: skip
    drive = ActivityFactory(kind="blood", title="无偿献血", neighbourhood=None, organiser="芷江西路街道办事处")
    group = gate_duty.groups.first()
    signup = activity_services.signup_create(activity=gate_duty, name="王秀英", phone="13900000013", unit="第一党支部", group=group)
    waiting = activity_services.signup_create(activity=gate_duty, name="李建国", phone="13900000014", unit="第二党支部", group=group)
    post = Post.objects.create(neighbourhood=Neighbourhood.objects.get(code="zhijiangxincun"), code="zjxc-gate-1", name="芷江新村1号门岗")
    roster_services.shifts_generate(post=post, first_day=timezone.localdate(), last_day=timezone.localdate() + dt.timedelta(days=6),
                                    starts=dt.time(7), ends=dt.time(11))  # fmt: skip
    volunteer = roster_services.volunteer_register(neighbourhood=post.neighbourhood, name="王秀英", phone="13900000013")
    today = timezone.localdate()
    pages = [
        "/activities/", f"/activities/{gate_duty.code}/", f"/activities/{drive.code}/", f"/a/{signup.token}/",
        f"/a/{waiting.token}/", f"/activities/{gate_duty.code}/checkin/{activity_services.checkin_code(gate_duty, today)}/",
        f"/v/{volunteer.token}/", f"/rosters/posts/{post.code}/{roster_services.post_code(post, today)}/",
    ]  # fmt: skip
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, locale="zh-CN")

    def shots(page, width, large, path):
        if width == 320 and path in (pages[1], pages[3], pages[6]):
            screenshot(page, f"layout-320-{'large' if large else 'standard'}-{path.strip('/').split('/')[0]}")

    problems = problems_at_every_width(context.new_page(), live_server.url, pages, each=shots)
    context.close()
    assert problems == {}, report(problems)
