"""The ``define_*`` steps of the peers' own assets (seed eq. 3d-3g; docs/optimisation.md): PV spill,
batteries, shiftable loads, EV chargers, curtailable loads with their rebound, and cost functions
(exact quadratic or piecewise linear). Identical in the per-peer and the aggregated formulation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from flexunity.model import Scenario
from flexunity.optimize.lp import FloatArray, IntArray
from flexunity.optimize.lp_context import INF, Context, _add_to_balance, peer_matrix


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
