"""Public notices and news on a phone: a resident reads a notice with its countdown, objects
(the empty form's errors first), lands on her own objection page; and every public page of the
notices and news fits 320–390 px in both text sizes and passes the public pages' audit (text ≥ 18
px, targets ≥ 44 px, contrast ≥ 4.5:1). Screenshots at 390 and 1280 px, and the A4 sheets."""

import datetime as dt

import pytest
from django.utils import timezone

from jiedao.bulletins import services
from jiedao.bulletins.models import Objection
from tests.e2e.test_apply_in_browser import AUDIT_JS
from tests.factories import ArticleFactory, BulletinFactory, hardship_programme

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_resident_objects_to_a_notice_on_a_phone(live_server, phone_page, screenshot):
    hardship_programme()
    bulletin = BulletinFactory(ends_on=timezone.localdate() + dt.timedelta(days=3))
    page = phone_page
    problems = {}
    page.goto(live_server.url + "/notices/")
    assert "公示期还有 3 天" in page.content()
    problems["list"] = page.evaluate(AUDIT_JS)
    screenshot(page, "notices-list-390")
    page.get_by_role("link", name=bulletin.title).click()
    page.get_by_role("button", name="提交异议").click()  # nothing typed: the error state
    page.locator(".error-summary").wait_for()
    problems["detail (with errors)"] = page.evaluate(AUDIT_JS)
    page.get_by_label("您的姓名").fill("俞金娥")
    page.get_by_label("您的手机号码").fill("138 1234 5678")
    page.get_by_label("对什么有异议").fill("施工时间")
    page.get_by_label("理由").fill("中午也在施工，老人休息不好。")
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_url("**/y/*/")
    problems["own objection"] = page.evaluate(AUDIT_JS)
    screenshot(page, "notices-objection-390")
    objection = Objection.objects.get()
    assert objection.reference in page.content() and "已收到您的异议" in page.content()
    assert {name: found for name, found in problems.items() if found} == {}


def test_notice_and_news_pages_fit_320_to_390_px_in_both_text_sizes(live_server, browser, screenshot):
    from tests.e2e.test_layout_in_browser import PAGE_PROBLEMS_JS, WIDTHS

    hardship_programme()
    today = timezone.localdate()
    current = BulletinFactory(title="光机小区加装电梯施工管理承诺书公示")
    past = BulletinFactory(title="芷江新村垃圾箱房改造方案公示", starts_on=today - dt.timedelta(days=20), ends_on=today - dt.timedelta(days=10))
    objection = services.objection_create(bulletin=current, name="俞金娥", phone="13812345678", what="施工时间", why="中午也在施工。")
    article = ArticleFactory(title="焦急等待加装电梯的居民们笑了 街道按下老旧小区加装电梯“复工键”", office="社区自治办")
    pages = ["/notices/", f"/notices/{current.pk}/", f"/notices/{past.pk}/", f"/y/{objection.token}/", "/news/", f"/news/{article.pk}/"]
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()
    problems = {}
    for large in (False, True):
        context.clear_cookies()
        if large:
            context.add_cookies([{"name": "jiedao_large_text", "value": "1", "url": live_server.url}])
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            for path in pages:
                response = page.goto(live_server.url + path)
                label = f"{width}px {'长辈版' if large else '标准版'} {path}"
                assert response.status == 200, label
                if found := page.evaluate(PAGE_PROBLEMS_JS):
                    problems[label] = found
                if found := page.evaluate(AUDIT_JS):
                    problems[label + " audit"] = found
                if width == 320 and path == pages[1]:
                    screenshot(page, f"notice-320-{'large' if large else 'standard'}")
    page.set_viewport_size({"width": 1280, "height": 900})
    context.clear_cookies()
    for name, path in (("notices-1280", "/notices/"), ("notice-1280", pages[1]), ("notice-print-1280", f"/notices/{current.pk}/print/"),
                       ("news-1280", pages[5]), ("news-issue-1280", f"/news/issue/{today.year}-{today.month}/")):  # fmt: skip
        page.goto(live_server.url + path)
        screenshot(page, name)
    context.close()
    assert problems == {}, "\n".join(f"{label}: {found}" for label, found in problems.items())
