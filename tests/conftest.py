"""What tests of every part share: the programme and its places (from ``tests.factories``), staff
of every role, valid answers and photos, cases submitted through the real service, and signing in."""

import functools
import io
import threading

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import translation

from jiedao.core.models import Role
from jiedao.intake import services
from jiedao.intake.photos import process_photo
from jiedao.intake.selectors import required_documents
from jiedao.intake.services import StoredPhoto, photo_store
from jiedao.ops.sample_photos import sample_document_photo
from tests.factories import hardship_programme, make_staff, valid_id_number


@pytest.fixture(autouse=True)
def chinese_first():
    """Each test starts in the default language: a request under /en/ leaves English active in
    the thread (LocaleMiddleware does not switch it back), and a service called afterwards
    would otherwise speak English to a test that expects Chinese."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fresh_public_activities():
    """Each test's activities are its own: the public pages keep an activity a few seconds per
    process (activities.selectors.activity_public), and tests reuse codes in new databases."""
    from jiedao.activities.selectors import activity_public_forget

    activity_public_forget()


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Each test writes documents into its own folder, so tests can count the files left behind."""
    location = tmp_path / "documents"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
    return location


@pytest.fixture
def programme(db):
    """The JGBK hardship subsidy, open today, with the subdistrict's neighbourhoods and blocks."""
    return hardship_programme()


def valid_answers(**overrides):
    answers = {
        "who": "self",
        "name": "张志远",
        "id_number": valid_id_number("19500101", 123),
        "phone": "13812345678",
        "neighbourhood": "zhijiangxincun",
        "block": "yuqun-west",
        "address_road": "中兴路",
        "address_lane": "1021",
        "address_number": "7",
        "address_room": "",
        "categories": ["disabled"],
        "household_note": "",
        "consent": True,
        "sensitive_consent": True,
    }
    answers.update(overrides)
    return answers


@pytest.fixture
def answers():
    return valid_answers


def photo_bytes(kind="id_front", seed=1, **kwargs) -> bytes:
    return sample_document_photo(kind, seed=seed, **kwargs)


def stored_photos_for(programme, categories) -> list[StoredPhoto]:
    photos = []
    for doc in required_documents(programme, categories):
        for page in range(1, doc.pages + 1):
            processed = process_photo(io.BytesIO(photo_bytes(seed=page, size=(640, 400))))
            name = photo_store(processed)
            photos.append(StoredPhoto(doc.code, page, name, processed.width, processed.height, len(processed.content)))
    return photos


@pytest.fixture
def photos_for(programme):
    return lambda categories=("disabled",): stored_photos_for(programme, categories)


def stored_files(location) -> list:
    return [p for p in location.rglob("*") if p.is_file()] if location.exists() else []


@pytest.fixture
def is_postgresql():
    return connection.vendor == "postgresql"


def run_concurrently(count, target):
    """Call ``target(index)`` from ``count`` threads released at the same instant, each with its own
    database connection; returns (results, errors) for the test to assert on."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker(index):
        try:
            barrier.wait()
            results.append(target(index))
        except Exception as error:  # collected and asserted on by the caller
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def sign_in(client, user):
    """Signs a member of staff in on a test client, as the sign-in page would leave them: password
    accepted (a new session), staff session clocks started, and a confirmed authenticator verified."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from jiedao.core.staff_auth import staff_session_start

    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test", confirmed=True
    )
    session = client.session
    staff_session_start(session=session, user=user)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def next_url(response):
    assert response.status_code == 302, response.content.decode()[:3000]
    return response["Location"]


# Staff of every role. They sign in with ``sign_in``: no password, so no slow password hashing.


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


# Cases submitted through the real service.


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
        overrides.setdefault("id_number", valid_id_number("19500101", serial))
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


def queue_get(client, params, **extra):
    """Open the staff queue as a person would: a search is typed into the form (POST, then
    redirected to an address that carries only a token); plain filters are links."""
    if params.get("q"):
        response = client.post("/staff/", params, **extra)
        assert response.status_code == 302
        assert params["q"] not in response["Location"]
        return client.get(response["Location"], **extra)
    return client.get("/staff/", params, **extra)
