"""The audit's own arithmetic: money and energy re-derived from the formulas in docs/, not the oracle's code.

An audit that called the oracle's functions would repeat their bugs. So every computation the audit
checks is written here again, from the documented rules, and shares no code with flexunity/oracle
nor with flexunity/units.py (the oracle's conversions and largest remainder; both follow
docs/conventions.md, "Rounding"):

- bills and fees (docs/oracle.md, "Settlement"): a peer's amount is its bill ``total``; the CM's fee
  account is credited Σ ``fees``; the supplier is credited Σ bills − Σ fees (the grid charges);
- base units (docs/conventions.md, "Rounding"): amount × 10^decimals, then the largest-remainder
  method to integers summing to exactly zero: floor every value, the missing units go one by one to
  the largest fractional parts (ties: the smaller address first); a negative residue is taken back
  from the smallest fractional parts (ties: the larger address first);
- energy fields: the round's kWh summed per peer, then rounded once to Wh, halves away from zero;
- revenue (docs/markets.md, "On chain"): payout = Σ rule shares − Σ penalties; on-chain share =
  positive payout + its part of the carry, shared pro rata by largest remainder in exact fractions
  (ties: the peer first in address order).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from flexunity.chain.settlement import NO_ENERGY, EnergyWh, SettlementLeaf

WH_PER_KWH = 1000
BALANCE_SLACK_BASE_UNITS = 1.0  # float error allowed per party before rounding (docs/oracle.md)


class DerivationError(ValueError):
    """The document's figures do not allow the documented derivation (e.g. bills that do not balance)."""


def bills_and_fees(clearing: Mapping[str, Any]) -> tuple[dict[str, float], float]:
    """Each peer's bill total (currency, positive = pays) and the fees all peers pay the CM."""
    bills: dict[str, float] = {}
    fees = 0.0
    for peer, bill in clearing["bills"].items():
        bills[peer] = float(bill["total"])
        fees += float(bill.get("fees", 0.0))
    return bills, fees


def settlement_amounts(
    bills: Mapping[str, float], fees: float, *, decimals: int, fee_account: str, supplier: str
) -> dict[str, int]:
    """Signed integer base units by lower-case address, summing to exactly zero."""
    unit = 10**decimals
    exact: dict[str, float] = {}
    for peer, bill in bills.items():
        exact[peer.lower()] = bill * unit
    paid = sum(exact.values())
    fee_units = fees * unit
    exact[fee_account.lower()] = exact.get(fee_account.lower(), 0.0) - fee_units
    exact[supplier.lower()] = exact.get(supplier.lower(), 0.0) - (paid - fee_units)
    imbalance = sum(exact.values())
    if abs(imbalance) > BALANCE_SLACK_BASE_UNITS * len(exact):
        raise DerivationError(
            f"bills, fees and grid charges do not balance by {imbalance / unit} currency units"
        )
    return _to_integers(exact, 0)


def _to_integers(exact: Mapping[str, float], total: int) -> dict[str, int]:
    """Largest remainder to ``total``; ties by address (see the module's docstring)."""
    down = {who: math.floor(value) for who, value in exact.items()}
    rest = {who: Fraction(exact[who]) - down[who] for who in exact}  # a float's exact binary value
    missing = total - sum(down.values())
    if missing >= 0:
        ranking = sorted(exact, key=lambda who: (-rest[who], who))
    else:
        ranking = sorted(exact, key=lambda who: (rest[who], [-ord(c) for c in who] + [1]))
    for k in range(abs(missing)):
        down[ranking[k % len(ranking)]] += 1 if missing > 0 else -1
    return down


def energy_wh(clearing: Mapping[str, Any]) -> dict[str, EnergyWh]:
    """Each peer's (bought, sold, import, export) Wh over the round, from the posted kWh series."""
    out: dict[str, EnergyWh] = {}
    for peer, series in clearing["peers"].items():
        trades = [float(v) for v in series["q"]]
        out[peer.lower()] = (
            _wh(sum(v for v in trades if v > 0)),
            _wh(-sum(v for v in trades if v < 0)),
            _wh(sum(series["alpha"])),
            _wh(-sum(series["beta"])),
        )
    return out


def _wh(kwh: float) -> int:
    wh = (Decimal(str(kwh)) * WH_PER_KWH).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(0, int(wh))


def expected_leaves(
    round_id: int, amounts: Mapping[str, int], energy: Mapping[str, EnergyWh]
) -> list[SettlementLeaf]:
    """One leaf per party owed or owing something (and every peer with energy), in address order."""
    accounts = sorted(a for a in amounts if amounts[a] != 0 or a in energy)
    return [
        SettlementLeaf(
            round_id,
            index,
            account,
            abs(amounts[account]),
            amounts[account] < 0,
            *energy.get(account, NO_ENERGY),
        )
        for index, account in enumerate(accounts)
    ]


def payouts(activations: Sequence[Mapping[str, Any]], peers: Sequence[str]) -> dict[str, int]:
    """Each peer's payout: the shares the rule gave it minus its penalties, over all activations."""
    out = dict.fromkeys(peers, 0)
    for activation in activations:
        for peer, share in activation.get("shares", {}).items():
            out[peer] = out.get(peer, 0) + int(share)
        for peer, penalty in activation.get("penalties", {}).items():
            out[peer] = out.get(peer, 0) - int(penalty)
    return out


def on_chain_shares(payout: Mapping[str, int], carried_in: int) -> dict[str, int]:
    """Positive payouts plus the carry shared pro rata to them (exact fractions, largest remainder)."""
    positive = {peer: int(payout[peer]) for peer in sorted(payout) if int(payout[peer]) > 0}
    if carried_in == 0:
        return positive
    if carried_in < 0 or not positive:
        raise DerivationError(
            f"{carried_in} base units cannot be carried into {len(positive)} positive payouts"
        )
    base = sum(positive.values())
    exact = {peer: Fraction(carried_in * value, base) for peer, value in positive.items()}
    extra = {peer: math.floor(part) for peer, part in exact.items()}
    ranking = sorted(positive, key=lambda peer: (-(exact[peer] - extra[peer]), list(positive).index(peer)))
    for k in range(carried_in - sum(extra.values())):
        extra[ranking[k]] += 1
    return {peer: value + extra[peer] for peer, value in positive.items()}
