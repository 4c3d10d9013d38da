import pytest

from lyceum.core.spreadsheet import cell


@pytest.mark.parametrize("text", ["=1+1", "+33 1 23", "-2", "@SUM(A1)", "\tx", "\rx", "＝1"])
def test_text_that_would_start_a_formula_is_made_plain(text):
    assert cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Léa", "a=b", 12, None, 1.5])
def test_other_values_are_left_alone(value):
    assert cell(value) == value
