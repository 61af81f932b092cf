import datetime as dt
import io
import zoneinfo

import pytest
from django.utils import timezone

from jiedao.lib.crypto import last4_hash
from jiedao.lib.errors import DuplicateApplication, ProgrammeClosed, ValidationFailed
from jiedao.intake import services
from jiedao.intake.lifecycle import Status
from jiedao.intake.models import Application, ApplicationEvent, Channel, Document, ReferenceCounter
from jiedao.intake.photos import process_photo
from tests.conftest import photo_bytes, run_concurrently, stored_files, stored_photos_for, valid_answers
from tests.factories import hardship_programme, valid_id_number

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def submit(programme, photos=None, **overrides):
    answers = valid_answers(**overrides)
    if photos is None:
        photos = stored_photos_for(programme, answers["categories"])
    return services.application_submit(programme=programme, answers=answers, photos=photos)


def test_a_submission_stores_the_application_its_documents_and_first_history_entry(programme):
    application = submit(programme)
    assert application.status == Status.SUBMITTED
    assert application.reference.startswith(f"JGBK-{timezone.localdate().year}-")
    # ID card front and back, bank card, disability certificate
    assert application.documents.count() == 4
    event = application.events.get()
    assert (event.from_status, event.to_status, event.channel) == ("", Status.SUBMITTED, Channel.ONLINE)
    assert application.name_pinyin == "zhangzhiyuan" and application.name_initials == "zzy"
    assert application.id_last4_hash == last4_hash(application.id_number[-4:])
    assert application.consent_version and application.sensitive_consent_at


def test_references_count_up_and_can_be_read_out(programme):
    first = submit(programme)
    second = submit(programme, id_number=valid_id_number("19600101", 222), photos=stored_photos_for(programme, ["disabled"]))
    assert first.reference.endswith("-00001") and second.reference.endswith("-00002")


def test_numbering_restarts_in_the_new_shanghai_year(programme):
    programme.opens_on = dt.date(2026, 12, 1)
    programme.closes_on = dt.date(2027, 2, 1)
    programme.save()
    late = dt.datetime(2026, 12, 31, 23, 59, tzinfo=SHANGHAI)
    early = dt.datetime(2027, 1, 1, 0, 1, tzinfo=SHANGHAI)  # still 2026 in UTC
    a = services.application_submit(
        programme=programme, answers=valid_answers(), photos=stored_photos_for(programme, ["disabled"]), now=late
    )
    b = services.application_submit(
        programme=programme,
        answers=valid_answers(id_number=valid_id_number("19600101", 222)),
        photos=stored_photos_for(programme, ["disabled"]),
        now=early,
    )
    assert a.reference == "JGBK-2026-00001"
    assert b.reference == "JGBK-2027-00001"


def test_a_person_with_an_open_application_is_refused_and_the_caller_is_handed_the_case(programme):
    first = submit(programme)
    with pytest.raises(DuplicateApplication) as error:
        submit(programme)
    assert error.value.reference == first.reference and error.value.application == first
    assert first.reference not in str(error.value.message)  # each desk decides who may be told
    assert Application.objects.count() == 1


def test_a_person_whose_application_was_rejected_may_apply_again(programme):
    first = submit(programme)
    Application.objects.filter(pk=first.pk).update(status=Status.REJECTED)
    second = submit(programme)
    assert second.pk != first.pk


def test_the_same_idempotency_key_returns_the_first_application(programme):
    answers = valid_answers()
    photos = stored_photos_for(programme, answers["categories"])
    a = services.application_submit(programme=programme, answers=answers, photos=photos, idempotency_key="k1")
    b = services.application_submit(programme=programme, answers=answers, photos=photos, idempotency_key="k1")
    assert a.pk == b.pk and Application.objects.count() == 1


def test_every_field_error_is_reported_at_once(programme):
    with pytest.raises(ValidationFailed) as error:
        submit(programme, photos=[], name="", id_number="110105491231002", phone="123", categories=[], consent=False)
    assert {"name", "id_number", "phone", "categories", "consent"} <= set(error.value.errors)


def test_a_missing_document_page_is_refused(programme):
    photos = [p for p in stored_photos_for(programme, ["disabled"]) if not (p.document_code == "id_card" and p.page == 2)]
    with pytest.raises(ValidationFailed) as error:
        submit(programme, photos=photos)
    assert "doc_id_card" in error.value.errors
    assert Application.objects.count() == 0


def test_a_closed_programme_accepts_nothing(programme):
    programme.closes_on = timezone.localdate() - dt.timedelta(days=1)
    programme.save()
    with pytest.raises(ProgrammeClosed):
        submit(programme)


def test_a_proxy_is_recorded_with_name_phone_and_relationship(programme):
    application = submit(
        programme, who="proxy", proxy_name="李建华", proxy_phone="13900000013", proxy_relationship="child"
    )
    assert application.channel == Channel.PROXY
    assert (application.proxy_name, application.proxy_phone, application.proxy_relationship) == (
        "李建华",
        "13900000013",
        "child",
    )


@pytest.mark.parametrize("name", ["𠮷野家", "买买提·艾力", "Zhang Wei"])
def test_names_in_any_script_are_kept_as_typed(programme, name):
    assert submit(programme, name=name).applicant_name == name


def test_a_failure_mid_submission_leaves_no_half_made_application(programme, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ApplicationEvent.objects, "create", explode)
    with pytest.raises(RuntimeError):
        submit(programme)
    assert Application.objects.count() == 0
    assert Document.objects.count() == 0
    assert ReferenceCounter.objects.filter(last__gt=0).count() == 0


def test_uploads_of_a_failed_submission_leave_no_file_behind(programme, private_storage):
    uploads = [
        ("id_card", 1, process_photo(io.BytesIO(photo_bytes(seed=1, size=(640, 400))))),
        ("id_card", 2, process_photo(io.BytesIO(photo_bytes(seed=2, size=(640, 400))))),
    ]  # bank card and disability certificate missing
    with pytest.raises(ValidationFailed):
        services.application_submit_uploads(programme=programme, answers=valid_answers(), uploads=uploads)
    assert stored_files(private_storage) == []


def test_a_draft_submitted_twice_makes_one_application(programme):
    draft = services.draft_start(programme=programme)
    services.draft_save_answers(draft=draft, answers=valid_answers())
    for doc_code, page in [("id_card", 1), ("id_card", 2), ("bank_card", 1), ("disability_cert", 1)]:
        doc = programme.document_types.get(code=doc_code)
        photo = process_photo(io.BytesIO(photo_bytes(seed=page, size=(640, 400))))
        services.draft_put_photo(draft=draft, document_type=doc, page=page, photo=photo)
    first = services.draft_submit(draft=draft, answers={})
    again = services.draft_submit(draft=type(draft).objects.get(pk=draft.pk), answers={})
    assert first.pk == again.pk
    assert Application.objects.count() == 1


def test_replacing_a_draft_photo_removes_the_old_file(programme, private_storage, django_capture_on_commit_callbacks):
    draft = services.draft_start(programme=programme)
    doc = programme.document_types.get(code="bank_card")
    for seed in (1, 2):
        photo = process_photo(io.BytesIO(photo_bytes(seed=seed, size=(640, 400))))
        with django_capture_on_commit_callbacks(execute=True):
            services.draft_put_photo(draft=draft, document_type=doc, page=1, photo=photo)
    assert len(stored_files(private_storage)) == 1


def test_stale_drafts_are_purged_with_their_photos(programme, private_storage):
    draft = services.draft_start(programme=programme)
    doc = programme.document_types.get(code="bank_card")
    services.draft_put_photo(
        draft=draft, document_type=doc, page=1, photo=process_photo(io.BytesIO(photo_bytes(size=(640, 400))))
    )
    assert services.drafts_purge(older_than=dt.timedelta(hours=72)) == 0
    later = timezone.now() + dt.timedelta(hours=73)
    assert services.drafts_purge(older_than=dt.timedelta(hours=72), now=later) == 1
    assert stored_files(private_storage) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_unique_references():
    programme = hardship_programme()
    photo_sets = [stored_photos_for(programme, ["disabled"]) for _ in range(8)]

    def one(index):
        return services.application_submit(
            programme=programme,
            answers=valid_answers(id_number=valid_id_number("19500101", 300 + index)),
            photos=photo_sets[index],
        ).reference

    references, errors = run_concurrently(8, one)
    assert errors == []
    assert len(set(references)) == 8
    assert sorted(int(r.rsplit("-", 1)[1]) for r in references) == list(range(1, 9))


@pytest.mark.django_db(transaction=True)
def test_the_same_person_submitting_from_two_devices_at_once_gets_one_application():
    programme = hardship_programme()
    photo_sets = [stored_photos_for(programme, ["disabled"]) for _ in range(4)]

    def one(index):
        return services.application_submit(programme=programme, answers=valid_answers(), photos=photo_sets[index])

    results, errors = run_concurrently(4, one)
    assert len(results) == 1
    assert len(errors) == 3 and all(isinstance(e, DuplicateApplication) for e in errors)
    assert {e.reference for e in errors} == {results[0].reference}
