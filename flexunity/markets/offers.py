"""Aggregation of per-peer flexibility into offers that follow a product's rules.

Each maximal run of in-window intervals is cut, from its start, into consecutive delivery blocks of
the product's duration. In a block, a peer can sustain the minimum over the block of its flexibility
in the product's direction; a *site* (a peer, or the whole community behind one meter) is aggregated
only if its sustained capacity reaches the minimum site size; the block is offered only if the
aggregate reaches the minimum offer. Every block not offered, and an offer with no block at all,
carries the reason in words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flexunity.errors import InputError
from flexunity.markets.flexibility import Flexibility
from flexunity.markets.products import BalancingProduct

SITE_MODES = ("peer", "community")


@dataclass(frozen=True)
class OfferBlock:
    """One offered delivery block: intervals ``start .. start+intervals-1``, capacity per peer (kW)."""

    start: int
    intervals: int
    capacity_kw: float
    peers_kw: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "start": self.start,
            "intervals": self.intervals,
            "capacity_kw": self.capacity_kw,
            "peers_kw": self.peers_kw,
        }


@dataclass(frozen=True)
class Offer:
    """The community's offer to one product, with the reasons for every block not offered."""

    product: BalancingProduct
    interval_minutes: int
    blocks: tuple[OfferBlock, ...]
    reasons: tuple[str, ...] = ()
    sites: str = "peer"
    notes: tuple[str, ...] = field(default=())

    @property
    def offered(self) -> bool:
        """Whether at least one block is offered."""
        return bool(self.blocks)

    @property
    def availability_revenue(self) -> float:
        """Availability payment if every block is accepted: price × MW × hours (currency)."""
        hours = self.interval_minutes / 60.0
        return sum(
            self.product.availability_price_per_mw_h * b.capacity_kw / 1000.0 * b.intervals * hours
            for b in self.blocks
        )

    def block_at(self, start: int) -> OfferBlock:
        """The offered block covering interval ``start``."""
        for block in self.blocks:
            if block.start <= start < block.start + block.intervals:
                return block
        raise InputError(f"no offered block of {self.product.name} covers interval {start}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able document."""
        return {
            "product": self.product.name,
            "direction": self.product.direction,
            "sites": self.sites,
            "offered": self.offered,
            "blocks": [b.to_dict() for b in self.blocks],
            "availability_revenue": self.availability_revenue,
            "currency": self.product.currency,
            "reasons": list(self.reasons),
        }


def make_offer(
    product: BalancingProduct,
    flex: Flexibility,
    in_window: np.ndarray,
    *,
    sites: str = "peer",
    block_start: np.ndarray | None = None,
    clock: Sequence[int] | None = None,
) -> Offer:
    """Aggregate ``flex`` into blocks of ``product`` in the service windows (``in_window``, per
    interval). ``block_start`` (per interval, from ``product.block_start_mask``) restricts where a
    block may start, e.g. to EFA block boundaries; None: blocks are cut from each run's start.
    ``clock`` (per interval, the local minute of the day it starts, from ``product.local_minutes``)
    adds local times to the reasons: "intervals 46-47 (23:00-24:00)"."""
    if sites not in SITE_MODES:
        raise InputError(f"sites must be one of {SITE_MODES}, got {sites!r}")
    length = product.block_intervals(flex.interval_minutes)
    span = span_label(clock, flex.interval_minutes)
    available = flex.in_direction(product.direction)
    reasons: list[str] = []
    blocks: list[OfferBlock] = []
    runs = _runs(in_window)
    if not runs:
        reasons.append(
            f"no interval of the round lies in {product.name}'s service windows {list(product.windows)}"
        )
    for first, last in runs:
        if last - first + 1 < length:
            reasons.append(
                f"{span(first, last)}: window run of {last - first + 1} intervals is shorter than "
                f"the {product.duration_minutes}-minute delivery ({length} intervals)"
            )
            continue
        starts = _starts(first, last, length, block_start)
        for start in starts:
            block, reason = _block(product, flex, available, start, length, sites, span)
            if block is not None:
                blocks.append(block)
            else:
                reasons.append(reason)
        reasons += _leftovers(product, first, last, length, starts, span)
    return Offer(product, flex.interval_minutes, tuple(blocks), tuple(reasons), sites)


def _block(
    product: BalancingProduct,
    flex: Flexibility,
    available: np.ndarray,
    start: int,
    length: int,
    sites: str,
    span_of: Callable[[int, int], str],
) -> tuple[OfferBlock | None, str]:
    sustained = available[:, start : start + length].min(axis=1)  # kW each peer holds for the block
    span = span_of(start, start + length - 1)
    groups = [[i] for i in range(len(flex.peers))] if sites == "peer" else [list(range(len(flex.peers)))]
    capacity = [float(sustained[g].sum()) for g in groups]
    eligible = [g for g, c in zip(groups, capacity, strict=True) if c >= product.min_site_kw and c > 0]
    if not eligible:
        biggest = max(capacity, default=0.0)
        if biggest <= 0:
            return None, f"{span}: no {product.direction} flexibility sustained over the block"
        return None, (
            f"{span}: no site reaches the minimum site size of {product.min_site_kw:g} kW "
            f"(largest site {biggest:.1f} kW {product.direction})"
        )
    peers_kw = {flex.peers[i]: float(sustained[i]) for g in eligible for i in g if sustained[i] > 0}
    total = sum(peers_kw.values())
    if total < product.min_offer_kw:
        return None, (
            f"{span}: aggregate {total:.1f} kW from {len(eligible)} site(s) is below the minimum offer "
            f"of {product.min_offer_kw:g} kW"
        )
    return OfferBlock(start, length, total, peers_kw), ""


def _starts(first: int, last: int, length: int, allowed: np.ndarray | None) -> list[int]:
    """Non-overlapping block starts in the run first..last: every ``length`` from ``first``, or at
    the allowed starts (EFA boundaries) where a whole block fits."""
    out: list[int] = []
    t = first
    while t + length - 1 <= last:
        if allowed is None or bool(allowed[t]):
            out.append(t)
            t += length
        else:
            t += 1
    return out


def _leftovers(
    product: BalancingProduct,
    first: int,
    last: int,
    length: int,
    starts: list[int],
    span: Callable[[int, int], str],
) -> list[str]:
    """A reason for every stretch of a window run that no block covers (too short for a delivery,
    or off the product's block boundaries)."""
    covered = np.zeros(last - first + 1, dtype=bool)
    for s in starts:
        covered[s - first : s - first + length] = True
    out = []
    for a, b in _runs(~covered):
        why = (
            f"off {product.name}'s block starts {list(product.block_starts)}"
            if product.block_starts and b - a + 1 >= length
            else f"shorter than the {product.duration_minutes}-minute delivery ({length} intervals)"
        )
        out.append(
            f"{span(first + a, first + b)}: the {b - a + 1} intervals of the window run left over "
            f"after whole blocks are {why}"
        )
    return out


def span_label(clock: Sequence[int] | None, interval_minutes: int) -> Callable[[int, int], str]:
    """A labeller of interval spans: "intervals 46-47 (23:00-24:00)" with local start minutes
    ``clock`` per interval, "intervals 46-47" without. The end is the last interval's end."""

    def hhmm(minute: int) -> str:
        return f"{minute // 60:02d}:{minute % 60:02d}"

    def label(first: int, last: int) -> str:
        text = f"intervals {first}-{last}"
        if clock is None:
            return text
        end = int(clock[last]) + interval_minutes
        return f"{text} ({hhmm(int(clock[first]))}-{hhmm(end if end == 1440 else end % 1440)})"

    return label


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True as (first, last) inclusive."""
    runs: list[tuple[int, int]] = []
    t = 0
    while t < len(mask):
        if mask[t]:
            first = t
            while t + 1 < len(mask) and mask[t + 1]:
                t += 1
            runs.append((first, t))
        t += 1
    return runs
