"""Demo and generator commands refuse to run in production, before touching anything."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from jiedao.intake.models import Application, Programme


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize(
    "argv",
    [["load"], ["load", "--no-samples"], ["logins"], ["code", "admin"], ["generate", "--applications", "10"]],
)
def test_every_demo_command_refuses_in_production_and_changes_nothing(production, argv):
    admin = get_user_model().objects.create_user("admin", password="the office's own password", is_staff=True)
    with pytest.raises(CommandError, match="JIEDAO_ENV=production"):
        call_command("demo", *argv)
    admin.refresh_from_db()
    assert admin.check_password("the office's own password")
    assert get_user_model().objects.count() == 1
    assert not Programme.objects.exists() and not Application.objects.exists()


@pytest.mark.django_db
def test_the_demo_services_refuse_too(production):
    from jiedao.ops.demo import demo_load, load_staff

    for call in (demo_load, load_staff):
        with pytest.raises(PermissionError):
            call()
    assert not get_user_model().objects.exists()
