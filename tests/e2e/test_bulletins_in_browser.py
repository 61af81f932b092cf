"""Public notices and news on a phone: a resident reads a notice with its countdown, objects
(the empty form's errors first), lands on her own objection page; and every public page of the
notices and news fits 320–390 px in both text sizes and passes the public pages' audit (text ≥ 18
px, targets ≥ 44 px, contrast ≥ 4.5:1). Screenshots at 390 and 1280 px, and the A4 sheets."""

import datetime as dt

import pytest
from playwright.sync_api import expect
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
    from tests.e2e.pages import problems_at_every_width, report

    hardship_programme()
    today = timezone.localdate()
    current = BulletinFactory(title="光机小区加装电梯施工管理承诺书公示")
    past = BulletinFactory(title="芷江新村垃圾箱房改造方案公示", starts_on=today - dt.timedelta(days=20), ends_on=today - dt.timedelta(days=10))
    objection = services.objection_create(bulletin=current, name="俞金娥", phone="13812345678", what="施工时间", why="中午也在施工。")
    article = ArticleFactory(title="焦急等待加装电梯的居民们笑了 街道按下老旧小区加装电梯“复工键”", office="社区自治办")
    pages = ["/notices/", f"/notices/{current.pk}/", f"/notices/{past.pk}/", f"/y/{objection.token}/", "/news/", f"/news/{article.pk}/"]
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()

    def audit(page, width, large, path):
        if width == 320 and path == pages[1]:
            screenshot(page, f"notice-320-{'large' if large else 'standard'}")
        return page.evaluate(AUDIT_JS)

    problems = problems_at_every_width(page, live_server.url, pages, each=audit)
    page.set_viewport_size({"width": 1280, "height": 900})
    context.clear_cookies()
    for name, path in (("notices-1280", "/notices/"), ("notice-1280", pages[1]), ("notice-print-1280", f"/notices/{current.pk}/print/"),
                       ("news-1280", pages[5]), ("news-issue-1280", f"/news/issue/{today.year}-{today.month}/")):  # fmt: skip
        page.goto(live_server.url + path)
        screenshot(page, name)
    context.close()
    assert problems == {}, report(problems)


def test_the_renovation_office_posts_the_approved_list_and_answers_an_objection(browser, live_server, settings, tmp_path, screenshot):
    from jiedao.core.models import Neighbourhood
    from jiedao.intake.lifecycle import Status
    from jiedao.intake.models import Category, Programme
    from jiedao.notices.models import Notice
    from jiedao.ops.demo import load_places, load_staff
    from tests.e2e.test_back_office_in_browser import sign_in
    from tests.factories import ApplicationFactory

    settings.DATA_DIR = tmp_path
    load_places()
    logins = load_staff()
    programme = Programme.objects.get(code="JGBK")
    case = ApplicationFactory(
        programme=programme, applicant_name="俞金娥", status=Status.APPROVED, decided_at=timezone.now(),
        neighbourhood=Neighbourhood.objects.get(code="zhongxing"), block=programme.blocks.get(code="block-241"),
        categories=list(Category.objects.filter(programme=programme, code__in=["dibao", "serious_illness"])),
    )  # fmt: skip
    page = sign_in(browser, live_server, "reviewer", logins["reviewer"], {"width": 1280, "height": 900})
    page.get_by_role("link", name="公示", exact=True).first.click()
    page.get_by_role("link", name="新建公示").click()
    page.get_by_label("标题").fill("旧改特殊对象帮困补助审核结果公示")
    page.get_by_label("名单公示（由业务数据生成）").check()
    page.get_by_label("名单来源").select_option("hardship_approved")
    page.get_by_label("名单期间").fill(f"{timezone.localdate():%Y-%m}")
    page.get_by_label("负责部门").fill("街道旧改办")
    page.get_by_label("联系电话").fill("021-56330100")
    page.get_by_role("button", name="保存草稿").click()
    page.get_by_text("名单预览（发布时生成）").wait_for()
    assert "俞*娥" in page.content() and "其他困难情形" in page.content() and "重病" not in page.content()
    screenshot(page, "staff-bulletin-preview-1280")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="发布公示").click()
    page.get_by_text("公示已发布。").wait_for()

    resident = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    resident.goto(live_server.url + "/notices/")
    resident.get_by_role("link", name="旧改特殊对象帮困补助审核结果公示").click()
    resident.get_by_label("对名单上哪一位有异议（可不选）").select_option(label="俞*娥 241街坊")
    resident.get_by_label("您的姓名").fill("王秀英")
    resident.get_by_label("您的手机号码").fill("13900000001")
    resident.get_by_label("对什么有异议").fill("俞*娥的情况")
    resident.get_by_label("理由").fill("她家已经不住在地块里了。")
    resident.get_by_role("button", name="提交异议").click()
    resident.wait_for_url("**/y/*/")

    page.reload()
    page.get_by_role("link", name=Objection.objects.get().reference).click()
    expect(page.locator("main")).to_contain_text("该人的补助暂缓发放")
    page.get_by_label("异议不成立").check()
    page.get_by_label("书面答复").fill("经居委会上门核实，该户仍在地块内居住，符合条件。")
    page.get_by_role("button", name="答复并短信通知异议人").click()
    page.get_by_text("已答复，异议人会收到短信。").wait_for()
    screenshot(page, "staff-objection-answered-1280")
    assert Notice.objects.filter(event="objection_reply", phone="13900000001").exists()
    resident.reload()
    assert "该户仍在地块内居住" in resident.content()
    assert case.reference not in resident.content()
