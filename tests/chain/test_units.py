"""flexunity.chain.units: exact integer conversions whose sums are kept."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flexunity.chain.units import (
    amounts_to_base_units,
    bill_to_leaf_amount,
    kwh_series_to_wh,
    kwh_to_wh,
    largest_remainder,
    leaf_amount_to_bill,
    money_to_base_units,
    round_half_away,
)


def test_round_half_away_from_zero() -> None:
    assert [round_half_away(x) for x in (0.5, 1.5, 2.5, -0.5, -1.5, 1.4999)] == [1, 2, 3, -1, -2, 1]


def test_single_values() -> None:
    assert kwh_to_wh(1.2345) == 1235
    assert money_to_base_units(0.305, 6) == 305_000
    assert money_to_base_units("0.1", 18) == 10**17  # type: ignore[arg-type]


def test_largest_remainder_known_case() -> None:
    # three equal thirds of 100: floors 33 each, the one missing unit goes to the first (tie: lowest index)
    assert largest_remainder([Fraction(100, 3)] * 3, 100) == [34, 33, 33]
    assert largest_remainder([0.4, 0.4, 0.2]) == [1, 0, 0]


@given(st.lists(st.decimals(min_value=-1000, max_value=1000, places=4), min_size=1, max_size=50))
def test_bills_that_sum_to_zero_stay_exactly_zero(values: list) -> None:
    values = [*values, -sum(values)]
    units = amounts_to_base_units(values, 2, total=0)
    assert sum(units) == 0
    for unit, value in zip(units, values, strict=True):
        assert abs(unit - value * 100) < len(values)


@given(st.lists(st.floats(min_value=0, max_value=50, allow_nan=False), min_size=1, max_size=96))
def test_series_keeps_its_rounded_sum(kwh: list[float]) -> None:
    wh = kwh_series_to_wh(kwh)
    assert sum(wh) == round_half_away(sum(Fraction(str(x)) for x in kwh) * 1000)
    assert all(abs(w - x * 1000) < 1 + 1e-9 for w, x in zip(wh, kwh, strict=True))


def test_signed_bill_to_leaf_and_back() -> None:
    assert bill_to_leaf_amount(-42) == (42, True)
    assert bill_to_leaf_amount(42) == (42, False)
    assert leaf_amount_to_bill(*bill_to_leaf_amount(-42)) == -42


def test_empty_series_with_a_total_is_an_error() -> None:
    with pytest.raises(ValueError):
        largest_remainder([], 3)
