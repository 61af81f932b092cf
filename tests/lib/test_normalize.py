"""The one normaliser: a reference, a phone, an ID number or an SMS code, however it was typed."""

import pytest
from django.core.exceptions import ValidationError

from jiedao.lib.normalize import normalize_code, normalize_id_number, normalize_phone, normalize_reference
from jiedao.lib.validators import validate_id_number, validate_mobile
from tests.factories import valid_id_number

REFERENCE = "JGBK-2026-00007"

REFERENCE_SPELLINGS = [
    "JGBK-2026-00007",
    "JGBK202600007",
    "jgbk202600007",
    "jgbk 2026 00007",
    "  JGBK - 2026 - 00007  ",
    "JGBK\u30002026\u300000007",  # ideographic spaces
    "ＪＧＢＫ－２０２６－０００07",  # a Chinese keyboard's full-width letters, digits and dash
    "ＪＧＢＫ２０２６００００７",
    "ｊｇｂｋ－２０２６－００００７",
    "JGBK—2026—00007",  # em dash
    "JGBK–2026–00007",  # en dash
    "JGBK‐2026‐00007",  # Unicode hyphen
    "JGBK−2026−00007",  # minus sign
    "JGBK_2026_00007",
    "JGBK·2026·00007",
    "JGBK・2026・00007",
    "JGBK.2026.00007",
    "JGBK2026-00007",
    "JGBK-202600007",
    "JGBK-2026-7",  # read aloud without the zeros
    "JGBK-2026-007",
]


@pytest.mark.parametrize("typed", REFERENCE_SPELLINGS)
def test_every_way_of_typing_a_reference_gives_the_printed_one(typed):
    assert normalize_reference(typed) == REFERENCE


def test_a_long_sequence_and_a_code_with_digits_keep_their_parts():
    assert normalize_reference("jgbk 2026 123456") == "JGBK-2026-123456"
    assert normalize_reference("b2-2026-00012") == "B2-2026-00012"


@pytest.mark.parametrize(
    "typed",
    [
        "", None, "   ", "JGBK", "2026-00007", "JGBK-2026", "JGBK-26-00007", "13812345678",
        "张志远", "JGBK-2026-00007; DROP TABLE", "<script>", "JGBK-2026-0000000000007",
        "J" * 200, "JGBK-2026-00007-1", "\x00", "１２３",
    ],
)
def test_what_is_not_a_reference_gives_nothing(typed):
    assert normalize_reference(typed) == ""


PHONE = "13800138000"


@pytest.mark.parametrize(
    "typed",
    [
        "13800138000", " 138 0013 8000 ", "138-0013-8000", "138－0013－8000", "138—0013—8000",
        "+86 138 0013 8000", "+8613800138000", "86 13800138000", "8613800138000", "0086 13800138000",
        "(+86) 138-0013-8000", "＋８６ １３８００１３８０００", "１３８００１３８０００", "１３８ ００１３ ８０００",
        "138.0013.8000", "138\u30000013\u30008000",
    ],
)
def test_every_way_of_typing_a_phone_gives_its_eleven_digits(typed):
    assert normalize_phone(typed) == PHONE
    assert validate_mobile(typed) == PHONE


@pytest.mark.parametrize("typed", ["", "138001380", "23800138000", "138001380001234", "abc", "１２３", "+1 415 555 0100"])
def test_what_is_not_a_mobile_is_refused_with_the_usual_message(typed):
    with pytest.raises(ValidationError):
        validate_mobile(typed)


def test_a_country_code_is_only_removed_from_a_number_too_long_to_be_a_mobile():
    # 86xxxxxxxxx with 11 digits is a (wrong) number as typed, not a mobile with its prefix.
    assert normalize_phone("86001380013") == "86001380013"


def test_an_id_number_typed_full_width_with_a_small_x_is_the_number():
    number = valid_id_number("19500101", 106)
    assert number.endswith("X")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number[:17]) + "ｘ"
    assert normalize_id_number(full_width) == number
    assert validate_id_number(full_width) == number
    assert validate_id_number(f"{number[:6]} {number[6:14]} {number[14:].lower()}") == number
    assert validate_id_number(f"{number[:6]}－{number[6:14]}－{number[14:]}") == number


def test_a_code_typed_full_width_or_with_spaces_is_its_digits():
    assert normalize_code("１２３４５６") == "123456"
    assert normalize_code(" 123 456 ") == "123456"
    assert normalize_code("123-456") == "123456"
    assert normalize_code(None) == ""


def test_digits_of_any_script_become_ascii_and_letters_of_other_scripts_stay_refused():
    assert normalize_phone("١٣٨٠٠١٣٨٠٠٠") == PHONE  # Arabic-Indic digits, as some keyboards give
    assert normalize_reference("JGBK-٢٠٢٦-٠٠٠٠٧") == REFERENCE
    assert normalize_reference("ЈGBK-2026-00007") == ""  # a Cyrillic Ј is not a J
