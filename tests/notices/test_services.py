"""The outbox is written with the event: a rolled-back change leaves no message; resending and
delivery reports."""

import pytest
from django.db import transaction

from jiedao.lib.errors import DomainError
from jiedao.core.models import AuditAction, AuditEntry
from jiedao.intake.lifecycle import Action, Status
from jiedao.intake.models import Application
from jiedao.notices.models import Event, Notice, NoticeStatus
from jiedao.notices.services import Receipt, notice_resend, receipt_apply
from jiedao.intake.transitions import IllegalTransition, application_transition
from tests.notices.conftest import drain, later

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def test_a_rolled_back_transition_leaves_no_message_and_sends_nothing(sms, gateway, make_case, reviewer, t0):
    application = make_case()
    drain(t0)
    assert len(gateway.accepted) == 1  # the "received" notice
    application = application_transition(application=application, action=Action.START_REVIEW, actor=reviewer)
    with pytest.raises(Boom), transaction.atomic():
        application_transition(application=application, action=Action.REJECT, actor=reviewer, note="不符合条件")
        assert Notice.objects.filter(event=Event.REJECTED).count() == 1  # written, inside the transaction
        raise Boom  # anything failing later in the same transaction
    assert not Notice.objects.filter(event=Event.REJECTED).exists()
    assert Application.objects.get(pk=application.pk).status == Status.IN_REVIEW
    drain(later(t0, 3600))
    assert len(gateway.accepted) == 1


def test_a_refused_transition_queues_nothing(sms, make_case, reviewer):
    application = make_case()
    with pytest.raises(IllegalTransition):
        application_transition(application=application, action=Action.APPROVE, actor=reviewer)
    assert list(Notice.objects.values_list("event", flat=True)) == [Event.RECEIVED]


def test_a_rolled_back_submission_leaves_no_message(sms, make_case):
    with pytest.raises(Boom), transaction.atomic():
        make_case()
        assert Notice.objects.count() == 1
        raise Boom
    assert not Application.objects.exists() and not Notice.objects.exists()


def failed_notice(gateway, make_case, t0):
    application = make_case()
    gateway.invalid_phones.add(application.phone)
    drain(t0)
    return Notice.objects.get(application=application)


def test_resending_a_failed_message_queues_a_new_one_once_and_audits_it(sms, gateway, make_case, reviewer, t0):
    failed = failed_notice(gateway, make_case, t0)
    assert failed.status == NoticeStatus.FAILED
    fresh = notice_resend(notice=failed, actor=reviewer, ip="10.0.0.9", now=later(t0, 60))
    assert fresh.pk != failed.pk and fresh.resend_of == failed
    assert (fresh.status, fresh.text, fresh.phone, fresh.attempts) == (NoticeStatus.QUEUED, failed.text, failed.phone, 0)
    entry = AuditEntry.objects.get(action=AuditAction.RESEND_NOTICE)
    assert (entry.actor, entry.reference, entry.ip_address) == (reviewer, failed.application.reference, "10.0.0.9")
    with pytest.raises(DomainError):
        notice_resend(notice=failed, actor=reviewer)  # a second click
    with pytest.raises(DomainError):
        notice_resend(notice=fresh, actor=reviewer)  # not failed
    gateway.invalid_phones.clear()  # the number works again (e.g. topped up)
    drain(later(t0, 120))
    fresh.refresh_from_db()
    assert fresh.status == NoticeStatus.SENT and gateway.ids() == {str(fresh.pk): 1}


def test_a_delivery_report_moves_sent_to_delivered_once(sms, gateway, make_case, t0):
    make_case()
    drain(t0)
    notice = Notice.objects.get()
    report = [Receipt(delivered=True, notice_id=str(notice.pk), at=later(t0, 5))]
    assert receipt_apply(receipts=report) == {"applied": 1, "unchanged": 0, "unknown": 0}
    notice.refresh_from_db()
    assert (notice.status, notice.delivered_at) == (NoticeStatus.DELIVERED, later(t0, 5))
    late_failure = [Receipt(delivered=False, notice_id=str(notice.pk), error="UNDELIV", at=later(t0, 50))]
    assert receipt_apply(receipts=report + late_failure) == {"applied": 0, "unchanged": 2, "unknown": 0}
    notice.refresh_from_db()
    assert (notice.status, notice.delivered_at, notice.last_error) == (NoticeStatus.DELIVERED, later(t0, 5), "")
    assert receipt_apply(receipts=[Receipt(delivered=True, notice_id="not-a-uuid"), Receipt(delivered=True)]) == {
        "applied": 0, "unchanged": 0, "unknown": 2,
    }


def test_a_report_settles_a_send_whose_answer_never_came(sms, gateway, make_case, t0):
    make_case()
    gateway.hang = 1.0
    drain(t0)
    notice = Notice.objects.get()
    assert notice.outcome_unknown
    receipt_apply(receipts=[Receipt(delivered=True, notice_id=str(notice.pk))])
    drain(later(t0, 3600))
    notice.refresh_from_db()
    assert (notice.status, notice.outcome_unknown) == (NoticeStatus.DELIVERED, False)
    assert gateway.ids() == {str(notice.pk): 1} and len(gateway.requests) == 1


def test_a_reference_reminder_goes_to_the_cases_phones_at_most_once_a_day_within_the_number_limits(
    sms, gateway, make_case, t0
):
    from jiedao.intake.sms import reference_reminder_queue

    sms.JIEDAO_SMS_PER_NUMBER_LIMITS = [(60, 1)]
    application = make_case()
    first = reference_reminder_queue(application=application, now=t0)
    assert [n.phone for n in first] == [application.phone]
    assert application.reference in first[0].text
    assert reference_reminder_queue(application=application, now=later(t0, 23 * 3600)) == []
    # Sent through the outbox after the "received" notice, one a minute to the same number.
    drain(t0)
    assert len(gateway.accepted) == 1
    drain(later(t0, 61))
    assert [("无需重复申请" in m["text"]) for m in gateway.accepted] == [False, True]
    assert len(reference_reminder_queue(application=application, now=later(t0, 24 * 3600 + 1))) == 1
