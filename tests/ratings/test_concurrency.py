"""One rating per case, even when the link is pressed on two phones (or the person rates online
while staff take the rating at the door) at the same instant; one invitation per case even when
a service publishes the ending twice at once. Runs on SQLite and, with DATABASE_URL, PostgreSQL."""

import pytest

from jiedao.core.models import Role
from jiedao.lib.case_endings import case_ended
from jiedao.notices.models import Notice
from jiedao.ratings import services
from jiedao.ratings.models import Invitation, Rating
from tests.conftest import run_concurrently
from tests.factories import case_ended_event, make_staff, rating_invitation

GOOD = {"overall": 5, "efficiency": 5, "guide_accuracy": 5, "convenience": 5, "platform": 5}


@pytest.mark.django_db(transaction=True)
def test_ten_submissions_of_one_link_at_once_make_one_rating(programme):
    worker = make_staff("worker_zjxc", Role.WORKER, ["zhijiangxincun"])
    invitation, token = rating_invitation()

    def one(index):
        if index == 0:
            return services.rating_take_face_to_face(invitation=invitation, actor=worker, level=4).pk
        return services.rating_submit(token=token, level=index % 5 + 1, indicators=GOOD).pk

    results, errors = run_concurrently(10, one)
    assert len(results) == 1 and Rating.objects.count() == 1
    assert len(errors) == 9 and all(isinstance(error, services.LinkUsed) for error in errors), errors


@pytest.mark.django_db(transaction=True)
def test_an_ending_published_at_once_from_two_places_is_one_invitation_and_one_sms(programme):
    event = case_ended_event()

    def one(index):
        from django.db import transaction

        with transaction.atomic():
            case_ended.publish(event)

    _results, errors = run_concurrently(6, one)
    assert errors == []
    assert Invitation.objects.filter(case_key=event.case_key).count() == 1
    assert Notice.objects.filter(event=services.SMS_INVITE).count() == 1
