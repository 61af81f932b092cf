import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from jiedao.lib.validators import (
    id_check_char,
    mask_id_number,
    mask_phone,
    validate_id_number,
    validate_mobile,
)

# Built here from the standard's rule, never a real person's number.
VALID = "11010519491231002X"


def test_a_valid_id_number_is_accepted_and_normalised():
    assert validate_id_number(VALID) == VALID
    assert validate_id_number(" 110105 19491231 002x ") == VALID  # spaces and a lower-case x


def test_check_digit_follows_iso_7064_mod_11_2():
    assert id_check_char("11010519491231002") == "X"
    first17 = "31010619500101123"
    assert validate_id_number(first17 + id_check_char(first17)).endswith(id_check_char(first17))


def test_a_wrong_check_digit_is_refused_with_a_message_about_the_last_digit():
    with pytest.raises(ValidationError) as error:
        validate_id_number("110105194912310021")
    assert error.value.code == "id_check_digit"
    assert "最后一位" in str(error.value.messages[0])


@pytest.mark.parametrize("number", ["110105194902301234", "110105194913011234"])
def test_an_impossible_birth_date_is_refused(number):
    with pytest.raises(ValidationError) as error:
        validate_id_number(number)
    assert error.value.code == "id_birth_date"


def test_a_birth_date_in_the_future_is_refused():
    first17 = "31010630010101123"
    with pytest.raises(ValidationError) as error:
        validate_id_number(first17 + id_check_char(first17), today=dt.date(2026, 11, 27))
    assert error.value.code == "id_birth_date"


def test_a_legacy_15_digit_number_asks_for_the_18_digit_one():
    with pytest.raises(ValidationError) as error:
        validate_id_number("110105491231002")
    assert error.value.code == "legacy_15_digits"
    assert "18位" in str(error.value.messages[0])


@pytest.mark.parametrize("number", ["", "abc", "1101051949123100", "99010519491231002X"])
def test_malformed_numbers_are_refused(number):
    with pytest.raises(ValidationError):
        validate_id_number(number)


@pytest.mark.parametrize("raw", ["13812345678", "138 1234 5678", "+86 138-1234-5678", "8613812345678"])
def test_mobile_numbers_are_normalised(raw):
    assert validate_mobile(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["", "12812345678", "021-56330101", "1381234567"])
def test_non_mobile_numbers_are_refused(raw):
    with pytest.raises(ValidationError):
        validate_mobile(raw)


def test_masks_hide_the_middle():
    assert mask_id_number(VALID) == "110***********002X"
    assert mask_phone("13812345678") == "138****5678"
