"""The factories the tests stand on (tests/factories.py) make what the tests take for granted."""

import pytest
from django.contrib.auth import get_user_model

from jiedao.core.models import Block, BlockStreet, Neighbourhood, Role, Subdistrict
from jiedao.intake.models import Application, Category, DocumentType, SubmissionTally
from jiedao.intake.selectors import required_documents
from jiedao.lib.crypto import id_hash
from jiedao.lib.validators import validate_id_number
from tests.factories import (
    ApplicationFactory,
    DocumentFactory,
    hardship_programme,
    make_staff,
    valid_id_number,
)

pytestmark = pytest.mark.django_db


def test_a_made_up_id_number_is_valid():
    number = valid_id_number("19500101", 106)
    assert number == "31010619500101106X"
    assert validate_id_number(number) == number


def test_the_programme_has_the_places_documents_and_categories_the_tests_name():
    programme = hardship_programme()
    assert programme.code == "JGBK" and programme.is_open()
    assert list(programme.neighbourhoods.values_list("code", flat=True)) == [
        "zhijiangxincun", "gonghexinlu", "yongtai", "guangji", "zhongxing",
    ]
    assert set(programme.blocks.values_list("code", flat=True)) == {"yuqun-west", "block-241", "block-242"}
    assert [d.code for d in required_documents(programme, ["disabled", "elderly_alone"])] == [
        "id_card", "bank_card", "hukou", "disability_cert",
    ]
    assert programme.document_types.get(code="id_card").page_label(2) == "反面"
    assert Neighbourhood.objects.get(code="zhijiangxincun").committee_phone == "021-56330101"


def test_building_the_programme_twice_gives_the_same_rows():
    first = hardship_programme()
    counts = [m.objects.count() for m in (Subdistrict, Neighbourhood, Block, BlockStreet, DocumentType, Category)]
    assert hardship_programme() == first
    assert [m.objects.count() for m in (Subdistrict, Neighbourhood, Block, BlockStreet, DocumentType, Category)] == counts
    assert counts == [1, 5, 3, 6, 6, 4]


def test_a_member_of_staff_has_a_role_neighbourhoods_and_no_password():
    hardship_programme()
    worker = make_staff("worker_zx", Role.WORKER, ["zhongxing", "guangji"], first_name="中兴居委会 社工")
    assert worker.is_staff and not worker.has_usable_password()
    assert worker.first_name == "中兴居委会 社工"
    assert worker.staff_profile.role == Role.WORKER
    assert set(worker.staff_profile.neighbourhoods.values_list("code", flat=True)) == {"zhongxing", "guangji"}
    assert get_user_model().objects.count() == 1


def test_a_stored_case_is_a_valid_row_without_what_the_submission_writes(programme, private_storage):
    disabled = programme.categories.get(code="disabled")
    application = ApplicationFactory(programme=programme, categories=[disabled])
    page = DocumentFactory(application=application, document_type=programme.document_types.get(code="bank_card"))
    application.full_clean()
    stored = Application.objects.get(id_number_hash=id_hash(application.id_number))
    assert stored.neighbourhood.programmes.get() == programme
    assert list(stored.categories.all()) == [disabled]
    assert (stored.name_pinyin, stored.name_initials) == ("zhangzhiyuan", "zzy")
    assert page.file.open("rb").read(2) == b"\xff\xd8" and page.size == page.file.size
    assert (private_storage / page.file.name).is_file()
    assert not SubmissionTally.objects.exists() and not stored.events.exists()
