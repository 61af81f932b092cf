"""The demo has ratings of its decided subsidy cases, one of them bad with its rectification."""

import pytest
from django.core.management import call_command

from jiedao.ratings.models import Channel, Rating, Rectification


@pytest.mark.django_db
def test_the_demo_rates_decided_cases_once_with_one_bad_rating_followed_up(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("demo", "load")
    call_command("demo", "load")
    ratings = Rating.objects.select_related("invitation")
    assert ratings.count() >= 2
    assert {r.invitation.service for r in ratings} == {"hardship"}
    assert ratings.filter(channel=Channel.FACE_TO_FACE).exists()
    item = Rectification.objects.get()
    assert item.rating.level <= 2 and item.called_at and item.owner.username == "reviewer"
