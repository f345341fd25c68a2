"""Sealed-bid double auction of one interval (a call market): match bids and asks by price.

Bids are sorted by price, highest first, asks lowest first (ties: by peer order); the two lists are
matched greedily while the bid is at least the ask, quantities divisible. That is the quantity of
the competitive equilibrium of the shouted step curves.

- **pay-as-clear** (uniform price): every match trades at one price p in the competitive range: if
  the marginal bid is left partly unfilled, p = its bid (the buyer is indifferent); if the marginal
  ask is, p = its ask; if both are exactly filled, the midpoint of
  [max(marginal ask, first rejected bid), min(marginal bid, first rejected ask)]. At p every bidder
  above p and every asker below p is filled, none beyond: a competitive equilibrium of the shouts.
- **pay-as-bid** (discriminatory): each matched pair trades at the mean of its own bid and ask
  (k = ½), so every pair has its own price and internal money still sums to zero. (In the variant
  where each side gets its own shout the auctioneer keeps the spread.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
EPS = 1e-12


@dataclass(frozen=True)
class Matches:
    """Matched trades of one interval: buyer and seller peer indices, kWh and price each."""

    buyer: IntArray
    seller: IntArray
    qty: FloatArray
    price: FloatArray

    @classmethod
    def empty(cls) -> Matches:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))

    @property
    def volume(self) -> float:
        return float(self.qty.sum())

    def mean_price(self) -> float:
        """Volume-weighted mean trade price (NaN without trades)."""
        v = self.volume
        return float(self.qty @ self.price / v) if v > EPS else float("nan")


def match(
    buyers: IntArray,
    bid_qty: FloatArray,
    bids: FloatArray,
    sellers: IntArray,
    ask_qty: FloatArray,
    asks: FloatArray,
    pricing: str,
) -> Matches:
    """Clear one interval; ``pricing`` is "pay-as-clear" or "pay-as-bid"."""
    if pricing not in ("pay-as-clear", "pay-as-bid"):
        raise ValueError(f"unknown auction pricing {pricing!r}")
    ob = np.lexsort((buyers, -bids))
    oa = np.lexsort((sellers, asks))
    b_left, a_left = bid_qty[ob].astype(float), ask_qty[oa].astype(float)
    rows: list[tuple[int, int, float]] = []
    i = j = 0
    while i < ob.size and j < oa.size and bids[ob[i]] >= asks[oa[j]]:
        q = min(b_left[i], a_left[j])
        if q > EPS:
            rows.append((i, j, q))
        b_left[i] -= q
        a_left[j] -= q
        if b_left[i] <= EPS:
            i += 1
        if a_left[j] <= EPS:
            j += 1
    if not rows:
        return Matches.empty()
    bi = np.array([r[0] for r in rows])
    aj = np.array([r[1] for r in rows])
    qty = np.array([r[2] for r in rows])
    if pricing == "pay-as-bid":
        price = (bids[ob[bi]] + asks[oa[aj]]) / 2
    else:
        price = np.full(qty.size, uniform_price(bids[ob], b_left, asks[oa], a_left, int(bi[-1]), int(aj[-1])))
    return Matches(buyers[ob[bi]], sellers[oa[aj]], qty, price)


def uniform_price(
    bids: FloatArray, b_left: FloatArray, asks: FloatArray, a_left: FloatArray, i: int, j: int
) -> float:
    """The competitive price of sorted shouts whose last match was bid ``i`` with ask ``j``."""
    if b_left[i] > EPS:
        return float(bids[i])
    if a_left[j] > EPS:
        return float(asks[j])
    lo = max(asks[j], bids[i + 1] if i + 1 < bids.size else -np.inf)
    hi = min(bids[i], asks[j + 1] if j + 1 < asks.size else np.inf)
    return float((lo + hi) / 2)


def max_surplus(
    bid_qty: FloatArray, values_b: FloatArray, ask_qty: FloatArray, values_a: FloatArray
) -> float:
    """The largest gain from trade of one interval: truthful values matched greedily (the
    competitive equilibrium's surplus, an upper bound for any matching)."""
    idx = np.arange
    m = match(idx(values_b.size), bid_qty, values_b, idx(values_a.size), ask_qty, values_a, "pay-as-bid")
    return float(np.sum(m.qty * (values_b[m.buyer] - values_a[m.seller])))
