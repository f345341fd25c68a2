"""flexunity.units: the one conversion and rounding module (docs/conventions.md, "Rounding")."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexunity.errors import InputError
from flexunity.units import (
    amounts_to_base_units,
    bill_to_leaf_amount,
    decimals_of,
    kw_to_wh,
    kwh_to_wh,
    largest_remainder,
    leaf_amount_to_bill,
    money_to_base_units,
    parse_amount,
    round_half_away,
    wh_to_kw,
)


def test_round_half_away_from_zero() -> None:
    assert [round_half_away(x) for x in (0.5, 1.5, 2.5, -0.5, -1.5, 1.4999)] == [1, 2, 3, -1, -2, 1]


def test_single_values() -> None:
    assert kwh_to_wh(1.2345) == 1235
    assert money_to_base_units(0.305, 6) == 305_000
    assert money_to_base_units(Decimal("0.1"), 18) == 10**17


def test_a_profile_rounds_each_interval_half_away_from_the_written_value() -> None:
    # 0.005 kW for 30 min is exactly 2.5 Wh: 3 Wh (Python's round, banker's, gave 2 before issue 12);
    # 1.2345 kW for 30 min is 617.25 Wh: 617 either way
    assert kw_to_wh([0.005, 0.003, 1.2345, -0.005], 30) == [3, 2, 617, -3]
    assert [round(v * 1000 * 30 / 60) for v in (0.005, -0.005)] == [2, -2]  # the rule it replaced
    assert wh_to_kw([3, 617], 30) == pytest.approx([0.006, 1.234])


def test_largest_remainder_known_cases() -> None:
    # three equal thirds of 100: floors 33 each, the missing unit goes to the first (tie: lowest key)
    assert largest_remainder([Fraction(100, 3)] * 3, 100) == [34, 33, 33]
    assert largest_remainder([0.4, 0.4, 0.2]) == [1, 0, 0]
    assert largest_remainder({"b": 10 / 3, "a": 10 / 3, "c": 10 / 3}, 10) == {"b": 3, "a": 4, "c": 3}
    assert largest_remainder({"a": 1.2, "b": 1.7, "c": 2.1}, 5) == {"a": 1, "b": 2, "c": 2}


def test_taking_back_starts_at_the_smallest_fraction_and_the_larger_key() -> None:
    # floors 1 + 1 + 1 = 3 but the total is 1: two units come back, smallest fractions first, ties larger key
    assert largest_remainder({"a": 1.5, "b": 1.5, "c": 1.25}, 1) == {"a": 1, "b": 0, "c": 0}
    assert largest_remainder({"a": -2.5, "b": -2.5}, -5) == {"a": -2, "b": -3}


def test_one_function_breaks_ties_alike_for_positions_and_keys() -> None:
    values = [0.5, 0.25, 0.5, 0.75]
    by_position = largest_remainder(values, 2)
    by_key = largest_remainder({f"0x{i:02x}": v for i, v in enumerate(values)}, 2)
    assert by_position == list(by_key.values()) == [1, 0, 0, 1]


finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@settings(deadline=None)
@given(st.lists(finite, min_size=1, max_size=40), st.integers(min_value=-2, max_value=2))
def test_sums_exactly_and_each_part_is_within_one(values: list[float], offset: int) -> None:
    exact = [Fraction(v) for v in values]
    total = round_half_away(sum(exact, Fraction(0))) + offset
    parts = largest_remainder(values, total)
    assert sum(parts) == total
    if offset == 0:
        assert all(abs(p - e) < 1 for p, e in zip(parts, exact, strict=True))


@settings(deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=4), finite, min_size=1, max_size=20), st.randoms())
def test_the_result_does_not_depend_on_the_order_given(values: dict[str, float], rng) -> None:  # type: ignore[no-untyped-def]
    keys = list(values)
    rng.shuffle(keys)
    assert largest_remainder({k: values[k] for k in keys}) == largest_remainder(values)
    assert largest_remainder({k: values[k] for k in keys}, 7) == largest_remainder(values, 7)


@settings(deadline=None)
@given(st.lists(st.decimals(min_value=-1000, max_value=1000, places=4), min_size=1, max_size=50))
def test_bills_that_sum_to_zero_stay_exactly_zero(values: list[Decimal]) -> None:
    values = [*values, -sum(values, Decimal(0))]
    units = amounts_to_base_units(values, 2, total=0)
    assert sum(units) == 0
    for unit, value in zip(units, values, strict=True):
        assert abs(unit - value * 100) < len(values)


def test_money_series_keep_the_rounded_sum() -> None:
    assert amounts_to_base_units({"a": 0.125, "b": 0.125}, 2) == {"a": 13, "b": 12}  # 25 in total


def test_signed_bill_to_leaf_and_back() -> None:
    assert bill_to_leaf_amount(-42) == (42, True)
    assert bill_to_leaf_amount(42) == (42, False)
    assert leaf_amount_to_bill(*bill_to_leaf_amount(-42)) == -42


def test_a_total_far_from_the_sum_goes_round_again() -> None:
    assert largest_remainder([0.5, 0.25, 0.0], 8) == [3, 3, 2]
    assert largest_remainder([0.5, 0.25, 0.0], -4) == [-1, -1, -2]


def test_bad_inputs_are_one_line_errors() -> None:
    with pytest.raises(InputError, match="among no values"):
        largest_remainder([], 3)
    with pytest.raises(InputError, match="not finite"):
        largest_remainder({"a": float("nan")}, 0)
    with pytest.raises(InputError, match="power of ten"):
        decimals_of(300)
    assert decimals_of(10**6) == 6


def test_parse_amount_never_rounds() -> None:
    assert parse_amount("12.5", 6) == 12_500_000
    assert parse_amount("0", 2, allow_zero=True) == 0
    for text in ("0", "-1", "0.001", "nan", "inf"):
        with pytest.raises(InputError, match="not a positive amount"):
            parse_amount(text, 2)
    with pytest.raises(InputError, match="not an amount"):
        parse_amount("twelve", 2)
