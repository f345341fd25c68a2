"""Units and rounding: every conversion between Python's units and the chain's integers (docs/conventions.md).

On chain: energy in Wh, money in the settlement token's base units (10^decimals per currency unit),
prices in base units per kWh. Off chain: kW, kWh, currency. One rounding rule, in two forms:

- **one value** rounds half away from zero (1.5 -> 2, -1.5 -> -2), the rule of the audit and of
  the documents, so a half Wh or a half base unit never depends on the parity of its neighbour
  (banker's rounding, Python's ``round``, would). A float is read from its decimal spelling
  (``repr``: what a person or a JSON document wrote), so 0.0025 kWh is exactly 2.5 Wh -> 3 Wh;
- **values that must keep their sum** (a round's settlement amounts sum to zero, a deposit's shares
  to the deposit) use the largest-remainder method, :func:`largest_remainder`. Its inputs are
  already computed quantities, taken at their exact value (a float's binary value).

A bill is signed (positive: the account pays); a leaf carries it unsigned with a credit flag.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, TypeVar, overload

from flexunity.errors import InputError

Number = int | float | Decimal | Fraction
Key = TypeVar("Key", bound=Hashable)
WH_PER_KWH = 1000
MINUTES_PER_HOUR = 60


def spelled(value: Number) -> Fraction:
    """The exact value of a number as written: a float by its shortest decimal spelling."""
    if isinstance(value, Fraction | int):
        return Fraction(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"not a finite number: {value}")
    return Fraction(Decimal(str(value)))


def round_half_away(value: Number) -> int:
    """Nearest integer, halves away from zero (1.5 -> 2, -1.5 -> -2), from the decimal spelling."""
    exact = spelled(value)
    floor = math.floor(abs(exact))
    magnitude = floor + (1 if abs(exact) - floor >= Fraction(1, 2) else 0)
    return magnitude if exact >= 0 else -magnitude


# --- largest remainder ---------------------------------------------------------------------------


@overload
def largest_remainder(values: Mapping[Key, Number], total: int | None = None) -> dict[Key, int]: ...
@overload
def largest_remainder(values: Sequence[Number], total: int | None = None) -> list[int]: ...
def largest_remainder(
    values: Mapping[Key, Number] | Sequence[Number], total: int | None = None
) -> dict[Key, int] | list[int]:
    """Integers close to ``values`` that sum exactly to ``total`` (default: the sum rounded half away).

    Floor every value; hand the missing units one by one to the largest fractional parts (ties: the
    smaller key first; a sequence's key is its position); when ``total`` is below the sum of the
    floors, take units back from the smallest fractional parts (ties: the larger key first). Values
    are taken at their exact value (a float's binary value, no decimal spelling): they are computed
    quantities, not written ones. With ``total`` within 1 of the exact sum, every integer is within
    1 of its value. Keys must be mutually comparable (addresses, peer ids, positions).
    """
    keys: list[Any]
    if isinstance(values, Mapping):
        keys = list(values)
        exact = [_value(values[k], k) for k in keys]
    else:
        keys = list(range(len(values)))
        exact = [_value(v, i) for i, v in enumerate(values)]
    integers = _largest_remainder(keys, exact, total)
    return dict(zip(keys, integers, strict=True)) if isinstance(values, Mapping) else integers


def _largest_remainder(keys: list[Any], exact: list[Fraction], total: int | None) -> list[int]:
    if total is None:
        total = round_half_away(sum(exact, Fraction(0)))
    if not exact:
        if total != 0:
            raise InputError(f"cannot share {total} among no values")
        return []
    floors = [math.floor(v) for v in exact]
    missing = int(total) - sum(floors)
    giving = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), keys[i]))
    ranking = giving if missing >= 0 else giving[::-1]
    step = 1 if missing >= 0 else -1
    rounds, rest = divmod(abs(missing), len(ranking))  # a total far from the sum goes round again
    for place, i in enumerate(ranking):
        floors[i] += step * (rounds + (1 if place < rest else 0))
    return floors


def _value(value: Number, key: object) -> Fraction:
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"value {key!r} is not finite: {value}")
    return Fraction(value)


# --- energy ----------------------------------------------------------------------------------------


def kwh_to_wh(kwh: Number) -> int:
    """One energy value, kWh -> integer Wh."""
    return round_half_away(spelled(kwh) * WH_PER_KWH)


def wh_to_kwh(wh: int) -> float:
    return wh / WH_PER_KWH


def kw_to_wh(values: Iterable[Number], interval_minutes: int) -> list[int]:
    """A power profile (kW, mean over each interval) -> the energy of each interval in integer Wh.

    Each interval rounds on its own (an order states each interval's forecast, not a total).
    """
    return [round_half_away(spelled(v) * WH_PER_KWH * interval_minutes / MINUTES_PER_HOUR) for v in values]


def wh_to_kw(values: Iterable[int], interval_minutes: int) -> list[float]:
    """Integer Wh per interval -> mean power in kW."""
    return [v / WH_PER_KWH * MINUTES_PER_HOUR / interval_minutes for v in values]


# --- money -----------------------------------------------------------------------------------------


def decimals_of(scale: int) -> int:
    """The token decimals of a scale (base units per currency unit, a power of ten)."""
    decimals = len(str(scale)) - 1
    if scale < 1 or 10**decimals != scale:
        raise InputError(f"a scale of base units must be a power of ten, got {scale}")
    return decimals


def money_to_base_units(amount: Number, decimals: int) -> int:
    """One money value (currency, or a price per kWh) -> token base units, rounded half away."""
    return round_half_away(spelled(amount) * 10**decimals)


def base_units_to_money(units: int, decimals: int) -> Decimal:
    return Decimal(units).scaleb(-decimals)


@overload
def amounts_to_base_units(
    amounts: Mapping[Key, Number], decimals: int, total: int | None = None
) -> dict[Key, int]: ...
@overload
def amounts_to_base_units(
    amounts: Sequence[Number], decimals: int, total: int | None = None
) -> list[int]: ...
def amounts_to_base_units(
    amounts: Mapping[Key, Number] | Sequence[Number], decimals: int, total: int | None = None
) -> dict[Key, int] | list[int]:
    """Money values (decimal spelling) -> base units summing exactly to ``total`` (default: the
    rounded sum), by :func:`largest_remainder`."""
    scale = 10**decimals
    if isinstance(amounts, Mapping):
        return largest_remainder({k: spelled(v) * scale for k, v in amounts.items()}, total)
    return largest_remainder([spelled(v) * scale for v in amounts], total)


def parse_amount(text: str, decimals: int, *, allow_zero: bool = False) -> int:
    """An amount a user typed (currency, e.g. "12.50") -> exact base units; never rounds.

    Refuses what is not a number, is negative (or zero unless ``allow_zero``) or has more decimals
    than the token.
    """
    try:
        value = Decimal(text) * 10**decimals
    except (InvalidOperation, ValueError):
        raise InputError(f"not an amount: {text!r}") from None
    lowest = 0 if allow_zero else 1
    if not value.is_finite() or value < lowest or value != value.to_integral_value():
        kind = "non-negative" if allow_zero else "positive"
        raise InputError(f"{text} is not a {kind} amount with at most {decimals} decimals")
    return int(value)


# --- signs -----------------------------------------------------------------------------------------


def bill_to_leaf_amount(bill_base_units: int) -> tuple[int, bool]:
    """A signed bill (positive: the account pays) -> (unsigned amount, isCredit) as leaves carry it."""
    return abs(bill_base_units), bill_base_units < 0


def leaf_amount_to_bill(amount: int, is_credit: bool) -> int:
    return -amount if is_credit else amount
