"""Largest-remainder rounding: exact sums, determinism, ties by peer id."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flexunity.allocation.rounding import scale_to_total
from flexunity.units import largest_remainder


def test_largest_remainder_gives_residue_to_largest_fractions() -> None:
    # 10 split 1/3 each: floors 3,3,3; the one extra unit goes to the smallest id (tie)
    shares = largest_remainder({"b": 10 / 3, "a": 10 / 3, "c": 10 / 3}, 10)
    assert shares == {"a": 4, "b": 3, "c": 3}


def test_largest_remainder_prefers_larger_fraction_over_id() -> None:
    shares = largest_remainder({"a": 1.2, "b": 1.7, "c": 2.1}, 5)
    assert shares == {"a": 1, "b": 2, "c": 2}


def test_largest_remainder_negative_total() -> None:
    shares = largest_remainder({"a": -2.5, "b": -2.5}, -5)
    assert sum(shares.values()) == -5
    assert sorted(shares.values()) == [-3, -2]


@given(
    st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=30).filter(lambda w: sum(w) > 0),
    st.integers(min_value=-(10**12), max_value=10**12),
)
def test_scaled_shares_always_sum_exactly(weights: list[float], total: int) -> None:
    exact = scale_to_total({f"p{i:02d}": w for i, w in enumerate(weights)}, total)
    shares = largest_remainder(exact, total)
    assert sum(shares.values()) == total
    assert all(abs(shares[p] - exact[p]) < 1 + 1e-6 * abs(total) for p in shares)
