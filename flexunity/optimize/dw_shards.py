"""Where Dantzig-Wolfe's shards live and how they propose (dantzig_wolfe.py runs the loop).

A shard is the LP of some flexible peers without the linking rows, held as a HiGHS model (SciPy's
bundled HiGHS, the binding highspy also exposes): between iterations only its costs change
(c − Lᵀπ), so each re-solve starts from the last basis. ``LocalShards`` runs them on threads of
this process (HiGHS releases Python's lock while it solves), ``RayShards`` as one Ray actor each;
both answer ``propose(π)`` with each peer's proposal cost, reduced value and linking column, and
``combine(λ)`` with the shards' points. Only prices and those summaries travel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize._highspy import _core as highs  # SciPy's HiGHS binding (highspy's API)

from flexunity.errors import InfeasibleError
from flexunity.optimize.lp import FloatArray, IntArray

#: HiGHS options. A shard's re-solve after a cost change starts from its last basis (primal
#: feasible): HiGHS's default (dual simplex) was faster there than primal (1.1 against 2.6 CPU-s
#: at 200 peers). The master only gains columns, so its basis stays primal feasible: primal
#: simplex (strategy 4) took a third of the default's time (docs/distributed.md). Feasibility
#: tolerances 1e-9 instead of HiGHS's 1e-7: the Lagrangian bound sums one dual error per peer, and
#: at 1e-7 it overshot the optimum by 1e-8 relative at 40 peers (the loop then stopped 1.4e-8 above
#: the optimum); at 1e-9 the certified gap was 1e-12 and the true gap 2e-16.
TOLERANCES: dict[str, Any] = {"primal_feasibility_tolerance": 1e-9, "dual_feasibility_tolerance": 1e-9}
SHARD_OPTIONS: dict[str, Any] = dict(TOLERANCES)
MASTER_OPTIONS: dict[str, Any] = {"simplex_strategy": 4, "simplex_price_strategy": 1, **TOLERANCES}


def highs_model(
    cost: FloatArray,
    matrix: sp.csc_array,
    row_lo: FloatArray,
    row_hi: FloatArray,
    lb: FloatArray,
    ub: FloatArray,
    options: dict[str, Any] | None = None,
) -> Any:
    """A silent HiGHS model of min cost·x, row_lo ≤ A x ≤ row_hi, lb ≤ x ≤ ub, with ``options``."""
    h = highs._Highs()
    h.setOptionValue("output_flag", False)
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    lp = highs.HighsLp()
    lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lb, ub
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    lp.a_matrix_.format_ = highs.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = matrix.shape[1], matrix.shape[0]
    h.passModel(lp)
    return h


def solve_warm(h: Any, what: str) -> None:
    """Re-solve ``h`` from its last basis; if HiGHS cannot finish that way (status "Unknown", seen
    once in a hypothesis community at smoothed prices), solve again from scratch before giving up
    (``optimal``)."""
    h.run()
    if h.getModelStatus() != highs.HighsModelStatus.kOptimal:
        h.clearSolver()
        h.run()
    optimal(h, what)


def optimal(h: Any, what: str) -> None:
    status = h.getModelStatus()
    if status != highs.HighsModelStatus.kOptimal:
        raise InfeasibleError(f"Dantzig-Wolfe: the {what} LP ended {h.modelStatusToString(status)}")


@dataclass(frozen=True, eq=False)
class ShardData:
    """One shard's part of the aggregated LP: its peers' columns, own rows and linking terms."""

    cost: FloatArray
    lb: FloatArray
    ub: FloatArray
    rows: sp.csc_array  # the shard's own rows (eq and ub) on its columns
    row_lo: FloatArray
    row_hi: FloatArray
    link: sp.csr_array  # linking rows × the shard's columns
    owner: IntArray  # per column: the peer's position in the shard (0 … peers−1)
    peers: int


class Shard:
    """A shard's LP held as a HiGHS model between iterations; proposes at prices π, then combines."""

    def __init__(self, data: ShardData) -> None:
        self.data = data
        d = data
        self.model = highs_model(d.cost, d.rows, d.row_lo, d.row_hi, d.lb, d.ub, SHARD_OPTIONS)
        self.columns = np.arange(d.cost.size, dtype=np.int32)
        self.proposals: list[FloatArray] = []
        self.cpu_s = 0.0

    def propose(self, price: FloatArray) -> tuple[FloatArray, FloatArray, sp.csc_array]:
        """Each peer's best proposal at linking prices π: its cost c·y, its reduced value
        (c − Lᵀπ)·y, and its linking column L y (linking rows × peers)."""
        start = time.thread_time()
        d = self.data
        reduced = d.cost - d.link.T @ price
        self.model.changeColsCost(reduced.size, self.columns, reduced)
        solve_warm(self.model, "shard")
        y = np.asarray(self.model.getSolution().col_value, dtype=float)
        self.proposals.append(y)
        cost = np.bincount(d.owner, d.cost * y, minlength=d.peers).astype(float)
        value = np.bincount(d.owner, reduced * y, minlength=d.peers).astype(float)
        per_peer = sp.csc_array((y, (np.arange(y.size), d.owner)), shape=(y.size, d.peers))
        column = sp.csc_array(d.link @ per_peer)
        self.cpu_s += time.thread_time() - start
        return cost, value, column

    def combine(self, weights: FloatArray) -> FloatArray:
        """The shard's point Σ_j λ_ij·y_ij (``weights``: iterations × peers)."""
        y = np.zeros(self.data.cost.size)
        for w, proposal in zip(weights, self.proposals, strict=True):
            y += w[self.data.owner] * proposal
        return y

    def cpu(self) -> float:
        """CPU seconds this shard spent proposing."""
        return self.cpu_s

    def first(self) -> FloatArray:
        """The shard's first proposal (at the first prices)."""
        return self.proposals[0]


class LocalShards:
    """Shards as plain objects in this process, proposing on ``threads`` threads (HiGHS releases
    Python's lock while it solves, so shards run in parallel on the machine's cores)."""

    engine = "local"

    def __init__(self, datas: Sequence[ShardData], threads: int = 1) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(threads) if threads > 1 else None
        self.shards = list(self._map(Shard, datas))

    def _map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        return list(self.pool.map(fn, items) if self.pool is not None else map(fn, items))

    def propose(self, price: FloatArray) -> list[tuple[FloatArray, FloatArray, sp.csc_array]]:
        return self._map(lambda s: s.propose(price), self.shards)

    def combine(self, weights: Sequence[FloatArray]) -> list[FloatArray]:
        return [s.combine(w) for s, w in zip(self.shards, weights, strict=True)]

    def cpu(self) -> float:
        return sum(s.cpu() for s in self.shards)

    def first(self) -> list[FloatArray]:
        return [s.first() for s in self.shards]

    def close(self) -> None:
        self.shards = []
        if self.pool is not None:
            self.pool.shutdown()


class RayShards:
    """One Ray actor per shard, holding its HiGHS model; only prices and proposal summaries travel."""

    engine = "ray"

    def __init__(self, datas: Sequence[ShardData]) -> None:
        import ray

        self.ray = ray
        actor = ray.remote(num_cpus=1)(Shard)
        self.actors = [actor.remote(d) for d in datas]  # type: ignore[attr-defined]

    def _all(self, method: str, args: Sequence[tuple[Any, ...]]) -> list[Any]:
        refs = [getattr(a, method).remote(*x) for a, x in zip(self.actors, args, strict=True)]
        return list(self.ray.get(refs))

    def propose(self, price: FloatArray) -> list[tuple[FloatArray, FloatArray, sp.csc_array]]:
        ref = self.ray.put(price)
        return self._all("propose", [(ref,)] * len(self.actors))

    def combine(self, weights: Sequence[FloatArray]) -> list[FloatArray]:
        return self._all("combine", [(w,) for w in weights])

    def cpu(self) -> float:
        return float(sum(self._all("cpu", [()] * len(self.actors))))

    def first(self) -> list[FloatArray]:
        return self._all("first", [()] * len(self.actors))

    def close(self) -> None:
        for a in self.actors:
            self.ray.kill(a)
        self.actors = []
