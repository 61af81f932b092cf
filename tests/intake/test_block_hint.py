"""Most residents do not know their renovation block's name: the address step offers it from the
address, using the places data (which roads and lanes lie in which block)."""

import pytest

from jiedao.core.models import Block, BlockStreet
from jiedao.intake.forms import AddressForm
from jiedao.intake.models import Draft
from jiedao.intake.selectors import block_for_address
from tests.conftest import next_url
from tests.factories import valid_id_number

ADDRESS = "/apply/JGBK/step/address/"


def to_address_step(client):
    next_url(client.post("/apply/JGBK/start/"))
    next_url(client.post("/apply/JGBK/step/who/", {"who": "self"}))
    assert next_url(
        client.post("/apply/JGBK/step/applicant/", {"name": "俞秀珍", "id_number": valid_id_number("19460312", 78), "phone": "13812345678"})
    ).endswith("/step/address/")


def address(**overrides):
    return {
        "neighbourhood": "zhongxing",
        "address_road": "中兴路",
        "address_lane": "1021",
        "address_number": "7",
        "address_room": "",
        "block": "unknown",
        **overrides,
    }


def test_the_block_question_always_says_what_to_do_when_you_do_not_know(client, programme):
    to_address_step(client)
    html = client.get(ADDRESS).content.decode()
    assert "不知道地块的名称？选“不清楚”" in html
    assert "不清楚，请根据门牌地址判断" in html
    # Asked after the address, so that the answer can come from it.
    assert html.index('name="address_road"') < html.index('name="block"')


def test_not_knowing_the_block_gets_it_chosen_from_the_address_for_the_resident_to_confirm(client, programme):
    to_address_step(client)
    response = client.post(ADDRESS, address())
    html = response.content.decode()
    assert response.status_code == 200
    assert "根据您填的地址，您家属于 241街坊" in html
    assert 'class="error-summary"' not in html  # a suggestion, not a mistake
    assert "checked" in html.split('value="block-241"')[1].split(">")[0]  # chosen for them
    assert 'value="1021"' in html  # nothing typed is lost
    assert Draft.objects.get().answers.get("block") is None
    # Confirming the chosen block goes on.
    assert next_url(client.post(ADDRESS, address(block="block-241"))).endswith("/step/categories/")
    assert Draft.objects.get().answers["block"] == "block-241"


def test_an_address_the_places_data_cannot_place_says_whom_to_ask(client, programme):
    to_address_step(client)
    html = client.post(ADDRESS, address(address_road="南京西路", address_lane="1")).content.decode()
    assert "从您填的地址看不出属于哪个地块" in html
    assert "021-56330105" in html  # 中兴's committee
    assert Draft.objects.get().answers.get("block") is None


def test_a_chosen_block_is_taken_as_chosen(programme):
    form = AddressForm(address(block="block-242"), programme=programme, offer_unknown_block=True)
    assert form.is_valid() and form.cleaned_data["block"] == "block-242"


def test_not_knowing_is_an_answer_of_the_wizard_only(programme):
    # The same rules run over a whole application (the API, the final submit): a block, named.
    form = AddressForm(address(), programme=programme)
    assert not form.is_valid() and "block" in form.errors


@pytest.mark.parametrize(
    ("road", "lane", "block"),
    [
        ("中兴路", "1021", "block-241"),
        ("中兴路", "1021弄", "block-241"),
        ("中兴路 ", "１１８０", "block-242"),  # full-width digits, a stray space
        ("共和新路", "1500", "block-242"),
        ("芷江中路", "300", "yuqun-west"),
        ("中兴路", "", None),  # the road has two blocks: no lane, no answer
        ("中兴路", "2000", None),
        ("南京西路", "1", None),
    ],
)
def test_the_places_data_maps_road_and_lane_ranges_to_blocks(programme, road, lane, block):
    found = block_for_address(programme, road, lane)
    assert (found.code if found else None) == block


def test_the_mapping_is_data_an_administrator_can_change(programme):
    BlockStreet.objects.create(block=Block.objects.get(code="block-242"), road="延长中路")
    assert block_for_address(programme, "延长中路", "9").code == "block-242"
    # Two blocks that both claim a door: no guess.
    BlockStreet.objects.create(block=Block.objects.get(code="block-241"), road="延长中路", lane_from=1, lane_to=20)
    assert block_for_address(programme, "延长中路", "9") is None
