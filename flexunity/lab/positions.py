"""Shared by the auction designs: the peers' fixed positions, a ledger of matched trades, and the
step from trades to an Outcome (the rest of each position goes to the grid)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from flexunity.lab.agents import Agents
from flexunity.lab.auction import Matches
from flexunity.lab.gas import ChainCost
from flexunity.lab.outcome import Outcome, settle, trade_dispatch
from flexunity.lab.schedule import Expectation, limit_prices, net_import, own_schedule
from flexunity.model import Scenario
from flexunity.optimize import Dispatch
from flexunity.optimize.lp import FloatArray

EPS = 1e-9
ADAPT = 0.5  # weight of the last day in the owners' expectations (adaptive expectations)


@dataclass
class MarketState:
    """What an auction design remembers from day to day: its agents and the prices it saw."""

    agents: Agents
    expected: Expectation | None = None  # None: nothing seen yet


@dataclass
class Day:
    """One day of an auction design: schedules, positions, limit prices and the trades so far."""

    sc: Scenario
    schedule: Dispatch
    x: FloatArray  # net position, + to buy (kWh), N × T
    limit_buy: FloatArray
    limit_sell: FloatArray
    start: float
    q_buy: FloatArray = field(init=False)
    q_sell: FloatArray = field(init=False)
    money: FloatArray = field(init=False)
    prices: FloatArray = field(init=False)
    realised: float = 0.0
    best: float = 0.0
    trades: int = 0
    orders: int = 0

    def __post_init__(self) -> None:
        shape = self.x.shape
        self.q_buy, self.q_sell, self.money = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        self.prices = np.full(shape[1], np.nan)

    @classmethod
    def open(cls, sc: Scenario, state: MarketState) -> Day:
        """Schedule every peer against the prices it expects and read its limit prices."""
        start = time.perf_counter()
        d = own_schedule(sc, state.expected)
        vb, vs = limit_prices(sc)
        return cls(sc, d, net_import(d), vb, vs, start)

    def sides(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Buyers and sellers of interval t (peer indices)."""
        col = self.x[:, t]
        return np.nonzero(col > EPS)[0], np.nonzero(col < -EPS)[0]

    def book(self, t: int, m: Matches) -> None:
        """Record interval t's matches: energy, money (buyers pay, sellers receive), gain from trade."""
        if not m.qty.size:
            return
        np.add.at(self.q_buy[:, t], m.buyer, m.qty)
        np.add.at(self.q_sell[:, t], m.seller, m.qty)
        np.add.at(self.money[:, t], m.buyer, m.qty * m.price)
        np.add.at(self.money[:, t], m.seller, -m.qty * m.price)
        self.realised += float(np.sum(m.qty * (self.limit_buy[m.buyer, t] - self.limit_sell[m.seller, t])))
        self.prices[t] = m.mean_price()
        self.trades += int(m.qty.size)

    def expectation(self, old: Expectation | None) -> Expectation:
        """Tomorrow's expectation: halfway (``ADAPT``) from the old one to today's price and filled
        shares where peers traded (elsewhere today repeats the old one); after the first day,
        today's values as they are."""
        t = self.x.shape[1]
        before = old or Expectation(np.zeros(t), np.zeros(t), np.zeros(t))
        demand, supply = np.maximum(self.x, 0).sum(axis=0), np.maximum(-self.x, 0).sum(axis=0)
        seen = (demand > EPS) & (supply > EPS)
        with np.errstate(invalid="ignore", divide="ignore"):
            fb = np.where(seen, self.q_buy.sum(axis=0) / np.where(seen, demand, 1), before.fill_buy)
            fs = np.where(seen, self.q_sell.sum(axis=0) / np.where(seen, supply, 1), before.fill_sell)
        traded = ~np.isnan(self.prices)
        price = np.where(traded, self.prices, before.price)
        if old is None:
            return Expectation(price, fb, fs)
        w = ADAPT  # adaptive expectations: halfway from the old expectation to what was seen
        return Expectation(
            (1 - w) * old.price + w * price, (1 - w) * old.fill_buy + w * fb, (1 - w) * old.fill_sell + w * fs
        )

    def close(self, design: str, state: MarketState, chain: ChainCost) -> Outcome:
        """The rest of every position to the grid; bill; remember today's prices for tomorrow."""
        rest = self.x - self.q_buy + self.q_sell
        alpha, beta = np.maximum(rest, 0.0), np.minimum(rest, 0.0)
        doc = trade_dispatch(self.sc, self.schedule.to_dict(), self.q_buy, self.q_sell, alpha, beta)
        state.expected = self.expectation(state.expected)
        return settle(
            design,
            self.sc,
            doc,
            self.money,
            self.prices,
            chain,
            time.perf_counter() - self.start,
            surplus=(self.realised, self.best),
            extra={"orders": self.orders, "trades": self.trades},
        )
