"""The seed's ADMM (D3.1 eq. 2a-2b) in Boyd et al.'s sharing (exchange) form, with shards of peers.

    min Σ_i f_i(x_i) + g(z)   s.t.  x_i − z_i = 0   (eq. 2a-2b with A = I, B = −I, c = 0)

f_i: peer i's asset cost over its own feasible set (local.py); x_i = (x⁺_i, x⁻_i), its net import
and export per interval; g: the class and community rows (coordinator.py), which see only the
class sums. Scaled-form iteration (Boyd §7.3, per grid class k, bars = means over its N_k peers):

    x_i ← argmin f_i(x_i) + (ρ/2)‖x_i − x_i + x̄_k − z̄_k + u_k‖²      (shards, in parallel)
    z̄   ← argmin g(N z̄) + Σ_k (N_k ρ/2)‖z̄_k − u_k − x̄_k‖²             (coordinator)
    u_k ← u_k + x̄_k − z̄_k                                              (prices y_k = ρ·u_k)

A shard receives the shift z̄ − x̄ − u per class and returns only its sums per class (Σx_i, ΣΔx_i)
and scalars (Σ‖x_i‖², Σ‖Δx_i‖²): peers' rows, preferences and positions stay in the shard, which
keeps its own x_i between passes. Once converged, each shard hands over its peers' dispatch once
(the result document publishes it). Residuals (Boyd §3.3): primal
r = (Σ_k N_k‖x̄_k − z̄_k‖²)^½, dual s = ρ(Σ_i‖Δx_i − Δx̄_k + Δz̄_k‖²)^½; stop when
r ≤ √p·ε_abs + ε_rel·max(‖x‖, ‖z‖) and s ≤ √p·ε_abs + ε_rel·‖y‖ (p = 2·T·Σ N_k), or at
``max_iterations``. ρ follows residual balancing (μ = 10, τ = 2; Boyd §3.4.1).

Then each shard moves its last point to an exact vertex of its LP next to it (local.finish), the
community rows are solved exactly (HiGHS) at the peers' class sums, which makes the dispatch
feasible, and the Lagrangian bound at the final prices y (every shard's LP best response and the
coordinator's, exactly, with net positions capped by local.net_caps so that every term is finite)
certifies a gap to the optimum without the monolithic solve.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flexunity.model import Scenario
from flexunity.optimize.admm.coordinator import Coordinator
from flexunity.optimize.admm.local import PassSums, class_sums
from flexunity.optimize.aggregate import AggregatedLP, build_aggregated_lp
from flexunity.optimize.lp import FloatArray

EPS_ABS = 1e-4  # kWh, per peer and interval
EPS_REL = 1e-3
MAX_ITERATIONS = 400
MU, TAU = 10.0, 2.0
#: currency/kWh on ‖x − x_ADMM‖₁ in each shard's final exact LP (finish): far above any price, so
#: the vertex stays next to the ADMM point unless the point is off the shard's feasible set.
FINISH_WEIGHT = 10.0

Progress = Callable[[str, int, int], None]


@dataclass
class AdmmReport:
    """How the ADMM went: passes, residual history, times, and the certified gap."""

    shards: int
    engine: str
    iterations: int = 0
    converged: bool = False
    rho: float = 0.0
    primal_residual: list[float] = field(default_factory=list)
    dual_residual: list[float] = field(default_factory=list)
    iteration_s: list[float] = field(default_factory=list)  # wall time per pass
    coordinator_s: list[float] = field(default_factory=list)  # the z̄-update per pass
    shard_max_s: list[float] = field(default_factory=list)  # slowest shard's compute per pass
    shard_sum_s: list[float] = field(default_factory=list)  # all shards' compute per pass
    shard_cpu_s: list[float] = field(default_factory=list)  # all shards' CPU time per pass
    objective: float = float("nan")
    lower_bound: float = float("nan")
    setup_s: float = 0.0
    loop_s: float = 0.0
    finish_s: float = 0.0
    #: dual of Σq = 0 of the community rows solved at the peers' sums (the pricing band's fallback)
    duals: FloatArray = field(default_factory=lambda: np.zeros(0))
    #: the final prices y = ρ·u of the class sums (2, K, T): import side, export side
    prices: FloatArray = field(default_factory=lambda: np.zeros(0))

    @property
    def gap(self) -> float:
        """Certified relative gap (objective − bound)/max(1, |objective|); ≥ the true gap."""
        return (self.objective - self.lower_bound) / max(1.0, abs(self.objective))

    def to_dict(self) -> dict[str, Any]:
        return {
            "shards": self.shards,
            "engine": self.engine,
            "iterations": self.iterations,
            "converged": self.converged,
            "rho": self.rho,
            "primal_residual": self.primal_residual[-1] if self.primal_residual else None,
            "dual_residual": self.dual_residual[-1] if self.dual_residual else None,
            "objective": self.objective,
            "lower_bound": self.lower_bound,
            "certified_gap": self.gap,
            "setup_s": self.setup_s,
            "loop_s": self.loop_s,
            "finish_s": self.finish_s,
            "mean_iteration_s": _mean(self.iteration_s),
            "mean_coordinator_s": _mean(self.coordinator_s),
            "mean_shard_max_s": _mean(self.shard_max_s),
            "mean_shard_sum_s": _mean(self.shard_sum_s),
            "mean_shard_cpu_s": _mean(self.shard_cpu_s),
        }


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def split_shards(agg: AggregatedLP, count: int) -> list[list[int]]:
    """Flexible peers (scenario rows) in ``count`` contiguous shards of about equal size."""
    flex = np.nonzero(agg.flexible)[0]
    count = max(1, min(count, flex.size))
    return [part.tolist() for part in np.array_split(flex, count) if part.size]


@dataclass
class AdmmState:
    """The coordinator's iterates per class: x̄, z̄, u (2, K, T) and ρ."""

    xbar: FloatArray
    zbar: FloatArray
    u: FloatArray
    rho: float


def run_admm(
    scenario: Scenario,
    *,
    shards: int = 2,
    engine: str = "local",
    rho: float = 0.05,
    max_iterations: int = MAX_ITERATIONS,
    eps_abs: float = EPS_ABS,
    eps_rel: float = EPS_REL,
    prices: FloatArray | None = None,
    progress: Progress | None = None,
) -> tuple[AggregatedLP, FloatArray, AdmmReport]:
    """ADMM on ``scenario``: the aggregated LP, a feasible solution vector of it, and the report.

    ``engine`` "local" (shards in this process) or "ray" (one Ray actor per shard; ``ray.init``
    first, or it starts a local cluster). ``prices`` (2, K, T), e.g. a previous round's y, warm-start
    the multipliers. Raises InfeasibleError if a shard or the community rows cannot be satisfied.
    """
    from flexunity.optimize.admm.workers import LocalShards, RayShards

    start = time.perf_counter()
    agg = build_aggregated_lp(scenario)
    sc, cls = scenario, agg.classes
    parts = split_shards(agg, shards)
    spill = _spill(agg)
    fee = sc.community.fee_per_kwh
    subs = [(sc.subset([sc.peers[i].id for i in part]), spill[part], cls.of_peer[part]) for part in parts]
    pool = (RayShards if engine == "ray" else LocalShards)(subs, fee, rho, cls.count)
    coord = Coordinator(agg, rho)
    report = AdmmReport(len(parts), engine)
    try:
        k, t = cls.count, sc.intervals
        of_class = [cls.of_peer[part] for part in parts]
        u = np.zeros((2, k, t)) if prices is None else np.asarray(prices, float) / rho
        state = AdmmState(np.zeros((2, k, t)), np.zeros((2, k, t)), u, rho)
        report.setup_s = time.perf_counter() - start
        loop = time.perf_counter()
        _iterate(pool, coord, state, len(parts), report, max_iterations, eps_abs, eps_rel, progress)
        report.loop_s = time.perf_counter() - loop
        finish = time.perf_counter()
        x = _assemble(agg, pool, coord, state, of_class, report)
        report.finish_s = time.perf_counter() - finish
    finally:
        pool.close()
    return agg, x, report


def _spill(agg: AggregatedLP) -> Any:
    from flexunity.optimize.aggregate import spill_useful

    return spill_useful(agg.scenario, agg.classes, agg.community_terms)[agg.classes.of_peer]


def _iterate(
    pool: Any,
    coord: Coordinator,
    st: AdmmState,
    shards: int,
    report: AdmmReport,
    max_iterations: int,
    eps_abs: float,
    eps_rel: float,
    progress: Progress | None,
) -> None:
    members = coord.members[None, :, None]
    safe = np.maximum(members, 1.0)
    p = 2 * coord.t * float(coord.members.sum())
    for it in range(1, max_iterations + 1):
        tick = time.perf_counter()
        out: list[PassSums] = pool.call("step", [(st.zbar - st.xbar - st.u, st.rho)] * shards)
        report.shard_max_s.append(max(o.wall_s for o in out))
        report.shard_sum_s.append(sum(o.wall_s for o in out))
        report.shard_cpu_s.append(sum(o.cpu_s for o in out))
        xbar = sum(o.sums for o in out) / safe
        change = sum(o.change for o in out)
        sq_x = sum(o.square for o in out)
        tick_z = time.perf_counter()
        zbar = coord.update(st.u + xbar, st.rho)
        report.coordinator_s.append(time.perf_counter() - tick_z)
        c = (xbar - st.xbar) - (zbar - st.zbar)
        # Σ_i ‖Δx_i − c_k‖² = Σ‖Δx_i‖² − 2·Σ_k c_k·ΣΔx_i + Σ_k N_k‖c_k‖², from the shards' sums
        dual_sq = (
            sum(o.change_square for o in out) - 2 * float(np.sum(c * change)) + float(np.sum(members * c**2))
        )
        st.u = st.u + xbar - zbar
        r = float(np.sqrt(np.sum(members * (xbar - zbar) ** 2)))
        s = st.rho * float(np.sqrt(max(dual_sq, 0.0)))
        st.xbar, st.zbar = xbar, zbar
        report.iterations, report.rho = it, st.rho
        report.primal_residual.append(r)
        report.dual_residual.append(s)
        report.iteration_s.append(time.perf_counter() - tick)
        norm_z = float(np.sqrt(np.sum(members * zbar**2)))
        eps_pri = np.sqrt(p) * eps_abs + eps_rel * max(np.sqrt(sq_x), norm_z)
        eps_dual = np.sqrt(p) * eps_abs + eps_rel * st.rho * float(np.sqrt(np.sum(members * st.u**2)))
        if progress is not None:
            progress("ADMM passes", it, max_iterations)
        if r <= eps_pri and s <= eps_dual:
            report.converged = True
            return
        if r > MU * s:
            st.rho *= TAU
            st.u /= TAU
        elif s > MU * r:
            st.rho /= TAU
            st.u *= TAU


def _assemble(
    agg: AggregatedLP, pool: Any, coord: Coordinator, st: AdmmState, of_class: list[Any], report: AdmmReport
) -> FloatArray:
    """The aggregated LP's solution vector: shards' blocks by owner, the community rows solved
    exactly at the shards' class sums; the report gets the objective and the Lagrangian bound."""
    lp = agg.lp
    x = np.zeros(lp.n_vars)
    price = report.prices = st.rho * st.u
    pool.call("finish", [(price, FINISH_WEIGHT) for _ in of_class])
    solutions = pool.call("solution", [() for _ in of_class])
    sums = np.zeros_like(st.xbar)
    for blocks, oc in zip(solutions, of_class, strict=True):
        for name, (owners, values) in blocks.items():
            target = lp.blocks[name]
            pos = {o: i for i, o in enumerate(target.owners)}
            x[target.ids[np.array([pos[o] for o in owners], dtype=np.int64)]] = values
        sums += class_sums(np.stack([blocks["net_import"][1], blocks["net_export"][1]]), oc, coord.k)
    means = sums / np.maximum(coord.members[None, :, None], 1.0)
    cx, _g_value, report.duals = coord.exact(means)
    for name, blk in coord.lp.blocks.items():
        if name in lp.blocks:
            x[lp.blocks[name].ids] = cx[blk.ids]
    report.objective = float(lp.cost @ x) + lp.constant
    bounds = pool.call("lower_bound", [(price,) for _ in of_class])
    caps = sum(pool.call("caps", [() for _ in of_class]))
    means = caps / np.maximum(coord.members[None, :, None], 1.0)
    report.lower_bound = float(sum(bounds)) + coord.lower_bound(price, means)
    return x
