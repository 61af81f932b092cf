"""The construction-site gate on a 390 px phone: opened with the gate PIN, a pass typed, the answer
read; then the network cut, 20 entries recorded on the phone, the network back, and exactly 20
entries on the server. Without JavaScript the form still works. The gate, the worker's own
registration, the pass and the public page pass the public pages' audit (text ≥ 18 px, targets
≥ 44 px, contrast ≥ 4.5:1) and fit 320–390 px in both text sizes."""

import datetime as dt
import io

import pytest
import qrcode
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from jiedao.sites import services
from jiedao.sites.models import GateEntry, Refusal
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_apply_in_browser import AUDIT_JS
from tests.factories import SiteFactory, hardship_programme, site_worker

pytestmark = pytest.mark.django_db(transaction=True)


def open_gate(page, url, site):
    page.goto(url + "/sites/gate/")
    page.get_by_label("工地代码").fill(site.code)
    page.get_by_label("门岗口令").fill(site.gate_pin)
    page.get_by_role("button", name="打开门岗").click()
    page.get_by_role("heading", name="门岗登记").wait_for()


def record(page, number, temperature="36.5"):
    page.get_by_label("出入证号").fill(number)
    page.get_by_label("体温（℃）").fill(temperature)
    page.get_by_role("button", name="登记", exact=True).click()


def test_the_gate_keeps_20_entries_through_a_network_cut_and_the_server_counts_exactly_20(live_server, browser, screenshot):
    hardship_programme()
    site = SiteFactory()
    _worker, site_pass = site_worker(site)
    _fever, fever_pass = site_worker(site, serial=2, name="李强", phone="13600000002")
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()
    open_gate(page, live_server.url, site)
    problems = {"gate": page.evaluate(AUDIT_JS)}
    record(page, site_pass.display_number)
    page.locator("[data-live-answer].gate-admitted").get_by_text("体温正常，已放行。").wait_for()
    screenshot(page, "sites-gate-admitted")
    record(page, fever_pass.number, "38.2")
    page.locator("[data-live-answer].gate-refused").get_by_text("不能进场").first.wait_for()
    screenshot(page, "sites-gate-refused")
    assert GateEntry.objects.count() == 2 and Refusal.objects.count() == 1

    context.set_offline(True)
    for _ in range(20):
        record(page, site_pass.number)
    page.locator("[data-pending='20']").wait_for()
    screenshot(page, "sites-gate-offline")
    problems["gate offline"] = page.evaluate(AUDIT_JS)
    assert GateEntry.objects.count() == 2  # nothing reached the server

    context.set_offline(False)
    page.locator("[data-pending='0']").wait_for(timeout=40000)
    assert GateEntry.objects.count() == 22  # exactly 20 more: nothing lost, nothing counted twice
    assert GateEntry.objects.values("key").distinct().count() == 22
    page.reload()  # the queue is empty: reloading sends nothing again
    page.wait_for_timeout(500)
    assert GateEntry.objects.count() == 22
    context.close()
    assert {name: found for name, found in problems.items() if found} == {}


def camera_film(text: str, path) -> None:
    """A pass's QR code held up to a phone's camera, as the YUV4MPEG2 film Chromium's fake camera
    plays: 640×480, the code 320 px wide in the middle of a grey scene, a few still frames."""
    picture = io.BytesIO()
    qrcode.make(text, box_size=6, border=4).save(picture)
    code = Image.open(picture).convert("L")
    code = code.resize((320, 320 * code.height // code.width), Image.Resampling.NEAREST)
    scene = Image.new("L", (640, 480), 150)
    scene.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    y, cb, cr = scene.convert("RGB").convert("YCbCr").split()
    chroma = [plane.resize((320, 240)).tobytes() for plane in (cb, cr)]
    with open(path, "wb") as film:
        film.write(b"YUV4MPEG2 W640 H480 F5:1 Ip A1:1 C420jpeg\n")
        for _ in range(5):
            film.write(b"FRAME\n" + y.tobytes() + chroma[0] + chroma[1])


def test_the_gate_reads_a_pass_held_up_to_the_camera(live_server, browser, tmp_path, screenshot):
    """The phone's camera (Chromium's fake camera playing a film of the pass's QR code) reads the
    pass; this Chromium has no QR reader of its own, so the page loads jsQR from the site."""
    hardship_programme()
    site = SiteFactory()
    _worker, site_pass = site_worker(site)
    film = tmp_path / "pass.y4m"
    token = services.pass_token(site_pass)  # signed with the time: one token, filmed and then expected
    camera_film(token, film)
    with_camera = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={film}"],
    )
    try:
        context = with_camera.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", permissions=["camera"])
        page = context.new_page()
        open_gate(page, live_server.url, site)
        page.get_by_role("button", name="用摄像头扫码").click()
        expect(page.get_by_label("出入证号")).to_have_value(token, timeout=20000)
        page.get_by_label("体温（℃）").fill("36.4")
        page.get_by_role("button", name="登记", exact=True).click()
        page.locator("[data-live-answer].gate-admitted").get_by_text("体温正常，已放行。").wait_for()
        screenshot(page, "sites-gate-camera")
    finally:
        with_camera.close()
    assert GateEntry.objects.get().worker_id == site_pass.worker_id


def test_without_javascript_the_gate_form_records_an_entry(live_server, browser):
    hardship_programme()
    site = SiteFactory()
    _worker, site_pass = site_worker(site)
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    open_gate(page, live_server.url, site)
    record(page, site_pass.display_number)
    page.get_by_text("体温正常，已放行。").wait_for()
    assert GateEntry.objects.get().source == "page"
    context.close()


def test_site_pages_fit_320_to_390_px_in_both_text_sizes(live_server, browser, screenshot):
    from tests.e2e.pages import problems_at_every_width, report

    hardship_programme()
    site = SiteFactory()
    _worker, site_pass = site_worker(site)
    pages = [f"/sites/{site.code}/", f"/sites/join/{site.join_token}/", f"/sites/pass/{site_pass.token}/", "/sites/gate/"]
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, locale="zh-CN")

    def audit(page, width, large, path):
        if width == 390 and not large:
            screenshot(page, f"sites-{path.strip('/').split('/')[1] if '/' in path.strip('/') else 'site'}")
            return page.evaluate(AUDIT_JS)

    problems = problems_at_every_width(context.new_page(), live_server.url, pages, each=audit)
    context.close()
    assert problems == {}, report(problems)
    assert dt.date.today() and timezone.now()


def test_the_responsible_worker_reads_the_demo_site_on_a_desk(live_server, browser, settings, tmp_path, screenshot):
    from jiedao.ops.demo import load_places, load_sites, load_staff
    from tests.e2e.test_back_office_in_browser import sign_in

    settings.DATA_DIR = tmp_path
    load_places()
    logins = load_staff()
    load_sites()
    page = sign_in(browser, live_server, "worker_zx", logins["worker_zx"], {"width": 1280, "height": 900})
    page.goto(live_server.url + "/staff/sites/")
    page.get_by_role("link", name="光机小区加装电梯").click()
    page.get_by_text("今天进场 8 人").wait_for()
    screenshot(page, "sites-staff-detail")
    page.get_by_role("link", name="施工人员和出入证").click()
    page.get_by_role("button", name="收回").first.wait_for()
    screenshot(page, "sites-staff-crew")
    page.get_by_role("link", name="拒绝进场").first.click()
    page.get_by_text("已处理").wait_for()
    screenshot(page, "sites-staff-refusals")
    page.context.close()


def test_the_printable_notice_and_the_english_gate(live_server, browser, screenshot):
    hardship_programme()
    site = SiteFactory()
    context = browser.new_context(viewport={"width": 794, "height": 1123}, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + f"/sites/{site.code}/notice/")
    assert page.locator("svg").count() == 1 and "公示" in page.content()
    screenshot(page, "sites-notice-a4")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/en/sites/gate/")
    page.get_by_label("Site code").fill(site.code)
    page.get_by_label("Gate PIN").fill(site.gate_pin)
    page.get_by_role("button", name="Open the gate").click()
    page.get_by_label("Pass number").wait_for()
    screenshot(page, "sites-gate-en")
    context.close()
