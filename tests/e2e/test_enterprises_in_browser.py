"""The enterprise contact's report page on a phone: opened from the link in the SMS, a need
reported with nothing typed lost on an error, and the page passing the public pages' audit (text
≥ 18 px, targets ≥ 44 px, contrast ≥ 4.5:1) at 320–390 px in both text sizes and without
JavaScript; and the staff's handout signed on the signature pad (a drawing becomes a PNG)."""

import pytest

from jiedao.core.models import Role
from jiedao.enterprises import ledger, services
from jiedao.enterprises.models import EntryKind, LedgerEntry, Need
from tests.e2e.test_apply_in_browser import AUDIT_JS
from tests.e2e.test_layout_in_browser import PAGE_PROBLEMS_JS, WIDTHS
from tests.factories import EnterpriseFactory, SupplyItemFactory, hardship_programme, make_staff

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_contact_reports_a_need_from_the_link_on_a_phone(live_server, phone_page, screenshot):
    hardship_programme()
    enterprise = EnterpriseFactory(name="上海力德国际贸易有限公司")
    token = services.report_link_issue(enterprise=enterprise, actor=make_staff("union", Role.REVIEWER))
    page = phone_page
    page.goto(f"{live_server.url}/e/{token}/")
    assert "上海力德国际贸易有限公司" in page.content()
    page.get_by_label("具体需要什么").fill("缺少免洗洗手液")
    page.get_by_label("您的手机号码").fill("12345")
    page.get_by_role("button", name="提交").click()
    page.locator(".error-summary").wait_for()
    screenshot(page, "enterprise-report-errors")
    problems = {"report (with errors)": page.evaluate(AUDIT_JS)}
    assert page.get_by_label("具体需要什么").input_value() == "缺少免洗洗手液"
    page.get_by_role("radio", name="防疫物资").check()
    page.get_by_label("您的手机号码").fill("13500000005")
    page.get_by_label("您的姓名").fill("钱主任")
    page.get_by_role("button", name="提交").click()
    page.get_by_text("已收到您反映的诉求").wait_for()
    screenshot(page, "enterprise-report-done")
    problems["done"] = page.evaluate(AUDIT_JS)
    need = Need.objects.get()
    assert need.detail == "缺少免洗洗手液" and need.contact.name == "钱主任"
    assert {name: found for name, found in problems.items() if found} == {}


def test_the_report_pages_fit_320_to_390_px_in_both_text_sizes_without_javascript(live_server, browser, screenshot):
    hardship_programme()
    enterprise = EnterpriseFactory(name="上海久兴物业管理有限公司")
    token = services.report_link_issue(enterprise=enterprise, actor=make_staff("union", Role.REVIEWER), send_sms=False)
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    problems = {}
    for large in (False, True):
        context.clear_cookies()
        if large:
            context.add_cookies([{"name": "jiedao_large_text", "value": "1", "url": live_server.url}])
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            response = page.goto(f"{live_server.url}/enterprises/report/{token}/")
            label = f"{width}px {'长辈版' if large else '标准版'}"
            assert response.status == 200, label
            if found := page.evaluate(PAGE_PROBLEMS_JS):
                problems[label] = found
            if width == 320:
                screenshot(page, f"enterprise-report-320-{'large' if large else 'standard'}")
    # Without JavaScript the form still sends.
    page.get_by_role("radio", name="政策咨询").check()
    page.get_by_label("具体需要什么").fill("稳岗补贴怎么申请")
    page.get_by_role("button", name="提交").click()
    page.get_by_text("已收到您反映的诉求").wait_for()
    context.close()
    assert problems == {}, "\n".join(f"{label}: {found}" for label, found in problems.items())


def test_a_handout_is_signed_with_a_finger_on_the_signature_pad(live_server, browser, settings, tmp_path, screenshot):
    from django.contrib.auth import get_user_model

    from jiedao.ops.demo import load_places, load_staff
    from tests.e2e.test_back_office_in_browser import sign_in

    settings.DATA_DIR = tmp_path
    load_places()
    logins = load_staff()
    reviewer = get_user_model().objects.get(username="reviewer")
    masks = SupplyItemFactory()
    enterprise = EnterpriseFactory(name="上海电能电气有限公司", neighbourhood__code="zhijiangxincun")
    ledger.receipt_record(item=masks, quantity=100, source="区总工会", actor=reviewer)
    page = sign_in(browser, live_server, "reviewer", logins["reviewer"], {"width": 390, "height": 844})
    page.goto(f"{live_server.url}/staff/supplies/handout/?enterprise={enterprise.pk}")
    page.get_by_label("物资").select_option(str(masks.pk))
    page.get_by_label("数量").fill("40")
    page.get_by_label("领取人").fill("赵厂长")
    canvas = page.locator("[data-signature-pad] canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 10):
        page.mouse.move(box["x"] + 20 + step * box["width"] / 12, box["y"] + box["height"] * (0.3 if step % 2 else 0.7))
    page.mouse.up()
    screenshot(page, "enterprise-handout-signed")
    page.get_by_role("button", name="确认发放").click()
    page.get_by_text("已发放").wait_for()
    entry = LedgerEntry.objects.get(kind=EntryKind.HANDOUT)
    assert entry.quantity == -40 and entry.signature.endswith(".png") and entry.received_by == "赵厂长"


def test_the_staff_pages_on_a_desk_and_a_phone(live_server, browser, settings, tmp_path, screenshot):
    """The back office's pages render at 1280 and 390 px; overdue needs are red, in words too."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from jiedao.ops.demo import load_places, load_staff
    from tests.e2e.test_back_office_in_browser import sign_in

    settings.DATA_DIR = tmp_path
    load_places()
    logins = load_staff()
    reviewer = get_user_model().objects.get(username="reviewer")
    enterprise = EnterpriseFactory(name="上海祥先实业有限公司", neighbourhood__code="zhijiangxincun")
    services.need_add(enterprise=enterprise, actor=reviewer, need=services.NeedIn(
        kind="supplies", detail="口罩", quantity=500, due_on=timezone.localdate() - dt.timedelta(days=2), owner_office="街道工会"))
    masks = SupplyItemFactory()
    ledger.receipt_record(item=masks, quantity=1000, source="区总工会", actor=reviewer)
    page = sign_in(browser, live_server, "reviewer", logins["reviewer"], {"width": 1280, "height": 900})
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in (("needs", "/staff/needs/"), ("enterprise", f"/staff/enterprises/{enterprise.pk}/"),
                           ("supplies", "/staff/supplies/"), ("dashboard", "/staff/enterprises/dashboard/")):
            assert page.goto(live_server.url + path).status == 200
            screenshot(page, f"enterprise-staff-{name}-{width}")
    page.goto(live_server.url + "/staff/needs/")
    row = page.locator("tr.need-overdue")
    assert row.count() == 1 and "已逾期" in row.inner_text()
    assert page.evaluate("getComputedStyle(document.querySelector('tr.need-overdue')).color") == "rgb(179, 38, 30)"
