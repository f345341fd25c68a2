"""Build the community's collective LP (seed eq. 3a-3g) as a pipeline of small ``define_*`` steps.

Every step adds one named variable block or constraint group for *all* owners at once (numpy
broadcasting over owners × intervals), so building stays linear in peers × intervals and far
cheaper than HiGHS's solve. The formulation, with every symbol, is in docs/optimisation.md.
Energies are kWh per interval; powers are converted with Δt (``Scenario.hours_per_interval``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from flexunity.model import Peer, Scenario
from flexunity.optimize.lp import FloatArray, IntArray, LinearProgram

INF = np.inf


@dataclass(frozen=True, eq=False)
class Context:
    """Per-peer arrays shared by the define_* steps (N peers × T intervals)."""

    scenario: Scenario
    lp: LinearProgram
    balance_rows: IntArray  # (N, T) row numbers of the peers' balance (3b)
    dh: float
    fee: float
    community_terms: bool  # False for a standalone peer: no G, no fee, no community rows
    trading: bool  # False: q fixed to 0 (every peer alone against its retail tariff)
    spill: npt.NDArray[np.bool_] | None = None  # peers given a pv_spill block (None: every PV owner)


def peer_matrix(scenario: Scenario, getter: Callable[[Peer], FloatArray | float | None]) -> FloatArray:
    """Stack one profile per peer into an (N, T) array; ``None`` counts as zero."""
    rows = [getter(p) for p in scenario.peers]
    shape = (scenario.intervals,)
    return np.array([np.broadcast_to(0.0 if r is None else r, shape) for r in rows], dtype=float).reshape(
        len(rows), scenario.intervals
    )


def balance_rhs(scenario: Scenario) -> FloatArray:
    """Right-hand side of (3b) once p is written out: (load + curtailable baselines − PV)·Δt − p_min.

    Each variable enters the balance row with the sign of its contribution to p (production +),
    plus q, α and β with coefficient 1: Σ_v s_v·v + q + α + β = (load − PV)·Δt − p_min.
    """
    dh = scenario.hours_per_interval
    load = peer_matrix(scenario, lambda p: p.load_kw)
    pv = peer_matrix(scenario, lambda p: p.pv_kw)
    base = peer_matrix(scenario, lambda p: sum((c.profile_kw for c in p.curtailable_loads), np.zeros(1)))
    pmin = peer_matrix(scenario, lambda p: None if p.cost_function is None else p.cost_function.p_min_kw)
    return (load + base - pv - pmin) * dh


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


def _add_to_balance(ctx: Context, ids: IntArray, peer_index: IntArray, coeff: float | FloatArray) -> None:
    """Add ``coeff × block`` to the balance rows of the owning peers (ids: owners × T [× K])."""
    rows = ctx.balance_rows[peer_index]
    if ids.ndim == 3:
        rows = rows[:, :, None]
    ctx.lp.add_terms("eq", rows, ids, coeff)


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


def _community_rows(ctx: Context, name: str, rhs: FloatArray) -> IntArray:
    """One ``<=`` row per interval for a community-wide limit."""
    t = ctx.scenario.intervals
    return ctx.lp.add_rows(name, "ub", ["community"], np.zeros(t), np.arange(t), rhs)


def define_pv_spill(ctx: Context) -> None:
    """PV curtailment (spill) between 0 and the PV energy, at no cost: lets islands absorb surplus."""
    sc = ctx.scenario
    owners = [
        i for i, p in enumerate(sc.peers) if p.pv_kw is not None and (ctx.spill is None or ctx.spill[i])
    ]
    if not owners:
        return
    idx = np.array(owners, dtype=np.int64)
    pv = peer_matrix(sc, lambda p: p.pv_kw)[idx] * ctx.dh
    ids = ctx.lp.add_vars("pv_spill", [sc.peers[i].id for i in owners], idx, pv.shape, 0.0, pv, 0.0)
    _add_to_balance(ctx, ids, idx, -1.0)


def _assets(sc: Scenario, attr: str) -> tuple[list[str], IntArray, list]:
    """Every asset in ``peer.<attr>``: labels ``peer/asset``, owning peer rows, the asset objects."""
    labels, index, items = [], [], []
    for i, p in enumerate(sc.peers):
        for a in getattr(p, attr):
            labels.append(f"{p.id}/{a.id}")
            index.append(i)
            items.append(a)
    return labels, np.array(index, dtype=np.int64), items


def define_batteries(ctx: Context) -> None:
    """Charge c, discharge d, state s: s_t = s_{t−1} + η_c·c_t − d_t/η_d, bounds, final minimum."""
    sc, lp, dh = ctx.scenario, ctx.lp, ctx.dh
    labels, idx, bats = _assets(sc, "batteries")
    if not bats:
        return
    b, t = len(bats), sc.intervals
    col = lambda name: np.array([getattr(x, name) for x in bats], dtype=float)[:, None]  # noqa: E731
    charge = lp.add_vars("battery_charge", labels, idx, (b, t), 0.0, col("charge_kw") * dh)
    discharge = lp.add_vars(
        "battery_discharge", labels, idx, (b, t), 0.0, col("discharge_kw") * dh, col("cycling_cost_per_kwh")
    )
    soc_lb = np.broadcast_to(col("soc_min_kwh"), (b, t)).copy()
    soc_lb[:, -1] = np.maximum(soc_lb[:, -1], [x.soc_final_min for x in bats])
    soc = lp.add_vars("battery_soc", labels, idx, (b, t), soc_lb, col("capacity_kwh"))
    rhs = np.zeros((b, t))
    rhs[:, 0] = col("soc_initial_kwh")[:, 0]
    rows = lp.add_rows("battery_dynamics", "eq", labels, np.arange(b)[:, None], np.arange(t)[None, :], rhs)
    lp.add_terms("eq", rows, soc, 1.0)
    lp.add_terms("eq", rows[:, 1:], soc[:, :-1], -1.0)
    lp.add_terms("eq", rows, charge, -col("charge_efficiency"))
    lp.add_terms("eq", rows, discharge, 1.0 / col("discharge_efficiency"))
    _add_to_balance(ctx, charge, idx, -1.0)  # charging lowers net production p
    _add_to_balance(ctx, discharge, idx, 1.0)


def _window_energy(
    ctx: Context, name: str, attr: str, window: Callable[[Any], tuple[int, int]]
) -> tuple[list[str], IntArray, list, IntArray]:
    """Consumption e in a window, at most max_kw, summing to energy_kwh (shiftable loads and EVs)."""
    sc, lp = ctx.scenario, ctx.lp
    labels, idx, items = _assets(sc, attr)
    if not items:
        return labels, idx, items, np.zeros((0, sc.intervals), dtype=np.int64)
    k, t = len(items), sc.intervals
    times = np.arange(t)[None, :]
    lo_hi = np.array([window(a) for a in items], dtype=np.int64)
    inside = (times >= lo_hi[:, :1]) & (times < lo_hi[:, 1:])
    ub = np.where(inside, np.array([a.max_kw for a in items])[:, None] * ctx.dh, 0.0)
    ids = lp.add_vars(name, labels, idx, (k, t), 0.0, ub)
    rows = lp.add_rows(
        f"{name}_energy", "eq", labels, np.arange(k), -np.ones(k), [a.energy_kwh for a in items]
    )
    lp.add_terms("eq", rows[:, None], ids, 1.0)
    _add_to_balance(ctx, ids, idx, -1.0)
    return labels, idx, items, ids


def define_shiftable_loads(ctx: Context) -> None:
    """Shiftable energy within its window; discomfort on energy below the preferred profile."""
    labels, idx, items, ids = _window_energy(
        ctx, "shift", "shiftable_loads", lambda a: (a.window[0], a.window[1] + 1)
    )
    pick = [i for i, a in enumerate(items) if a.preferred_kw is not None and a.discomfort_cost_per_kwh > 0]
    if not pick:
        return
    lp, t = ctx.lp, ctx.scenario.intervals
    sel = np.array(pick, dtype=np.int64)
    pref = np.array([items[i].preferred_kw for i in pick], dtype=float).reshape(len(pick), t) * ctx.dh
    cost = np.array([items[i].discomfort_cost_per_kwh for i in pick])[:, None]
    short = lp.add_vars("shift_shortfall", [labels[i] for i in pick], idx[sel], pref.shape, 0.0, INF, cost)
    rows = lp.add_rows(
        "shift_preference",
        "ub",
        [labels[i] for i in pick],
        np.arange(len(pick))[:, None],
        np.arange(t)[None, :],
        -pref,
    )
    lp.add_terms("ub", rows, short, -1.0)
    lp.add_terms("ub", rows, ids[sel], -1.0)


def define_ev_chargers(ctx: Context) -> None:
    """EV charging between arrival and departure−1, delivering energy_kwh in total."""
    _window_energy(ctx, "ev", "ev_chargers", lambda a: (a.arrival, a.departure))


def define_curtailable_loads(ctx: Context) -> None:
    """Curtailment x ≤ fraction × baseline at a discomfort cost, with an optional later rebound."""
    sc, lp, dh = ctx.scenario, ctx.lp, ctx.dh
    labels, idx, items = _assets(sc, "curtailable_loads")
    if not items:
        return
    k, t = len(items), sc.intervals
    base = np.array([np.broadcast_to(a.profile_kw, (t,)) for a in items], dtype=float) * dh
    frac = np.array([a.max_curtail_fraction for a in items])[:, None]
    cost = np.array([a.cost_per_kwh for a in items])[:, None]
    curt = lp.add_vars("curtail", labels, idx, (k, t), 0.0, frac * base, cost)
    _add_to_balance(ctx, curt, idx, 1.0)
    pick = np.array([i for i, a in enumerate(items) if a.rebound_fraction > 0], dtype=np.int64)
    if pick.size == 0:
        return
    sub = [labels[i] for i in pick]
    reb = lp.add_vars("rebound", sub, idx[pick], (pick.size, t), 0.0, INF)
    backlog_ub = np.full((pick.size, t), INF)
    backlog_ub[:, -1] = 0.0  # all rebound consumed by the end of the round
    backlog = lp.add_vars("rebound_backlog", sub, idx[pick], (pick.size, t), 0.0, backlog_ub)
    rows = lp.add_rows(
        "rebound_backlog",
        "eq",
        sub,
        np.arange(pick.size)[:, None],
        np.arange(t)[None, :],
        np.zeros((pick.size, t)),
    )
    rho = np.array([items[i].rebound_fraction for i in pick])[:, None]
    lp.add_terms("eq", rows, backlog, 1.0)
    lp.add_terms("eq", rows[:, 1:], backlog[:, :-1], -1.0)
    lp.add_terms("eq", rows, curt[pick], -rho)
    lp.add_terms("eq", rows, reb, 1.0)
    _add_to_balance(ctx, reb, idx[pick], -1.0)
    # rated power: baseline − x + r ≤ max_kw·Δt, i.e. r − x ≤ (max_kw·Δt − baseline)⁺ (no cut of a
    # baseline that already exceeds the rating; the rebound just cannot go there)
    rated = np.array([items[i].rated_kw for i in pick])[:, None] * dh
    power = lp.add_rows(
        "rebound_power",
        "ub",
        sub,
        np.arange(pick.size)[:, None],
        np.arange(t)[None, :],
        np.maximum(rated - base[pick], 0.0),
    )
    lp.add_terms("ub", power, reb, 1.0)
    lp.add_terms("ub", power, curt[pick], -1.0)


def has_quadratic(sc: Scenario) -> bool:
    """True when some peer's cost function has a positive quadratic coefficient a."""
    return any(p.cost_function is not None and np.any(np.asarray(p.cost_function.a) > 0) for p in sc.peers)


def pwl_segments(sc: Scenario) -> int:
    """Segments K of the piecewise-linear cost: 1 when exact (``community.quadratic`` "exact", the
    default: one segment carries the quadratic term) or when every quadratic coefficient a is zero."""
    if sc.community.quadratic == "exact" or not has_quadratic(sc):
        return 1
    return max(1, sc.community.pwl_segments)


def define_cost_functions(ctx: Context) -> None:
    """p_f = p_min + Σ_k s_k with 0 ≤ s_k ≤ h. Exact (default): one segment s with cost
    (b + a·p_min)·s + a·s²/2, which with the constant a·p_min²/2 + b·p_min is a·p²/2 + b·p exactly.
    ``quadratic = "pwl"``: K segments at the chord slopes of a·p²/2 + b·p (error ≤ a·h²/8)."""
    sc, lp, dh = ctx.scenario, ctx.lp, ctx.dh
    owners = [i for i, p in enumerate(sc.peers) if p.cost_function is not None]
    if not owners:
        return
    idx = np.array(owners, dtype=np.int64)
    k, t = pwl_segments(sc), sc.intervals
    exact = sc.community.quadratic == "exact"

    def stack(name: str) -> FloatArray:
        return np.array(
            [np.broadcast_to(getattr(sc.peers[i].cost_function, name), (t,)) for i in owners], float
        )

    a, b = stack("a"), stack("b")
    pmin, pmax = stack("p_min_kw") * dh, stack("p_max_kw") * dh
    h = (pmax - pmin) / k
    if exact:
        slope, quad = (b + a * pmin)[:, :, None], a[:, :, None]
    else:
        mid = pmin[:, :, None] + (np.arange(k)[None, None, :] + 0.5) * h[:, :, None]
        slope, quad = b[:, :, None] + a[:, :, None] * mid, np.zeros((1, 1, 1))
    ids = lp.add_vars(
        "flex_segment",
        [sc.peers[i].id for i in owners],
        idx,
        (len(owners), t, k),
        0.0,
        h[:, :, None],
        slope,
        quad,
    )
    lp.constant += float(np.sum(a * pmin**2 / 2 + b * pmin))
    _add_to_balance(ctx, ids, idx, 1.0)


def pwl_error_bound(sc: Scenario) -> float:
    """Upper bound on |PWL objective − exact quadratic objective|: Σ a·h²/8 over peers and intervals
    (0 when the quadratic costs are solved exactly)."""
    if sc.community.quadratic == "exact":
        return 0.0
    k, dh = pwl_segments(sc), sc.hours_per_interval
    total = 0.0
    for p in sc.peers:
        cf = p.cost_function
        if cf is not None:
            h = (np.asarray(cf.p_max_kw) - np.asarray(cf.p_min_kw)) * dh / k
            total += float(np.sum(np.broadcast_to(np.asarray(cf.a) * h**2 / 8, (sc.intervals,))))
    return total


#: The peers' own assets: identical in the per-peer and the aggregated formulation (aggregate.py).
ASSET_STEPS: Sequence[Callable[[Context], None]] = (
    define_pv_spill,
    define_batteries,
    define_shiftable_loads,
    define_ev_chargers,
    define_curtailable_loads,
    define_cost_functions,
)

STEPS: Sequence[Callable[[Context], None]] = (define_trades, define_grid, define_connection, *ASSET_STEPS)
