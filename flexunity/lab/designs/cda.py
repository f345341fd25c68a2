"""Continuous double auction with an order book (Gode & Sunder 1993; Cliff 1997)."""

from __future__ import annotations

import numpy as np

from flexunity.lab.auction import Matches, max_surplus
from flexunity.lab.gas import continuous_auction
from flexunity.lab.outcome import Outcome
from flexunity.lab.positions import Day, MarketState
from flexunity.model import Scenario

METHOD = (
    "Each peer schedules its own assets against the internal prices it expects, then trades its "
    "net position of every interval in a continuous double auction: peers arrive in a seeded "
    "random order, {passes} passes per interval, each shouting a bid or ask priced by its agent "
    "({agent}) that replaces its standing order; a shout that crosses the best opposite order "
    "trades at that standing order's price (partial fills allowed). What is left goes to the "
    "retailer. On chain (estimated): every shout a transaction, one transfer per match."
)
PASSES = {"truthful": 1, "zic": 5, "zip": 5}  # truthful: after one pass no standing orders cross


def session(day: Day, t: int, state: MarketState) -> tuple[Matches, int]:
    """Trade interval t; returns the matches and the number of shouts."""
    agents = state.agents
    b, s = day.sides(t)
    if not b.size or not s.size:
        return Matches.empty(), 0
    lb, ls = day.limit_buy[b, t], day.limit_sell[s, t]
    left_b, left_s = day.x[b, t].copy(), -day.x[s, t]
    floor, ceiling = float(min(lb.min(), ls.min())), float(max(lb.max(), ls.max()))
    scale = float(np.mean(np.abs(np.concatenate([lb, ls]))))
    bid_book = np.full(b.size, -np.inf)  # standing bid of each buyer (−inf: none)
    ask_book = np.full(s.size, np.inf)
    rows: list[tuple[int, int, float, float]] = []
    shouts = 0
    for _ in range(PASSES[agents.kind]):
        order = agents.rng.permutation(b.size + s.size)
        for k in order:
            is_bid = k < b.size
            i = int(k if is_bid else k - b.size)
            if (left_b[i] if is_bid else left_s[i]) <= 1e-9:
                continue
            shouts += 1
            traded_at = None
            if is_bid:
                price = float(agents.bid(b[i : i + 1], lb[i : i + 1], floor)[0])
                while left_b[i] > 1e-9 and np.isfinite(ask_book.min()) and price >= ask_book.min():
                    j = int(np.argmin(ask_book))
                    q = min(left_b[i], left_s[j])
                    rows.append((int(b[i]), int(s[j]), q, float(ask_book[j])))
                    traded_at = float(ask_book[j])
                    left_b[i] -= q
                    left_s[j] -= q
                    if left_s[j] <= 1e-9:
                        ask_book[j] = np.inf
                bid_book[i] = price if left_b[i] > 1e-9 else -np.inf
            else:
                price = float(agents.ask(s[i : i + 1], ls[i : i + 1], ceiling)[0])
                while left_s[i] > 1e-9 and np.isfinite(bid_book.max()) and price <= bid_book.max():
                    j = int(np.argmax(bid_book))
                    q = min(left_s[i], left_b[j])
                    rows.append((int(b[j]), int(s[i]), q, float(bid_book[j])))
                    traded_at = float(bid_book[j])
                    left_s[i] -= q
                    left_b[j] -= q
                    if left_b[j] <= 1e-9:
                        bid_book[j] = -np.inf
                ask_book[i] = price if left_s[i] > 1e-9 else np.inf
            _learn(state, b, s, lb, ls, left_b, left_s, is_bid, traded_at, price, scale)
    if not rows:
        return Matches.empty(), shouts
    arr = np.array(rows)
    return Matches(arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2], arr[:, 3]), shouts


def _learn(
    state: MarketState,
    b: np.ndarray,
    s: np.ndarray,
    lb: np.ndarray,
    ls: np.ndarray,
    left_b: np.ndarray,
    left_s: np.ndarray,
    is_bid: bool,
    traded_at: float | None,
    shout: float,
    scale: float,
) -> None:
    """Cliff's (1997) rules after one shout, for every seller and buyer of the interval."""
    agents = state.agents
    if agents.kind != "zip":
        return
    q = shout if traded_at is None else traded_at
    accepted = traded_at is not None
    asks = agents.ask(s, ls, 0.0)
    bids = agents.bid(b, lb, 0.0)
    active_s, active_b = left_s > 1e-9, left_b > 1e-9
    no_s, no_b = np.zeros(s.size, bool), np.zeros(b.size, bool)
    raise_s = asks <= q if accepted else no_s
    lower_s = active_s & (asks >= q) if (accepted and is_bid) or (not accepted and not is_bid) else no_s
    raise_b = bids >= q if accepted else no_b
    lower_b = active_b & (bids <= q) if (accepted and not is_bid) or (not accepted and is_bid) else no_b
    agents.learn("sell", s, ls, asks, raise_s & ~lower_s, lower_s, q, scale)
    agents.learn("buy", b, lb, bids, raise_b & ~lower_b, lower_b, q, scale)


def run(sc: Scenario, state: MarketState) -> Outcome:
    """One day of the continuous double auction with ``state``'s agents."""
    day = Day.open(sc, state)
    shouts = 0
    for t in range(sc.intervals):
        m, n = session(day, t, state)
        day.book(t, m)
        shouts += n
        b, s = day.sides(t)
        if b.size and s.size:
            day.best += max_surplus(day.x[b, t], day.limit_buy[b, t], -day.x[s, t], day.limit_sell[s, t])
    day.orders = shouts
    return day.close(f"cda ({state.agents.kind})", state, continuous_auction(shouts, day.trades))
