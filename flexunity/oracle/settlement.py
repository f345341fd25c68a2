"""From bills in currency to exact integer settlement amounts that sum to zero.

Every party of a round gets one signed amount in token base units (positive = pays, conventions.md
money sign): each peer its bill, the community manager minus the fees it collects, the supplier minus
the community's net grid charges. The exact amounts (bill × 10^decimals) sum to zero up to float
error; ``largest_remainder`` with total 0 turns them into integers that sum to exactly zero, residues
going to the largest fractional parts, ties broken by address (flexunity.units; docs/conventions.md,
"Rounding").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flexunity.chain.settlement import NO_ENERGY, EnergyWh, SettlementLeaf
from flexunity.errors import InputError
from flexunity.units import kwh_to_wh, largest_remainder

TOLERANCE_BASE_UNITS = 1.0  # float error allowed in the exact sum before rounding, per party


def settlement_amounts(
    bills: Mapping[str, float], *, decimals: int, fees: float, cm: str, supplier: str
) -> dict[str, int]:
    """Signed integer amounts by address: peers' bills, the CM's fees, the supplier's grid charges."""
    scale = 10**decimals
    exact = {peer.lower(): bill * scale for peer, bill in bills.items()}
    total = sum(exact.values())
    fee_units = fees * scale
    _add(exact, cm.lower(), -fee_units)
    _add(exact, supplier.lower(), -(total - fee_units))
    residue = sum(exact.values())
    if abs(residue) > TOLERANCE_BASE_UNITS * len(exact):
        raise InputError(
            f"bills, fees and grid charges do not balance: residue {residue / scale} currency units"
        )
    return largest_remainder(exact, 0)


def _add(exact: dict[str, float], account: str, value: float) -> None:
    exact[account] = exact.get(account, 0.0) + value


def leaves_from_amounts(
    round_id: int, amounts: Mapping[str, int], energy: Mapping[str, EnergyWh] | None = None
) -> list[SettlementLeaf]:
    """Non-zero amounts as leaves, ordered by address so the tree is reproducible.

    ``energy`` gives each peer's (bought, sold, import, export) Wh for the round (informative fields
    of the leaf that the audit checks against the result document).
    """
    energy = energy or {}
    ordered = sorted((a, v) for a, v in amounts.items() if v != 0 or a in energy)
    leaves = [
        SettlementLeaf(round_id, i, account, abs(v), v < 0, *energy.get(account, NO_ENERGY))
        for i, (account, v) in enumerate(ordered)
    ]
    if sum(leaf.bill for leaf in leaves) != 0:
        raise AssertionError("settlement leaves do not sum to zero")
    return leaves


def totals(leaves: list[SettlementLeaf]) -> tuple[int, int]:
    """(total debited, total credited): equal for a balanced round."""
    debit = sum(leaf.amount for leaf in leaves if not leaf.is_credit)
    credit = sum(leaf.amount for leaf in leaves if leaf.is_credit)
    return debit, credit


def peer_energy(clearing: Mapping[str, Any]) -> dict[str, EnergyWh]:
    """Each peer's community purchases, sales, grid import and export in Wh over the round.

    Per-interval kWh values are summed first and then rounded once (half away from zero), from the
    ``peers`` block of a ``flexunity-result/1`` document (q > 0 bought, α ≥ 0 import, β ≤ 0 export).
    """
    out: dict[str, EnergyWh] = {}
    for peer, series in clearing["peers"].items():
        q: Sequence[float] = series["q"]
        out[peer.lower()] = (
            _wh(sum(v for v in q if v > 0)),
            _wh(-sum(v for v in q if v < 0)),
            _wh(sum(series["alpha"])),
            _wh(-sum(series["beta"])),
        )
    return out


def _wh(kwh: float) -> int:
    return max(0, kwh_to_wh(kwh))
