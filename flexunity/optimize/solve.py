"""Solve the community LP with SciPy's HiGHS (a QP, with exact quadratic costs, with Clarabel: qp.py)
and wrap the outcome in a ``Dispatch``.

The solution is read only when HiGHS reports an optimum; otherwise ``diagnose`` names the group of
constraints at fault and an ``InfeasibleError`` is raised. ``objective_value`` and ``check_feasible``
let an auditor verify a posted dispatch against the scenario (tolerances, not bitwise equality).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flexunity.errors import InfeasibleError, InputError
from flexunity.model import Scenario
from flexunity.optimize.aggregate import AggregatedLP, build_aggregated_lp, disaggregate
from flexunity.optimize.builder import build_lp
from flexunity.optimize.lp import (
    LINPROG_INFEASIBLE,
    LINPROG_OPTIMAL,
    LINPROG_UNBOUNDED,
    FloatArray,
    LinearProgram,
    highs,
)

DispatchDict = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True, eq=False)
class Dispatch:
    """An optimal dispatch: the LP, its solution vector and the community-balance duals."""

    scenario: Scenario
    lp: LinearProgram
    x: FloatArray
    objective: float
    duals: FloatArray  # value of energy in Σq = 0 (currency/kWh): −marginal (HiGHS's, or Clarabel's KKT)
    status: str = "optimal"
    timings: dict[str, float] = field(default_factory=dict)

    def block(self, name: str) -> FloatArray:
        """Values of a variable block (zeros of the right shape if the block does not exist)."""
        if name not in self.lp.blocks:
            return np.zeros((0, self.scenario.intervals))
        return self.lp.values(name, self.x)

    def per_peer(self, name: str) -> FloatArray:
        """A block summed onto its owning peers: an (N, T) array (segments summed too)."""
        out = np.zeros((len(self.scenario.peers), self.scenario.intervals))
        if name in self.lp.blocks:
            vals = self.block(name)
            if vals.ndim == 3:
                vals = vals.sum(axis=2)
            np.add.at(out, self.lp.blocks[name].peer_index, vals)
        return out

    @property
    def q(self) -> FloatArray:
        """Net community trade q = q⁺ − q⁻ (kWh, positive = bought)."""
        return self.per_peer("q_buy") - self.per_peer("q_sell")

    @property
    def alpha(self) -> FloatArray:
        """Grid import α ≥ 0 (kWh)."""
        return self.per_peer("alpha")

    @property
    def beta(self) -> FloatArray:
        """Grid export β ≤ 0 (kWh)."""
        return self.per_peer("beta")

    @property
    def p(self) -> FloatArray:
        """Net production p = −(q + α + β) (kWh), from the balance (3b)."""
        return -(self.q + self.alpha + self.beta)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Every variable block as ``{block: {owner: values}}`` (lists, JSON-ready)."""
        out: dict[str, dict[str, Any]] = {}
        for name, blk in self.lp.blocks.items():
            vals = self.x[blk.ids]
            out[name] = {owner: vals[i].tolist() for i, owner in enumerate(blk.owners)}
        return out


FORMULATIONS = ("aggregated", "per-peer")
#: HiGHS through linprog: "highs" (HiGHS's choice, dual simplex here), "highs-ds", "highs-ipm".
DEFAULT_METHOD = "highs"
#: Above this many columns the aggregated LP goes to HiGHS's interior point solver (IPX, with
#: crossover to a vertex, so duals are basic ones as with simplex): faster from ~300 peers × 96 on
#: (docs/optimisation.md, "Performance").
SIMPLEX_MAX_COLUMNS = 100_000


def choose_method(lp: LinearProgram) -> str:
    """Dual simplex for small LPs, interior point with crossover for large ones."""
    return DEFAULT_METHOD if lp.n_vars <= SIMPLEX_MAX_COLUMNS else "highs-ipm"


def _linprog(
    lp: LinearProgram, method: str = DEFAULT_METHOD, options: Mapping[str, Any] | None = None
) -> Any:
    """Call HiGHS through scipy.optimize.linprog on the assembled sparse matrices; a QP (quadratic
    cost functions solved exactly) goes to ``_solve_qp`` instead."""
    if lp.is_quadratic:
        return _solve_qp(lp, method, options)
    return highs(lp, method, options, lp.bounds)


def _solve_qp(lp: LinearProgram, method: str, options: Mapping[str, Any] | None) -> Any:
    """The QP by Clarabel (qp.py), then a vertex for its linear part: with the quadratic columns
    fixed at Clarabel's optimum, HiGHS re-solves the remaining LP (``method``: dual simplex, or IPX
    with crossover above ``SIMPLEX_MAX_COLUMNS``, both give a vertex), whose optima are exactly the QP's
    optima with those values (the quadratic columns of a strictly convex cost are unique). An
    interior-point answer alone spreads over every optimal face: with a zero fee, say, a class both
    buys and sells through the pool and a producer appears to import. The quadratic columns are then
    polished where a tie left them inexact, and the duals are a vertex of the tangent LP's, exact
    KKT multipliers (qp_vertex.py; Clarabel's if x fails that LP's optimality check)."""
    from flexunity.optimize.qp import QPResult, solve_qp
    from flexunity.optimize.qp_vertex import vertex_and_duals

    res = solve_qp(lp)
    if res.status != 0:
        return res
    found = vertex_and_duals(lp, method, options, res.x)
    if found is None:  # numerically infeasible after fixing: keep the interior answer
        return res
    x, duals = found
    fun = float(lp.cost @ x + 0.5 * np.sum(lp.quad * x * x))
    message = res.message + " + HiGHS vertex of the linear part"
    return QPResult(0, message, x, fun, res.eq_marginals if duals is None else duals)


def _check_status(scenario: Scenario, res: Any, explain: bool) -> None:
    """Raise the error that matches a non-optimal HiGHS outcome."""
    if res.status == LINPROG_INFEASIBLE:
        from flexunity.optimize.diagnose import diagnose

        raise InfeasibleError(diagnose(scenario) if explain else f"community {scenario.name!r} is infeasible")
    if res.status == LINPROG_UNBOUNDED:
        raise InputError(
            "the community's optimisation is unbounded: some export price exceeds an import price "
            "(energy could be bought and resold without limit); check tariffs and grid prices",
            where=f"scenario {scenario.name!r}",
        )
    if res.status != LINPROG_OPTIMAL:
        raise InfeasibleError(f"the solver stopped without an optimum: {res.message}")


def _balance_duals(lp: LinearProgram, res: Any) -> FloatArray:
    """Value of one more kWh in Σq = 0 per interval: minus HiGHS's marginal of that row."""
    rows = lp.groups["community_balance"]
    return -np.asarray(res.eqlin.marginals[rows.start : rows.start + rows.size], dtype=float)


def solve_lp(
    scenario: Scenario, lp: LinearProgram, build_s: float = 0.0, *, explain: bool = True
) -> Dispatch:
    """Solve a built per-peer LP; raise InfeasibleError unless HiGHS finds an optimum.

    With ``explain`` the error names the constraints at fault (one more, elastic, solve).
    """
    start = time.perf_counter()
    res = _linprog(lp)
    solve_s = time.perf_counter() - start
    _check_status(scenario, res, explain)
    timings = {"build_s": build_s, "solve_s": solve_s}
    x = np.asarray(res.x)
    return Dispatch(
        scenario, lp, x, float(res.fun) + lp.constant, _balance_duals(lp, res), "optimal", timings
    )


def solve_aggregated(
    scenario: Scenario,
    agg: AggregatedLP,
    build_s: float = 0.0,
    *,
    explain: bool = True,
    method: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> Dispatch:
    """Solve the aggregated LP (aggregate.py) and split its solution back to peers.

    The Dispatch holds the per-peer LP's layout (without matrices) and the disaggregated solution,
    so everything downstream (prices, bills, KPIs, result documents) sees the per-peer variables.
    ``method`` (a linprog HiGHS method) defaults to ``choose_method``; ``options`` go to linprog.
    """
    start = time.perf_counter()
    res = _linprog(agg.lp, method or choose_method(agg.lp), options)
    solve_s = time.perf_counter() - start
    _check_status(scenario, res, explain)
    start = time.perf_counter()
    target, x = disaggregate(agg, np.asarray(res.x))
    recover_s = time.perf_counter() - start
    timings = {"build_s": build_s, "solve_s": solve_s, "recover_s": recover_s}
    objective = target.objective(x)
    return Dispatch(scenario, target, x, objective, _balance_duals(agg.lp, res), "optimal", timings)


def solve_dispatch(
    scenario: Scenario,
    peer_ids: Sequence[str] | None = None,
    *,
    community_terms: bool = True,
    explain: bool = True,
    formulation: str = "aggregated",
) -> Dispatch:
    """Optimal dispatch of ``peer_ids`` (default: all) trading as one community.

    With ``community_terms=False`` the community-level grid term G and the fee are left out: that
    is a peer (or group) facing only its retail tariffs, as in the standalone bill.
    ``formulation`` "aggregated" (default) solves the aggregated LP of aggregate.py, "per-peer" the
    original one of builder.py; both give an optimal dispatch of the per-peer LP, with the same
    objective (several optimal dispatches may exist; the two need not pick the same one).
    """
    if formulation not in FORMULATIONS:
        raise InputError(f"unknown formulation {formulation!r}; choose one of {', '.join(FORMULATIONS)}")
    sub = scenario if peer_ids is None else scenario.subset(list(peer_ids))
    if not sub.peers:
        raise InputError("no peers to dispatch", where=f"scenario {scenario.name!r}")
    from flexunity.optimize.diagnose import precheck

    precheck(sub)
    start = time.perf_counter()
    if formulation == "aggregated":
        agg = build_aggregated_lp(sub, community_terms=community_terms)
        return solve_aggregated(sub, agg, time.perf_counter() - start, explain=explain)
    lp = build_lp(sub, community_terms=community_terms)
    return solve_lp(sub, lp, time.perf_counter() - start, explain=explain)


def dispatch_vector(lp: LinearProgram, dispatch: DispatchDict) -> FloatArray:
    """The LP's solution vector from a ``Dispatch.to_dict()``-shaped mapping; missing blocks = 0."""
    x = np.zeros(lp.n_vars)
    for name, blk in lp.blocks.items():
        values = dispatch.get(name, {})
        for i, owner in enumerate(blk.owners):
            if owner in values:
                x[blk.ids[i]] = np.asarray(values[owner], dtype=float)
    return x


def objective_value(scenario: Scenario, dispatch: DispatchDict) -> float:
    """The community objective (3a) of a posted dispatch, for optimality checks by an auditor."""
    lp = build_lp(scenario, terms=False)
    return lp.objective(dispatch_vector(lp, dispatch))


def check_feasible(scenario: Scenario, dispatch: DispatchDict, tol: float = 1e-6) -> list[str]:
    """Violations of bounds and constraints by a posted dispatch, in words; empty if feasible."""
    lp = build_lp(scenario)
    x = dispatch_vector(lp, dispatch)
    problems: list[str] = []
    lb, ub = lp.bounds
    for name, blk in lp.blocks.items():
        ids = blk.ids.reshape(len(blk.owners), -1)
        bad = (x[ids] < lb[ids] - tol) | (x[ids] > ub[ids] + tol)
        for i, j in zip(*np.nonzero(bad), strict=True):
            t = j if ids.shape[1] == scenario.intervals else j // (ids.shape[1] // scenario.intervals)
            problems.append(f"{name} of {blk.owners[i]} at interval {t} is {x[ids[i, j]]:.6g}, out of bounds")
    for kind in ("eq", "ub"):
        resid = lp.matrix(kind) @ x - lp.rhs(kind)
        bad_rows = np.nonzero(np.abs(resid) > tol if kind == "eq" else resid > tol)[0]
        for row in bad_rows[:50]:
            grp = lp.group_of_row(kind, int(row))
            k = int(row) - grp.start
            where = f"{grp.owners[grp.owner_index[k]]}" + (
                f" at interval {grp.times[k]}" if grp.times[k] >= 0 else ""
            )
            problems.append(f"{grp.name} of {where} violated by {resid[row]:.6g}")
    return problems
