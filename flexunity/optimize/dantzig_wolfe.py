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
its costs change between iterations, the master only gains columns, so both re-solve warm).
Bound (Lagrangian): LB = z_master + Σ_i (v_i − σ_i), v_i the proposal's reduced cost at π and σ_i
the dual of peer i's convexity row; the master's value is an upper bound (its point is feasible).
The loop stops when (z − LB)/max(1, |z|) ≤ ``GAP``: that certified gap is reported. The primal
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
from flexunity.optimize.aggregate import AggregatedLP, build_aggregated_lp, disaggregate
from flexunity.optimize.dw_shards import (
    MASTER_OPTIONS,
    LocalShards,
    RayShards,
    ShardData,
    highs_model,
    optimal,
)
from flexunity.optimize.lp import FloatArray, IntArray
from flexunity.optimize.solve import Dispatch

LINK_GROUPS = ("class_import_side", "class_export_side", "community_balance")
#: Relative certified gap at which the loop stops (the audit accepts 1e-6, flexunity/audit).
GAP = 1e-9
MAX_ITERATIONS = 300
#: A loop that reaches ``MAX_ITERATIONS`` (numerical tailing) is still accepted up to this certified
#: gap, a tenth of the audit's tolerance; above it the community is solved whole.
ACCEPT = 1e-7
#: Cost of the master's elastic columns, per unit, relative to the largest cost of the LP.
ELASTIC = 1e4

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, eq=False)
class Split:
    """The aggregated LP cut into shards (peer columns and rows) and the master (the rest)."""

    agg: AggregatedLP
    shards: list[ShardData]
    shard_cols: list[IntArray]  # columns of the aggregated LP per shard
    master_cols: IntArray
    link_rows: IntArray  # rows of the stacked [eq; ub] matrix that link peers
    master_rows: IntArray  # community rows on master columns only (ub)
    matrix: sp.csr_array  # stacked [eq; ub]
    row_lo: FloatArray
    row_hi: FloatArray
    balance: IntArray  # positions in link_rows of Σq = 0


def split(agg: AggregatedLP, shards: int) -> Split:
    """Cut ``agg`` into ``shards`` groups of flexible peers (contiguous, near-equal) and the master."""
    lp = agg.lp
    eq, ub = lp.matrix("eq"), lp.matrix("ub")
    matrix = sp.csr_array(sp.vstack([eq, ub]))
    n_eq = eq.shape[0]
    row_lo = np.concatenate([lp.rhs("eq"), np.full(ub.shape[0], -np.inf)])
    row_hi = np.concatenate([lp.rhs("eq"), lp.rhs("ub")])
    peer = np.full(lp.n_vars, -1, dtype=np.int64)
    for name, blk in lp.blocks.items():
        if not (name.startswith("class_") or name == "peak_kw"):
            shape = (-1,) + (1,) * (blk.ids.ndim - 1)
            peer[blk.ids] = np.broadcast_to(blk.peer_index.reshape(shape), blk.ids.shape)
    link = np.concatenate(
        [np.arange(lp.groups[g].start, lp.groups[g].start + lp.groups[g].size) for g in LINK_GROUPS]
    )
    is_link = np.zeros(matrix.shape[0], dtype=bool)
    is_link[link] = True
    coo = matrix.tocoo()
    row_peer = np.full(matrix.shape[0], -1, dtype=np.int64)
    on_peer = peer[coo.col] >= 0
    row_peer[coo.row[on_peer]] = peer[coo.col[on_peer]]
    master_rows = np.nonzero(~is_link & (row_peer < 0))[0]
    flexible = np.unique(peer[peer >= 0])
    groups = [g for g in np.array_split(flexible, max(1, min(shards, flexible.size))) if g.size]
    csc = matrix.tocsc()
    lb, ub_ = lp.bounds[0], capped_upper_bounds(agg)
    datas, cols_per_shard = [], []
    for members in groups:
        cols = np.nonzero(np.isin(peer, members))[0]
        rows = np.nonzero(~is_link & np.isin(row_peer, members))[0]
        sub = csc[:, cols]
        own = np.searchsorted(members, peer[cols])
        datas.append(
            ShardData(
                lp.cost[cols],
                lb[cols],
                ub_[cols],
                sp.csc_array(sub[rows]),
                row_lo[rows],
                row_hi[rows],
                sp.csr_array(sub[link]),
                own.astype(np.int64),
                members.size,
            )
        )
        cols_per_shard.append(cols)
    master_cols = np.nonzero(peer < 0)[0]
    community = lp.groups["community_balance"]
    balance = np.searchsorted(link, np.arange(community.start, community.start + community.size))
    assert n_eq >= community.start + community.size
    return Split(agg, datas, cols_per_shard, master_cols, link, master_rows, matrix, row_lo, row_hi, balance)


def first_prices(s: Split) -> FloatArray:
    """Prices of the first proposals: each class's own import and export coefficients (a peer
    pays its retail import price and earns its export price: the first proposals are the peers'
    standalone optima), nothing on Σq = 0. Import plus export price is then ≤ 0, so netting x⁺
    against x⁻ never pays and every shard's LP is bounded (as it is at every master's duals: the
    wash column W keeps π_import + π_export ≤ 0)."""
    classes = s.agg.classes
    t = classes.cost_imp.shape[1]
    return np.concatenate([-classes.cost_imp.ravel(), classes.cost_exp.ravel(), np.zeros(t)])


def capped_upper_bounds(agg: AggregatedLP) -> FloatArray:
    """Upper bounds with each peer's net import x⁺ and export x⁻ capped where some optimum lies
    (``admm.local.net_caps``: netting x⁺ against x⁻ inside a peer never costs, the wash W takes
    it), so no shard's LP is unbounded along x⁺ = x⁻ → ∞ at prices whose sum is numerically > 0."""
    from flexunity.optimize.admm.local import net_caps

    ub = agg.lp.bounds[1].copy()
    if "net_import" not in agg.lp.blocks:
        return ub
    ids = np.concatenate([agg.lp.blocks["net_import"].ids.ravel(), agg.lp.blocks["net_export"].ids.ravel()])
    ub[ids] = np.minimum(ub[ids], net_caps(agg.lp))
    return ub


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
    history: list[tuple[int, float, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the ``solver`` part of a result document)."""
        out = {k: v for k, v in self.__dict__.items() if k != "history"}
        out["method"] = "dantzig-wolfe"
        out["lower_bound"] = float(self.lower_bound)
        out["certified_gap"] = float(self.certified_gap)
        return out


class Master:
    """The restricted master LP, held as a HiGHS model that gains columns each iteration.

    Every master row also has two elastic columns (+1 and −1) at ``ELASTIC`` × the largest cost,
    so the first masters are feasible even when the first proposals break a connection limit. The
    loop then solves the elastic LP; if the optimum found leaves an elastic column above zero the
    community is treated as not decomposable (``InfeasibleError``: the caller re-solves it whole),
    and if every one is zero the point is feasible for the original LP, whose optimum it then is."""

    def __init__(self, s: Split, peers: int) -> None:
        lp = s.agg.lp
        rows = np.concatenate([s.link_rows, s.master_rows])
        n_rows, n_cols = rows.size, s.master_cols.size
        eye = sp.identity(n_rows, format="csc")
        a = sp.csc_array(sp.hstack([s.matrix[rows][:, s.master_cols], eye, -eye]))
        conv = sp.csc_array((peers, a.shape[1]))
        lb, ub = lp.bounds
        penalty = ELASTIC * (1.0 + float(np.max(np.abs(lp.cost), initial=0.0)))
        self.n_link, self.peers, self.n_cols = s.link_rows.size, peers, n_cols
        self.model = highs_model(
            np.concatenate([lp.cost[s.master_cols], np.full(2 * n_rows, penalty)]),
            sp.csc_array(sp.vstack([a, conv])),
            np.concatenate([s.row_lo[rows], np.ones(peers)]),
            np.concatenate([s.row_hi[rows], np.ones(peers)]),
            np.concatenate([lb[s.master_cols], np.zeros(2 * n_rows)]),
            np.concatenate([ub[s.master_cols], np.full(2 * n_rows, np.inf)]),
            MASTER_OPTIONS,
        )
        self.first_lambda = n_cols + 2 * n_rows
        self.rows = n_rows

    def add(self, cost: FloatArray, column: sp.csc_array, first_peer: int) -> None:
        """Add one λ column per peer: its cost, its linking column and its convexity row."""
        m = cost.size
        conv = sp.csc_array(
            (np.ones(m), (self.rows + first_peer + np.arange(m), np.arange(m))),
            shape=(self.rows + self.peers, m),
        )
        full = sp.csc_array(
            sp.vstack([column, sp.csc_array((self.rows - self.n_link + self.peers, m))]) + conv
        )
        full.sort_indices()
        self.model.addCols(
            m,
            cost,
            np.zeros(m),
            np.full(m, np.inf),
            full.nnz,
            full.indptr[:-1].astype(np.int32),
            full.indices.astype(np.int32),
            full.data,
        )

    def solve(self) -> tuple[float, FloatArray, FloatArray, FloatArray]:
        """Value, linking duals π, convexity duals σ, primal values of all columns."""
        self.model.run()
        optimal(self.model, "master")
        sol = self.model.getSolution()
        dual = np.asarray(sol.row_dual, dtype=float)
        value = float(self.model.getInfo().objective_function_value)
        return value, dual[: self.n_link], dual[self.rows :], np.asarray(sol.col_value, dtype=float)


def solve_dantzig_wolfe(
    scenario: Scenario,
    *,
    shards: int = 2,
    engine: str = "local",
    threads: int = 1,
    gap: float = GAP,
    max_iterations: int = MAX_ITERATIONS,
    progress: Progress | None = None,
) -> tuple[Dispatch, DWReport]:
    """The community's optimal dispatch by Dantzig-Wolfe (module docstring), and its report."""
    start = time.perf_counter()
    agg = build_aggregated_lp(scenario)
    s = split(agg, shards)
    sizes = [d.peers for d in s.shards]
    first = np.cumsum([0, *sizes])[:-1].astype(np.int64)
    report = DWReport(shards=len(s.shards), engine=engine)
    workers = RayShards(s.shards) if engine == "ray" else LocalShards(s.shards, threads)
    master = Master(s, int(sum(sizes)))
    try:
        price = first_prices(s)
        best_price = price
        sigma = np.zeros(int(sum(sizes)))
        value = np.inf
        for it in range(1, max_iterations + 1):
            t0 = time.perf_counter()
            proposals = workers.propose(price)
            report.shards_s += time.perf_counter() - t0
            if it > 1:
                reduced = np.concatenate([np.zeros(0), *(v for _, v, _ in proposals)])
                bound = value + float(np.sum(reduced - sigma))
                if bound > report.lower_bound:  # π certifies this bound: the prices reported
                    report.lower_bound, best_price = bound, price
            t0 = time.perf_counter()
            for (cost, _, column), f in zip(proposals, first, strict=True):
                master.add(cost, column, int(f))
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
        lam = x_master[master.first_lambda :].reshape(report.iterations, -1)
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
