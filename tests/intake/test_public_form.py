"""The whole public application, as a resident's browser would send it (Django's test client)."""


import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.core.models import Role, StaffProfile
from jiedao.intake.models import Application, Channel, DraftPhoto
from tests.conftest import photo_bytes, sign_in
from tests.factories import valid_id_number

ID_NUMBER = valid_id_number("19500101", 123)


def upload(name="photo.jpg", **kwargs):
    return SimpleUploadedFile(name, photo_bytes(size=(800, 500), **kwargs), content_type="image/jpeg")


def follow_to(client, response):
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def apply(client, *, who="self", categories=("disabled",), proxy=None, id_number=ID_NUMBER):
    """Walk every step with valid answers; return the check page's URL."""
    url = follow_to(client, client.post("/apply/JGBK/start/"))
    assert url.endswith("/step/who/")
    url = follow_to(client, client.post(url, {"who": who}))
    if who == "proxy":
        assert url.endswith("/step/proxy/")
        url = follow_to(client, client.post(url, proxy))
    assert url.endswith("/step/applicant/")
    url = follow_to(client, client.post(url, {"name": "张志远", "id_number": id_number, "phone": "138 1234 5678"}))
    url = follow_to(
        client,
        client.post(
            url,
            {
                "neighbourhood": "zhijiangxincun",
                "block": "yuqun-west",
                "address_road": "中兴路",
                "address_lane": "1021",
                "address_number": "7",
                "address_room": "",
            },
        ),
    )
    url = follow_to(client, client.post(url, {"categories": list(categories)}))
    while "/step/doc-" in url:
        page = client.get(url)
        pages = page.content.decode().count('class="upload-input"')
        url = follow_to(client, client.post(url, {f"page_{n}": upload(seed=n) for n in range(1, pages + 1)}))
    assert url.endswith("/step/check/")
    return url


@pytest.mark.django_db
def test_a_resident_applies_and_gets_a_reference_number(client, programme):
    check = apply(client)
    page = client.get(check).content.decode()
    assert "张志远" in page and "中兴路1021弄7号" in page
    done = follow_to(client, client.post(check, {"consent": "on", "sensitive_consent": "on"}))
    application = Application.objects.get()
    assert done.endswith(f"/apply/done/{application.reference}/")
    confirmation = client.get(done)
    assert confirmation["Cache-Control"].startswith("no-store")
    text = confirmation.content.decode()
    assert application.reference in text
    assert "芷江新村" in text and "021-56330101" in text  # who to call
    assert application.channel == Channel.ONLINE
    assert application.documents.count() == 4
    assert application.phone == "13812345678"


@pytest.mark.django_db
def test_a_son_files_for_his_mother_as_a_proxy(client, programme):
    check = apply(
        client,
        who="proxy",
        proxy={"proxy_name": "李建华", "proxy_phone": "13900000013", "proxy_relationship": "child"},
    )
    follow_to(client, client.post(check, {"consent": "on", "sensitive_consent": "on"}))
    application = Application.objects.get()
    assert application.channel == Channel.PROXY
    assert application.proxy_name == "李建华"


@pytest.mark.django_db
def test_a_rejected_step_keeps_what_was_typed_and_explains_in_chinese(client, programme):
    client.post("/apply/JGBK/start/")
    client.post("/apply/JGBK/step/who/", {"who": "self"})
    response = client.post(
        "/apply/JGBK/step/applicant/", {"name": "张志远", "id_number": "110105491231002", "phone": "13812345678"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "请修改下面的问题" in page  # the error summary on top
    assert "18位" in page  # the 15-digit number is explained
    assert 'value="张志远"' in page and 'value="13812345678"' in page


@pytest.mark.django_db
def test_english_pages_say_the_same_in_english(client, programme):
    client.post("/en/apply/JGBK/start/")
    client.post("/en/apply/JGBK/step/who/", {"who": "self"})
    response = client.post("/en/apply/JGBK/step/applicant/", {"name": "", "id_number": "123", "phone": ""})
    page = response.content.decode()
    assert 'lang="en"' in page
    assert "Please" in page
    assert "请修改" not in page


@pytest.mark.django_db
def test_a_bad_photo_is_refused_and_the_good_one_beside_it_is_kept(client, programme):
    apply_url = follow_to(client, client.post("/apply/JGBK/start/"))
    client.post(apply_url, {"who": "self"})
    client.post("/apply/JGBK/step/applicant/", {"name": "张志远", "id_number": ID_NUMBER, "phone": "13812345678"})
    client.post(
        "/apply/JGBK/step/address/",
        {"neighbourhood": "yongtai", "block": "block-241", "address_road": "永太路", "address_number": "5"},
    )
    client.post("/apply/JGBK/step/categories/", {"categories": ["disabled"]})
    not_a_photo = SimpleUploadedFile("id.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")
    response = client.post("/apply/JGBK/step/doc-id_card/", {"page_1": upload(), "page_2": not_a_photo})
    assert response.status_code == 200
    page = response.content.decode()
    assert "不是照片" in page
    assert DraftPhoto.objects.filter(document_type__code="id_card", page=1).exists()
    # Only the missing side is asked for again; the front shows as uploaded.
    assert "已上传" in page
    response = client.post("/apply/JGBK/step/doc-id_card/", {"page_2": upload(seed=2)})
    assert response["Location"].endswith("/step/doc-bank_card/")


@pytest.mark.django_db
def test_an_answer_can_be_changed_from_the_check_page(client, programme):
    check = apply(client)
    change = client.get("/apply/JGBK/step/address/?return=check")
    assert 'value="check"' in change.content.decode()
    response = client.post(
        "/apply/JGBK/step/address/",
        {"neighbourhood": "yongtai", "block": "block-242", "address_road": "永太路", "address_number": "88", "return": "check"},
    )
    assert response["Location"] == check
    assert "永太路88号" in client.get(check).content.decode()


@pytest.mark.django_db
def test_ticking_a_category_later_asks_for_its_document_before_submitting(client, programme):
    check = apply(client)
    response = client.post("/apply/JGBK/step/categories/", {"categories": ["disabled", "elderly_alone"], "return": "check"})
    assert response["Location"].endswith("/step/doc-hukou/")
    # Jumping to the check page is not possible while a document is missing.
    assert client.get(check)["Location"].endswith("/step/doc-hukou/")


@pytest.mark.django_db
def test_consent_must_be_given_on_two_separate_boxes(client, programme):
    check = apply(client)
    response = client.post(check, {"consent": "on"})
    assert response.status_code == 200
    assert "敏感个人信息" in response.content.decode()
    assert Application.objects.count() == 0


@pytest.mark.django_db
def test_a_double_clicked_submit_makes_one_application(client, programme):
    check = apply(client)
    first = client.post(check, {"consent": "on", "sensitive_consent": "on"})
    second = client.post(check, {"consent": "on", "sensitive_consent": "on"})
    assert Application.objects.count() == 1
    assert first["Location"].startswith("/apply/done/")
    assert second.status_code == 302  # back to the programme page, nothing new made


@pytest.mark.django_db
def test_a_second_application_for_the_same_person_is_stopped_without_being_told_the_reference(client, programme):
    check = apply(client)
    client.post(check, {"consent": "on", "sensitive_consent": "on"})
    reference = Application.objects.get().reference
    other = type(client)()
    with pytest.raises(AssertionError):  # stopped at the applicant step, long before the photos
        apply(other)
    response = other.get("/apply/JGBK/step/applicant/")
    assert reference not in response.content.decode()
    assert Application.objects.count() == 1


@pytest.mark.django_db
def test_status_lookup_by_reference_and_phone(client, programme):
    check = apply(client, who="proxy", proxy={"proxy_name": "李建华", "proxy_phone": "13900000013", "proxy_relationship": "child"})
    client.post(check, {"consent": "on", "sensitive_consent": "on"})
    reference = Application.objects.get().reference
    resident = type(client)()
    for phone, masked in (("13812345678", "138****5678"), ("139 0000 0013", "139****0013")):  # applicant, proxy
        page = resident.post("/status/", {"reference": reference.lower(), "phone": phone}).content.decode()
        assert "已受理" in page and reference in page
        assert f"发送验证码到 {masked} 查看详情或补交材料" in page  # the details need the SMS code
    wrong = resident.post("/status/", {"reference": reference, "phone": "13700000000"})
    unknown = resident.post("/status/", {"reference": "JGBK-2026-99999", "phone": "13812345678"})
    for response in (wrong, unknown):
        page = response.content.decode()
        assert "没有找到" in page
        assert "张志远" not in page and "已受理" not in page


@pytest.mark.django_db
def test_the_confirmation_page_belongs_to_the_session_that_submitted(client, programme):
    check = apply(client)
    done = client.post(check, {"consent": "on", "sensitive_consent": "on"})["Location"]
    assert type(client)().get(done).status_code == 404


@pytest.mark.django_db
def test_document_photos_are_only_for_staff(client, programme):
    check = apply(client)
    client.post(check, {"consent": "on", "sensitive_consent": "on"})
    document = Application.objects.get().documents.first()
    url = f"/staff/documents/{document.pk}/"
    assert client.get(url).status_code == 302  # to the sign-in page
    staff = get_user_model().objects.create_user("reviewer", password="a-long-password-1", is_staff=True)
    StaffProfile.objects.create(user=staff, role=Role.REVIEWER)
    sign_in(client, staff)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


@pytest.mark.django_db
def test_a_draft_photo_preview_is_only_for_its_own_session(client, programme):
    apply(client)
    photo = DraftPhoto.objects.first()
    url = f"/apply/JGBK/photos/{photo.pk}/"
    assert client.get(url).status_code == 200
    assert type(client)().get(url).status_code == 404


@pytest.mark.django_db
def test_large_text_mode_is_a_cookie_that_works_without_javascript(client, programme):
    response = client.post("/large-text/", {"on": "1", "next": "/programmes/JGBK/"})
    assert response["Location"] == "/programmes/JGBK/"
    assert 'class="large-text"' in client.get("/programmes/JGBK/").content.decode()
    evil = client.post("/large-text/", {"on": "0", "next": "https://evil.example/"})
    assert evil["Location"] == "/"


@pytest.mark.django_db
def test_home_lists_open_programmes(client, programme):
    page = client.get("/").content.decode()
    assert "旧改特殊对象帮困补助" in page and "正在受理" in page


@pytest.mark.django_db
def test_the_id_number_is_accepted_as_read_back_grouped_or_typed_full_width(client, programme):
    number = next(n for n in (valid_id_number("19500101", serial) for serial in range(1, 999)) if n.endswith("X"))
    grouped = f"{number[:6]} {number[6:14]} {number[14:]}"
    full_width = grouped.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}).replace("Ｘ", "ｘ")
    check = apply(client)
    for typed in (grouped, full_width):
        response = client.post(
            "/apply/JGBK/step/applicant/", {"name": "张志远", "id_number": typed, "phone": "13812345678", "return": "check"}
        )
        assert response.status_code == 302, typed
        page = client.get(check).content.decode()
        # Read back grouped 6-8-4, each group kept on one line.
        assert f'<span class="id-group">{number[:6]}</span> <span class="id-group">{number[6:14]}</span>' in page
        assert f'<span class="id-group">{number[14:]}</span>' in page


@pytest.mark.django_db
def test_the_check_page_shows_the_renovation_block(client, programme):
    page = client.get(apply(client)).content.decode()
    assert "芷江新村 · 育群中学西块" in page


@pytest.mark.django_db
def test_a_proxy_case_s_done_page_says_both_phones_get_the_sms(client, programme):
    check = apply(client, who="proxy", proxy={"proxy_name": "李建华", "proxy_phone": "13900000013", "proxy_relationship": "child"})
    done = follow_to(client, client.post(check, {"consent": "on", "sensitive_consent": "on"}))
    page = client.get(done).content.decode()
    assert "138****5678" in page and "139****0013" in page and "都会收到短信" in page


@pytest.mark.django_db
def test_every_empty_answer_says_which_question_in_plain_words(client, programme):
    from django.forms import Field

    generic = str(Field.default_error_messages["required"])
    url = follow_to(client, client.post("/apply/JGBK/start/"))
    page = client.post(url, {}).content.decode()
    assert generic not in page
    url = follow_to(client, client.post(url, {"who": "proxy"}))
    page = client.post(url, {}).content.decode()
    assert generic not in page and "请填写代办人（您）的姓名。" in page
    url = follow_to(
        client, client.post(url, {"proxy_name": "李建华", "proxy_phone": "13900000013", "proxy_relationship": "child"})
    )
    page = client.post(url, {}).content.decode()
    assert generic not in page and "请填写申请人姓名。" in page
    assert generic not in client.post("/status/", {}).content.decode()


@pytest.mark.django_db
def test_the_large_text_switch_keeps_what_was_typed_on_the_step(client, programme):
    url = follow_to(client, client.post("/apply/JGBK/start/"))
    url = follow_to(client, client.post(url, {"who": "self"}))
    assert url.endswith("/step/applicant/")
    page = client.get(url).content.decode()
    assert 'name="move" value="text_size:1"' in page and 'form="step-form"' in page
    # Half typed: the ID number is still wrong, and nothing is checked yet.
    response = client.post(url, {"name": "俞阿娥", "id_number": "31010619", "phone": "", "move": "text_size:1"})
    assert response.status_code == 302 and response["Location"] == url
    assert response.cookies["jiedao_large_text"].value == "1"
    page = client.get(url).content.decode()
    assert 'class="large-text"' in page
    assert 'value="俞阿娥"' in page and 'value="31010619"' in page
    assert "error-summary" not in page


@pytest.mark.django_db
def test_going_back_keeps_a_chosen_photo_and_the_answers(client, programme):
    apply(client)
    # A newly ticked category asks for the household register, not uploaded yet.
    client.post("/apply/JGBK/step/categories/", {"categories": ["disabled", "elderly_alone"]})
    photo_step = "/apply/JGBK/step/doc-hukou/"
    assert 'class="preview"' not in client.get(photo_step).content.decode()
    response = client.post(photo_step, {"page_1": upload(seed=7), "move": "back"})
    assert response.status_code == 302 and "/step/doc-hukou/" not in response["Location"]
    assert 'class="preview"' in client.get(photo_step).content.decode()  # the chosen photo was kept
    response = client.post("/apply/JGBK/step/address/", {"neighbourhood": "yongtai", "address_road": "永太路", "move": "back"})
    assert response["Location"].endswith("/step/applicant/")
    assert 'value="永太路"' in client.get("/apply/JGBK/step/address/").content.decode()


@pytest.mark.django_db
def test_the_step_total_never_changes_under_the_resident(client, programme):
    import re

    apply(client)
    client.post("/apply/JGBK/step/categories/", {"categories": ["disabled"]})
    totals = set()
    for step in ("who", "applicant", "address", "categories", "doc-id_card", "check"):
        page = client.get(f"/apply/JGBK/step/{step}/").content.decode()
        totals.update(re.findall(r"共 (\d+) 步", page))
    assert len(totals) == 1  # once shown, the same total on every page

    other = client.__class__()  # a fresh visitor: no categories yet, so no total yet
    url = follow_to(other, other.post("/apply/JGBK/start/"))
    page = other.get(url).content.decode()
    assert "第 1 步" in page and "共" not in re.sub(r"<[^>]+>", "", page.split('class="step-count"')[1])[:20]
