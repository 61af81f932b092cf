"""The subsidy's payment asks the registered payment holds (lib.payment_holds) first: while one
answers with a reason, the payment is refused with that reason and the case stays approved."""

from decimal import Decimal

import pytest
from django.utils import timezone

from jiedao.core.models import Role
from jiedao.intake.lifecycle import Status
from jiedao.intake.transitions import IllegalTransition, Payment, application_transition
from jiedao.lib.payment_holds import payment_hold_register, payment_hold_unregister
from tests.factories import ApplicationFactory, make_staff


@pytest.mark.django_db
def test_a_registered_hold_stops_the_payment_with_its_reason(programme):
    case = ApplicationFactory(programme=programme, status=Status.APPROVED, decided_at=timezone.now())
    asked = []

    def hold(keys):
        asked.append(list(keys))
        return "测试暂缓" if case.reference in keys else None

    payment_hold_register(hold)
    try:
        with pytest.raises(IllegalTransition, match="这笔补助暂缓发放：测试暂缓"):
            application_transition(
                application=case, action="record_payment", actor=make_staff("r", Role.REVIEWER),
                payment=Payment(Decimal("100"), timezone.localdate()),
            )  # fmt: skip
    finally:
        payment_hold_unregister(hold)
    assert asked == [[case.reference, case.id_number_hash]]
    case.refresh_from_db()
    assert case.status == Status.APPROVED and case.paid_amount is None
