"""Dantzig-Wolfe decomposition of the aggregated LP: exact, certified, and parallel over shards.

In the aggregated LP (aggregate.py) the flexible peers are coupled only through the class rows
(``class_import_side``, ``class_export_side``: 2·K·T rows) and Σq = 0 (T rows); every other row
belongs to one peer. Dantzig-Wolfe (column generation) keeps those linking rows in a **master LP**
over the class variables and convex combinations of proposals of each peer, and asks the peers
(grouped into shards) for new proposals at the master's prices π:

    shard:  y_i ← argmin (c_i − L_iᵀπ)·y_i over peer i's own rows and bounds   (one LP per shard)
    master: min c_C·z + Σ_ij λ_ij·(c_i·y_ij)  s.t. L_C z + Σ_ij λ_ij·L_i y_ij = b,  Σ_j λ_ij = 1,
            community rows on z, λ ≥ 0

Every LP is HiGHS's (SciPy's bundled HiGHS, held as a model: a shard's LP keeps its basis and only
its costs change between iterations; the master gains the proposals that price out and drops those
unused for a few solves, dw_master.py, so both re-solve warm).
Bound (Lagrangian, dw_prices.py): at any prices π, L(π) = min_z (c_C − L_Cᵀπ)·z + Σ_i v_i(π) + the
linking rows' bounds · π, v_i(π) the value of peer i's proposal at π; the master's value is an
upper bound (its point is feasible). The shards see smoothed prices (Wentges 1997): a mix of the
prices of the best bound so far and the master's duals, which cuts the oscillation of the master's
(degenerate) duals; a mispricing falls back to the master's duals, so the loop stays exact.
The loop stops when (z − max L)/max(1, |z|) ≤ ``GAP``: that certified gap is reported. The primal
point is a convex combination of proposals, so it meets every peer's rows, and the master meets
the linking rows: the result is feasible and optimal to the certified gap (docs/distributed.md).
The shards run in this process or as Ray actors (``engine="ray"``); only prices and each peer's
proposal summary (its cost and its class sums) travel, never a peer's rows or costs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from flexunity.errors import InfeasibleError
from flexunity.model import Scenario
from flexunity.optimize.aggregate import build_aggregated_lp, disaggregate
from flexunity.optimize.bills import Bill
from flexunity.optimize.dw_master import Master
from flexunity.optimize.dw_prices import (
    SMOOTHING,
    Lagrangian,
    Proposal,
    bounded_prices,
    entering,
    first_prices,
    improving,
)
from flexunity.optimize.dw_shards import LocalShards, RayShards
from flexunity.optimize.dw_split import split
from flexunity.optimize.dw_standalone import first_proposals_are_standalone, standalone_bills_from_first
from flexunity.optimize.lp import FloatArray
from flexunity.optimize.solve import Dispatch

#: Relative certified gap at which the loop stops (the audit accepts 1e-6, flexunity/audit).
GAP = 1e-9
MAX_ITERATIONS = 300
#: A loop that reaches ``MAX_ITERATIONS`` (numerical tailing) is still accepted up to this certified
#: gap, a tenth of the audit's tolerance; above it the community is solved whole.
ACCEPT = 1e-7
#: The master has stalled when its value fell by less than this share of the certified gap.
STALL = 0.01
Progress = Callable[[str, int, int], None]


@dataclass
class DWReport:
    """What the decomposition did: iterations, bounds, certified gap, times."""

    iterations: int = 0
    shards: int = 0
    engine: str = "local"
    objective: float = 0.0
    lower_bound: float = -np.inf
    certified_gap: float = np.inf
    converged: bool = False
    master_s: float = 0.0
    shards_s: float = 0.0
    shard_cpu_s: float = 0.0
    total_s: float = 0.0
    proposal_rounds: int = 0  # the shards' proposals: one per iteration, two at a mispricing
    mispricings: int = 0
    columns_dropped: int = 0
    standalone: dict[str, Bill] | None = None  # not in to_dict: clearing.clear reads it
    history: list[tuple[int, float, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the ``solver`` part of a result document)."""
        out = {k: v for k, v in self.__dict__.items() if k not in ("history", "standalone")}
        out["method"] = "dantzig-wolfe"
        out["lower_bound"] = float(self.lower_bound)
        out["certified_gap"] = float(self.certified_gap)
        return out


def admm_prices(class_prices: FloatArray, balance_duals: FloatArray) -> FloatArray:
    """Dantzig-Wolfe's linking prices π from ADMM's: its class prices y (2, K, T) are what a peer
    pays per kWh of x⁺ and x⁻, which Dantzig-Wolfe charges as −π on the class rows; its Σq = 0
    duals are −π on the balance row (as ``Dispatch.duals`` reads them)."""
    y = np.asarray(class_prices, dtype=float)
    return np.concatenate([-y[0].ravel(), -y[1].ravel(), -np.asarray(balance_duals, dtype=float)])


def solve_dantzig_wolfe(
    scenario: Scenario,
    *,
    shards: int = 2,
    engine: str = "local",
    threads: int = 1,
    gap: float = GAP,
    max_iterations: int = MAX_ITERATIONS,
    smoothing: float = SMOOTHING,
    standalone: bool = False,
    prices: FloatArray | None = None,
    progress: Progress | None = None,
) -> tuple[Dispatch, DWReport]:
    """The community's optimal dispatch by Dantzig-Wolfe (module docstring), and its report.

    Prices are smoothed (Wentges): the shards propose at π̃ = α·π_center + (1 − α)·π_master, π_center
    the prices of the best Lagrangian bound so far; when no proposal at π̃ improves the master
    (a mispricing), they propose again at π_master itself, which keeps the loop exact.
    With ``standalone``, the report also carries the standalone bills of the shards' peers when
    their first proposals are their standalone optima (dw_standalone.py), else None. ``prices``
    (the linking rows' π, e.g. ADMM's, ``admm_prices``) replace the first prices: good ones give a
    bound near the optimum from the first iteration; any give the same certified result."""
    start = time.perf_counter()
    agg = build_aggregated_lp(scenario)
    s = split(agg, shards)
    sizes = [d.peers for d in s.shards]
    first = np.cumsum([0, *sizes])[:-1].astype(np.int64)
    report = DWReport(shards=len(s.shards), engine=engine)
    workers = RayShards(s.shards) if engine == "ray" else LocalShards(s.shards, threads)
    master = Master(s, int(sum(sizes)))
    lagrangian = Lagrangian(s)
    centers: list[FloatArray] = []  # the prices of the best Lagrangian bound, once one is finite

    def propose(price: FloatArray) -> list[Proposal]:
        """The shards' proposals at ``price``, whose Lagrangian bound may raise the best one."""
        t0 = time.perf_counter()
        proposals = workers.propose(price)
        report.shards_s += time.perf_counter() - t0
        report.proposal_rounds += 1
        bound = lagrangian.bound(price, np.concatenate([np.zeros(0), *(v for _, v, _ in proposals)]))
        if bound > report.lower_bound:  # π certifies this bound: the prices reported
            report.lower_bound, centers[:] = bound, [price]
        return proposals

    try:
        x_master = np.zeros(0)
        start_prices = first_prices(s) if prices is None else bounded_prices(s, np.asarray(prices, float))
        price, sigma, value = lagrangian.signed(start_prices), np.zeros(int(sum(sizes))), np.inf
        previous = np.inf
        for it in range(1, max_iterations + 1):
            # smooth while the master still improves; once its value stalls (gained less than
            # STALL of the gap) its own duals are what the bound needs (no geometric tail)
            stalled = previous - value < STALL * (value - report.lower_bound)
            smooth = it > 1 and smoothing > 0 and bool(centers) and not stalled
            previous = value
            if smooth:
                proposals = propose(lagrangian.signed(smoothing * centers[0] + (1.0 - smoothing) * price))
                if not improving(proposals, price, sigma, first):  # a mispricing
                    report.mispricings += 1
                    proposals = propose(price)
            else:
                proposals = propose(price)
            t0 = time.perf_counter()
            report.columns_dropped += master.drop_stale()
            for (cost, _, column), f in zip(proposals, first, strict=True):
                peers = np.arange(cost.size)
                if it > 1:  # the first proposals all go in: every peer needs a column
                    peers = entering(cost, column, price, sigma[f : f + cost.size])
                master.add(cost[peers], sp.csc_array(column[:, peers]), f + peers, report.proposal_rounds)
            value, price, sigma, x_master = master.solve()
            report.master_s += time.perf_counter() - t0
            report.iterations = it
            report.certified_gap = (value - report.lower_bound) / max(1.0, abs(value))
            report.history.append((it, value, report.lower_bound))
            if progress is not None:
                progress("Dantzig-Wolfe iterations", it, max_iterations)
            if report.certified_gap <= gap:
                report.converged = True
                break
        best_price = centers[0] if centers else price
        lam = master.weights(x_master, report.proposal_rounds)
        weights = [lam[:, f : f + m] for f, m in zip(first, sizes, strict=True)]
        x = np.zeros(agg.lp.n_vars)
        x[s.master_cols] = x_master[: master.n_cols]
        elastic = float(np.max(x_master[master.n_cols : master.first_lambda], initial=0.0))
        if elastic > 1e-9 or report.certified_gap > ACCEPT:
            why = "needs an elastic column" if elastic > 1e-9 else "did not converge"
            raise InfeasibleError(f"Dantzig-Wolfe {why} (elastic {elastic:.3g}); solve it whole")
        for cols, y in zip(s.shard_cols, workers.combine(weights), strict=True):
            x[cols] = y
        report.shard_cpu_s = workers.cpu()
        if standalone and prices is None and first_proposals_are_standalone(scenario):
            report.standalone = standalone_bills_from_first(agg, s, workers.first())
    finally:
        workers.close()
    target, xx = disaggregate(agg, x)
    report.objective = target.objective(xx)
    report.total_s = time.perf_counter() - start
    # the community price: value of one more kWh in Σq = 0, as solve._balance_duals reads it, at
    # the prices π whose Lagrangian bound certified the optimum (an optimal dual of the whole LP;
    # the last master's own duals need not be one)
    duals = -best_price[s.balance]
    timings = {"build_s": 0.0, "solve_s": report.total_s, "recover_s": 0.0}
    return Dispatch(scenario, target, xx, report.objective, duals, "optimal", timings), report
