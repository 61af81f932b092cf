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


@pytest.mark.django_db(transaction=True)
def test_a_payment_and_a_hold_on_the_same_person_take_turns():
    """The payer and a holding service lock the person's keys first (lib.payment_holds): while one
    transaction holds them, the other waits, so an objection written at the instant of a payment is
    seen by it or comes after it. PostgreSQL's advisory locks; SQLite has one writer at a time."""
    import threading

    from django.db import connection, transaction

    from jiedao.lib.payment_holds import payment_hold_lock

    if connection.vendor != "postgresql":
        pytest.skip("on SQLite a write transaction already has the database to itself")
    first_has_it, release, second_got_it = threading.Event(), threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            payment_hold_lock(["JGBK-2026-00001", "hash"])
            first_has_it.set()
            release.wait(10)
        connection.close()

    def second():
        first_has_it.wait(10)
        with transaction.atomic():
            payment_hold_lock(["JGBK-2026-00001"])
            second_got_it.set()
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_has_it.wait(10)
    assert not second_got_it.wait(0.5)  # still waiting for the first
    release.set()
    assert second_got_it.wait(10)
    for thread in threads:
        thread.join(10)
