"""Periodic double auction (a call market per interval), pay-as-clear or pay-as-bid."""

from __future__ import annotations

import numpy as np

from flexunity.lab.auction import match, max_surplus
from flexunity.lab.gas import periodic_auction
from flexunity.lab.outcome import Outcome
from flexunity.lab.positions import Day, MarketState
from flexunity.model import Scenario

METHOD = (
    "Each peer schedules its own assets against the internal prices it expects (yesterday's "
    "prices of this design), then its net position of every interval is auctioned: bids and asks "
    "priced by its agent ({agent}) within its marginal values, matched in one sealed call per "
    "interval, {pricing}. What is not matched goes to the retailer. On chain (estimated): one "
    "relayed order per active peer and interval, one posted clearing per interval."
)
PRICING_WORDS = {
    "pay-as-clear": "all at one competitive (uniform) price",
    "pay-as-bid": "each matched pair at the mean of its own bid and ask",
}


def run(sc: Scenario, state: MarketState, pricing: str) -> Outcome:
    """One day of the periodic auction with ``state``'s agents."""
    day = Day.open(sc, state)
    agents = state.agents
    for t in range(sc.intervals):
        b, s = day.sides(t)
        if not b.size or not s.size:
            continue
        lb, ls = day.limit_buy[b, t], day.limit_sell[s, t]
        floor, ceiling = float(min(lb.min(), ls.min())), float(max(lb.max(), ls.max()))
        bids, asks = agents.bid(b, lb, floor), agents.ask(s, ls, ceiling)
        qb, qs = day.x[b, t], -day.x[s, t]
        m = match(b, qb, bids, s, qs, asks, pricing)
        day.book(t, m)
        day.best += max_surplus(qb, lb, qs, ls)
        day.orders += int(b.size + s.size)
        q = m.mean_price() if m.qty.size else (float(bids.max()) + float(asks.min())) / 2
        scale = float(np.mean(np.abs(np.concatenate([lb, ls]))))
        sold, bought = np.isin(s, m.seller), np.isin(b, m.buyer)
        agents.learn("sell", s, ls, asks, sold, ~sold & (asks >= q), q, scale)
        agents.learn("buy", b, lb, bids, bought, ~bought & (bids <= q), q, scale)
    chain = periodic_auction(day.orders, sc.intervals, len(sc.peers))
    return day.close(f"{pricing} ({agents.kind})", state, chain)
