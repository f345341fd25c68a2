"""Exact integer shares by largest remainder.

Every sharing rule first computes real-valued *exact* shares that sum to the value, then calls
:func:`largest_remainder` once, so the integer shares sum to the value exactly (conventions.md:
"rounding residues assigned by largest remainder"). Ties are broken by peer id, so the result is
deterministic and an auditor re-derives it bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from flexunity.errors import InputError


def largest_remainder(exact: Mapping[str, float], total: int) -> dict[str, int]:
    """Round ``exact`` real shares to integers that sum to ``total``.

    Each peer gets ``floor(exact)``; the residue ``total - Σ floor`` goes one unit at a time to the
    peers with the largest fractional parts (ties: smaller peer id first). If float error makes the
    residue negative, units are taken back from the smallest fractional parts (ties: larger id
    first). Works for negative shares and totals alike.
    """
    if not exact:
        if total != 0:
            raise InputError(f"cannot share {total} among no peers")
        return {}
    for peer, value in exact.items():
        if not math.isfinite(value):
            raise InputError(f"share of peer {peer!r} is not finite: {value}")
    floors = {peer: math.floor(value) for peer, value in exact.items()}
    fractions = {peer: exact[peer] - floors[peer] for peer in exact}
    residue = int(total) - sum(floors.values())
    if residue >= 0:
        order = sorted(exact, key=lambda p: (-fractions[p], p))
        step = 1
    else:
        order = sorted(exact, key=lambda p: (fractions[p], _reverse_key(p)))
        step = -1
    shares = dict(floors)
    for k in range(abs(residue)):
        shares[order[k % len(order)]] += step
    return shares


def _reverse_key(peer: str) -> tuple[int, ...]:
    """Sort key ordering strings in reverse (larger id first) without negating a string."""
    return (*(-ord(c) for c in peer), 1)


def scale_to_total(weights: Mapping[str, float], total: float) -> dict[str, float]:
    """Exact shares proportional to non-negative ``weights``, summing to ``total``.

    Raises :class:`InputError` when a weight is negative or all weights are zero (no basis to share).
    """
    bad = {p: w for p, w in weights.items() if not math.isfinite(w) or w < 0}
    if bad:
        raise InputError(f"weights must be finite and non-negative, got {bad}")
    mass = math.fsum(weights.values())
    if mass <= 0:
        raise InputError("all weights are zero: nothing to share the value in proportion to")
    return {peer: total * w / mass for peer, w in weights.items()}
