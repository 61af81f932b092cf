import io
import threading

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import translation

from jiedao.ops.demo import demo_id_number, load_places
from jiedao.intake.photos import process_photo
from jiedao.ops.sample_photos import sample_document_photo
from jiedao.intake.selectors import required_documents
from jiedao.intake.services import StoredPhoto, photo_store


@pytest.fixture(autouse=True)
def chinese_first():
    """Each test starts in the default language: a request under /en/ leaves English active in
    the thread (LocaleMiddleware does not switch it back), and a service called afterwards
    would otherwise speak English to a test that expects Chinese."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


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
    return load_places()


def valid_answers(**overrides):
    answers = {
        "who": "self",
        "name": "张志远",
        "id_number": demo_id_number("19500101", 123),
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
