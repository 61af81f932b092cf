"""ID numbers at rest (PIPL): nothing plain in the database, its dumps or its file; found again by
keyed hashes; keys rotatable; masked wherever staff without the right see them; never in a URL."""

import io
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import load_workbook

from jiedao.api.models import PartnerSubmission
from jiedao.lib.crypto import is_current
from jiedao.lib.errors import DuplicateApplication
from jiedao.core.models import AuditEntry, Role
from jiedao.intake import services
from jiedao.intake.models import Application, Draft
from jiedao.reports.models import RosterEntry, RosterVersion
from jiedao.reports.queue import QueueFilters, queue
from tests.api.conftest import issue
from tests.conftest import CaseMaker, sign_in, valid_answers
from tests.factories import make_staff, valid_id_number

ID_NUMBER = valid_id_number("19500101", 777)
DRAFT_ID_NUMBER = valid_id_number("19610202", 778)
ROSTER_ID_NUMBER = valid_id_number("19420303", 779)
DRAFT_PHONE = "13955556666"
DRAFT_NAME = "俞秀珍"


def _case(programme, **overrides):
    return CaseMaker(programme)(**{"id_number": ID_NUMBER, **overrides})


def _draft(programme):
    draft = services.draft_start(programme=programme)
    answers = valid_answers(id_number=DRAFT_ID_NUMBER, phone=DRAFT_PHONE, name=DRAFT_NAME)
    return services.draft_save_answers(draft=draft, answers=answers)


def _roster_entry(programme, user):
    version = RosterVersion.objects.create(programme=programme, number=1, file_name="roster.xlsx", imported_by=user)
    return RosterEntry.objects.create(version=version, block=programme.blocks.first(), name="王五", id_number=ROSTER_ID_NUMBER)


def _raw_rows(*models) -> str:
    """Every column of every row, as the database returns them to a plain SELECT."""
    rows = []
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")
            rows.extend(cursor.fetchall())
    return repr(rows)


SECRETS = (ID_NUMBER, DRAFT_ID_NUMBER, ROSTER_ID_NUMBER, DRAFT_PHONE)


@pytest.mark.django_db(transaction=True)
def test_a_database_dump_or_the_database_file_holds_no_plain_id_number(programme, client):
    reviewer = make_staff("reviewer", Role.REVIEWER)
    application = _case(programme)
    _draft(programme)
    _roster_entry(programme, reviewer)
    # A search by the whole number: the search text is kept in the session, a database row too.
    sign_in(client, reviewer)
    found = client.get(client.post("/staff/", {"q": ID_NUMBER})["Location"])
    assert application.reference in found.content.decode()

    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    raw = _raw_rows(Application, Draft, RosterEntry)
    sessions = repr([session.get_decoded() for session in Session.objects.all()])
    for secret in SECRETS:
        assert secret not in dump.getvalue()
        assert secret not in raw
        assert secret not in sessions
    assert DRAFT_NAME not in raw  # the whole draft is sealed, not just its ID number

    if connection.vendor == "sqlite":
        # The file itself, as a file-level backup would copy it: main file and write-ahead log.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(FULL)")
        path = Path(connection.settings_dict["NAME"])
        files = [path, *[f for f in (Path(f"{path}-wal"), Path(f"{path}-journal")) if f.exists()]]
        for file in files:
            # Read by another process: closing a descriptor of a live SQLite file in this process
            # would drop every POSIX lock SQLite holds on it here (a later test then finds the
            # shared-memory index gone and "disk I/O error").
            content = subprocess.run(["cat", str(file)], capture_output=True, check=True).stdout
            assert file != path or application.reference.encode() in content  # the right file
            for secret in SECRETS:
                assert secret.encode() not in content, file


def test_application_and_draft_read_back_in_plain_text_for_the_code_that_needs_it(programme):
    application = Application.objects.get(pk=_case(programme).pk)
    assert application.id_number == ID_NUMBER
    assert application.masked_id_number == "310***********777" + ID_NUMBER[-1]
    draft = Draft.objects.get(pk=_draft(programme).pk)
    assert (draft.answers["id_number"], draft.answers["phone"]) == (DRAFT_ID_NUMBER, DRAFT_PHONE)


def test_the_database_itself_refuses_a_second_open_application_of_one_person(programme):
    first = _case(programme)
    copy = Application.objects.get(pk=first.pk)
    copy.pk, copy.reference, copy.idempotency_key = None, "JGBK-2026-99999", None
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()  # a race past the service's check still ends here, at the keyed hash's unique index


def test_a_duplicate_is_still_found_by_the_keyed_hash_of_the_open_application(programme):
    first = _case(programme)
    with pytest.raises(DuplicateApplication) as duplicate:
        _case(programme, phone="13700001111")
    assert duplicate.value.reference == first.reference and duplicate.value.application == first


def test_search_by_whole_number_and_by_last_four_finds_the_case_by_keyed_hash(programme):
    reviewer = make_staff("reviewer", Role.REVIEWER)
    application = _case(programme)
    for text in (ID_NUMBER, ID_NUMBER[-4:], ID_NUMBER[-4:].lower()):
        assert list(queue(reviewer, QueueFilters(q=text))) == [application], text
    assert not queue(reviewer, QueueFilters(q="0000")).exists()


def test_the_roster_matches_applications_by_keyed_hash(programme):
    reviewer = make_staff("reviewer", Role.REVIEWER)
    entry = _roster_entry(programme, reviewer)
    assert RosterEntry.objects.get(pk=entry.pk).id_number == ROSTER_ID_NUMBER
    on_roster = _case(programme, id_number=ROSTER_ID_NUMBER)
    assert queue(reviewer, QueueFilters(roster="absent")).count() == 0
    assert on_roster in queue(reviewer, QueueFilters(roster="other")) | queue(reviewer, QueueFilters(roster="same"))


def test_keys_rotate_moves_every_row_to_the_new_key_and_a_second_run_changes_nothing(programme, settings):
    reviewer = make_staff("reviewer", Role.REVIEWER)
    application = _case(programme)
    draft = _draft(programme)
    entry = _roster_entry(programme, reviewer)
    old, new = settings.JIEDAO_ID_KEYS[0], Fernet.generate_key().decode()

    settings.JIEDAO_ID_KEYS = [new, old]
    out = io.StringIO()
    call_command("keys", "rotate", "--batch-size", "1", stdout=out)
    assert "intake_application：共 1 行，重新加密 1 行" in out.getvalue()
    assert "reports_rosterentry：共 1 行，重新加密 1 行" in out.getvalue()
    assert is_current(Application.objects.get(pk=application.pk).id_number_encrypted)

    settings.JIEDAO_ID_KEYS = [new]  # the old key retired: everything still reads
    assert Application.objects.get(pk=application.pk).id_number == ID_NUMBER
    assert Draft.objects.get(pk=draft.pk).answers["id_number"] == DRAFT_ID_NUMBER
    assert RosterEntry.objects.get(pk=entry.pk).id_number == ROSTER_ID_NUMBER
    again = io.StringIO()
    call_command("keys", "rotate", stdout=again)
    assert "intake_application：共 1 行，重新加密 0 行" in again.getvalue()


def test_a_new_hash_key_takes_effect_after_rotation_for_search_and_duplicates(programme, settings):
    reviewer = make_staff("reviewer", Role.REVIEWER)
    application = _case(programme)
    settings.JIEDAO_ID_HASH_KEY = "a-new-hash-key-for-the-id-numbers-0123456789"
    call_command("keys", "rotate", stdout=io.StringIO())
    assert list(queue(reviewer, QueueFilters(q=ID_NUMBER[-4:]))) == [application]
    with pytest.raises(DuplicateApplication):
        _case(programme)


def test_clearing_the_id_number_leaves_nothing_to_read_or_find(programme):
    reviewer = make_staff("reviewer", Role.REVIEWER)
    application = _case(programme)
    application.clear_id_number()
    application.save(update_fields=Application.ID_NUMBER_FIELDS)
    application = Application.objects.get(pk=application.pk)
    assert (application.id_number, application.masked_id_number) == ("", "")
    assert not application.id_number_encrypted and not application.id_number_hash and not application.id_last4_hash
    assert not queue(reviewer, QueueFilters(q=ID_NUMBER)).exists()


def test_a_worker_sees_only_masked_id_numbers_in_lists_case_pages_exports_and_the_audit(client, programme):
    worker = make_staff("worker_zjxc", Role.WORKER, ["zhijiangxincun"])
    leader = make_staff("leader", Role.LEADER)
    application = _case(programme)
    masked = application.masked_id_number
    sign_in(client, worker)
    queue_page = client.get(client.post("/staff/", {"q": ID_NUMBER[-4:]})["Location"]).content.decode()
    case_page = client.get(f"/staff/cases/{application.reference}/").content.decode()
    for html in (queue_page, case_page):
        assert masked in html and ID_NUMBER not in html
    export = load_workbook(io.BytesIO(b"".join(client.get("/staff/export/applications.xlsx").streaming_content)))
    cells = [str(cell) for row in export.active.iter_rows(values_only=True) for cell in row]
    assert masked in cells and ID_NUMBER not in cells
    sign_in(client, leader)
    audit = client.get("/staff/audit/").content.decode()
    assert "search" in repr(list(AuditEntry.objects.values_list("action", flat=True)))
    assert ID_NUMBER not in audit and ID_NUMBER[-4:] not in repr(list(AuditEntry.objects.values_list("detail", flat=True)))


def test_the_partner_api_never_answers_with_an_id_number_or_phone(client, programme):
    application = _case(programme)
    partner = issue("yiwangtongban", "partner")
    PartnerSubmission.objects.create(token=partner.token, application=application)
    response = client.get(f"/api/v1/applications/{application.reference}", **partner.headers)
    assert response.status_code == 200, response.content
    body = response.content.decode()
    assert application.reference in body
    assert ID_NUMBER not in body and ID_NUMBER[-4:] not in body and application.phone not in body


def _routes(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def test_no_address_carries_an_id_number_or_a_phone(client, programme):
    routes = list(_routes(get_resolver()))
    assert routes
    for route in routes:
        assert not any(word in route.lower() for word in ("id_number", "phone", "mobile", "idcard")), route
    # A search arrives by POST and leaves only a random token in the address it redirects to.
    sign_in(client, make_staff("reviewer", Role.REVIEWER))
    for text in (ID_NUMBER, "13812345678"):
        location = client.post("/staff/", {"q": text, "status": "submitted"})["Location"]
        assert text not in location and text[-4:] not in location


def test_the_admin_search_box_takes_a_reference_only_so_no_person_lands_in_its_address(client, programme):
    # The admin's search is a GET: a phone, a name or ID digits typed there would sit in the URL.
    from django.contrib.auth import get_user_model

    from tests.conftest import sign_in

    case = _case(programme)
    sign_in(client, get_user_model().objects.create_superuser("root", password=None))
    by_reference = client.get("/admin/intake/application/", {"q": case.reference}).content.decode()
    assert f"/admin/intake/application/{case.pk}/change/" in by_reference
    for personal in (case.phone, case.applicant_name, ID_NUMBER[-4:]):
        found = client.get("/admin/intake/application/", {"q": personal}).content.decode()
        assert f"/admin/intake/application/{case.pk}/change/" not in found, personal
