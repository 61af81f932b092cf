"""The subsidy publishes ``case_ended`` when a case is decided or paid: the applicant gets one
rating link per case, through the outbox, in the decision's transaction."""

import datetime as dt
from decimal import Decimal

import pytest

from jiedao.core.models import Role
from jiedao.intake.transitions import Payment, application_transition
from jiedao.notices.models import Notice
from jiedao.ratings.models import Invitation
from tests.factories import make_staff


@pytest.mark.django_db
def test_an_approved_then_paid_case_gets_one_invitation_owned_by_the_reviewer(make_case):
    reviewer = make_staff("reviewer", Role.REVIEWER)
    case = make_case(name="俞阿娥", phone="13812345678")
    application_transition(application=case, action="start_review", actor=reviewer)
    assert not Invitation.objects.exists()
    application_transition(application=case, action="approve", actor=reviewer)
    invitation = Invitation.objects.get()
    assert invitation.case_key == case.reference and invitation.service == "hardship"
    assert invitation.service_label == case.programme.name and invitation.outcome == "已通过"
    assert invitation.handler == reviewer and invitation.office == "旧改分指挥部"
    assert invitation.neighbourhood_id == case.neighbourhood_id
    application_transition(
        application=case, action="record_payment", actor=reviewer,
        payment=Payment(amount=Decimal("1500.00"), paid_on=dt.date(2026, 3, 20)),
    )  # fmt: skip
    assert Invitation.objects.count() == 1
    assert Notice.objects.filter(event="rating_invite", phone="13812345678").count() == 1


@pytest.mark.django_db
def test_a_rejected_case_ends_a_withdrawn_one_does_not(make_case):
    reviewer = make_staff("reviewer", Role.REVIEWER)
    rejected = make_case()
    application_transition(application=rejected, action="start_review", actor=reviewer)
    application_transition(application=rejected, action="reject", actor=reviewer, note="不符合条件")
    withdrawn = make_case()
    application_transition(application=withdrawn, action="withdraw", actor=reviewer)
    assert list(Invitation.objects.values_list("case_key", "outcome")) == [(rejected.reference, "未通过")]
