"""统一社会信用代码 (GB 32100-2015) and GB/T 2260 division codes."""
import pytest

from xietong.codes import check_credit_code, check_division_code, credit_check_character

WORKED_EXAMPLE = "91350100M000100Y43"  # the standard's own example


def test_worked_example_is_valid():
    assert credit_check_character(WORKED_EXAMPLE[:17]) == "3"
    assert check_credit_code(WORKED_EXAMPLE).ok


def test_input_is_normalised_before_checking():
    result = check_credit_code(" ９１３５０１００ｍ０００１００ｙ４３ ")
    assert result.ok and result.value == WORKED_EXAMPLE


@pytest.mark.parametrize("position", range(17))
def test_every_single_character_corruption_is_caught(position):
    # Replacing any one of the 17 data characters changes the check character.
    original = WORKED_EXAMPLE[position]
    replacement = "1" if original != "1" else "2"
    corrupted = WORKED_EXAMPLE[:position] + replacement + WORKED_EXAMPLE[position + 1:]
    assert not check_credit_code(corrupted).ok


def test_wrong_check_character_names_the_right_one():
    result = check_credit_code(WORKED_EXAMPLE[:17] + "4")
    assert not result.ok
    assert result.reason.mapping == {"c": "3"}


def test_swapped_neighbours_are_caught():
    swapped = WORKED_EXAMPLE[:2] + WORKED_EXAMPLE[3] + WORKED_EXAMPLE[2] + WORKED_EXAMPLE[4:]
    assert not check_credit_code(swapped).ok


@pytest.mark.parametrize("bad", ["", "9135010", WORKED_EXAMPLE + "0"])
def test_wrong_length(bad):
    result = check_credit_code(bad)
    assert not result.ok and result.reason.mapping == {"n": len(bad)}


@pytest.mark.parametrize("letter", "IOSVZ")
def test_letters_outside_the_alphabet(letter):
    result = check_credit_code(WORKED_EXAMPLE[:8] + letter + WORKED_EXAMPLE[9:])
    assert not result.ok and letter in result.reason.mapping["chars"]


@pytest.mark.parametrize("code", ["341000", "341002", "341024", "110000"])
def test_division_codes_accepted(code):
    assert check_division_code(code).ok


@pytest.mark.parametrize("code", ["34100", "3410000", "34100A", "991000", ""])
def test_division_codes_rejected(code):
    assert not check_division_code(code).ok
