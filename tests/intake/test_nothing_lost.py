"""Nothing lost, nothing half-made: a storage that fails part-way through, and a process killed
between storing a photo and committing its row.

The failing storage is a real ``FileSystemStorage`` put in place through ``settings.STORAGES``;
the services, views and API under test are the real ones.
"""

import datetime as dt
import io
import os

import pytest
from django.core.files.storage import FileSystemStorage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from jiedao.lib.errors import StorageUnavailable
from jiedao.core.models import Role
from jiedao.intake import services
from jiedao.intake.housekeeping import orphans_sweep
from jiedao.intake.lifecycle import Action, Status
from jiedao.intake.models import Application, Document, DraftPhoto
from jiedao.intake.photos import process_photo
from jiedao.intake.views import resident_access_grant
from jiedao.intake.transitions import application_transition
from tests.api.conftest import issue, submit as api_submit
from tests.conftest import CaseMaker, photo_bytes, sign_in, stored_files, valid_answers
from tests.factories import make_staff


class FailsOnThirdSave(FileSystemStorage):
    """A disk that fills up on the third photo: the first two are written, the third is not."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.saves = 0

    def save(self, name, content, max_length=None):
        self.saves += 1
        if self.saves == 3:
            raise OSError(28, "No space left on device")
        return super().save(name, content, max_length=max_length)


@pytest.fixture
def failing_storage(settings, private_storage):
    """Switch the default storage (same folder as the test's private one) to the failing one."""

    def install():
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": f"{__name__}.FailsOnThirdSave",
                "OPTIONS": {"location": str(private_storage), "base_url": None},
            },
        }
        return storages["default"]

    return install


def names_on_disk(location) -> set[str]:
    return {p.relative_to(location).as_posix() for p in stored_files(location)}


def processed(seed):
    return process_photo(io.BytesIO(photo_bytes(seed=seed, size=(640, 400))))


def upload(seed):
    return SimpleUploadedFile(f"p{seed}.jpg", photo_bytes(seed=seed, size=(640, 400)), content_type="image/jpeg")


# A storage failure on the third photo.


def test_a_storage_failure_on_the_third_photo_leaves_no_application_and_no_file(programme, failing_storage, private_storage):
    storage = failing_storage()
    uploads = [
        ("id_card", 1, processed(1)),
        ("id_card", 2, processed(2)),
        ("bank_card", 1, processed(3)),
        ("disability_cert", 1, processed(4)),
    ]
    with pytest.raises(StorageUnavailable) as failed:
        services.application_submit_uploads(programme=programme, answers=valid_answers(), uploads=uploads)
    assert isinstance(failed.value.__cause__, OSError)
    assert storage.saves == 3
    assert Application.objects.count() == 0 and Document.objects.count() == 0
    assert names_on_disk(private_storage) == set()


def test_a_partner_submission_whose_third_photo_fails_to_store_leaves_nothing(client, programme, failing_storage, private_storage):
    partner = issue("yiwangtongban", "partner")
    storage = failing_storage()
    client.raise_request_exception = False
    response = api_submit(client, partner, programme)
    assert response.status_code == 503 and response.json()["code"] == "storage_unavailable"
    assert storage.saves == 3
    assert Application.objects.count() == 0 and Document.objects.count() == 0
    assert names_on_disk(private_storage) == set()
    # The same submission, sent again once the disk has room, goes through whole.
    storage.saves = 3
    response = api_submit(client, partner, programme)
    assert response.status_code == 201, response.content
    application = Application.objects.get()
    assert names_on_disk(private_storage) == set(application.documents.values_list("file", flat=True))


@pytest.fixture
def needs_three_pages(programme):
    """A case asked for both household-register pages and the bank card: three photos to send."""
    reviewer = make_staff("reviewer", Role.REVIEWER)
    case = CaseMaker(programme)()
    application_transition(application=case, action=Action.START_REVIEW, actor=reviewer)
    application_transition(
        application=case,
        action=Action.REQUEST_MORE,
        actor=reviewer,
        note="请补拍户口簿和银行卡。",
        missing_document_codes=["hukou", "bank_card"],
    )
    case.refresh_from_db()
    return case


def test_a_workers_supplement_upload_failing_on_the_third_photo_keeps_no_page(client, needs_three_pages, failing_storage, private_storage):
    case = needs_three_pages
    before = names_on_disk(private_storage)
    worker = make_staff("worker", Role.WORKER, ["zhijiangxincun"])
    sign_in(client, worker)
    fields = {gap.field_name: upload(n) for n, gap in enumerate(services_outstanding(case), start=1)}
    assert len(fields) == 3
    storage = failing_storage()
    page = client.post(f"/staff/cases/{case.reference}/documents/", fields, follow=True)
    assert "照片暂时无法保存" in page.content.decode()
    assert storage.saves == 3
    case.refresh_from_db()
    assert case.status == Status.NEEDS_MORE
    assert not case.documents.filter(supplement=True).exists()
    assert names_on_disk(private_storage) == before


def test_a_residents_supplement_upload_failing_on_the_third_photo_keeps_no_page(client, needs_three_pages, failing_storage, private_storage):
    case = needs_three_pages
    before = names_on_disk(private_storage)
    session = client.session
    resident_access_grant(session, case, case.phone)  # as typing back the SMS code leaves it
    session.save()
    fields = {gap.field_name: upload(n) for n, gap in enumerate(services_outstanding(case), start=1)}
    storage = failing_storage()
    page = client.post("/status/documents/", fields)
    assert "照片暂时无法保存" in page.content.decode()
    assert storage.saves == 3
    case.refresh_from_db()
    assert case.status == Status.NEEDS_MORE
    assert not case.documents.filter(supplement=True).exists()
    assert names_on_disk(private_storage) == before


def services_outstanding(case):
    from jiedao.intake.transitions import outstanding_pages

    return outstanding_pages(case)


def _walk_to_documents(client, prefix, first_steps):
    """Answer the question pages of the wizard; returns the first photo page's URL."""
    url = client.post(f"{prefix}/start/")["Location"]
    for step, data in first_steps:
        assert url.endswith(f"/step/{step}/"), url
        url = client.post(url, data)["Location"]
    assert "/step/doc-" in url, url
    return url


ANSWER_STEPS = [
    ("who", {"who": "self"}),
    ("applicant", {"name": "张志远", "id_number": valid_answers()["id_number"], "phone": "13812345678"}),
    (
        "address",
        {
            "neighbourhood": "zhijiangxincun",
            "block": "yuqun-west",
            "address_road": "中兴路",
            "address_lane": "1021",
            "address_number": "7",
            "address_room": "",
        },
    ),
    ("categories", {"categories": ["disabled"]}),
]


@pytest.mark.parametrize("desk", ["public", "staff"])
def test_a_wizard_photo_that_fails_to_store_leaves_no_file_and_keeps_the_pages_already_taken(
    client, programme, failing_storage, private_storage, desk
):
    """In the wizard the photos belong to the draft until submission: the two stored pages stay
    with it (the resident need not take them again), the third leaves no file, and the draft
    purge removes the rest if the resident never comes back."""
    if desk == "staff":
        sign_in(client, make_staff("worker", Role.WORKER, ["zhijiangxincun"]))
        url = _walk_to_documents(client, "/staff/file/JGBK", [("channel", {"channel": "phone"}), *ANSWER_STEPS])
    else:
        url = _walk_to_documents(client, "/apply/JGBK", ANSWER_STEPS)
    storage = failing_storage()
    assert url.endswith("/step/doc-id_card/")
    url = client.post(url, {"page_1": upload(1), "page_2": upload(2)})["Location"]
    assert url.endswith("/step/doc-bank_card/")
    page = client.post(url, {"page_1": upload(3)})
    assert page.status_code == 200 and "照片暂时无法保存" in page.content.decode()  # the step again, with the reason
    assert storage.saves == 3
    assert Application.objects.count() == 0
    kept = set(DraftPhoto.objects.values_list("file", flat=True))
    assert len(kept) == 2
    assert names_on_disk(private_storage) == kept
    services.drafts_purge(older_than=dt.timedelta(hours=72), now=timezone.now() + dt.timedelta(hours=73))
    assert names_on_disk(private_storage) == set()


# A process killed mid-submission: a stored photo whose row was never committed.


def _age(location, name, hours):
    path = location / name
    then = (timezone.now() - dt.timedelta(hours=hours)).timestamp()
    os.utime(path, (then, then))


def test_the_sweeper_removes_an_old_orphan_and_keeps_fresh_and_referenced_photos(programme, private_storage):
    application = CaseMaker(programme)()
    draft = services.draft_start(programme=programme)
    draft_photo = services.draft_put_photo(
        draft=draft, document_type=programme.document_types.get(code="bank_card"), page=1, photo=processed(5)
    )
    killed = services.photo_store(processed(6))  # stored, then the process died before the commit
    in_flight = services.photo_store(processed(7))  # a submission still running
    referenced = set(application.documents.values_list("file", flat=True)) | {draft_photo.file.name}
    for name in referenced | {killed}:
        _age(private_storage, name, hours=25)

    call_command("documents", "sweep", "--older-than-hours", "24", stdout=io.StringIO())

    assert names_on_disk(private_storage) == referenced | {in_flight}
    # The in-flight photo becomes an orphan too if its submission never commits: swept a day later.
    result = orphans_sweep(older_than=dt.timedelta(hours=24), now=timezone.now() + dt.timedelta(hours=25))
    assert result.deleted == [in_flight]
    assert names_on_disk(private_storage) == referenced


def test_a_sweep_dry_run_deletes_nothing(programme, private_storage):
    killed = services.photo_store(processed(6))
    _age(private_storage, killed, hours=48)
    result = orphans_sweep(older_than=dt.timedelta(hours=24), dry_run=True)
    assert result.deleted == [killed]
    assert names_on_disk(private_storage) == {killed}


def test_the_sweeper_refuses_an_age_that_would_race_live_submissions(programme):
    with pytest.raises(ValueError):
        orphans_sweep(older_than=dt.timedelta(minutes=5))
