from datetime import date

import pytest

from xinfang.petitions.validators import (
    id_check_character,
    id_number_problem,
    is_valid_phone,
    normalize_id_number,
    normalize_phone,
)


@pytest.mark.parametrize(
    "value",
    ["11010519491231002X", "440524188001010014", "110101199003074477"],
)
def test_valid_id_numbers(value):
    assert id_number_problem(value, today=date(2026, 11, 26)) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("110105194912310021", "checksum"),  # last character wrong
        ("11010519491231002", "shape"),  # 17 characters
        ("01010519491231002X", "shape"),  # region code cannot start with 0
        ("11010519491331002X", "birth_date"),  # month 13
        ("110105194902300028", "birth_date"),  # 30 February
        ("110105203001010010", "birth_date"),  # born in the future
        ("1101051949123100XX", "shape"),
    ],
)
def test_invalid_id_numbers(value, problem):
    assert id_number_problem(value, today=date(2026, 11, 26)) == problem


def test_check_character_matches_validator():
    first17 = "32010219850612345"
    full = first17 + id_check_character(first17)
    assert id_number_problem(full, today=date(2026, 11, 26)) is None


def test_normalisation():
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"
    assert normalize_phone("+86 138 0013 8000") == "13800138000"
    assert normalize_phone("(0818) 2345678") == "08182345678"


@pytest.mark.parametrize("phone", ["13800138000", "0818-2345678", "010-12345678", "02112345678-123"])
def test_valid_phones(phone):
    assert is_valid_phone(phone)


@pytest.mark.parametrize("phone", ["12345", "23800138000", "1380013800", "phone", "0818-23"])
def test_invalid_phones(phone):
    assert not is_valid_phone(phone)
