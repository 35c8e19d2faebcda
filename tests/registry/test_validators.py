"""Identifiers: the standards' own examples, every rejection reason, masking."""

import datetime as dt

import pytest

from fengqiao.registry.validators import (
    InvalidValue,
    check_birth_date_matches,
    check_sex_matches,
    credit_check_char,
    id_check_char,
    mask_id_number,
    mask_phone,
    parse_credit_code,
    parse_id_number,
    parse_phone,
)

TODAY = dt.date(2025, 6, 1)


@pytest.mark.parametrize(
    ("raw", "birth", "sex"),
    [
        ("11010519491231002X", dt.date(1949, 12, 31), "F"),
        ("440524188001010014", dt.date(1880, 1, 1), "M"),
    ],
)
def test_the_standards_examples_are_valid(raw, birth, sex):
    parsed = parse_id_number(raw, today=TODAY)

    assert parsed.number == raw
    assert parsed.birth_date == birth
    assert parsed.sex == sex
    assert parsed.county_code == raw[:6]


def test_a_lower_case_x_and_surrounding_spaces_are_accepted():
    assert parse_id_number(" 11010519491231002x ", today=TODAY).number == "11010519491231002X"


def test_a_15_digit_number_is_converted_to_18():
    # given the old form of the standard's example: no century, no check character
    parsed = parse_id_number("110105491231002", today=TODAY)

    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == "F"


def test_the_check_character_follows_the_weights():
    assert id_check_char("11010519491231002") == "X"
    assert id_check_char("44052418800101001") == "4"


@pytest.mark.parametrize(
    ("raw", "code", "words"),
    [
        ("", "empty", "empty"),
        ("   ", "empty", "empty"),
        ("6.40302E+17", "spreadsheet", "6.40302E+17 by a spreadsheet: format the column as text"),
        ("6.40302199001011E+17", "spreadsheet", "spreadsheet"),
        ("640302199001011234.0", "spreadsheet", "spreadsheet"),
        (
            "６４０３０２１９９００１０１１２３４",
            "full_width",
            "full-width digits: retype with half-width digits",
        ),
        ("64030219900101123", "length", "has 17"),
        ("6403021990010112345", "length", "has 19"),
        ("64030219900101123A", "not_digits", "digit or X"),
        ("6403021990O101123X", "not_digits", "digit or X"),
        ("64030219900101A", "not_digits", "digits only"),
        ("640302199013011234", "bad_date", "19901301"),
        ("640302199002301234", "bad_date", "19900230"),
        ("640302180001011234", "bad_date", "not a possible one"),
        ("640302209901011234", "future_date", "in the future"),
        ("11010519491231002Y", "not_digits", "digit or X"),
        ("110105194912310021", "check", "check character should be X, not 1"),
    ],
)
def test_each_rejection_has_its_own_reason(raw, code, words):
    with pytest.raises(InvalidValue) as caught:
        parse_id_number(raw, today=TODAY)

    assert caught.value.code == code
    assert words in caught.value.reason
    assert str(caught.value) == caught.value.reason


def test_a_number_with_a_wrong_date_in_its_15_digit_form_is_rejected():
    with pytest.raises(InvalidValue) as caught:
        parse_id_number("110105491331002", today=TODAY)
    assert caught.value.code == "bad_date"


def test_sex_and_birth_date_must_agree_with_the_number():
    parsed = parse_id_number("11010519491231002X", today=TODAY)  # a woman born 1949-12-31

    check_sex_matches(parsed, "F")
    check_birth_date_matches(parsed, dt.date(1949, 12, 31))
    with pytest.raises(InvalidValue, match="sex does not match"):
        check_sex_matches(parsed, "M")
    with pytest.raises(InvalidValue, match="1949-12-31"):
        check_birth_date_matches(parsed, dt.date(1949, 12, 30))


def test_a_known_public_credit_code_is_valid():
    assert parse_credit_code("91350100M000100Y43") == "91350100M000100Y43"
    assert parse_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"


def test_a_credit_code_computed_with_the_algorithm_is_valid():
    # given the first 17 characters of a Wuzhong company's code, worked by hand:
    # values 9 1 6 4 0 3 0 2 M=21 A=10 7 X=29 Y=30 1 2 3 4
    # weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    # sum 2034, 2034 mod 31 = 19, 31 - 19 = 12 → the 13th character, C
    body = "91640302MA7XY1234"

    assert credit_check_char(body) == "C"
    assert parse_credit_code(body + "C") == body + "C"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("91350100M000100Y4", "length"),
        ("91350100M000100Y44", "check"),
        ("91350100M000100I43", "bad_chars"),
        ("91350100M000100O43", "bad_chars"),
        ("９1350100M000100Y43", "full_width"),
    ],
)
def test_bad_credit_codes_are_rejected(raw, code):
    with pytest.raises(InvalidValue) as caught:
        parse_credit_code(raw)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13912345678", "13912345678"),
        ("139 1234 5678", "13912345678"),
        ("139-1234-5678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("１３９１２３４５６７８", "13912345678"),
        ("0953-2012345", "09532012345"),
        ("(010) 12345678", "01012345678"),
    ],
)
def test_phones_are_normalised(raw, expected):
    assert parse_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("1.39123E+10", "spreadsheet"),
        ("12912345678", "bad_phone"),
        ("1391234567", "bad_phone"),
        ("2012345", "bad_phone"),
        ("139x2345678", "not_digits"),
    ],
)
def test_bad_phones_are_rejected(raw, code):
    with pytest.raises(InvalidValue) as caught:
        parse_phone(raw)
    assert caught.value.code == code


def test_masking_keeps_only_the_ends():
    assert mask_id_number("640302199001011234") == "6403************34"
    assert mask_id_number("64030219900101123X") == "6403************3X"
    assert mask_id_number(None) == ""
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("09532012345") == "0953***2345"
    assert mask_phone("") == ""
