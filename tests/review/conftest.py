"""Filing for a resident through the staff desk, as the worker's browser sends it. Staff of every
role and the case maker are shared by every part's tests (tests/conftest.py)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.intake.models import DocumentType
from tests.conftest import next_url, photo_bytes
from tests.factories import valid_id_number

FILING_ID_NUMBER = valid_id_number("19480305", 321)


def walk_staff_wizard(client, *, channel="home_visit", neighbourhood="yongtai", categories=("disabled",)):
    """Every step up to the check page with valid answers; returns the check page's URL."""
    url = next_url(client.post("/staff/file/JGBK/start/"))
    assert url == "/staff/file/JGBK/step/channel/"
    url = next_url(client.post(url, {"channel": channel}))
    assert url.endswith("/step/who/")
    url = next_url(client.post(url, {"who": "self"}))
    assert url.endswith("/step/applicant/")
    url = next_url(client.post(url, {"name": "俞秀珍", "id_number": FILING_ID_NUMBER, "phone": "13911112222"}))
    assert url.endswith("/step/address/")
    url = next_url(
        client.post(
            url,
            {
                "neighbourhood": neighbourhood,
                "block": "block-241",
                "address_road": "永太路",
                "address_lane": "88",
                "address_number": "5",
                "address_room": "301",
            },
        )
    )
    assert url.endswith("/step/categories/")
    url = next_url(client.post(url, {"categories": list(categories)}))
    while "/step/doc-" in url:
        code = url.rstrip("/").rsplit("/doc-", 1)[1]
        pages = DocumentType.objects.get(programme__code="JGBK", code=code).pages
        photos = {
            f"page_{n}": SimpleUploadedFile(f"{code}-{n}.jpg", photo_bytes(seed=n, size=(640, 400)), content_type="image/jpeg")
            for n in range(1, pages + 1)
        }
        url = next_url(client.post(url, photos))
    assert url == "/staff/file/JGBK/step/check/"
    return url


def file_for_resident(client, **kwargs):
    """The whole filing; returns the answer to the final submit (a redirect to the case page)."""
    check = walk_staff_wizard(client, **kwargs)
    return client.post(check, {"consent": "on", "sensitive_consent": "on"}, REMOTE_ADDR="10.20.30.40")
