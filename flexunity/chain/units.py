"""Conversion between Python's units and the chain's integers, in one place (docs/conventions.md).

On chain: energy in Wh, money in the settlement token's base units, prices in base units per kWh.
Single values round half away from zero. Series that must keep their sum (a round's bills, the
shares of a revenue deposit, an interval profile) use the largest-remainder method: floor every
value, then hand the missing units to the largest fractional parts (ties: lower index first), so
the integers sum exactly to the rounded total, or to a total you give.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

Number = int | float | Decimal | Fraction


def round_half_away(value: Number) -> int:
    """Nearest integer, halves away from zero (1.5 -> 2, -1.5 -> -2)."""
    exact = _exact(value)
    floor = math.floor(abs(exact))
    magnitude = floor + (1 if abs(exact) - floor >= Fraction(1, 2) else 0)
    return magnitude if exact >= 0 else -magnitude


def largest_remainder(values: Sequence[Number], total: int | None = None) -> list[int]:
    """Integers close to ``values`` that sum exactly to ``total`` (default: the rounded sum).

    Each result is floor(v) or floor(v) + 1 as long as ``total`` is the rounded sum; a different
    total shifts the extra units (or removes them) by the same rule.
    """
    exact = [_exact(v) for v in values]
    if total is None:
        total = round_half_away(sum(exact, Fraction(0)))
    floors = [math.floor(v) for v in exact]
    missing = total - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    if not exact:
        if missing != 0:
            raise ValueError(f"no values to carry a total of {total}")
        return []
    result = list(floors)
    step = 1 if missing >= 0 else -1
    ranking = order if missing >= 0 else list(reversed(order))
    for k in range(abs(missing)):
        result[ranking[k % len(ranking)]] += step
    return result


def _exact(value: Number) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(Decimal(str(value)))


def kwh_to_wh(kwh: Number) -> int:
    """One energy value, kWh -> integer Wh."""
    return round_half_away(_exact(kwh) * 1000)


def wh_to_kwh(wh: int) -> float:
    return wh / 1000


def kwh_series_to_wh(kwh: Sequence[Number]) -> list[int]:
    """A series in kWh -> Wh integers whose sum is the rounded sum of the series."""
    return largest_remainder([_exact(v) * 1000 for v in kwh])


def money_to_base_units(amount: Number, decimals: int) -> int:
    """One money value (currency) -> token base units."""
    return round_half_away(_exact(amount) * 10**decimals)


def base_units_to_money(units: int, decimals: int) -> Decimal:
    return Decimal(units).scaleb(-decimals)


def amounts_to_base_units(amounts: Sequence[Number], decimals: int, total: int | None = None) -> list[int]:
    """Money values -> base units summing exactly to ``total`` (default: the rounded sum).

    Use it for a round's bills (``total=0``: the round sums to zero) and for revenue shares
    (``total`` = the deposit).
    """
    return largest_remainder([_exact(a) * 10**decimals for a in amounts], total)


def price_to_base_units_per_kwh(price_per_kwh: Number, decimals: int) -> int:
    """A price in currency per kWh -> token base units per kWh."""
    return money_to_base_units(price_per_kwh, decimals)


def bill_to_leaf_amount(bill_base_units: int) -> tuple[int, bool]:
    """A signed bill (positive: the account pays) -> (unsigned amount, isCredit) as leaves carry it."""
    return abs(bill_base_units), bill_base_units < 0


def leaf_amount_to_bill(amount: int, is_credit: bool) -> int:
    return -amount if is_credit else amount
