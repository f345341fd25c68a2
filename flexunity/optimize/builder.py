"""Build the community's collective LP (seed eq. 3a-3g) as a pipeline of small ``define_*`` steps.

Every step adds one named variable block or constraint group for *all* owners at once (numpy
broadcasting over owners × intervals), so building stays linear in peers × intervals and far
cheaper than HiGHS's solve. The formulation, with every symbol, is in docs/optimisation.md.
Energies are kWh per interval; powers are converted with Δt (``Scenario.hours_per_interval``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from flexunity.model import Scenario
from flexunity.optimize.asset_steps import ASSET_STEPS, define_cost_functions, has_quadratic, pwl_error_bound
from flexunity.optimize.lp import FloatArray, LinearProgram
from flexunity.optimize.lp_context import (
    INF,
    Context,
    _add_to_balance,
    _community_rows,
    balance_rhs,
    peer_matrix,
)

__all__ = [  # the steps' shared parts live in lp_context.py, the assets' steps in asset_steps.py
    "ASSET_STEPS",
    "INF",
    "STEPS",
    "Context",
    "balance_rhs",
    "build_lp",
    "community_prices",
    "define_cost_functions",
    "has_quadratic",
    "peer_matrix",
    "pwl_error_bound",
]


def build_lp(
    scenario: Scenario, *, community_terms: bool = True, trading: bool = True, terms: bool = True
) -> LinearProgram:
    """The per-peer LP of ``scenario`` (q, α, β per peer): all peers trading as one community.

    ``community_terms=False`` drops G and the fee; ``trading=False`` fixes q = 0, so the LP is N
    independent standalone problems solved at once (the standalone bills). ``terms=False`` skips
    the constraint coefficients: the variable layout, bounds and costs only (to label a solution).
    """
    lp = LinearProgram(keep_terms=terms)
    n, t = len(scenario.peers), scenario.intervals
    rows = lp.add_rows(
        "balance",
        "eq",
        scenario.peer_ids,
        np.arange(n)[:, None],
        np.arange(t)[None, :],
        balance_rhs(scenario),
    )
    fee = scenario.community.fee_per_kwh if community_terms else 0.0
    ctx = Context(scenario, lp, rows, scenario.hours_per_interval, fee, community_terms, trading)
    for step in STEPS:
        step(ctx)
    return lp


def define_trades(ctx: Context) -> None:
    """Community purchases q⁺ and sales q⁻ (q = q⁺ − q⁻), fee φ on |q|, and Σq = 0 (3c)."""
    sc, lp = ctx.scenario, ctx.lp
    n, t = len(sc.peers), sc.intervals
    idx = np.arange(n)
    big = INF if ctx.trading else 0.0
    buy = lp.add_vars("q_buy", sc.peer_ids, idx, (n, t), 0.0, big, ctx.fee)
    sell = lp.add_vars("q_sell", sc.peer_ids, idx, (n, t), 0.0, big, ctx.fee)
    _add_to_balance(ctx, buy, idx, 1.0)
    _add_to_balance(ctx, sell, idx, -1.0)
    rows = lp.add_rows("community_balance", "eq", ["community"], np.zeros(t), np.arange(t), np.zeros(t))
    lp.add_terms("eq", rows[None, :], buy, 1.0)
    lp.add_terms("eq", rows[None, :], sell, -1.0)


def define_grid(ctx: Context) -> None:
    """Grid import α ≥ 0 and export β ≤ 0 at δ-weighted retail plus community-level prices."""
    sc, lp = ctx.scenario, ctx.lp
    n, t = len(sc.peers), sc.intervals
    idx = np.arange(n)
    imp = peer_matrix(sc, lambda p: sc.tariffs[p.tariff].import_price)
    exp = peer_matrix(sc, lambda p: sc.tariffs[p.tariff].export_price)
    d_imp = np.array([p.delta_imp for p in sc.peers])[:, None]
    d_exp = np.array([p.delta_exp for p in sc.peers])[:, None]
    g_imp, g_exp = community_prices(sc) if ctx.community_terms else (np.zeros(t), np.zeros(t))
    big = INF if sc.grid.connected else 0.0
    alpha = lp.add_vars("alpha", sc.peer_ids, idx, (n, t), 0.0, big, d_imp * imp + g_imp)
    beta = lp.add_vars("beta", sc.peer_ids, idx, (n, t), -big, 0.0, d_exp * exp + g_exp)
    _add_to_balance(ctx, alpha, idx, 1.0)
    _add_to_balance(ctx, beta, idx, 1.0)


def community_prices(sc: Scenario) -> tuple[FloatArray, FloatArray]:
    """Community-level import and export prices of G per interval (zero when not given)."""
    zero = np.zeros(sc.intervals)
    g_imp = zero if sc.grid.import_price is None else np.asarray(sc.grid.import_price, dtype=float)
    g_exp = zero if sc.grid.export_price is None else np.asarray(sc.grid.export_price, dtype=float)
    return g_imp, g_exp


def define_connection(ctx: Context) -> None:
    """Peak import (capacity charge) and the community's import/export limits (3d, 3e)."""
    sc, lp, grid = ctx.scenario, ctx.lp, ctx.scenario.grid
    if not (ctx.community_terms and grid.connected):
        return
    t = sc.intervals
    alpha, beta = lp.blocks["alpha"].ids, lp.blocks["beta"].ids
    if grid.capacity_charge_per_kw > 0:
        charge = grid.capacity_charge_per_kw
        peak = lp.add_vars("peak_kw", ["community"], np.zeros(1), (1, 1), 0.0, INF, charge)
        rows = _community_rows(ctx, "peak_import", np.zeros(t))
        lp.add_terms("ub", rows[None, :], alpha, 1.0)
        lp.add_terms("ub", rows, peak[0, 0], -ctx.dh)
    if grid.max_import_kw is not None:
        rows = _community_rows(ctx, "max_import", np.full(t, grid.max_import_kw * ctx.dh))
        lp.add_terms("ub", rows[None, :], alpha, 1.0)
    if grid.max_export_kw is not None:
        rows = _community_rows(ctx, "max_export", np.full(t, grid.max_export_kw * ctx.dh))
        lp.add_terms("ub", rows[None, :], beta, -1.0)


STEPS: Sequence[Callable[[Context], None]] = (define_trades, define_grid, define_connection, *ASSET_STEPS)
