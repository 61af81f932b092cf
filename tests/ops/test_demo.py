import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from jiedao.core.models import Block, Neighbourhood
from jiedao.intake.models import Application, Category, Channel, Document, Programme


@pytest.mark.django_db
def test_demo_data_uses_the_newsletters_places_and_loads_twice_without_duplicates(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("demo", "load")
    counts = (Application.objects.count(), Document.objects.count(), Neighbourhood.objects.count())
    call_command("demo", "load")
    assert (Application.objects.count(), Document.objects.count(), Neighbourhood.objects.count()) == counts

    assert {"芷江新村", "共和新路", "永太"} <= set(Neighbourhood.objects.values_list("name", flat=True))
    assert {"育群中学西块", "241街坊", "242街坊"} == set(Block.objects.values_list("name", flat=True))
    programme = Programme.objects.get(code="JGBK")
    assert programme.is_open()
    assert {"低保（纳保）家庭", "残疾人", "独居老人", "重病患者"} == set(
        Category.objects.values_list("name", flat=True)
    )
    assert programme.document_types.get(code="id_card").pages == 2
    channels = set(Application.objects.values_list("channel", flat=True))
    assert {Channel.ONLINE, Channel.PROXY, Channel.PHONE, Channel.HOME_VISIT} <= channels
    # every sample has all its documents, as real photos
    document = Document.objects.first()
    assert document.file.open("rb").read(2) == b"\xff\xd8"


@pytest.mark.django_db
def test_demo_staff_passwords_are_generated_and_work(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("demo", "load", "--no-samples")
    logins = json.loads((tmp_path / "demo-logins.json").read_text())
    assert get_user_model().objects.get(username="admin").check_password(logins["admin"])
    assert len(logins["admin"]) >= 10
    assert (tmp_path / "demo-logins.json").stat().st_mode & 0o077 == 0


def test_the_console_script_runs_django_commands_from_the_checkout(tmp_path):
    jiedao = Path(sys.executable).with_name("jiedao")
    result = subprocess.run(
        [str(jiedao), "check"], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "JIEDAO_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    help_text = subprocess.run([str(jiedao), "help"], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "JIEDAO_DATA_DIR": str(tmp_path)}).stdout
    assert "demo" in help_text and "drafts" in help_text
