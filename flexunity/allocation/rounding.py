"""Exact shares in proportion to weights, before rounding.

Every sharing rule first computes real-valued *exact* shares that sum to the value, then calls
:func:`flexunity.units.largest_remainder` once, so the integer shares sum to the value exactly
(docs/conventions.md, "Rounding"; ties by peer id, so an auditor re-derives them bit for bit).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from flexunity.errors import InputError


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
