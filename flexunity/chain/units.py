"""Moved to :mod:`flexunity.units` (issue 12: one units module); re-exported for the chain's callers
until they import it from there. Write no code here."""

from flexunity.units import (
    amounts_to_base_units,
    base_units_to_money,
    bill_to_leaf_amount,
    kwh_to_wh,
    largest_remainder,
    leaf_amount_to_bill,
    money_to_base_units,
    round_half_away,
    wh_to_kwh,
)

__all__ = [
    "amounts_to_base_units",
    "base_units_to_money",
    "bill_to_leaf_amount",
    "kwh_to_wh",
    "largest_remainder",
    "leaf_amount_to_bill",
    "money_to_base_units",
    "round_half_away",
    "wh_to_kwh",
]
