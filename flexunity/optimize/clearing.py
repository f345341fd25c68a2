"""One round end to end: solve, price, bill, standalone bills, individual rationality, KPIs.

``clear`` is the entry point; ``price_and_bill`` recomputes prices and bills from any dispatch (an
auditor's or a sharing rule's), and ``standalone_bill`` gives one peer's bill when trading alone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from flexunity.errors import UserError
from flexunity.model import Scenario
from flexunity.optimize.bills import (
    Bill,
    compute_bills,
    ir_violations,
    money_balance,
    standalone_bills_from,
)
from flexunity.optimize.bills import enforce_ir as add_side_payments
from flexunity.optimize.builder import build_lp, pwl_error_bound
from flexunity.optimize.dw_standalone import first_proposals_are_standalone
from flexunity.optimize.engines import choose_engine, solve_community
from flexunity.optimize.kpis import compute_kpis
from flexunity.optimize.lp import FloatArray
from flexunity.optimize.pricing import Prices, compute_prices
from flexunity.optimize.solve import Dispatch, DispatchDict, dispatch_vector, solve_dispatch, solve_lp

RESULT_FORMAT = "flexunity-result/1"


@dataclass(frozen=True, eq=False)
class ClearedRound:
    """Everything ``flexunity clear`` reports about one round (see docs/result-format.md)."""

    scenario: Scenario
    dispatch: Dispatch
    pricing: str
    prices: Prices
    bills: dict[str, Bill]
    standalone_bills: dict[str, Bill | None]
    kpis: dict[str, Any]
    ir_violations: list[str]
    enforce_ir: bool
    pwl_error_bound: float
    timings: dict[str, float] = field(default_factory=dict)
    engine: str = "highs"  # which path solved the dispatch: highs, admm or ray (engines.py)
    solver: dict[str, Any] = field(default_factory=dict)  # that path's report (ADMM: passes, gap)

    @property
    def status(self) -> str:
        """Solver status (``optimal``; other outcomes raise instead of returning)."""
        return self.dispatch.status

    @property
    def objective(self) -> float:
        """Optimal value of (3a), currency."""
        return self.dispatch.objective

    @property
    def p(self) -> FloatArray:
        """Net production per peer × interval (kWh)."""
        return self.dispatch.p

    @property
    def q(self) -> FloatArray:
        """Community trade per peer × interval (kWh, + bought)."""
        return self.dispatch.q

    @property
    def alpha(self) -> FloatArray:
        """Grid import per peer × interval (kWh, ≥ 0)."""
        return self.dispatch.alpha

    @property
    def beta(self) -> FloatArray:
        """Grid export per peer × interval (kWh, ≤ 0)."""
        return self.dispatch.beta

    @property
    def variables(self) -> dict[str, dict[str, Any]]:
        """Every variable block, asset states included: ``{block: {owner: values}}``."""
        return self.dispatch.to_dict()

    @property
    def duals(self) -> FloatArray:
        """The solver's shadow price of Σq = 0 per interval (currency/kWh): HiGHS's for an LP,
        Clarabel's KKT multiplier for a QP."""
        return self.dispatch.duals

    def to_dict(self) -> dict[str, Any]:
        """The result document (``flexunity-result/1``), JSON-ready."""
        sc, d = self.scenario, self.dispatch
        series = {"p": d.p, "q": d.q, "alpha": d.alpha, "beta": d.beta}  # each (N, T), computed once
        rows = {name: values.tolist() for name, values in series.items()}
        peers = {pid: {name: rows[name][i] for name in series} for i, pid in enumerate(sc.peer_ids)}
        return {
            "format": RESULT_FORMAT,
            "scenario": sc.name,
            "intervals": sc.intervals,
            "interval_minutes": sc.interval_minutes,
            "currency": sc.currency,
            "status": self.status,
            "objective": self.objective,
            "pwl_error_bound": self.pwl_error_bound,
            "pricing": self.prices.to_dict(),
            "duals": {"community_balance": self.duals.tolist()},
            "peers": peers,
            "variables": d.to_dict(),
            "bills": {pid: b.to_dict() for pid, b in self.bills.items()},
            "standalone_bills": {
                pid: None if b is None else b.to_dict() for pid, b in self.standalone_bills.items()
            },
            "individual_rationality": {
                "satisfied": not self.ir_violations,
                "violations": self.ir_violations,
                "enforced": self.enforce_ir,
            },
            "kpis": self.kpis,
            "timings": self.timings,
            "solver": {**self.solver, "engine": self.engine},
        }


def as_dispatch(scenario: Scenario, dispatch: Dispatch | DispatchDict) -> Dispatch:
    """A Dispatch from a Dispatch or a ``{block: {owner: values}}`` mapping (duals unknown: NaN)."""
    if isinstance(dispatch, Dispatch):
        return dispatch
    lp = build_lp(scenario, terms=False)  # labels, bounds and costs: all pricing and bills read
    x = dispatch_vector(lp, dispatch)
    nan = np.full(scenario.intervals, np.nan)
    return Dispatch(scenario, lp, x, lp.objective(x), nan, "posted")


def price_and_bill(
    scenario: Scenario,
    dispatch: Dispatch | DispatchDict,
    pricing: str = "dual",
    options: dict[str, Any] | None = None,
) -> tuple[Prices, dict[str, Bill]]:
    """Prices of ``pricing`` and every peer's bill for a dispatch (no side payments)."""
    d = as_dispatch(scenario, dispatch)
    prices = compute_prices(d, pricing, options)
    return prices, compute_bills(d, prices)


#: Peers per block-diagonal standalone LP. The standalone LPs are independent, and HiGHS's dual
#: simplex grows faster than linearly with size, so chunks beat one LP (1,000 peers × 96: 4.1-5.4 s
#: in chunks of 50-250 against 6.1 s in one) and let a caller show progress.
STANDALONE_CHUNK = 200

Progress = Callable[[str, int, int], None]  # (stage, done, total)
T = TypeVar("T")


def standalone_bills(
    scenario: Scenario,
    progress: Progress | None = None,
    threads: int | None = None,
    known: Mapping[str, Bill] | None = None,
) -> dict[str, Bill | None]:
    """Every peer's bill when it trades alone against its retail tariff (None if it cannot).

    A peer with nothing to decide (``fixed_standalone``) is billed in closed form; the others are
    solved ``STANDALONE_CHUNK`` at a time in one block-diagonal LP each (q fixed to 0), the chunks
    on ``threads`` threads (default: the machine's cores; HiGHS releases Python's lock while it
    solves); if a chunk is infeasible (an islanded peer that cannot serve itself), its peers are
    solved one by one. ``progress("standalone bills", done, total)`` is called after each chunk.
    Bills in ``known`` (Dantzig-Wolfe's, dw_standalone.py) are taken as they are.
    """
    from concurrent.futures import as_completed

    ids = scenario.peer_ids
    fixed = fixed_standalone(scenario)
    out: dict[str, Bill | None] = dict(fixed_standalone_bills(scenario, fixed)) if fixed.any() else {}
    out.update(known or {})
    solve = [pid for pid, f in zip(ids, fixed, strict=True) if not f and pid not in out]
    if progress is not None and out:
        progress("standalone bills", len(out), len(ids))
    parts = [solve[start : start + STANDALONE_CHUNK] for start in range(0, len(solve), STANDALONE_CHUNK)]
    workers = max(1, min(len(parts), threads or os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        for done in as_completed([pool.submit(_standalone_chunk, scenario, part) for part in parts]):
            out.update(done.result())
            if progress is not None:
                progress("standalone bills", len(out), len(ids))
    return {pid: out[pid] for pid in ids}


def _standalone_chunk(scenario: Scenario, part: list[str]) -> dict[str, Bill | None]:
    """Standalone bills of the peers ``part`` in one block-diagonal LP (one by one if infeasible)."""
    chunk = scenario if len(part) == len(scenario.peers) else scenario.subset(part)
    try:
        lp = build_lp(chunk, community_terms=False, trading=False)
        return dict(standalone_bills_from(solve_lp(chunk, lp, explain=False)))
    except UserError:
        return {pid: standalone_bill(chunk, pid) for pid in part}


def fixed_standalone(scenario: Scenario) -> npt.NDArray[np.bool_]:
    """Peers whose standalone LP has one optimum known in closed form: in a connected community, a
    peer with no asset, no cost function and no PV whose spill can beat exporting (aggregate.py's
    rule, without community terms) has a fixed net position x = (load + baselines − PV)·Δt − p_min,
    imported (α = x) where positive and exported (β = x) where negative: any other split adds
    α − β at a cost of (import − export coefficient) ≥ 0 per kWh (an export coefficient above the
    import one makes the LP unbounded, which ``clear``'s own solve reports first)."""
    from flexunity.optimize.aggregate import flexible_peers, grid_classes, spill_useful

    if not scenario.grid.connected or not scenario.peers:
        return np.zeros(len(scenario.peers), dtype=bool)
    classes = grid_classes(scenario, community_terms=False)
    spill = spill_useful(scenario, classes, community_terms=False)[classes.of_peer]
    return ~flexible_peers(scenario, spill)


def fixed_standalone_bills(scenario: Scenario, fixed: npt.NDArray[np.bool_]) -> dict[str, Bill]:
    """Standalone bills of the ``fixed`` peers in closed form (``fixed_standalone``): retail price
    times import α = max(x, 0) and export β = min(x, 0), no flexibility cost."""
    from flexunity.optimize.builder import balance_rhs, peer_matrix

    sub = scenario.subset([pid for pid, f in zip(scenario.peer_ids, fixed, strict=True) if f])
    x = balance_rhs(sub)
    imp = peer_matrix(sub, lambda p: sub.tariffs[p.tariff].import_price) * np.maximum(x, 0.0)
    exp = peer_matrix(sub, lambda p: sub.tariffs[p.tariff].export_price) * np.minimum(x, 0.0)
    return {
        pid: Bill(0.0, float(imp[i].sum()), float(exp[i].sum()), 0.0, 0.0, 0.0, 0.0)
        for i, pid in enumerate(sub.peer_ids)
    }


def _timed(fn: Callable[..., T], *args: Any) -> tuple[T, float]:
    """``fn(*args)`` and the seconds it took."""
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def standalone_bill(scenario: Scenario, peer_id: str) -> Bill | None:
    """One peer's standalone bill: its assets optimised alone against the grid; None if infeasible."""
    try:
        d = solve_dispatch(scenario, [peer_id], community_terms=False, explain=False)
    except UserError:
        return None
    return standalone_bills_from(d)[peer_id]


def clear(
    scenario: Scenario,
    pricing: str = "dual",
    *,
    enforce_ir: bool | None = None,
    pricing_options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    engine: str = "auto",
    workers: int | None = None,
) -> ClearedRound:
    """Clear one round: optimal dispatch, prices of ``pricing``, bills, standalone bills, KPIs.

    With ``enforce_ir`` losers against standalone are compensated by zero-sum side payments;
    ``None`` (the default) follows the scenario's ``community.enforce_ir``.
    ``progress(stage, done, total)``, if given, hears of each stage ("community dispatch" 0/1 and
    1/1, then "standalone bills" per chunk of peers).
    ``engine`` picks the path (engines.py: "auto" by size, "highs", "admm", "ray"; ``workers``
    shards for ADMM); the result says which one solved it (``engine``, ``solver``).
    Raises InfeasibleError naming the constraints at fault, InputError for an unknown rule.
    """
    if enforce_ir is None:
        enforce_ir = scenario.community.enforce_ir
    report = progress or (lambda stage, done, total: None)
    start = time.perf_counter()
    planned = choose_engine(scenario, engine)
    # The standalone bills do not depend on the dispatch. Dantzig-Wolfe finds most of them on the
    # way (its first proposals, dw_standalone.py): then only the rest is solved, after it. Else in
    # process they run on a thread of their own while the community is solved (HiGHS releases
    # Python's lock, so both use the cores); with Ray they follow the solve, whose actors hold the
    # cluster's CPUs.
    on_ray = planned in ("ray", "dw-ray")
    from_dw = planned in ("dw", "dw-ray") and first_proposals_are_standalone(scenario)
    known: dict[str, Bill] = {}
    with ThreadPoolExecutor(1) as pool:
        after_solve = on_ray or from_dw
        alone = None if after_solve else pool.submit(_timed, standalone_bills, scenario, progress)
        report("community dispatch", 0, 1)
        d, used, solver = solve_community(
            scenario, engine, workers=workers, progress=progress, standalone=known
        )
        report("community dispatch", 1, 1)
        prices, bills = price_and_bill(scenario, d, pricing, dict(pricing_options or {}))
        if alone is not None:
            standalone, standalone_s = alone.result()
        elif on_ray and not known:
            from flexunity.optimize.distributed import standalone_bills_on_ray

            standalone, standalone_s = _timed(standalone_bills_on_ray, scenario, progress)
        else:
            standalone, standalone_s = _timed(standalone_bills, scenario, progress, None, known)
    violations = ir_violations(bills, standalone)
    if enforce_ir and violations:
        bills = add_side_payments(bills, standalone)
        violations = ir_violations(bills, standalone)
    kpis = compute_kpis(d, bills, standalone)
    kpis["money_balance"] = money_balance(bills, d)
    timings = dict(d.timings, standalone_s=standalone_s, total_s=time.perf_counter() - start)
    return ClearedRound(
        scenario,
        d,
        pricing,
        prices,
        bills,
        standalone,
        kpis,
        violations,
        enforce_ir,
        pwl_error_bound(scenario),
        timings,
        used,
        solver,
    )
