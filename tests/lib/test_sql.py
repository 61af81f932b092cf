"""lib.sql.insert_one saves a new row as save(force_insert=True) would: defaults filled in, each
field's value adapted (dates, JSON), the key set on the instance (a UUID made in Python, or a
number the database makes), and the row read back equal."""

import datetime as dt

import pytest
from django.utils import timezone

from jiedao.activities.models import Signup
from jiedao.lib.sql import insert_one
from jiedao.notices.models import Notice
from tests.factories import ActivityFactory

pytestmark = pytest.mark.django_db


def test_a_row_inserted_in_plain_sql_reads_back_as_the_orm_would_have_saved_it():
    now = timezone.now().replace(microsecond=0)
    notice = Notice(subject="act#1", phone="13900000001", event="act_confirmed", template_code="SMS_1",
                    params={"title": "主题党日", "when": "3月23日"}, text="您已报名", created_at=now,
                    next_attempt_at=now + dt.timedelta(minutes=1))  # fmt: skip
    insert_one(notice)
    assert notice.pk is not None and not notice._state.adding
    stored = Notice.objects.get(pk=notice.pk)
    assert stored.params == {"title": "主题党日", "when": "3月23日"}
    assert stored.next_attempt_at == now + dt.timedelta(minutes=1) and stored.created_at == now
    assert stored.status == "queued" and stored.application_id is None  # the model's defaults


def test_a_key_the_database_makes_is_set_on_the_instance():
    activity = ActivityFactory()
    first, second = (Signup(activity=activity, name="王秀英", phone=f"1390000000{n}", status="confirmed") for n in (1, 2))
    insert_one(first)
    insert_one(second)
    assert isinstance(first.pk, int) and second.pk > first.pk
    assert Signup.objects.get(pk=second.pk).token == second.token  # the default made in Python is stored
