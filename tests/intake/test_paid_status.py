"""After payment the status pages say so with the date; the amount only once a code was typed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from jiedao.core.models import Role, StaffProfile
from jiedao.intake.transitions import Payment, application_transition
from tests.intake.test_resident_access import case, look_up, open_case, sms_console  # noqa: F401 (fixtures)


@pytest.fixture
def paid_case(case):  # noqa: F811
    reviewer = get_user_model().objects.create_user("reviewer", is_staff=True)
    StaffProfile.objects.create(user=reviewer, role=Role.REVIEWER)
    for action in ("start_review", "approve"):
        application_transition(application=case, action=action, actor=reviewer)
    return application_transition(
        application=case,
        action="record_payment",
        actor=reviewer,
        payment=Payment(amount=Decimal("1500.00"), paid_on=dt.date(2026, 3, 20)),
    )


@pytest.mark.django_db
def test_the_state_only_page_says_paid_with_the_date_but_not_the_amount(client, paid_case):
    page = look_up(client, paid_case).content.decode()
    assert "已发放" in page
    assert "已于 <span class=\"nowrap\">2026年3月20日</span> 发放" in page
    assert "1500" not in page and "1,500" not in page


@pytest.mark.django_db
def test_the_detailed_page_says_the_amount_date_and_method(client, paid_case):
    page = open_case(client, paid_case)
    assert "发放金额" in page and "1500.00 元" in page
    assert "2026年3月20日" in page
    assert "银行卡转账" in page


@pytest.mark.django_db
def test_the_english_detailed_page_says_it_in_english(client, paid_case):
    open_case(client, paid_case)
    page = client.get("/en/status/case/").content.decode()
    assert "Amount paid" in page and "CNY 1500.00" in page and "March 20, 2026" in page


@pytest.mark.django_db
def test_the_state_only_lookup_of_a_paid_case_reads_the_case_once(client, paid_case, django_assert_num_queries):
    # The rate limit's counts, then the case with what its state-only page shows (the date included).
    with django_assert_num_queries(2):
        page = look_up(client, paid_case).content.decode()
    assert "2026年3月20日" in page
