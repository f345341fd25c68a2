"""The sealed-bid double auction of one interval (flexunity/lab/auction.py): pay-as-clear with
truthful bids reaches the interval's competitive equilibrium; pay-as-bid trades the same volume."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from flexunity.lab.auction import match, max_surplus

prices = st.floats(0.0, 1.0, allow_nan=False).map(lambda x: round(x, 3))  # ties happen
side = st.lists(st.tuples(st.floats(0.01, 5.0, allow_nan=False), prices), min_size=1, max_size=7)


def welfare_lp(qb: np.ndarray, vb: np.ndarray, qs: np.ndarray, vs: np.ndarray) -> float:
    """The interval's largest gain from trade, by an LP independent of the auction code:
    max Σ vb·x − Σ vs·y, Σx = Σy, 0 ≤ x ≤ qb, 0 ≤ y ≤ qs."""
    c = np.concatenate([-vb, vs])
    a_eq = np.concatenate([np.ones(vb.size), -np.ones(vs.size)])[None, :]
    res = linprog(
        c,
        A_eq=a_eq,
        b_eq=[0.0],
        bounds=list(zip(np.zeros(c.size), np.concatenate([qb, qs]), strict=True)),
        method="highs",
    )
    assert res.status == 0
    return float(-res.fun)


@settings(max_examples=300, deadline=None)
@given(side, side)
def test_pay_as_clear_with_truthful_bids_is_the_competitive_equilibrium(buy: list, sell: list) -> None:
    qb, vb = (np.array(x) for x in zip(*buy, strict=True))
    qs, vs = (np.array(x) for x in zip(*sell, strict=True))
    b, s = np.arange(qb.size), np.arange(qs.size)
    m = match(b, qb, vb, s, qs, vs, "pay-as-clear")
    bought = np.bincount(m.buyer, m.qty, qb.size)
    sold = np.bincount(m.seller, m.qty, qs.size)
    # the largest gain from trade (allocative efficiency 100 %)
    gain = float(np.sum(m.qty * (vb[m.buyer] - vs[m.seller])))
    assert np.isclose(gain, welfare_lp(qb, vb, qs, vs), atol=1e-9)
    assert np.isclose(gain, max_surplus(qb, vb, qs, vs), atol=1e-9)
    if not m.qty.size:
        assert welfare_lp(qb, vb, qs, vs) <= 1e-9
        return
    p = m.price[0]
    assert np.all(m.price == p)  # one uniform price
    # at p, every peer's filled quantity is its own best response (competitive equilibrium)
    tol = 1e-9
    assert np.all(np.where(vb > p + tol, np.isclose(bought, qb), True))
    assert np.all(np.where(vb < p - tol, bought <= tol, True))
    assert np.all(np.where(vs < p - tol, np.isclose(sold, qs), True))
    assert np.all(np.where(vs > p + tol, sold <= tol, True))
    assert np.isclose(bought.sum(), sold.sum())  # the market clears
    money = (
        np.bincount(m.buyer, m.qty * m.price, qb.size).sum()
        - np.bincount(m.seller, m.qty * m.price, qs.size).sum()
    )
    assert abs(money) < 1e-9


@settings(max_examples=200, deadline=None)
@given(side, side)
def test_pay_as_bid_trades_the_same_volume_each_pair_between_its_bid_and_ask(buy: list, sell: list) -> None:
    qb, vb = (np.array(x) for x in zip(*buy, strict=True))
    qs, vs = (np.array(x) for x in zip(*sell, strict=True))
    b, s = np.arange(qb.size), np.arange(qs.size)
    uniform = match(b, qb, vb, s, qs, vs, "pay-as-clear")
    pab = match(b, qb, vb, s, qs, vs, "pay-as-bid")
    assert np.isclose(pab.volume, uniform.volume)
    assert np.all(pab.price <= vb[pab.buyer] + 1e-12)
    assert np.all(pab.price >= vs[pab.seller] - 1e-12)
    assert np.allclose(pab.price, (vb[pab.buyer] + vs[pab.seller]) / 2)


def test_a_known_interval() -> None:
    """Buyers 3 kWh at 0.30 and 2 kWh at 0.20; sellers 4 kWh at 0.10 and 2 kWh at 0.25: 4 kWh trade
    (3 to the first buyer, 1 to the second from the cheap seller); the second buyer is left with
    1 kWh unfilled, so the price is its bid, 0.20; the 0.25 seller does not trade."""
    m = match(
        np.array([0, 1]),
        np.array([3.0, 2.0]),
        np.array([0.30, 0.20]),
        np.array([0, 1]),
        np.array([4.0, 2.0]),
        np.array([0.10, 0.25]),
        "pay-as-clear",
    )
    assert m.volume == 4.0
    assert np.allclose(m.price, 0.20)
    assert set(m.seller.tolist()) == {0}
