"""Staff of every role, cases submitted through the real service, and the staff filing walk."""

import functools
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.core.models import Neighbourhood, Role, StaffProfile
from jiedao.intake import services
from jiedao.ops.demo import demo_id_number
from jiedao.intake.models import DocumentType
from jiedao.intake.photos import process_photo
from jiedao.intake.selectors import required_documents
from jiedao.intake.services import StoredPhoto, photo_store
from tests.conftest import photo_bytes, valid_answers


def make_staff(username, role, neighbourhoods=(), **extra):
    """Staff sign in with ``client.force_login``; no password, so no slow password hashing."""
    user = get_user_model().objects.create_user(username, is_staff=True, **extra)
    profile = StaffProfile.objects.create(user=user, role=role)
    profile.neighbourhoods.set(Neighbourhood.objects.filter(code__in=neighbourhoods))
    return user


@pytest.fixture
def worker(programme):
    """A committee worker of 永太."""
    return make_staff("worker_yt", Role.WORKER, ["yongtai"], first_name="永太居委会 社工")


@pytest.fixture
def zj_worker(programme):
    """A committee worker of 芷江新村."""
    return make_staff("worker_zjxc", Role.WORKER, ["zhijiangxincun"])


@pytest.fixture
def reviewer(programme):
    return make_staff("reviewer", Role.REVIEWER, first_name="审核员")


@pytest.fixture
def other_reviewer(programme):
    return make_staff("reviewer2", Role.REVIEWER)


@pytest.fixture
def leader(programme):
    return make_staff("leader", Role.LEADER)


@pytest.fixture
def admin_user(programme):
    return make_staff("admin", Role.ADMIN)


@functools.cache
def processed_photo(seed=1):
    """A photo through the real pipeline; made once per seed, as the pipeline is not under test here."""
    return process_photo(io.BytesIO(photo_bytes(seed=seed, size=(640, 400))))


def stored_photos(programme, categories) -> list[StoredPhoto]:
    """Every page the categories need, stored in this test's private storage."""
    photos = []
    for doc in required_documents(programme, categories):
        for page in range(1, doc.pages + 1):
            photo = processed_photo(page)
            photos.append(StoredPhoto(doc.code, page, photo_store(photo), photo.width, photo.height, len(photo.content)))
    return photos


class CaseMaker:
    """Submits applications through ``application_submit``; the stored photos are shared between
    cases of the same categories so that a test with many cases stays fast."""

    def __init__(self, programme):
        self.programme = programme
        self.serial = 500
        self._photos = {}

    def __call__(self, *, serial=None, channel="online", filed_by=None, now=None, **overrides):
        if serial is None:
            self.serial += 1
            serial = self.serial
        overrides.setdefault("id_number", demo_id_number("19500101", serial))
        answers = valid_answers(**overrides)
        key = tuple(sorted(answers["categories"]))
        if key not in self._photos:
            self._photos[key] = stored_photos(self.programme, answers["categories"])
        return services.application_submit(
            programme=self.programme,
            answers=answers,
            photos=self._photos[key],
            channel=channel,
            filed_by=filed_by,
            now=now,
        )


@pytest.fixture
def make_case(programme):
    return CaseMaker(programme)


# Filing for a resident through the staff desk, as the worker's browser sends it.

FILING_ID_NUMBER = demo_id_number("19480305", 321)


def next_url(response):
    assert response.status_code == 302, response.content.decode()[:3000]
    return response["Location"]


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


def queue_get(client, params, **extra):
    """Open the queue as a person would: a search is typed into the form (POST, then redirected to
    an address that carries only a token); plain filters are links."""
    if params.get("q"):
        response = client.post("/staff/", params, **extra)
        assert response.status_code == 302
        assert params["q"] not in response["Location"]
        return client.get(response["Location"], **extra)
    return client.get("/staff/", params, **extra)
