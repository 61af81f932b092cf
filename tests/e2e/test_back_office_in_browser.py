"""The whole life of an assisted application, in real Chromium: a committee worker files it at
a resident's home, the reviewer asks for more material, the resident sends it in from the status
page, and the reviewer approves and records the payment."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from jiedao.ops.demo import demo_id_number, demo_totp_code, load_places, load_staff
from jiedao.intake.models import Application, Channel
from jiedao.notices.models import Event, Notice
from tests.conftest import photo_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(browser, live_server, username, password, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/staff/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    # The second factor: the code the demo account's authenticator shows now.
    page.get_by_label("6 位验证码").fill(demo_totp_code(username)[0])
    page.get_by_role("button", name="验证并进入").click()
    page.wait_for_url(live_server.url + "/staff/")
    return page


def test_assisted_filing_review_more_material_approval_and_payment(browser, live_server, settings, tmp_path, screenshot):
    settings.DATA_DIR = tmp_path
    load_places()
    logins = load_staff()
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(photo_bytes("id_front", seed=5))
    phone_size, desk_size = {"width": 390, "height": 844}, {"width": 1366, "height": 900}

    # 1. The 芷江新村 worker files for a resident during a home visit, on her phone.
    worker = sign_in(browser, live_server, "worker_zjxc", logins["worker_zjxc"], phone_size)
    worker.get_by_role("link", name="代为录入").click()
    worker.get_by_role("button", name="开始录入").click()
    worker.get_by_text("上门协助申请").click()
    worker.get_by_role("button", name="下一步").click()
    worker.get_by_text("申请人本人（由我协助）").click()
    worker.get_by_role("button", name="下一步").click()
    worker.get_by_label("申请人姓名").fill("张志远")
    worker.get_by_label("申请人身份证号码").fill(demo_id_number("19480315", 211))
    worker.get_by_label("申请人手机号码").fill("13812345678")
    worker.get_by_role("button", name="下一步").click()
    expect(worker.locator("input[name=neighbourhood]")).to_have_count(1)  # only her own neighbourhood
    worker.get_by_text("芷江新村").click()
    worker.get_by_text("育群中学西块").click()
    worker.get_by_label("路名").fill("芷江中路")
    worker.get_by_label("号", exact=True).fill("12")
    worker.get_by_role("button", name="下一步").click()
    worker.get_by_text("残疾人").click()
    worker.get_by_role("button", name="下一步").click()
    while "/step/doc-" in worker.url:
        before = worker.url
        for index in range(worker.locator("input.upload-input").count()):
            worker.locator("input.upload-input").nth(index).set_input_files(str(photo))
        worker.get_by_role("button", name="上传并继续").click()
        worker.wait_for_url(lambda url, before=before: url != before)
    worker.get_by_text("我同意街道为办理").click()
    worker.get_by_text("我单独同意").click()
    worker.get_by_role("button", name="确认提交申请").click()
    worker.wait_for_url("**/staff/cases/**")
    application = Application.objects.get()
    assert application.channel == Channel.HOME_VISIT and application.filed_by.username == "worker_zjxc"
    assert application.reference in worker.locator(".notice").inner_text()
    screenshot(worker, "staff-phone-filed-case")

    # 2. The reviewer starts the review and asks for a clearer photo of the bank card.
    reviewer = sign_in(browser, live_server, "reviewer", logins["reviewer"], desk_size)
    reviewer.get_by_label("搜索").fill("zzy")
    reviewer.get_by_role("button", name="筛选").click()
    reviewer.get_by_role("link", name=application.reference).click()
    reviewer.get_by_text("开始审核", exact=True).click()
    reviewer.get_by_role("button", name="确认开始审核").click()
    reviewer.get_by_text("要求补充材料", exact=True).click()
    reviewer.locator("details[open]").get_by_label("给申请人的说明").fill("银行卡照片太模糊，请重新拍一张。")
    reviewer.locator("details[open]").get_by_text("银行卡").click()
    reviewer.get_by_role("button", name="确认要求补充材料").click()
    expect(reviewer.locator("h1")).to_contain_text("需补充材料")

    # 3. The resident sends the bank card in from the status page.
    resident = browser.new_context(viewport=phone_size, locale="zh-CN").new_page()
    resident.goto(live_server.url + "/status/")
    resident.get_by_label("受理编号").fill(application.reference)
    resident.get_by_label("手机号码").fill("13812345678")
    resident.get_by_role("button", name="查询").click()
    expect(resident.locator(".panel-status")).to_contain_text("需补充材料")
    assert "银行卡照片太模糊" not in resident.content()  # the details need the SMS code first
    resident.get_by_role("button", name="发送验证码到 138****5678 查看详情或补交材料").click()
    resident.wait_for_url("**/status/code/")
    sms = Notice.objects.filter(event=Event.ACCESS_CODE).latest("created_at")
    resident.get_by_label("6位数字验证码").fill(sms.params["code"])
    screenshot(resident, "phone-access-code")
    resident.get_by_role("button", name="确认").click()
    resident.wait_for_url("**/status/case/")
    assert "银行卡照片太模糊" in resident.content()
    resident.get_by_role("link", name="拍照补充材料").click()
    resident.locator("input.upload-input").first.set_input_files(str(photo))
    resident.get_by_role("button", name="上传补充材料").click()
    resident.get_by_text("补充材料已经收到").wait_for()
    screenshot(resident, "phone-documents-sent")

    # 4. The reviewer sees the new document, approves and records the payment.
    reviewer.reload()
    assert "新补充" in reviewer.locator(".gallery").inner_text()
    reviewer.get_by_text("开始审核", exact=True).click()
    reviewer.get_by_role("button", name="确认开始审核").click()
    reviewer.get_by_text("审核通过", exact=True).click()
    reviewer.get_by_role("button", name="确认审核通过").click()
    reviewer.get_by_text("登记发放", exact=True).click()
    reviewer.locator("details[open]").get_by_label("发放金额（元）").fill("3000")
    reviewer.locator("details[open]").get_by_label("发放日期").fill(dt.date.today().isoformat())
    reviewer.get_by_role("button", name="确认登记发放").click()
    expect(reviewer.locator("h1")).to_contain_text("已发放")
    screenshot(reviewer, "staff-desk-paid-case")

    # 5. The resident sees it too.
    resident.goto(live_server.url + "/status/")
    resident.get_by_label("受理编号").fill(application.reference)
    resident.get_by_label("手机号码").fill("13812345678")
    resident.get_by_role("button", name="查询").click()
    expect(resident.locator(".panel-status")).to_contain_text("已发放")
    application.refresh_from_db()
    assert application.status == "paid" and str(application.paid_amount) == "3000.00"
