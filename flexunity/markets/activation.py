"""Activation signals: from a file, or from a simulated system operator with a seeded random process.

An activation asks the community to deliver ``kw`` in the product's direction over intervals
``start .. start+intervals-1`` of an offered block, instructed at interval ``instructed`` (negative:
before the round began). ``compliance`` optionally gives, per peer, the fraction of its planned
delivery it actually delivers (metering; 1 when absent): this is how a shortfall enters.

File format (``flexunity-activation/1``)::

    {"format": "flexunity-activation/1", "product": "GB-DTU",
     "activations": [{"start": 2, "intervals": 8, "kw": 1200, "instructed": -12,
                      "compliance": {"biz-01": 0.5}}]}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from flexunity.errors import InputError
from flexunity.markets.offers import Offer

FORMAT = "flexunity-activation/1"


@dataclass(frozen=True)
class Activation:
    """One activation instruction, validated against an offer."""

    start: int
    intervals: int
    kw: float
    instructed: int
    compliance: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the file format's activation entry)."""
        return {
            "start": self.start,
            "intervals": self.intervals,
            "kw": self.kw,
            "instructed": self.instructed,
            "compliance": dict(self.compliance),
        }


def check_activation(activation: Activation, offer: Offer) -> None:
    """Raise InputError unless the activation lies in an offered block, within its capacity and notice."""
    where = f"activation at interval {activation.start}"
    block = offer.block_at(activation.start)
    if activation.intervals <= 0 or activation.start + activation.intervals > block.start + block.intervals:
        raise InputError(
            f"intervals {activation.start}..{activation.start + activation.intervals - 1} leave the offered "
            f"block {block.start}..{block.start + block.intervals - 1}",
            where=where,
        )
    if not 0 < activation.kw <= block.capacity_kw * (1 + 1e-9):
        raise InputError(f"requested {activation.kw:g} kW, offered {block.capacity_kw:.1f} kW", where=where)
    notice = offer.product.notice_intervals(offer.interval_minutes)
    if activation.start - activation.instructed < notice:
        raise InputError(
            f"instructed at interval {activation.instructed}, less than the product's notice of "
            f"{offer.product.notice_minutes} min ({notice} intervals) before the start",
            where=where,
        )
    for peer, value in activation.compliance.items():
        if not 0 <= value <= 1:
            raise InputError(f"compliance of {peer!r} must be in [0, 1], got {value}", where=where)


def load_activations(path: str | Path, offer: Offer) -> list[Activation]:
    """Read and validate activations from a ``flexunity-activation/1`` file."""
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read activations: {exc}", where=str(path)) from None
    if document.get("format") != FORMAT:
        raise InputError(f"format must be {FORMAT!r}", where=str(path))
    product = document.get("product")
    if product and product.lower() != offer.product.name.lower():
        raise InputError(
            f"activations are for {product!r}, the offer is for {offer.product.name!r}", where=str(path)
        )
    activations = []
    for item in document.get("activations", []):
        try:
            activation = Activation(
                start=int(item["start"]),
                intervals=int(item["intervals"]),
                kw=float(item["kw"]),
                instructed=int(item["instructed"]),
                compliance={str(k): float(v) for k, v in item.get("compliance", {}).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"bad activation entry {item!r}: {exc}", where=str(path)) from None
        check_activation(activation, offer)
        activations.append(activation)
    return activations


def simulate_activations(
    offer: Offer, seed: int, *, probability: float = 0.5, failure_probability: float = 0.1
) -> list[Activation]:
    """A seeded system operator: each offered block is activated with ``probability``.

    An activation covers the whole block at 50-100 % of its capacity, instructed exactly the notice
    time ahead. Each offered peer fails with ``failure_probability`` and then delivers a uniform
    0-80 % of its plan (its compliance).
    """
    rng = np.random.default_rng(seed)
    notice = offer.product.notice_intervals(offer.interval_minutes)
    activations = []
    for block in offer.blocks:
        draw_activate, draw_level = rng.random(), rng.uniform(0.5, 1.0)
        failures = {
            p: (rng.random() < failure_probability, rng.uniform(0.0, 0.8)) for p in sorted(block.peers_kw)
        }
        if draw_activate >= probability:
            continue
        compliance = {p: round(level, 3) for p, (failed, level) in failures.items() if failed}
        activations.append(
            Activation(
                block.start,
                block.intervals,
                round(block.capacity_kw * draw_level, 3),
                block.start - notice,
                compliance,
            )
        )
    return activations
