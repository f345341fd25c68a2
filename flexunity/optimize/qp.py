"""Solve a convex QP (an LP with a diagonal quadratic term, lp.py) exactly, with Clarabel.

``scipy.optimize.linprog`` solves LPs only. A ``LinearProgram`` with quadratic coefficients (exact
quadratic cost functions, the default) goes to Clarabel, an interior-point solver for convex conic
programs with a direct sparse LDLᵀ factorisation. HiGHS's own QP solver (through ``highspy``) was
measured as the alternative and is far slower on these problems (docs/optimisation.md, "Exact
quadratic costs": 10.8 s against 0.05 s at 10 peers × 96, no answer within 10 minutes at 40):
it is an active-set method, and the community QP has a huge null space (every LP variable whose
cost is flat), which it walks through one active-set change at a time. ``solve_qp_highs`` is kept
for that benchmark only; ``highspy`` is not a dependency (``pip install highspy==1.16.0``).

Both return a ``QPResult`` shaped like linprog's result where ``solve.py`` reads it: ``status`` 0
optimal, 2 infeasible, 3 unbounded, 4 other; ``x``; ``fun`` (without ``lp.constant``); and
``eq_marginals``, the sensitivity of the optimum to each equality row's right-hand side (linprog's
``eqlin.marginals``). Clarabel's answer is interior (the relative interior of the optimal face where
it is not a point), not a vertex; its KKT multipliers are exact to the tolerances below.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from flexunity.optimize.lp import FloatArray, LinearProgram


@dataclass(frozen=True, eq=False)
class QPResult:
    """The outcome of a QP solve, in linprog's terms (module docstring)."""

    status: int
    message: str
    x: FloatArray
    fun: float
    eq_marginals: FloatArray

    @property
    def eqlin(self) -> QPResult:
        """linprog-style access: ``res.eqlin.marginals``."""
        return self

    @property
    def marginals(self) -> FloatArray:
        """The equality rows' marginals (linprog's ``eqlin.marginals``)."""
        return self.eq_marginals


def _stacked_rows(lp: LinearProgram) -> tuple[sp.csr_array, FloatArray, FloatArray, int]:
    """[A_eq; A_ub] with row bounds (b_eq ≤ · ≤ b_eq, −inf ≤ · ≤ b_ub) and the number of eq rows."""
    a_eq, a_ub = lp.matrix("eq"), lp.matrix("ub")
    b_eq, b_ub = lp.rhs("eq"), lp.rhs("ub")
    a = sp.vstack([a_eq, a_ub], format="csr")
    lower = np.concatenate([b_eq, np.full(b_ub.size, -np.inf)])
    upper = np.concatenate([b_eq, b_ub])
    return a, lower, upper, a_eq.shape[0]


#: HiGHS adds a proximal term of this size to the Hessian by default (1e-7), which moves the optimum
#: by about 1e-5 kWh and the price by 1e-6 on the golden cases; without it the answers are exact.
QP_OPTIONS: dict[str, object] = {"qp_regularization_value": 0.0}


_LOCAL = threading.local()


def _highs() -> Any:
    """This thread's HiGHS instance, cleared. HiGHS prints a banner on stdout when constructed (before
    any option can silence it), which would corrupt ``flexunity clear``'s JSON on stdout: the one
    construction per thread runs with file descriptor 1 pointed at /dev/null."""
    import highspy  # type: ignore[import-not-found, unused-ignore]

    h = getattr(_LOCAL, "highs", None)
    if h is None:
        sys.stdout.flush()
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        try:
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        _LOCAL.highs = h
    h.clear()  # model, solution and options back to HiGHS's defaults
    h.setOptionValue("output_flag", False)
    return h


def solve_qp_highs(lp: LinearProgram, options: dict[str, object] | None = None) -> QPResult:
    """min c·x + ½·Σ h·x² over the rows and bounds of ``lp``, by HiGHS's QP solver (highspy);
    ``options`` (HiGHS option names) are applied after ``QP_OPTIONS``. Benchmark only (module
    docstring); needs ``highspy``, which is not a dependency."""
    import highspy  # type: ignore[import-not-found, unused-ignore]

    a, lower, upper, m_eq = _stacked_rows(lp)
    lb, ub = lp.bounds
    n = lp.n_vars
    model = highspy.HighsModel()
    hlp = model.lp_
    hlp.num_col_, hlp.num_row_ = n, a.shape[0]
    hlp.col_cost_, hlp.col_lower_, hlp.col_upper_ = lp.cost, lb, ub
    hlp.row_lower_, hlp.row_upper_ = lower, upper
    csc = sp.csc_array(a)
    csc.sort_indices()
    hlp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    hlp.a_matrix_.start_, hlp.a_matrix_.index_ = csc.indptr, csc.indices
    hlp.a_matrix_.value_ = csc.data
    quad = lp.quad
    cols = np.nonzero(quad > 0)[0]
    hess = model.hessian_
    hess.dim_ = n
    hess.format_ = highspy.HessianFormat.kTriangular
    starts = np.zeros(n + 1, dtype=np.int64)
    starts[cols + 1] = 1
    hess.start_ = np.cumsum(starts)
    hess.index_ = cols
    hess.value_ = quad[cols]
    h = _highs()
    for key, value in {**QP_OPTIONS, **(options or {})}.items():
        h.setOptionValue(key, value)
    h.passModel(model)
    h.run()
    status = h.getModelStatus()
    ms = highspy.HighsModelStatus
    code = {ms.kOptimal: 0, ms.kInfeasible: 2, ms.kUnbounded: 3, ms.kUnboundedOrInfeasible: 2}.get(status, 4)
    message = h.modelStatusToString(status)
    if code != 0:
        return QPResult(code, message, np.zeros(n), float("nan"), np.zeros(m_eq))
    sol = h.getSolution()
    x = np.asarray(sol.col_value, dtype=float)
    duals = np.asarray(sol.row_dual, dtype=float)[:m_eq]
    fun = float(lp.cost @ x + 0.5 * np.sum(quad * x * x))
    return QPResult(0, message, x, fun, duals)


#: Tighter than Clarabel's defaults (1e-8): the golden KKT prices come out within 1e-9.
CLARABEL_SETTINGS: dict[str, float] = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}


def solve_qp(lp: LinearProgram) -> QPResult:
    """min c·x + ½·Σ h·x² over the rows and bounds of ``lp``: Clarabel, the engine ``clear`` uses."""
    return solve_qp_clarabel(lp)


def solve_qp_clarabel(lp: LinearProgram) -> QPResult:
    """The QP by Clarabel (interior point): bounds become rows, fixed columns equalities."""
    import clarabel

    a_eq, a_ub = lp.matrix("eq"), lp.matrix("ub")
    lb, ub = lp.bounds
    n = lp.n_vars
    eye = sp.identity(n, format="csr")
    fixed = np.isfinite(lb) & (lb == ub)
    has_lb = np.isfinite(lb) & ~fixed
    has_ub = np.isfinite(ub) & ~fixed
    a = sp.vstack([a_eq, eye[fixed], a_ub, -eye[has_lb], eye[has_ub]], format="csc")
    b = np.concatenate([lp.rhs("eq"), lb[fixed], lp.rhs("ub"), -lb[has_lb], ub[has_ub]])
    m_zero = a_eq.shape[0] + int(fixed.sum())
    cones = [clarabel.ZeroConeT(m_zero), clarabel.NonnegativeConeT(a.shape[0] - m_zero)]
    p = sp.diags(lp.quad, format="csc")
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    for key, value in CLARABEL_SETTINGS.items():
        setattr(settings, key, value)
    sol = clarabel.DefaultSolver(p, lp.cost, a, b, cones, settings).solve()
    st = clarabel.SolverStatus
    codes = {
        st.Solved: 0,
        st.AlmostSolved: 0,
        st.PrimalInfeasible: 2,
        st.AlmostPrimalInfeasible: 2,
        st.DualInfeasible: 3,
        st.AlmostDualInfeasible: 3,
    }
    code = codes.get(sol.status, 4)
    if code != 0:
        return QPResult(code, f"Clarabel: {sol.status}", np.zeros(n), float("nan"), np.zeros(a_eq.shape[0]))
    x = np.asarray(sol.x, dtype=float)
    z = np.asarray(sol.z, dtype=float)
    fun = float(lp.cost @ x + 0.5 * np.sum(lp.quad * x * x))
    return QPResult(0, f"Clarabel: {sol.status}", x, fun, -z[: a_eq.shape[0]])
