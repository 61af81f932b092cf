"""A resident applies on a phone-sized screen in real headless Chromium, photos included."""

import pytest
from playwright.sync_api import expect

from jiedao.intake.models import Application
from tests.conftest import photo_bytes
from tests.factories import hardship_programme, valid_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_completes_an_application_with_photos_on_a_phone(live_server, phone_page, screenshot, tmp_path):
    hardship_programme()
    page = phone_page
    front, back, other = (tmp_path / "front.jpg", tmp_path / "back.jpg", tmp_path / "other.jpg")
    front.write_bytes(photo_bytes("id_front", seed=1, exif_orientation=6))
    back.write_bytes(photo_bytes("id_back", seed=2))
    other.write_bytes(photo_bytes("disability_certificate", seed=3))

    page.goto(live_server.url + "/")
    screenshot(page, "phone-home")
    page.get_by_role("link", name="查看并申请").click()
    page.get_by_role("button", name="开始申请").click()

    page.get_by_text("为我自己申请").click()
    page.get_by_role("button", name="下一步").click()

    page.get_by_label("申请人姓名").fill("张志远")
    page.get_by_label("申请人身份证号码").fill("310106195001011")  # the old 15-digit number first
    page.get_by_label("申请人手机号码").fill("13812345678")
    page.get_by_role("button", name="下一步").click()
    expect(page.locator(".error-summary")).to_contain_text("18位")
    assert page.get_by_label("申请人姓名").input_value() == "张志远"  # nothing typed is lost
    page.get_by_label("申请人身份证号码").fill(valid_id_number("19500101", 123))
    page.get_by_role("button", name="下一步").click()

    page.get_by_text("芷江新村").click()
    page.get_by_text("育群中学西块").click()
    page.get_by_label("路名").fill("中兴路")
    page.get_by_label("弄").fill("1021")
    page.get_by_label("号", exact=True).fill("7")
    page.get_by_role("button", name="下一步").click()

    page.get_by_text("残疾人").click()
    page.get_by_role("button", name="下一步").click()

    # One photo step per document; the ID card has two sides.
    expect(page.locator("h1")).to_contain_text("身份证")
    page.locator("#id_page_1").set_input_files(str(front))
    page.locator("#id_page_2").set_input_files(str(back))
    assert "front.jpg" in page.locator('[data-chosen-for="id_page_1"]').inner_text()
    screenshot(page, "phone-photo-step")
    page.get_by_role("button", name="上传并继续").click()
    page.wait_for_url("**/step/doc-bank_card/")
    page.locator("#id_page_1").set_input_files(str(other))
    page.get_by_role("button", name="上传并继续").click()
    page.wait_for_url("**/step/doc-disability_cert/")
    page.locator("#id_page_1").set_input_files(str(other))
    page.get_by_role("button", name="上传并继续").click()
    page.wait_for_url("**/step/check/")

    assert page.locator(".thumbs img").count() == 4
    page.get_by_text("我同意街道为办理").click()
    page.get_by_text("我单独同意").click()
    screenshot(page, "phone-check")
    page.get_by_role("button", name="确认提交申请").click()

    reference = page.locator("[data-reference]").inner_text().strip()
    application = Application.objects.get()
    assert reference == application.reference
    assert application.documents.count() == 4
    # The phone stored the card's pixels sideways (portrait) with EXIF orientation 6; the stored
    # photo is the card upright, landscape like the card itself.
    front_doc = application.documents.get(document_type__code="id_card", page=1)
    assert front_doc.width > front_doc.height
    screenshot(page, "phone-done")

    page.get_by_role("link", name="查询办理进度").first.click()
    page.get_by_label("受理编号").fill(reference)
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_role("button", name="查询").click()
    assert reference in page.locator(".panel-status").inner_text()
    assert "已受理" in page.locator(".panel-status").inner_text()
    screenshot(page, "phone-status")


def test_large_text_mode_makes_text_at_least_30px_and_targets_at_least_60px(live_server, phone_page):
    hardship_programme()
    page = phone_page
    page.goto(live_server.url + "/programmes/JGBK/")
    normal = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert normal >= 18
    page.get_by_role("button", name="长辈版 大字").click()
    body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    button = page.get_by_role("button", name="开始申请").bounding_box()
    assert body >= 30
    assert button["height"] >= 60


# Contrast of every visible text element against the first opaque background behind it (WCAG 2.x
# relative luminance), and the size of every control a finger has to hit.
AUDIT_JS = """
() => {
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const problems = [];
  for (const el of document.querySelectorAll("main *, header *")) {
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none" || !el.offsetParent) continue;
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (ownText) {
      const fg = parse(style.color).slice(0, 3), bg = background(el);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)} for "${el.textContent.trim().slice(0, 20)}"`);
      if (parseFloat(style.fontSize) < 18 && !el.closest(".visually-hidden"))
        problems.push(`font ${style.fontSize} for "${el.textContent.trim().slice(0, 20)}"`);
    }
  }
  for (const el of document.querySelectorAll("button, .button, .tool-button, .choice, input[type=text], textarea")) {
    // The step form's hidden default button (Enter = 下一步) is no target: out of reach, unannounced.
    if (!el.offsetParent || el.getAttribute("aria-hidden") === "true") continue;
    const box = el.getBoundingClientRect();
    if (box.height < 44) problems.push(`target ${Math.round(box.height)}px high: ${el.outerHTML.slice(0, 60)}`);
  }
  return problems;
}
"""


def test_public_pages_have_large_text_big_targets_and_enough_contrast(live_server, phone_page):
    hardship_programme()
    page = phone_page
    pages = ["/", "/programmes/JGBK/", "/status/", "/en/"]
    problems = {}
    for path in pages:
        page.goto(live_server.url + path)
        problems[path] = page.evaluate(AUDIT_JS)
    page.goto(live_server.url + "/programmes/JGBK/")
    page.get_by_role("button", name="开始申请").click()
    page.get_by_role("button", name="下一步").click()  # nothing chosen: the error state
    page.locator(".error-summary").wait_for()
    problems["who (with error)"] = page.evaluate(AUDIT_JS)
    page.get_by_text("为我自己申请").click()
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/step/applicant/")
    page.get_by_role("button", name="下一步").click()
    page.locator(".error-summary").wait_for()
    problems["applicant (with errors)"] = page.evaluate(AUDIT_JS)
    assert {path: found for path, found in problems.items() if found} == {}
