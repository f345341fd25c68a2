"""A shard's local problem in the ADMM exchange form: its peers' assets and net positions only.

The shard LP is the aggregated formulation (aggregate.py) restricted to a set of flexible peers and
stripped of every community row: per peer the asset blocks of asset_steps.ASSET_STEPS, its balance (3b)
and its net position ``net_import`` x⁺ ≥ 0, ``net_export`` x⁻ ≥ 0. The coordinator never sees these
rows; it receives only Σ x⁺ and Σ x⁻ per grid class and interval (docs/optimisation.md, ADMM).

Each ADMM pass solves the shard's QP

    min  c·y + (ρ/2)·‖x − v‖²   over the shard's feasible set,

where x = (x⁺, x⁻) of every peer and v the target that the coordinator's prices and residuals give
it. OSQP solves it (HiGHS's QP solver, an active-set method, took 5 s for a shard of 10 peers and
cannot be warm-started through highspy); between passes only the linear cost changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from flexunity.errors import InfeasibleError
from flexunity.model import Scenario
from flexunity.optimize.builder import ASSET_STEPS, INF, Context, balance_rhs
from flexunity.optimize.lp import FloatArray, IntArray, LinearProgram

#: OSQP's absolute and relative tolerance on a shard's QP (before polishing).
SUB_TOLERANCE = 1e-4


def build_shard_lp(sub: Scenario, spill: npt.NDArray[np.bool_], fee: float) -> LinearProgram:
    """The LP of a shard of flexible peers (``sub``): assets, balances, x⁺ and x⁻; no community rows.

    ``spill`` (per peer of ``sub``) says where PV spill is kept, as in the aggregated formulation.
    """
    lp = LinearProgram()
    n, t = len(sub.peers), sub.intervals
    rows = lp.add_rows(
        "balance", "eq", sub.peer_ids, np.arange(n)[:, None], np.arange(t)[None, :], balance_rhs(sub)
    )
    ctx = Context(sub, lp, rows, sub.hours_per_interval, fee, True, True, spill)
    for step in ASSET_STEPS:
        step(ctx)
    idx = np.arange(n)
    x_imp = lp.add_vars("net_import", sub.peer_ids, idx, (n, t), 0.0, INF)
    x_exp = lp.add_vars("net_export", sub.peer_ids, idx, (n, t), 0.0, INF)
    lp.add_terms("eq", rows, x_imp, 1.0)
    lp.add_terms("eq", rows, x_exp, -1.0)
    return lp


@dataclass(frozen=True)
class PassSums:
    """What a shard returns from a pass: sums over its peers per class, and scalars."""

    sums: FloatArray  # Σ x_i per class (2, K, T)
    change: FloatArray  # Σ (x_i − x_i^old) per class (2, K, T)
    square: float  # Σ ‖x_i‖²
    change_square: float  # Σ ‖x_i − x_i^old‖²
    cost: float  # Σ f_i(x_i)
    wall_s: float
    cpu_s: float


def class_sums(values: FloatArray, of_class: IntArray, k: int) -> FloatArray:
    """Σ over peers per class: (2, n, T) → (2, K, T)."""
    out = np.zeros((2, k, values.shape[2]))
    for side in range(2):
        np.add.at(out[side], of_class, values[side])
    return out


class ShardSolver:
    """One shard's QP, kept between ADMM passes in OSQP (a Ray actor wraps one of these).

    OSQP factorises the KKT matrix once; a pass changes only the linear cost and starts from the
    previous pass's primal and dual solution (warm start). OSQP's points satisfy the rows only to
    its tolerance, so ``finish`` moves the last one to an exact vertex of the shard's LP.
    """

    def __init__(
        self,
        sub: Scenario,
        spill: npt.NDArray[np.bool_],
        fee: float,
        rho: float,
        of_class: IntArray | None = None,
        classes: int = 1,
    ) -> None:
        import osqp

        self.of_class: IntArray = np.zeros(len(sub.peers), dtype=np.int64) if of_class is None else of_class
        self.classes = classes
        self.prev: FloatArray = np.zeros((2, len(sub.peers), sub.intervals))  # x_i of the last pass

        self.lp = build_shard_lp(sub, spill, fee)
        self.n, self.t = len(sub.peers), sub.intervals
        self.shared: IntArray = np.concatenate(
            [self.lp.blocks["net_import"].ids.ravel(), self.lp.blocks["net_export"].ids.ravel()]
        )
        self.cost = self.lp.cost
        self.rho = rho
        n_vars = self.lp.n_vars
        lb, ub = self.lp.bounds
        b_eq, b_ub = self.lp.rhs("eq"), self.lp.rhs("ub")
        matrix = _csc32(sp.vstack([self.lp.matrix("eq"), self.lp.matrix("ub"), sp.identity(n_vars)]))
        lower = np.concatenate([b_eq, np.full(b_ub.size, -INF), lb])
        upper = np.concatenate([b_eq, b_ub, ub])
        self.x: FloatArray = np.zeros(n_vars)
        self.solver = osqp.OSQP()
        self.solver.setup(
            P=self._hessian(rho),
            q=self.cost,
            A=matrix,
            l=lower,
            u=upper,
            verbose=False,
            eps_abs=SUB_TOLERANCE,
            eps_rel=SUB_TOLERANCE,
            polishing=False,
            warm_starting=True,
            max_iter=20_000,
        )

    def _hessian(self, rho: float) -> sp.csc_matrix:
        diag = np.zeros(self.lp.n_vars)
        diag[self.shared] = rho
        return _csc32(sp.diags(diag))

    def solve(self, target: FloatArray, rho: float) -> tuple[FloatArray, float, float, float]:
        """Minimise c·y + (ρ/2)‖x − target‖²; target (2, n, T) = (x⁺, x⁻). Returns the shard's x
        (2, n, T), its asset cost c·y (currency), and the wall and CPU seconds it took (CPU time
        does not grow when other jobs share the machine)."""
        start, cpu = time.perf_counter(), time.process_time()
        if rho != self.rho:
            self.rho = rho
            self.solver.update(Px=self._hessian(rho).data)
        linear = self.cost.copy()
        linear[self.shared] -= rho * target.ravel()
        self.solver.update(q=linear)
        res = self.solver.solve(raise_error=False)
        if res.info.status_val not in (1, 2):  # solved, solved inaccurate
            raise InfeasibleError(f"a shard's subproblem stopped: {res.info.status}")
        self.x = np.asarray(res.x, dtype=float)
        cost = float(self.cost @ self.x) + self.lp.constant
        wall = time.perf_counter() - start
        return self.x[self.shared].reshape(2, self.n, self.t), cost, wall, time.process_time() - cpu

    def caps(self) -> FloatArray:
        """Class sums (2, K, T) of the bounds on x⁺ and x⁻ that some optimum meets (``net_caps``)."""
        return class_sums(net_caps(self.lp).reshape(2, self.n, self.t), self.of_class, self.classes)

    def lower_bound(self, price: FloatArray) -> float:
        """min f(y) + y_k·x over the shard, x within ``net_caps``, prices y per class (2, K, T):
        the shard's term of the Lagrangian bound."""
        lp = self.lp
        return best_response_value(lp, self.shared, price[:, self.of_class], net_caps(lp)) + lp.constant

    def step(self, shift: FloatArray, rho: float) -> PassSums:
        """One ADMM pass: x_i ← argmin f_i + (ρ/2)‖x_i − x_i^old − shift_k‖² for every peer, with
        ``shift`` = z̄ − x̄ − u per class (2, K, T). Only class sums and scalars leave the shard."""
        x, cost, wall, cpu = self.solve(self.prev + shift[:, self.of_class], rho)
        dx = x - self.prev
        self.prev = x
        k = self.classes
        return PassSums(
            class_sums(x, self.of_class, k),
            class_sums(dx, self.of_class, k),
            float(np.sum(x * x)),
            float(np.sum(dx * dx)),
            cost,
            wall,
            cpu,
        )

    def finish(self, price: FloatArray, weight: float) -> None:
        """Replace the last (OSQP, feasible to ~1e-4) point by an exact vertex of the shard's LP
        close to it: min c·y + y_k·x + weight·‖x − x_last‖₁ (prices per class, (2, K, T)), by HiGHS."""
        self.x = nearest_vertex(self.lp, self.shared, self.x, price[:, self.of_class], weight)

    def solution(self) -> dict[str, tuple[tuple[str, ...], FloatArray]]:
        """The last pass's dispatch: per variable block, its owners and values (owners × T [× K])."""
        return {name: (blk.owners, self.x[blk.ids]) for name, blk in self.lp.blocks.items()}


def _csc32(matrix: Any) -> sp.csc_matrix:
    """A CSC matrix with 32-bit indices, as OSQP's C interface takes it."""
    out = sp.csc_matrix(matrix)
    out.indices = out.indices.astype(np.int32)
    out.indptr = out.indptr.astype(np.int32)
    return out


def implied_upper_bounds(lp: LinearProgram) -> FloatArray:
    """Column upper bounds, infinite ones tightened once by the ≤ rows (single-row propagation:
    a·x_j ≤ b − Σ_k min(a_k·x_k) for a > 0), e.g. a rebound below its power row."""
    lb, ub = lp.bounds
    ub = ub.copy()
    rows = lp.matrix("ub").tocsr()
    if rows.shape[0] == 0:
        return ub
    lowest = np.where(rows.data > 0, rows.data * lb[rows.indices], rows.data * ub[rows.indices])
    order = np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr))
    total = np.bincount(order, weights=np.where(np.isfinite(lowest), lowest, 0.0), minlength=rows.shape[0])
    infinite = np.bincount(order, weights=~np.isfinite(lowest), minlength=rows.shape[0])
    for k in np.nonzero((rows.data > 0) & ~np.isfinite(ub[rows.indices]))[0]:
        r, j = order[k], rows.indices[k]
        if infinite[r] == 0 and np.isfinite(lb[j]):  # every other term bounded below
            rest = total[r] - rows.data[k] * lb[j]
            ub[j] = min(ub[j], (lp.rhs("ub")[r] - rest) / rows.data[k])
    return ub


def net_caps(lp: LinearProgram) -> FloatArray:
    """x⁺ ≤ U and x⁻ ≤ V per peer and interval, stacked (x⁺ ids then x⁻ ids), from the balance
    rows and the column bounds. Valid for some optimum: netting x⁺ against x⁻ inside a peer never
    costs (it lowers class purchases and sales, or import and export, together), so an optimum has
    x⁺·x⁻ = 0, where x⁺ = rhs − Σ s_v·v ≤ U and x⁻ ≤ V. Infinite where a bound is unknown."""
    lb, ub = lp.bounds[0], implied_upper_bounds(lp)
    rows = lp.groups["balance"]
    eq = lp.matrix("eq").tocsr()[rows.start : rows.start + rows.size]
    net = np.concatenate([lp.blocks["net_import"].ids.ravel(), lp.blocks["net_export"].ids.ravel()])
    keep = np.ones(lp.n_vars, dtype=bool)
    keep[net] = False
    assets = eq[:, np.nonzero(keep)[0]].tocsr()
    lo, hi = lb[keep], ub[keep]
    pos, neg = assets.maximum(0), assets.minimum(0)
    rhs = lp.rhs("eq")[rows.start : rows.start + rows.size]
    with np.errstate(invalid="ignore"):
        cap_in = rhs - _times(pos, lo) - _times(neg, hi)
        cap_out = -rhs + _times(pos, hi) + _times(neg, lo)
    caps = np.concatenate([cap_in, cap_out])
    return np.where(np.isnan(caps), np.inf, np.maximum(caps, 0.0))


def _times(matrix: Any, values: FloatArray) -> FloatArray:
    """matrix @ values with 0·inf = 0 and inf where an infinite value has a coefficient."""
    finite = np.where(np.isfinite(values), values, 0.0)
    out = np.asarray(matrix @ finite, dtype=float)
    hits = np.asarray(abs(matrix) @ (~np.isfinite(values)).astype(float), dtype=float)
    signed = np.asarray(matrix @ np.where(np.isfinite(values), 0.0, np.sign(values)), dtype=float)
    return np.where(hits > 0, np.sign(signed) * np.inf, out)


def best_response_value(
    lp: LinearProgram, shared: IntArray, price: FloatArray, caps: FloatArray | None = None
) -> float:
    """min c·y + price·x over the shard's feasible set (x ≤ ``caps`` if given), solved exactly by
    HiGHS (a term of the Lagrangian lower bound); −inf if unbounded."""
    from scipy.optimize import linprog

    cost = lp.cost.copy()
    cost[shared] += price.ravel()
    lb, ub = lp.bounds
    if caps is not None:
        ub = ub.copy()
        ub[shared] = np.minimum(ub[shared], caps)
    a_ub = lp.matrix("ub")
    res = linprog(
        cost,
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=lp.rhs("ub") if a_ub.shape[0] else None,
        A_eq=lp.matrix("eq"),
        b_eq=lp.rhs("eq"),
        bounds=np.column_stack([lb, ub]),
        method="highs",
    )
    if res.status == 3:
        return -np.inf
    if res.status != 0:
        raise InfeasibleError(f"a shard's best response stopped: {res.message}")
    return float(res.fun)


def nearest_vertex(
    lp: LinearProgram, shared: IntArray, x: FloatArray, price: FloatArray, weight: float
) -> FloatArray:
    """An optimal vertex of min c·y + price·x_s + weight·‖x_s − x[shared]‖₁ over ``lp`` (HiGHS)."""
    from scipy.optimize import linprog

    m = shared.size
    pick = sp.csr_matrix((np.ones(m), (np.arange(m), shared)), shape=(m, lp.n_vars))
    eye = sp.identity(m, format="csr")
    a_eq = sp.vstack(
        [
            sp.hstack([lp.matrix("eq"), sp.csr_matrix((lp.matrix("eq").shape[0], 2 * m))]),
            sp.hstack([pick, -eye, eye]),
        ]
    ).tocsr()
    a_ub = sp.hstack([lp.matrix("ub"), sp.csr_matrix((lp.matrix("ub").shape[0], 2 * m))]).tocsr()
    cost = np.concatenate([lp.cost, np.full(2 * m, weight)])
    cost[shared] += price.ravel()
    lb, ub = lp.bounds
    bounds = np.column_stack(
        [np.concatenate([lb, np.zeros(2 * m)]), np.concatenate([ub, np.full(2 * m, INF)])]
    )
    res = linprog(
        cost,
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=lp.rhs("ub") if a_ub.shape[0] else None,
        A_eq=a_eq,
        b_eq=np.concatenate([lp.rhs("eq"), x[shared]]),
        bounds=bounds,
        method="highs",
    )
    if res.status != 0:
        raise InfeasibleError(f"a shard's final solve stopped: {res.message}")
    return np.asarray(res.x[: lp.n_vars], dtype=float)
