"""What a caller adds to a new application is written in the submission's transaction.

A staff filing's audit entry and a partner's link are written by ``on_created`` inside the
transaction that creates the case: if that write fails, there is no case, no SMS and no count,
and the person can simply submit again; if the case is an idempotent replay, nothing is added.
"""

import pytest

from jiedao.core.models import AuditEntry
from jiedao.intake import services
from jiedao.intake.models import Application, StatusTally
from jiedao.notices.models import Notice
from tests.conftest import stored_photos, valid_answers
from tests.factories import valid_id_number


class Refused(Exception):
    pass


def submit(programme, **kwargs):
    answers = valid_answers(id_number=valid_id_number("19500101", 901))
    return services.application_submit(
        programme=programme, answers=answers, photos=stored_photos(programme, answers["categories"]), **kwargs
    )


def test_a_failing_addition_leaves_no_case_no_sms_and_no_count(programme):
    def refuse(application):
        raise Refused

    with pytest.raises(Refused):
        submit(programme, on_created=refuse)
    assert not Application.objects.exists()
    assert not Notice.objects.exists()
    assert not StatusTally.objects.exists()


def test_the_addition_sees_the_new_case_and_commits_with_it(programme, reviewer):
    seen = []

    def record(application):
        seen.append(application.reference)
        AuditEntry.objects.create(actor=reviewer, action="file_application", reference=application.reference)

    application = submit(programme, on_created=record, idempotency_key="k1")
    assert seen == [application.reference]
    assert AuditEntry.objects.filter(reference=application.reference).count() == 1
    # The same key again answers the first case and adds nothing.
    assert submit(programme, on_created=record, idempotency_key="k1") == application
    assert seen == [application.reference]
