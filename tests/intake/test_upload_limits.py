"""Request-level limits, through the real views: every refusal says what went wrong in words the
resident (or the partner's developer) understands, and the draft typed so far stays.

The photo pipeline's own refusals (formats, bombs, pixel limits) are tested file by file in
test_photos.py; here each is sent the way a phone sends it, and the message on the page is checked.
"""

import io
import json
import struct

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jiedao.intake.models import Application, Draft, DraftPhoto
from tests.api.conftest import form, issue
from tests.intake.test_public_form import ID_NUMBER, follow_to, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(programme):
    return issue("yiwangtongban", "partner")


def to_first_photo_step(client) -> str:
    """Answer the question steps; return the first photo step's address."""
    url = follow_to(client, client.post("/apply/JGBK/start/"))
    url = follow_to(client, client.post(url, {"who": "self"}))
    url = follow_to(client, client.post(url, {"name": "张志远", "id_number": ID_NUMBER, "phone": "138 1234 5678"}))
    address = {
        "neighbourhood": "zhijiangxincun",
        "block": "yuqun-west",
        "address_road": "中兴路",
        "address_lane": "1021",
        "address_number": "7",
        "address_room": "",
    }
    url = follow_to(client, client.post(url, address))
    url = follow_to(client, client.post(url, {"categories": ["disabled"]}))
    assert "/step/doc-" in url
    return url


def tiny_files(count: int) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"p{n}.jpg", b"x", content_type="image/jpeg") for n in range(count)]


def assert_draft_kept(client, photo_step):
    """The step opens again with the answers already given still there."""
    again = client.get(photo_step)
    assert again.status_code == 200 and 'class="upload-input"' in again.content.decode()
    draft = Draft.objects.get()
    assert draft.answers["name"] == "张志远" and draft.answers["address_road"] == "中兴路"
    assert not Application.objects.exists()


def test_101_files_on_the_photo_step_get_a_clear_page_and_the_draft_stays(client, programme, settings):
    photo_step = to_first_photo_step(client)
    response = client.post(photo_step, {"page_1": tiny_files(101)})
    assert response.status_code == 413
    page = response.content.decode()
    assert f"一次选择的文件太多了，最多{settings.DATA_UPLOAD_MAX_NUMBER_FILES}个" in page
    assert "已经填写的内容和已经上传的照片都还保留着" in page
    assert f'href="{photo_step}"' in page  # back to the step, not to the start
    assert 'class="site-header"' in page  # the public form's frame, not a bare error
    assert_draft_kept(client, photo_step)


def test_101_files_to_the_api_get_a_json_error(client, partner, programme):
    data = form(programme)
    data["doc_extra"] = tiny_files(101)
    response = client.post("/api/v1/applications", data, **partner.headers)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["code"] == "too_many_files" and "文件太多" in body["message"]
    assert not Application.objects.exists()


def test_a_body_over_the_request_limit_is_refused_with_the_limit_named(client, programme, settings):
    photo_step = to_first_photo_step(client)
    settings.JIEDAO_MAX_REQUEST_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.jpg", b"\xff" * (1024 * 1024 + 1), content_type="image/jpeg")
    response = client.post(photo_step, {"page_1": big})
    assert response.status_code == 413
    page = response.content.decode()
    assert "这次上传的内容超过1MB，太大了" in page and "每张照片不能超过20MB" in page
    assert not DraftPhoto.objects.exists()
    assert_draft_kept(client, photo_step)


class Untouchable(io.RawIOBase):
    """A request body that counts what is read from it."""

    def __init__(self):
        self.bytes_read = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        self.bytes_read += len(buffer)
        buffer[:] = b"\0" * len(buffer)
        return len(buffer)


def test_a_huge_declared_body_is_refused_without_reading_it(client, programme):
    # 2 GB announced: refused from the Content-Length header alone, not a byte read or stored.
    body = Untouchable()
    response = client.post(
        "/apply/JGBK/start/",
        content_type="multipart/form-data; boundary=x",
        **{"wsgi.input": body, "CONTENT_LENGTH": str(2 * 1024**3)},
    )
    assert response.status_code == 413
    assert "太大了" in response.content.decode()
    assert body.bytes_read == 0


def test_a_body_over_the_limit_to_the_api_gets_a_json_error(client, partner, programme, settings):
    settings.JIEDAO_MAX_REQUEST_BYTES = 1024 * 1024
    padding = SimpleUploadedFile("extra.jpg", b"\xff" * (1024 * 1024), content_type="image/jpeg")
    response = client.post("/api/v1/applications", form(programme, doc_extra=[padding]), **partner.headers)
    assert response.status_code == 413
    body = json.loads(response.content)
    assert body["code"] == "too_large" and "1MB" in body["message"]
    assert not Application.objects.exists()


def test_text_over_djangos_field_limit_gets_a_clear_page(client, programme):
    # Django's own 2.5 MB limit on form fields (not files): a page, not a bare 400.
    photo_step = to_first_photo_step(client)
    applicant = photo_step.replace(photo_step.rstrip("/").rsplit("/", 1)[1], "applicant")
    response = client.post(applicant, {"name": "张" * (3 * 1024 * 1024), "id_number": ID_NUMBER, "phone": "13812345678"})
    assert response.status_code == 413
    assert "填写的内容太长了" in response.content.decode()
    assert Draft.objects.get().answers["name"] == "张志远"


# One bad file among the request's: the pipeline refuses it, the page says why, nothing is lost.


def gif_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("P", (1, 1)).save(out, "GIF")
    data = bytearray(out.getvalue())
    data[6:10] = struct.pack("<HH", 65535, 65535)  # claims 4.3 gigapixels
    return bytes(data)


HOSTILE = {
    "25 MB file": (b"\xff\xd8\xff" + b"\0" * (25 * 1024 * 1024), "这张照片超过20MB，太大了"),
    "zero-byte file": (b"", "这个文件是空的"),
    "GIF bomb named .jpg": (gif_bomb(), "不支持这种图片格式"),
    "HTML named .jpg": (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "这个文件不是照片"),
    "SVG with a script named .jpg": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "这个文件不是照片",
    ),
    "truncated photo": (upload().read()[:2000], "已损坏或没有上传完整"),
}


@pytest.mark.parametrize("content, message", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_file_on_the_photo_step_is_refused_in_words(client, programme, content, message):
    photo_step = to_first_photo_step(client)
    response = client.post(photo_step, {"page_1": SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg")})
    assert response.status_code == 200  # the step again, with the message on the page
    page = response.content.decode()
    assert message in page and "error-summary" in page
    assert not DraftPhoto.objects.exists()
    assert_draft_kept(client, photo_step)


def test_a_good_photo_beside_a_hostile_one_is_kept(client, programme):
    photo_step = to_first_photo_step(client)
    pages = client.get(photo_step).content.decode().count('class="upload-input"')
    if pages < 2:
        pytest.skip("the first document of the demo programme has one page")
    response = client.post(
        photo_step, {"page_1": upload(), "page_2": SimpleUploadedFile("photo.jpg", gif_bomb(), content_type="image/jpeg")}
    )
    assert response.status_code == 200 and "不支持这种图片格式" in response.content.decode()
    assert DraftPhoto.objects.filter(page=1).exists()
