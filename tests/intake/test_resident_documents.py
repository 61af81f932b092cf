"""A resident asked for more material sends it in through the status page, once the case is
open in the browser (reference + phone, then the code sent by SMS: see test_resident_access)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.intake import services
from jiedao.intake.lifecycle import Status
from jiedao.notices.models import Event, Notice
from tests.conftest import photo_bytes, stored_photos_for, valid_answers
from tests.intake.conftest import request_hukou


@pytest.fixture
def case_needing_hukou(programme):
    application = services.application_submit(
        programme=programme, answers=valid_answers(), photos=stored_photos_for(programme, ["disabled"])
    )
    return request_hukou(application)


def open_case(client, case, phone="13812345678"):
    client.post("/status/", {"reference": case.reference, "phone": phone})
    client.post("/status/code/send/")
    code = Notice.objects.filter(event=Event.ACCESS_CODE).latest("created_at").params["code"]
    assert client.post("/status/code/", {"code": code})["Location"] == "/status/case/"


def photo(seed=1):
    return SimpleUploadedFile("p.jpg", photo_bytes(seed=seed, size=(800, 500)), content_type="image/jpeg")


@pytest.mark.django_db
def test_the_open_case_says_what_is_missing_and_links_to_the_upload(client, case_needing_hukou):
    open_case(client, case_needing_hukou)
    page = client.get("/status/case/").content.decode()
    assert "需补充材料" in page and "户口簿" in page and "请补拍户口簿首页和本人页。" in page
    assert 'href="/status/documents/"' in page


@pytest.mark.django_db
def test_the_upload_page_needs_the_reference_and_phone_first(client, case_needing_hukou):
    response = client.get("/status/documents/")
    assert response["Location"] == "/status/"


@pytest.mark.django_db
def test_pages_sent_one_at_a_time_are_kept_and_the_last_one_returns_the_case_to_review(client, case_needing_hukou):
    open_case(client, case_needing_hukou)
    url = "/status/documents/"
    client.post(url, {"doc_hukou_1": photo(1)})
    case_needing_hukou.refresh_from_db()
    assert case_needing_hukou.status == Status.NEEDS_MORE
    page = client.get(url).content.decode()
    assert "doc_hukou_2" in page and "doc_hukou_1" not in page  # only the page still missing is asked for
    client.post(url, {"doc_hukou_2": photo(2)})
    case_needing_hukou.refresh_from_db()
    assert case_needing_hukou.status == Status.RESUBMITTED
    assert case_needing_hukou.documents.filter(supplement=True).count() == 2
    assert not case_needing_hukou.missing_documents.exists()
    assert "补充的材料已经收到" in client.get(url).content.decode()


@pytest.mark.django_db
def test_a_file_that_is_not_a_photo_is_refused_with_a_message(client, case_needing_hukou):
    open_case(client, case_needing_hukou)
    bad = SimpleUploadedFile("x.jpg", b"<html><body>hello</body></html>", content_type="image/jpeg")
    response = client.post("/status/documents/", {"doc_hukou_1": bad})
    assert response.status_code == 200
    assert "不是照片" in response.content.decode()
    case_needing_hukou.refresh_from_db()
    assert case_needing_hukou.documents.filter(supplement=True).count() == 0
