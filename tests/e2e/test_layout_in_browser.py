"""Every public page on narrow phones, in both text sizes, in real headless Chromium: nothing is
wider than the screen, the reference number is whole, the ID number fits its box and is never
broken across lines, every link and button is big enough for a finger, and a chosen photo is
visible with or without JavaScript."""


import io

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore

from jiedao.intake import services
from jiedao.intake.views import resident_access_grant, resident_lookup_remember
from tests.conftest import photo_bytes, stored_photos_for, valid_answers
from tests.factories import hardship_programme, valid_id_number
from tests.intake.conftest import request_hukou

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (320, 360, 390)
ID_NUMBER = valid_id_number("19500101", 123)
GROUPED_ID_NUMBER = f"{ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:]}"  # 6-8-4, for reading

# What a page must satisfy on any phone: no sideways scrolling, and every control a finger has to
# hit at least 44 px high (links included, the footer's too).
PAGE_PROBLEMS_JS = """
() => {
  const problems = [];
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth > width)
    problems.push(`page is ${document.documentElement.scrollWidth}px wide`);
  for (const el of document.querySelectorAll("a, button, .button, input:not([type=hidden]), select, textarea, label.choice")) {
    if (el.closest(".visually-hidden, .skip-link")) continue;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    if (el.matches("input[type=file].upload-input") && getComputedStyle(el).opacity === "0") continue;
    if (el.matches("input[type=radio], input[type=checkbox]")) continue;  // their label is the target
    if (box.height < 44) problems.push(`target ${Math.round(box.height)}px high: ${el.outerHTML.slice(0, 70)}`);
    if (box.right > width + 0.5 || box.left < -0.5) problems.push(`off screen: ${el.outerHTML.slice(0, 70)}`);
  }
  // Names and summaries wrap; none is cut short with an ellipsis.
  const main = document.querySelector("main");
  if (main && main.innerText.includes("…")) problems.push("text cut short with …");
  return problems;
}
"""

# The photo button's words on one line (no 拍照或/选择照/片): the distinct line tops of its letters.
UPLOAD_LABEL_LINES_JS = """
() => [...document.querySelectorAll(".upload-label")].map((el) => {
  const tops = new Set();
  const text = el.firstChild;
  for (let i = 0; i < text.length; i++) {
    const range = document.createRange();
    range.setStart(text, i); range.setEnd(text, i + 1);
    const rect = range.getBoundingClientRect();
    if (rect.width) tops.add(Math.round(rect.top));
  }
  return {text: el.textContent, lines: tops.size};
})
"""

REFERENCE_JS = """
() => {
  const el = document.querySelector("[data-reference]");
  const box = el.getBoundingClientRect();
  return {text: el.innerText.trim(), font: parseFloat(getComputedStyle(el).fontSize), scroll: el.scrollWidth, client: el.clientWidth,
          left: box.left, right: box.right, width: window.innerWidth};
}
"""

# The ID number shown grouped 6-8-4; each group must stay on one line (one client rectangle).
ID_GROUPS_JS = """
() => [...document.querySelectorAll("[data-id-number]")].map((el) => ({
  text: el.textContent,
  groups: [...el.children].map((group) => ({
    text: group.textContent, lines: group.getClientRects().length,
    right: group.getBoundingClientRect().right, width: window.innerWidth,
  })),
}))
"""


def session_cookie(live_server, key):
    return {"name": settings.SESSION_COOKIE_NAME, "value": key, "url": live_server.url}


def session_with(fill) -> str:
    store = SessionStore()
    fill(store)
    store.save()
    return store.session_key


def walk_the_wizard(page, base, tmp_path) -> list[str]:
    """Fill every step once (standard text, 390 px) and return each step's address."""
    photo = tmp_path / "card.jpg"
    photo.write_bytes(photo_bytes("id_front", seed=1))
    page.goto(base + "/programmes/JGBK/")
    page.get_by_role("button", name="开始申请").click()
    steps = [page.url]
    page.get_by_text("为我自己申请").click()
    page.get_by_role("button", name="下一步").click()
    steps.append(page.url)
    page.get_by_label("申请人姓名").fill("张志远")
    page.get_by_label("申请人身份证号码").fill(ID_NUMBER)
    page.get_by_label("申请人手机号码").fill("13812345678")
    page.get_by_role("button", name="下一步").click()
    steps.append(page.url)
    page.get_by_text("芷江新村").click()
    page.get_by_text("育群中学西块").click()
    page.get_by_label("路名").fill("中兴路")
    page.get_by_label("弄").fill("1021")
    page.get_by_label("号", exact=True).fill("7")
    page.get_by_role("button", name="下一步").click()
    steps.append(page.url)
    page.get_by_text("残疾人").click()
    page.get_by_role("button", name="下一步").click()
    while "/step/check/" not in page.url:
        steps.append(page.url)
        for upload in page.locator("input[type=file]").all():
            upload.set_input_files(str(photo))
        here = page.url
        page.get_by_role("button", name="上传并继续").click()
        page.wait_for_url(lambda url: url != here)
    steps.append(page.url)
    return steps


def test_every_public_page_fits_320_to_390_px_in_both_text_sizes(live_server, browser, tmp_path, screenshot):
    programme = hardship_programme()
    base = live_server.url
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()
    wizard_steps = walk_the_wizard(page, base, tmp_path)
    wizard_session = next(c["value"] for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)

    submitted = services.application_submit(
        programme=programme, answers=valid_answers(), photos=stored_photos_for(programme, ["disabled"])
    )
    asked = request_hukou(
        services.application_submit(
            programme=programme,
            answers=valid_answers(id_number=valid_id_number("19480202", 7), phone="13900001111"),
            photos=stored_photos_for(programme, ["disabled"]),
        )
    )
    # Three browsers' worth of session: the one that walked the wizard and submitted (done page),
    # one that looked a case up (state only, code page), one that typed the code back.
    store = SessionStore(session_key=wizard_session)
    store.setdefault("submitted", []).append(submitted.reference)
    store.save()
    looked_up = session_with(lambda s: resident_lookup_remember(s, asked, "13900001111"))
    opened = session_with(lambda s: resident_access_grant(s, asked, "13900001111"))

    pages = [(wizard_session, url) for url in ["/", "/en/", "/programmes/JGBK/", "/status/", "/no-such-page/"]]
    pages += [(wizard_session, url.removeprefix(base)) for url in wizard_steps]
    pages += [(wizard_session, f"/apply/done/{submitted.reference}/")]
    pages += [(looked_up, "/status/case/"), (looked_up, "/status/code/")]
    pages += [(opened, "/status/case/"), (opened, "/status/documents/")]

    problems = {}
    for large in (False, True):
        context.clear_cookies()
        if large:
            context.add_cookies([{"name": "jiedao_large_text", "value": "1", "url": base}])
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            for session, path in pages:
                context.add_cookies([session_cookie(live_server, session)])
                response = page.goto(base + path)
                label = f"{width}px {'长辈版' if large else '标准版'} {path}"
                assert response.status == (404 if path == "/no-such-page/" else 200), label
                found = page.evaluate(PAGE_PROBLEMS_JS)
                if width in (320, 390) and any(part in path for part in ("/done/", "/applicant/", "/doc-id_card/")):
                    name = path.strip("/").split("/")[-1 if "/step/" in path else 1].replace("JGBK-2026-00001", "")
                    screenshot(page, f"layout-{width}-{'large' if large else 'standard'}-{name or 'done'}")
                if path.startswith("/apply/done/"):
                    ref = page.evaluate(REFERENCE_JS)
                    assert ref["text"] == submitted.reference, label
                    if ref["scroll"] > ref["client"] or ref["left"] < 0 or ref["right"] > ref["width"]:
                        found.append(f"reference cut: {ref}")
                    if ref["font"] < 24:
                        found.append(f"reference too small to copy down: {ref}")
                broken = [label for label in page.evaluate(UPLOAD_LABEL_LINES_JS) if label["lines"] != 1]
                if broken:
                    found.append(f"photo button text broken: {broken}")
                if "/step/applicant/" in path:
                    box = page.get_by_label("申请人身份证号码")
                    assert box.input_value() == ID_NUMBER
                    if box.evaluate("(el) => el.scrollWidth > el.clientWidth"):
                        found.append("the ID number does not fit its box")
                    if box.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)") < 18:
                        found.append("the ID number is smaller than body text")
                if "/step/check/" in path:
                    shown = page.evaluate(ID_GROUPS_JS)
                    if [number["text"] for number in shown] != [GROUPED_ID_NUMBER]:
                        found.append(f"ID number not shown grouped: {shown}")
                    elif any(g["lines"] != 1 or g["right"] > g["width"] for g in shown[0]["groups"]):
                        found.append(f"ID number broken or cut: {shown}")
                if found:
                    problems[label] = found
    context.close()
    assert problems == {}, "\n".join(f"{label}: {found}" for label, found in problems.items())


@pytest.fixture
def opened_case(live_server):
    """A case asked for its household register, open in a browser session (code typed back)."""
    programme = hardship_programme()
    asked = request_hukou(
        services.application_submit(
            programme=programme, answers=valid_answers(), photos=stored_photos_for(programme, ["disabled"])
        )
    )
    return session_with(lambda s: resident_access_grant(s, asked, "13812345678"))


def test_without_javascript_the_chosen_photo_s_name_shows(live_server, browser, opened_case, tmp_path, screenshot):
    photo = tmp_path / "hukou-page-1.jpg"
    photo.write_bytes(photo_bytes("household_register", seed=4))
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False, locale="zh-CN")
    context.add_cookies([session_cookie(live_server, opened_case)])
    page = context.new_page()
    page.goto(live_server.url + "/status/documents/")
    native = page.locator("#id_doc_hukou_1")
    # The browser's own control is on screen (not the 1 px hidden input site.js makes of it) and
    # draws the chosen file's name: its picture changes once a file is chosen.
    assert native.is_visible()
    box = native.bounding_box()
    assert box["width"] >= 200 and box["height"] >= 44
    before = native.screenshot()
    native.set_input_files(str(photo))
    assert native.screenshot() != before
    assert native.evaluate("(el) => getComputedStyle(el).opacity") == "1"
    screenshot(page, "phone-no-javascript-photo-chosen")
    context.close()


def test_a_heic_photo_shows_its_name_its_size_and_a_placeholder(live_server, browser, opened_case, tmp_path, screenshot):
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    heic = tmp_path / "IMG_0412.HEIC"
    Image.open(io.BytesIO(photo_bytes("household_register", seed=5, size=(1200, 800)))).save(heic, format="HEIF", quality=90)
    size = heic.stat().st_size
    expected = f"{size / 1048576:.1f} MB" if size >= 1048576 else f"{max(size / 1048576, 0.01):.2f} MB"
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.add_cookies([session_cookie(live_server, opened_case)])
    page = context.new_page()
    page.goto(live_server.url + "/status/documents/")
    page.locator("#id_doc_hukou_1").set_input_files(str(heic))
    chosen = page.locator('[data-chosen-for="id_doc_hukou_1"]')
    assert f"IMG_0412.HEIC ({expected})" in chosen.inner_text()
    assert "0.0 MB" not in chosen.inner_text()
    assert chosen.get_by_text("看不到预览").is_visible()
    screenshot(page, "phone-heic-chosen")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "desktop-heic-chosen")
    context.close()
