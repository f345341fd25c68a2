"""Hybrid P2P (seed 2.1.4.3, the "Russian doll"): sub-communities, each cleared as a community,
trading their residual grid exchange with each other through an upper-level community."""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np

from flexunity.lab.auction import match
from flexunity.lab.gas import hybrid
from flexunity.lab.outcome import Outcome, settle, trade_dispatch, weighted_prices
from flexunity.lab.schedule import limit_prices
from flexunity.model import Scenario
from flexunity.optimize import price_and_bill, solve_dispatch
from flexunity.optimize.bills import trades

METHOD = (
    "Peers are split into sub-communities ({groups}). Each is cleared as a community on its own "
    "(the collective LP, dual prices). Then, every interval, the sub-communities' remaining grid "
    "imports and exports meet in an upper-level community: a pay-as-clear auction with each "
    "sub-community's marginal value (its importing peers' grid price, its exporting peers' export "
    "price, weighted by volume). Upper-level trades replace grid exchange pro rata to each peer's "
    "import or export. On chain (estimated): one community round per sub-community and one above."
)


def sub_communities(sc: Scenario, groups: Mapping[str, str]) -> dict[str, list[str]]:
    """Peer ids per sub-community, in scenario order."""
    out: dict[str, list[str]] = {}
    for pid in sc.peer_ids:
        out.setdefault(groups[pid], []).append(pid)
    return out


def run(sc: Scenario, groups: Mapping[str, str]) -> Outcome:
    """One day of the hybrid design."""
    start = time.perf_counter()
    subs = sub_communities(sc, groups)
    n, t_count = len(sc.peers), sc.intervals
    row = {pid: i for i, pid in enumerate(sc.peer_ids)}
    q_buy, q_sell, alpha, beta, money = (np.zeros((n, t_count)) for _ in range(5))
    assets: dict[str, dict[str, object]] = {}
    for ids in subs.values():
        sub = sc.subset(ids)
        d = solve_dispatch(sub)
        sub_prices, _ = price_and_bill(sub, d, "dual")
        idx = np.array([row[pid] for pid in sub.peer_ids])
        q_buy[idx], q_sell[idx] = d.per_peer("q_buy"), d.per_peer("q_sell")
        alpha[idx], beta[idx] = d.alpha, d.beta
        money[idx] = trades(d, sub_prices)
        for name, values in d.to_dict().items():
            if name != "peak_kw":
                assets.setdefault(name, {}).update(values)
    vb, vs = limit_prices(sc)
    names = list(subs)
    members = [np.array([row[pid] for pid in subs[g]]) for g in names]
    for t in range(t_count):
        demand = np.array([alpha[m, t].sum() for m in members])
        supply = np.array([-beta[m, t].sum() for m in members])
        bids = np.array([_weighted(vb[m, t], alpha[m, t]) for m in members])
        asks = np.array([_weighted(vs[m, t], -beta[m, t]) for m in members])
        g = np.arange(len(names))
        m = match(
            g[demand > 1e-9],
            demand[demand > 1e-9],
            bids[demand > 1e-9],
            g[supply > 1e-9],
            supply[supply > 1e-9],
            asks[supply > 1e-9],
            "pay-as-clear",
        )
        for gb, gs, qty, price in zip(m.buyer, m.seller, m.qty, m.price, strict=True):
            take = members[gb]
            share = alpha[take, t] / alpha[take, t].sum() * qty
            q_buy[take, t] += share
            alpha[take, t] -= share
            money[take, t] += share * price
            give = members[gs]
            share = beta[give, t] / beta[give, t].sum() * qty  # β ≤ 0: shares ≥ 0
            q_sell[give, t] += share
            beta[give, t] += share
            money[give, t] -= share * price
    doc = trade_dispatch(sc, assets, q_buy, q_sell, alpha, beta)
    prices = weighted_prices(money, q_buy - q_sell)
    chain = hybrid([len(v) for v in subs.values()])
    return settle(
        "hybrid",
        sc,
        doc,
        money,
        prices,
        chain,
        time.perf_counter() - start,
        extra={"sub_communities": {g: len(v) for g, v in subs.items()}},
    )


def _weighted(values: np.ndarray, weights: np.ndarray) -> float:
    total = float(weights.sum())
    return float(values @ weights / total) if total > 1e-12 else float(values.mean())
