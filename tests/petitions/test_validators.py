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


def _checksum_problem_written_out(value: str) -> bool:
    """GB 11643-1999's check, digit by digit as the standard states it (the oracle)."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    total = sum(int(d) * w for d, w in zip(value[:17], weights, strict=True))
    return "10X98765432"[total % 11] != value[17]


def test_the_check_digit_is_the_standards_for_every_kind_of_digit():
    """Random valid-shaped numbers, and the same with non-ASCII decimal digits (which the shape's
    \\d lets through): a checksum problem exactly where the standard's sum finds one."""
    import random

    rng = random.Random(16)
    fullwidth = str.maketrans("0123456789", "０１２３４５６７８９")
    cases = []
    for _ in range(2000):
        born = f"{rng.randint(1900, 2020)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        body = f"{rng.randint(1, 9)}{rng.randint(0, 99999):05d}{born}{rng.randint(0, 999):03d}"
        cases.append(body + rng.choice("0123456789X"))
    cases += [c[:1] + c[1:17].translate(fullwidth) + c[17] for c in cases[:200]]
    seen = set()
    for value in cases:
        problem = id_number_problem(value, today=date(2026, 11, 26))
        assert (problem == "checksum") == _checksum_problem_written_out(value), value
        assert problem in (None, "checksum"), value
        seen.add(problem)
    assert seen == {None, "checksum"}
