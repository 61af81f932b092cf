"""Rating a case from the SMS link on a 390 px phone with JavaScript off: a missing score is named
and what was chosen and typed stays; the rating is thanked, and the link then says it was used.
Every rating page passes the public pages' audit (text ≥ 18 px, targets ≥ 44 px, contrast ≥ 4.5:1)
and fits 320–390 px in both text sizes."""

import pytest
from playwright.sync_api import expect

from jiedao.ratings import services
from jiedao.ratings.models import Rating
from tests.e2e.test_apply_in_browser import AUDIT_JS
from tests.factories import hardship_programme, rating_invitation

pytestmark = pytest.mark.django_db(transaction=True)

SCORES = {"整体满意度": "2", "办事效率": "1", "办事指南精确度": "3", "办事便捷度": "2", "平台操作性": "3"}


def test_a_resident_rates_a_case_without_javascript_and_the_link_is_then_used(live_server, browser, screenshot):
    hardship_programme()
    _invitation, token = rating_invitation()
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, locale="zh-CN",
                                  java_script_enabled=False)  # fmt: skip
    page = context.new_page()
    page.goto(f"{live_server.url}/ratings/{token}/")  # the audit runs script: see the next test
    page.get_by_role("radio", name="不满意", exact=True).check()
    for label, score in list(SCORES.items())[:-1]:  # the last score forgotten
        page.get_by_role("group", name=label).get_by_role("radio", name=score).check()
    page.get_by_label("意见和建议（可以不填）").fill("补材料来回跑了好几次")
    page.get_by_role("button", name="提交评价").click()
    page.locator(".error-summary").wait_for()
    assert "请为“平台操作性”打分" in page.content()
    assert page.get_by_role("radio", name="不满意", exact=True).is_checked()
    assert page.get_by_role("group", name="办事效率").get_by_role("radio", name="1").is_checked()
    assert page.get_by_label("意见和建议（可以不填）").input_value() == "补材料来回跑了好几次"
    screenshot(page, "rating-missing-score")
    page.get_by_role("group", name="平台操作性").get_by_role("radio", name="3").check()
    page.get_by_role("button", name="提交评价").click()
    page.get_by_role("heading", name="谢谢您的评价").wait_for()
    assert "15 个工作日" in page.content()
    rating = Rating.objects.get()
    assert rating.level == 2 and rating.platform == 3 and rating.rectification
    page.goto(f"{live_server.url}/ratings/{token}/")
    assert "已经评价过了" in page.content()
    context.close()


def test_rating_pages_pass_the_audit_and_fit_320_to_390_px_in_both_text_sizes(live_server, browser, screenshot):
    from tests.e2e.pages import problems_at_every_width, report

    hardship_programme()
    _invitation, token = rating_invitation()
    _used, used_token = rating_invitation()
    services.rating_submit(token=used_token, level=5, indicators=dict.fromkeys(("overall", "efficiency", "guide_accuracy", "convenience", "platform"), 5))
    pages = [f"/ratings/{token}/", "/ratings/", "/ratings/thanks/?bad=1", f"/ratings/{used_token}/", f"/ratings/{token[:-1]}x/"]
    statuses = {pages[3]: 409, pages[4]: 404}
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()

    def audit(page, width, large, path):
        if width in (320, 390) and path in (pages[0], pages[1]):
            screenshot(page, f"rating-{width}-{'large' if large else 'standard'}-{'rate' if path == pages[0] else 'summary'}")
        return page.evaluate(AUDIT_JS)

    problems = problems_at_every_width(page, live_server.url, pages, statuses=statuses, each=audit)
    context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + pages[0])
    screenshot(page, "rating-1280-rate")
    context.close()
    assert problems == {}, report(problems)


def test_the_reviewer_sees_the_overdue_bad_rating_in_red_and_answers_it(browser, live_server, settings, tmp_path, screenshot):
    import datetime as dt

    from jiedao.notices.models import Notice
    from jiedao.ops.demo import demo_load
    from jiedao.ratings.models import Rectification
    from tests.e2e.test_back_office_in_browser import sign_in

    settings.DATA_DIR = tmp_path
    logins = demo_load()["logins"]
    Rectification.objects.update(due_on=dt.date(2026, 1, 5))  # the demo's bad rating, overdue
    page = sign_in(browser, live_server, "reviewer", logins["reviewer"], {"width": 1366, "height": 900})
    page.get_by_role("link", name="好差评").first.click()
    overdue = page.locator("tr[data-overdue]")
    expect(overdue).to_have_count(1)  # count() does not wait for the page the click opens
    expect(overdue).to_contain_text("已超期")
    assert page.evaluate("getComputedStyle(document.querySelector('tr[data-overdue] td')).color") == "rgb(179, 38, 30)"
    screenshot(page, "ratings-staff-dashboard")
    overdue.get_by_role("link").click()
    page.get_by_label("整改情况或解释").fill("已改为一次性告知所需材料，并上门补齐")
    page.get_by_role("button", name="答复并发短信").click()
    page.get_by_text("已答复，评价人会收到短信。").wait_for()
    assert Notice.objects.filter(event="rating_answer").count() == 1
    screenshot(page, "ratings-staff-answered")
