"""Dantzig-Wolfe's restricted master LP (dantzig_wolfe.py runs the loop): a HiGHS model that gains
the peers' proposals as λ columns and drops those it has not used for a while.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from flexunity.optimize.dw_shards import MASTER_OPTIONS, highs_model, solve_warm
from flexunity.optimize.dw_split import Split
from flexunity.optimize.lp import FloatArray, IntArray

#: Cost of the master's elastic columns, per unit, relative to the largest cost of the LP.
ELASTIC = 1e4
#: A λ column whose reduced cost stayed above ``DROP_REDUCED`` for ``DROP_AGE`` master solves is
#: deleted (column management: the master's pricing work grows with its columns), and after
#: ``DROP_AGE_LARGE`` solves once the master holds more than ``LARGE_MASTER`` λ columns. A dropped
#: column may be proposed again (one more iteration); measured at 1,000 peers (673 with assets,
#: general case) ages 5 / 3 / 2 took 14 / 19 / 23 iterations, 4.9-6.3 / 7.5 / 6.1-7.4 s; at 10,000
#: (the master's solves dominate: 20 s each at 36,000 columns) 16 / 21 / 25 iterations, 190 / 166 /
#: 160 s (docs/distributed.md).
DROP_AGE = 5
DROP_AGE_LARGE = 2
LARGE_MASTER = 20_000
#: A λ column whose reduced cost is at most this counts as used (basic, or priced at zero); a
#: proposal prices out below −this × its largest cost (dw_prices.entering).
DROP_REDUCED = 1e-9


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
        # the λ columns in the model, in order: the proposal round and peer of each, and the last
        # master solve at which it was used (basic, or priced at zero)
        self.lam_round = np.zeros(0, dtype=np.int64)
        self.lam_peer = np.zeros(0, dtype=np.int64)
        self.lam_used = np.zeros(0, dtype=np.int64)
        self.solves = 0

    def add(self, cost: FloatArray, column: sp.csc_array, peers: IntArray, proposal: int) -> None:
        """Add one λ column per peer of ``peers`` (global positions): its cost, its linking column
        and its convexity row; ``proposal`` numbers the shards' call that proposed them."""
        m = cost.size
        if m == 0:
            return
        self.lam_round = np.concatenate([self.lam_round, np.full(m, proposal)])
        self.lam_peer = np.concatenate([self.lam_peer, peers])
        self.lam_used = np.concatenate([self.lam_used, np.full(m, self.solves)])
        conv = sp.csc_array(
            (np.ones(m), (self.rows + peers, np.arange(m))),
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
        solve_warm(self.model, "master")
        self.solves += 1
        sol = self.model.getSolution()
        dual = np.asarray(sol.row_dual, dtype=float)
        value = float(self.model.getInfo().objective_function_value)
        x = np.asarray(sol.col_value, dtype=float)
        reduced = np.asarray(sol.col_dual, dtype=float)[self.first_lambda :]
        self.lam_used[reduced <= DROP_REDUCED] = self.solves
        return value, dual[: self.n_link], dual[self.rows :], x

    def weights(self, x: FloatArray, rounds: int) -> FloatArray:
        """λ as a proposal rounds × peers array (columns dropped or never added weigh 0)."""
        lam = np.zeros((rounds, self.peers))
        lam[self.lam_round - 1, self.lam_peer] = x[self.first_lambda :]
        return lam

    def drop_stale(self) -> int:
        """Delete the λ columns not used for ``DROP_AGE`` (``DROP_AGE_LARGE``) solves: non-basic, with
        a reduced cost above ``DROP_REDUCED``, so the basis stays valid and the next solve warm.
        Returns how many."""
        age = DROP_AGE_LARGE if self.lam_used.size > LARGE_MASTER else DROP_AGE
        stale = np.nonzero(self.lam_used <= self.solves - age)[0]
        if stale.size:
            self.model.deleteCols(stale.size, (self.first_lambda + stale).astype(np.int32))
            keep = np.ones(self.lam_used.size, dtype=bool)
            keep[stale] = False
            self.lam_round, self.lam_peer = self.lam_round[keep], self.lam_peer[keep]
            self.lam_used = self.lam_used[keep]
        return int(stale.size)
