"""Fully decentralized bilateral trading (seed 2.1.4.1, eq. 2a-2b): the consensus P2P market of
Sorin, Bobo & Pinson (2019), with optional product differentiation.

Every buyer n buys from sellers m, P_nm ≥ 0, paying a product-differentiation cost c_nm per kWh on
top of the price (a disutility, not money); reciprocity Σ_n P_nm = what m sells. The consensus
ADMM of the literature converges to the optimum of the same problem solved centrally, which is
what we solve: HiGHS on the community LP (3a-3g: every peer's assets, q⁺, q⁻, α, β) extended by
bilateral flows. Because c_nm here depends only on the seller's *product class* k (green: has PV;
local: same sub-community as the buyer), flows are kept per buyer and seller class, y[n,k,t]:
Σ_k y[n,k,t] = q⁺[n,t] and Σ_n y[n,k,t] = Σ_{m∈k} q⁻[m,t], objective + Σ c_{n,k}·y. The price of
class k in interval t is the dual of its reciprocity row (Sorin's bilateral prices, here one per
class); buyers pay it on what they take from k, k's sellers receive it on what they sell, so money
sums to zero. Bilateral contracts counted for the chain: per class and interval, the north-west
corner matching of buyers and sellers (at most buyers + sellers − 1 contracts). Without
preferences the extension is redundant and the dispatch is the community's: the test of it.
The ADMM iteration itself (peers exchanging prices and quantities) is not simulated.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
from scipy.optimize import linprog

from flexunity.errors import InfeasibleError
from flexunity.lab.gas import bilateral_contracts
from flexunity.lab.outcome import Outcome, settle
from flexunity.model import Scenario
from flexunity.optimize import Dispatch
from flexunity.optimize.builder import build_lp
from flexunity.optimize.lp import LinearProgram

METHOD = (
    "Peers trade bilaterally with each other (the consensus P2P market, seed eq. 2a-2b){prefs}. "
    "The optimum the consensus ADMM converges to is solved centrally with HiGHS; prices are the "
    "duals of the reciprocity constraints, one per seller class and interval. On chain "
    "(estimated): two signatures and one transfer per bilateral contract."
)


def seller_classes(sc: Scenario, groups: Mapping[str, str]) -> tuple[list[str], np.ndarray]:
    """Product classes (green/grey × sub-community) and each peer's class index."""
    labels = [
        f"{'green' if p.pv_kw is not None and np.any(np.asarray(p.pv_kw) > 0) else 'grey'}:{groups[p.id]}"
        for p in sc.peers
    ]
    names = sorted(set(labels))
    return names, np.array([names.index(x) for x in labels])


def preference_costs(
    sc: Scenario, groups: Mapping[str, str], classes: list[str], prefs: Mapping[str, float]
) -> np.ndarray:
    """c[n, k]: ``green`` per kWh from a grey class, ``local`` per kWh from another sub-community."""
    c = np.zeros((len(sc.peers), len(classes)))
    for k, name in enumerate(classes):
        colour, group = name.split(":", 1)
        if colour == "grey":
            c[:, k] += prefs.get("green", 0.0)
        other = np.array([groups[p.id] != group for p in sc.peers])
        c[other, k] += prefs.get("local", 0.0)
    return c


def build(sc: Scenario, cost: np.ndarray, klass: np.ndarray) -> LinearProgram:
    """The community LP plus per-class bilateral flows and their two reciprocity row groups."""
    lp = build_lp(sc)
    n, t, k = len(sc.peers), sc.intervals, cost.shape[1]
    owners = [f"{pid}<-{j}" for pid in sc.peer_ids for j in range(k)]
    flat = lp.add_vars(
        "bilateral",
        owners,
        np.repeat(np.arange(n), k),
        (n * k, t),
        0.0,
        np.inf,
        np.repeat(cost.reshape(-1, 1), t, axis=1),
    )
    y = flat.reshape(n, k, t)
    buy_rows = lp.add_rows(
        "bilateral_buy", "eq", sc.peer_ids, np.arange(n)[:, None], np.arange(t)[None, :], np.zeros((n, t))
    )
    lp.add_terms("eq", buy_rows[:, None, :], y, 1.0)
    lp.add_terms("eq", buy_rows, lp.blocks["q_buy"].ids, -1.0)
    names = [str(j) for j in range(k)]
    sup_rows = lp.add_rows(
        "bilateral_supply", "eq", names, np.arange(k)[:, None], np.arange(t)[None, :], np.zeros((k, t))
    )
    lp.add_terms("eq", sup_rows[None, :, :], y, 1.0)
    lp.add_terms("eq", sup_rows[klass], lp.blocks["q_sell"].ids, -1.0)
    return lp


def run(sc: Scenario, groups: Mapping[str, str], prefs: Mapping[str, float]) -> Outcome:
    """One day of bilateral trading with product-differentiation costs ``prefs`` (may be empty)."""
    start = time.perf_counter()
    classes, klass = seller_classes(sc, groups)
    cost = preference_costs(sc, groups, classes, prefs)
    lp = build(sc, cost, klass)
    lb, ub = lp.bounds
    a_ub = lp.matrix("ub")
    res = linprog(
        lp.cost,
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=lp.rhs("ub") if a_ub.shape[0] else None,
        A_eq=lp.matrix("eq"),
        b_eq=lp.rhs("eq"),
        bounds=np.column_stack([lb, ub]),
        method="highs",
    )
    if res.status != 0:
        raise InfeasibleError(
            f"bilateral market of {sc.name!r}: HiGHS stopped without an optimum: {res.message}"
        )
    x = np.asarray(res.x)
    grp = lp.groups["bilateral_supply"]
    prices = -np.asarray(res.eqlin.marginals[grp.start : grp.start + grp.size]).reshape(len(classes), -1)
    d = Dispatch(sc, lp, x, float(res.fun) + lp.constant, np.full(sc.intervals, np.nan))
    y = lp.values("bilateral", x).reshape(len(sc.peers), len(classes), sc.intervals)
    q_sell = d.per_peer("q_sell")
    money = np.einsum("nkt,kt->nt", y, prices) - q_sell * prices[klass]
    pref_cost = float(np.sum(cost[:, :, None] * y))
    contracts = 0
    for j in range(len(classes)):
        nb = (y[:, j, :] > 1e-9).sum(axis=0)
        ns = (q_sell[klass == j] > 1e-9).sum(axis=0)
        contracts += int(np.sum(np.where((nb > 0) & (ns > 0), nb + ns - 1, 0)))
    bought = y.sum(axis=(0, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_price = np.where(
            bought > 1e-9, np.einsum("nkt,kt->t", y, prices) / np.maximum(bought, 1e-12), np.nan
        )
    label = "bilateral" + ("" if not any(prefs.values()) else " (preferences)")
    return settle(
        label,
        sc,
        d,
        money,
        mean_price,
        bilateral_contracts(contracts),
        time.perf_counter() - start,
        extra={"preference_cost": pref_cost, "contracts": contracts, "classes": classes},
    )
