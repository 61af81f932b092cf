"""Staff of every role, and cases in two neighbourhoods, made the way the real ones are."""

import io

import pytest
from django.contrib.auth import get_user_model

from jiedao.core.models import Neighbourhood, Role, StaffProfile
from jiedao.intake import services
from jiedao.intake.demo import demo_id_number
from jiedao.intake.photos import process_photo
from tests.conftest import photo_bytes, stored_photos_for, valid_answers

PASSWORD = "a-long-password-1"


def make_staff(username, role, neighbourhoods=(), **extra):
    user = get_user_model().objects.create_user(username, password=PASSWORD, is_staff=True, **extra)
    profile = StaffProfile.objects.create(user=user, role=role)
    profile.neighbourhoods.set(Neighbourhood.objects.filter(code__in=neighbourhoods))
    return user


@pytest.fixture
def worker(programme):
    """A committee worker of 永太."""
    return make_staff("worker_yt", Role.WORKER, ["yongtai"], first_name="永太居委会 社工")


@pytest.fixture
def zj_worker(programme):
    """A committee worker of 芷江新村."""
    return make_staff("worker_zjxc", Role.WORKER, ["zhijiangxincun"])


@pytest.fixture
def reviewer(programme):
    return make_staff("reviewer", Role.REVIEWER, first_name="审核员")


@pytest.fixture
def other_reviewer(programme):
    return make_staff("reviewer2", Role.REVIEWER)


@pytest.fixture
def leader(programme):
    return make_staff("leader", Role.LEADER)


@pytest.fixture
def admin_user(programme):
    return make_staff("admin", Role.ADMIN)


def processed_photo(seed=1):
    return process_photo(io.BytesIO(photo_bytes(seed=seed, size=(640, 400))))


class CaseMaker:
    """Submits applications through ``application_submit``; the stored photos are shared between
    cases of the same categories so that a test with many cases stays fast."""

    def __init__(self, programme):
        self.programme = programme
        self.serial = 500
        self._photos = {}

    def __call__(self, *, serial=None, channel="online", filed_by=None, now=None, **overrides):
        if serial is None:
            self.serial += 1
            serial = self.serial
        overrides.setdefault("id_number", demo_id_number("19500101", serial))
        answers = valid_answers(**overrides)
        key = tuple(sorted(answers["categories"]))
        if key not in self._photos:
            self._photos[key] = stored_photos_for(self.programme, answers["categories"])
        return services.application_submit(
            programme=self.programme,
            answers=answers,
            photos=self._photos[key],
            channel=channel,
            filed_by=filed_by,
            now=now,
        )


@pytest.fixture
def make_case(programme):
    return CaseMaker(programme)
