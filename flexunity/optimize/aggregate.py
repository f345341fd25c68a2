"""The aggregated formulation of the community LP: same optimum as the per-peer LP, far less degenerate.

In the per-peer LP (builder.py) every peer splits its net position x = −p into community purchases
and sales q⁺, q⁻, import α and export β. All peers whose grid terms have the same objective
coefficients (same tariff, δ_imp, δ_exp: a **grid class**) are interchangeable in that split, so the
LP has a huge family of equivalent vertices and the simplex method wanders among them. Here

- each peer keeps its asset variables (the same blocks as in builder.py) and its net position as
  ``net_import`` x⁺ ≥ 0 and ``net_export`` x⁻ ≥ 0 (x = x⁺ − x⁻; the balance row is the per-peer (3b)
  with q + α + β replaced by x⁺ − x⁻);
- per class k and interval t there is one purchase Q⁺, sale Q⁻ (fee φ each), import A ≥ 0, export
  B ≤ 0 (the class's grid coefficients) and a wash W ≥ 0, with
  ``Σ_{n∈k} x⁺_n + W = Q⁺ + A`` (import side) and ``Σ_{n∈k} x⁻_n + W = Q⁻ − B`` (export side);
- Σ_k (Q⁺ − Q⁻) = 0 is the community balance (3c), and the peak-import, import-limit and
  export-limit rows read Σ_k A and Σ_k B;
- a peer without assets (and without PV that may need spilling) has no variables: its net
  position is data, added to its class's import or export side as a constant;
- PV spill is left out where it can never be useful: in a connected community without an export
  limit, a peer whose class is paid (or pays nothing) for export in every interval can always export
  instead of spilling at no loss.

Equivalence (docs/optimisation.md, "Aggregated formulation"): any per-peer solution gives an
aggregated one of the same cost (x⁺ = q⁺ + α, x⁻ = q⁻ − β, class sums), and any aggregated solution
is split back (``disaggregate``) into a per-peer solution of the same cost: each peer's import side
a = x⁺ + W/|k| is shared between q⁺ and α in the class's proportions Q⁺ : A, its export side
b = x⁻ + W/|k| between q⁻ and −β in the proportions Q⁻ : −B. Class sums, the balances (3b) and
Σq = 0 then hold exactly, so both LPs have the same optimal value, and the value of Σq = 0 as a
function of its right-hand side is the same, hence so is the set of its optimal duals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from flexunity.model import Scenario
from flexunity.optimize.builder import (
    ASSET_STEPS,
    INF,
    Context,
    balance_rhs,
    build_lp,
    community_prices,
)
from flexunity.optimize.lp import FloatArray, IntArray, LinearProgram

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class GridClasses:
    """Peers grouped by identical grid objective coefficients (import, export; the fee is common)."""

    of_peer: IntArray  # (N,) class of each peer
    cost_imp: FloatArray  # (K, T) objective coefficient of import: δ_imp·λ_imp + g_imp
    cost_exp: FloatArray  # (K, T) objective coefficient of export β (≤ 0): δ_exp·λ_exp + g_exp
    size: IntArray  # (K,) peers per class

    @property
    def count(self) -> int:
        """Number of classes K."""
        return int(self.size.size)


def grid_classes(sc: Scenario, community_terms: bool = True) -> GridClasses:
    """Group peers by (tariff, δ_imp, δ_exp), then merge groups whose coefficients coincide."""
    t = sc.intervals
    keys: dict[tuple[str, float, float], int] = {}
    first = np.array([keys.setdefault((p.tariff, p.delta_imp, p.delta_exp), len(keys)) for p in sc.peers])
    g_imp, g_exp = community_prices(sc) if community_terms else (np.zeros(t), np.zeros(t))
    rows = []
    for tariff, d_imp, d_exp in keys:
        tr = sc.tariffs[tariff]
        imp = d_imp * np.broadcast_to(np.asarray(tr.import_price, float), (t,)) + g_imp
        exp = d_exp * np.broadcast_to(np.asarray(tr.export_price, float), (t,)) + g_exp
        rows.append(np.concatenate([imp, exp]))
    table = np.array(rows, dtype=float).reshape(len(rows), 2 * t)
    unique, merged = np.unique(table, axis=0, return_inverse=True)
    of_peer = np.asarray(merged, dtype=np.int64).ravel()[first] if first.size else first.astype(np.int64)
    size = np.bincount(of_peer, minlength=unique.shape[0]).astype(np.int64)
    return GridClasses(of_peer, unique[:, :t], unique[:, t:], size)


def spill_useful(sc: Scenario, classes: GridClasses, community_terms: bool = True) -> BoolArray:
    """Per class: can PV spill ever beat exporting? Only islanded, with an export limit, or when the
    class's export coefficient is negative in some interval (β ≤ 0 costs coefficient·β: exporting
    then costs money)."""
    limited = (not sc.grid.connected) or (community_terms and sc.grid.max_export_kw is not None)
    if limited:
        return np.ones(classes.count, dtype=bool)
    return np.asarray((classes.cost_exp < 0).any(axis=1), dtype=bool)


def flexible_peers(sc: Scenario, spill: BoolArray) -> BoolArray:
    """Peers that need variables: any asset or cost function, or PV whose spill may be useful
    (``spill`` per peer)."""
    return np.array(
        [
            bool(p.batteries or p.shiftable_loads or p.curtailable_loads or p.ev_chargers)
            or p.cost_function is not None
            or (p.pv_kw is not None and bool(spill[i]))
            for i, p in enumerate(sc.peers)
        ],
        dtype=bool,
    ).reshape(len(sc.peers))


@dataclass(frozen=True, eq=False)
class AggregatedLP:
    """The aggregated LP and what ``disaggregate`` needs to map its solution back to peers."""

    scenario: Scenario
    lp: LinearProgram
    classes: GridClasses
    flexible: BoolArray  # (N,) peers with variables
    net: FloatArray  # (N, T) net demand constant of (3b): (load + baselines − PV)·Δt − p_min
    community_terms: bool


def build_aggregated_lp(scenario: Scenario, *, community_terms: bool = True) -> AggregatedLP:
    """The aggregated LP of ``scenario`` (module docstring); its optimum equals the per-peer LP's."""
    sc = scenario
    lp = LinearProgram()
    n, t = len(sc.peers), sc.intervals
    classes = grid_classes(sc, community_terms)
    spill = spill_useful(sc, classes, community_terms)[classes.of_peer]
    flex = flexible_peers(sc, spill)
    fidx = np.nonzero(flex)[0].astype(np.int64)
    ids = sc.peer_ids
    net = balance_rhs(sc)
    balance_rows = np.full((n, t), -1, dtype=np.int64)
    balance_rows[fidx] = lp.add_rows(
        "balance",
        "eq",
        [ids[i] for i in fidx],
        np.arange(fidx.size)[:, None],
        np.arange(t)[None, :],
        net[fidx],
    )
    fee = sc.community.fee_per_kwh if community_terms else 0.0
    ctx = Context(sc, lp, balance_rows, sc.hours_per_interval, fee, community_terms, True, spill)
    for step in ASSET_STEPS:
        step(ctx)
    owners = [ids[i] for i in fidx]
    x_imp = lp.add_vars("net_import", owners, fidx, (fidx.size, t), 0.0, INF)
    x_exp = lp.add_vars("net_export", owners, fidx, (fidx.size, t), 0.0, INF)
    lp.add_terms("eq", balance_rows[fidx], x_imp, 1.0)
    lp.add_terms("eq", balance_rows[fidx], x_exp, -1.0)
    _define_classes(lp, sc, classes, flex, net, fee, x_imp, x_exp, community_terms)
    return AggregatedLP(sc, lp, classes, flex, net, community_terms)


def _define_classes(
    lp: LinearProgram,
    sc: Scenario,
    classes: GridClasses,
    flex: BoolArray,
    net: FloatArray,
    fee: float,
    x_imp: IntArray,
    x_exp: IntArray,
    community_terms: bool,
) -> None:
    """Class trade, grid and wash variables, the two class rows, Σq = 0 and the connection rows."""
    k, t = classes.count, sc.intervals
    labels = [f"class-{j}" for j in range(k)]
    zero = np.zeros(k, dtype=np.int64)
    big = INF if sc.grid.connected else 0.0
    buy = lp.add_vars("class_buy", labels, zero, (k, t), 0.0, INF, fee)
    sell = lp.add_vars("class_sell", labels, zero, (k, t), 0.0, INF, fee)
    imp = lp.add_vars("class_import", labels, zero, (k, t), 0.0, big, classes.cost_imp)
    exp = lp.add_vars("class_export", labels, zero, (k, t), -big, 0.0, classes.cost_exp)
    wash = lp.add_vars("class_wash", labels, zero, (k, t), 0.0, INF)
    fixed = ~flex
    demand, supply = np.zeros((k, t)), np.zeros((k, t))
    np.add.at(demand, classes.of_peer[fixed], np.maximum(net[fixed], 0.0))
    np.add.at(supply, classes.of_peer[fixed], np.maximum(-net[fixed], 0.0))
    times = np.arange(t)[None, :]
    owner = np.arange(k)[:, None]
    imp_rows = lp.add_rows("class_import_side", "eq", labels, owner, times, -demand)
    exp_rows = lp.add_rows("class_export_side", "eq", labels, owner, times, -supply)
    of_flex = classes.of_peer[flex]
    lp.add_terms("eq", imp_rows[of_flex], x_imp, 1.0)
    lp.add_terms("eq", exp_rows[of_flex], x_exp, 1.0)
    for rows, var, coeff in ((imp_rows, wash, 1.0), (imp_rows, buy, -1.0), (imp_rows, imp, -1.0)):
        lp.add_terms("eq", rows, var, coeff)
    for rows, var, coeff in ((exp_rows, wash, 1.0), (exp_rows, sell, -1.0), (exp_rows, exp, 1.0)):
        lp.add_terms("eq", rows, var, coeff)
    rows = lp.add_rows("community_balance", "eq", ["community"], np.zeros(t), np.arange(t), np.zeros(t))
    lp.add_terms("eq", rows[None, :], buy, 1.0)
    lp.add_terms("eq", rows[None, :], sell, -1.0)
    grid, dh = sc.grid, sc.hours_per_interval
    if not (community_terms and grid.connected):
        return
    community = lambda name, rhs: lp.add_rows(name, "ub", ["community"], np.zeros(t), np.arange(t), rhs)  # noqa: E731
    if grid.capacity_charge_per_kw > 0:
        peak = lp.add_vars(
            "peak_kw", ["community"], np.zeros(1), (1, 1), 0.0, INF, grid.capacity_charge_per_kw
        )
        rows = community("peak_import", np.zeros(t))
        lp.add_terms("ub", rows[None, :], imp, 1.0)
        lp.add_terms("ub", rows, peak[0, 0], -dh)
    if grid.max_import_kw is not None:
        rows = community("max_import", np.full(t, grid.max_import_kw * dh))
        lp.add_terms("ub", rows[None, :], imp, 1.0)
    if grid.max_export_kw is not None:
        rows = community("max_export", np.full(t, grid.max_export_kw * dh))
        lp.add_terms("ub", rows[None, :], exp, -1.0)


def _share(part: FloatArray, rest: FloatArray, default: float) -> FloatArray:
    """part / (part + rest), ``default`` where both are (numerically) zero."""
    total = part + rest
    return np.where(total > 1e-12, part / np.where(total > 1e-12, total, 1.0), default)


def disaggregate(agg: AggregatedLP, x: FloatArray) -> tuple[LinearProgram, FloatArray]:
    """The per-peer LP's layout (builder.build_lp, without matrices) and the solution vector that
    splits the aggregated solution ``x`` back to peers, pro rata within each class (module docstring).

    Asset blocks are copied; each peer's import side a = x⁺ + W/|k| becomes q⁺ = a·Q⁺/(Q⁺ + A) and
    α = a·A/(Q⁺ + A), its export side b = x⁻ + W/|k| becomes q⁻ = b·Q⁻/(Q⁻ − B), β = −b·(−B)/(Q⁻ − B).
    """
    sc, src, cls = agg.scenario, agg.lp, agg.classes
    target = build_lp(sc, community_terms=agg.community_terms, terms=False)
    out = np.zeros(target.n_vars)
    for name, blk in target.blocks.items():
        if name not in src.blocks or name in ("q_buy", "q_sell", "alpha", "beta"):
            continue
        have = src.blocks[name]
        vals = x[have.ids]
        if have.owners == blk.owners:
            out[blk.ids] = vals
            continue
        pos = {o: i for i, o in enumerate(have.owners)}
        for i, owner in enumerate(blk.owners):
            if owner in pos:
                out[blk.ids[i]] = vals[pos[owner]]
    n, t = len(sc.peers), sc.intervals
    side_in, side_out = np.maximum(agg.net, 0.0), np.maximum(-agg.net, 0.0)
    flex = agg.flexible
    side_in[flex] = np.maximum(x[src.blocks["net_import"].ids], 0.0)
    side_out[flex] = np.maximum(x[src.blocks["net_export"].ids], 0.0)
    value = lambda name: np.asarray(x[src.blocks[name].ids], dtype=float)  # noqa: E731
    wash = np.maximum(value("class_wash"), 0.0) / cls.size[:, None]
    side_in += wash[cls.of_peer]
    side_out += wash[cls.of_peer]
    buy, imp = np.maximum(value("class_buy"), 0.0), np.maximum(value("class_import"), 0.0)
    sell, exp = np.maximum(value("class_sell"), 0.0), np.maximum(-value("class_export"), 0.0)
    default = 0.0 if sc.grid.connected else 1.0
    r_buy = _share(buy, imp, default)[cls.of_peer]
    r_sell = _share(sell, exp, default)[cls.of_peer]
    parts = {
        "q_buy": side_in * r_buy,
        "alpha": side_in * (1.0 - r_buy),
        "q_sell": side_out * r_sell,
        "beta": -side_out * (1.0 - r_sell),
    }
    for name, vals in parts.items():
        out[target.blocks[name].ids] = vals.reshape(n, t)
    return target, out
