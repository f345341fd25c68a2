"""Clearing benchmark: build and solve a random community of ``peers`` × ``intervals`` and report
build time, HiGHS solve time, LP size and peak memory. Figures are printed, never asserted.

The tiny generator here gives every peer a load, most a PV array, a third a battery, a quarter a
shiftable load, a fifth an EV and a fifth a curtailable load, with a time-of-use tariff. With ``mix``
the community comes from the realistic generator (``flexunity.data.generator``) with those asset
shares instead: the solve time follows the number of peers with assets (``flexible_peers``), since
peers without assets add no variables to the aggregated LP. With ``quadratic_share`` that share of
peers also gets a quadratic cost function (half flexible consumption valued a·p²/2 + b·p, half a
small flexible generator), solved exactly (a QP, ``quadratic="exact"``) or on chords (an LP, "pwl").
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from flexunity.model import (
    Battery,
    CommunitySettings,
    CostFunction,
    CurtailableLoad,
    EVCharger,
    Grid,
    Peer,
    Scenario,
    ShiftableLoad,
    Tariff,
)
from flexunity.optimize.aggregate import build_aggregated_lp
from flexunity.optimize.builder import build_lp
from flexunity.optimize.solve import DEFAULT_METHOD, choose_method, solve_aggregated, solve_lp


def random_community(
    peers: int, intervals: int, seed: int = 0, *, quadratic_share: float = 0.0, quadratic: str = "exact"
) -> Scenario:
    """A random but plausible community: day-shaped PV and loads, a peak/off-peak tariff;
    ``quadratic_share`` of peers with a quadratic cost function (``with_cost_functions``)."""
    rng = np.random.default_rng(seed)
    minutes = max(15, min(60, 1440 // max(intervals, 1)))
    hours = (np.arange(intervals) + 0.5) * minutes / 60 % 24
    sun = np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None)
    evening = 0.4 + 0.6 * np.exp(-((hours - 19) ** 2) / 6)
    tariff = Tariff(
        np.where((hours >= 16) & (hours < 19), 0.35, np.where(hours < 7, 0.12, 0.25)),
        np.full(intervals, 0.05),
    )
    out = [_random_peer(rng, i, intervals, sun, evening) for i in range(peers)]
    grid = Grid(connected=True, capacity_charge_per_kw=0.05)
    sc = Scenario(
        f"random-{peers}x{intervals}",
        intervals,
        minutes,
        {"tou": tariff},
        tuple(out),
        grid,
        CommunitySettings(fee_per_kwh=0.005, quadratic=quadratic),
    )
    return with_cost_functions(sc, quadratic_share, seed) if quadratic_share > 0 else sc


def with_cost_functions(sc: Scenario, share: float, seed: int = 0) -> Scenario:
    """``share`` of the peers (drawn with their own generator, so the rest of the community is
    unchanged) get a cost function a·p²/2 + b·p (p in kWh per interval): every other one a flexible
    consumption of up to 2 kW with marginal value b − a·d falling from about 0.30 to 0.10/kWh at full
    power (b ≈ 0.30, cost b·p + a·p²/2 with p = −d ≤ 0), the others a generator of up to 3 kW with
    marginal cost rising from about 0.08 to 0.30/kWh."""
    rng = np.random.default_rng(seed + 1_000_003)
    dh = sc.hours_per_interval
    peers = list(sc.peers)
    chosen = np.nonzero(rng.random(len(peers)) < share)[0]
    for j, i in enumerate(chosen):
        if j % 2 == 0:
            b, p_min, p_max = rng.uniform(0.28, 0.32), -2.0, 0.0
        else:
            b, p_min, p_max = rng.uniform(0.07, 0.09), 0.0, 3.0
        a = 0.2 / ((p_max - p_min) * dh)  # marginal cost or value moves by 0.2/kWh over the range
        cf = CostFunction(np.asarray(a), np.asarray(b), np.asarray(p_min), np.asarray(p_max))
        peers[i] = replace(peers[i], cost_function=cf)
    return replace(sc, peers=tuple(peers))


def _random_peer(rng: np.random.Generator, i: int, t: int, sun: np.ndarray, evening: np.ndarray) -> Peer:
    load = evening * rng.uniform(0.3, 1.5) * rng.uniform(0.8, 1.2, t)
    pv = sun * rng.uniform(2, 6) if rng.random() < 0.6 else None
    bats = (Battery("bat", 8.0, 3.0, 3.0, 0.95, 0.95, 4.0),) if rng.random() < 1 / 3 else ()
    first = int(rng.integers(0, t // 2))
    shift = (
        (ShiftableLoad("wash", 1.5, 2.0, (first, min(t - 1, first + t // 4))),) if rng.random() < 0.25 else ()
    )
    ev = (EVCharger("ev", 6.0, 7.0, t // 2, t),) if rng.random() < 0.2 else ()
    hvac = (CurtailableLoad("hvac", 0.5 * evening, 0.5, 0.2, 0.5),) if rng.random() < 0.2 else ()
    return Peer(
        f"p{i:05d}",
        "tou",
        load,
        pv,
        batteries=bats,
        shiftable_loads=shift,
        ev_chargers=ev,
        curtailable_loads=hvac,
    )


def generated_community(peers: int, intervals: int, mix: Mapping[str, float], seed: int = 0) -> Scenario:
    """A community of the realistic generator with asset shares ``mix`` (keys of its DEFAULT_MIX),
    on a day of ``intervals`` intervals (48: half-hours, 96: quarter-hours)."""
    from flexunity.data.generator import generate_community
    from flexunity.data.scenario_io import scenario_from_dict

    minutes = 1440 // intervals if intervals <= 1440 and 1440 % intervals == 0 else 30
    doc = generate_community(peers, intervals, mix=mix, seed=seed, interval_minutes=minutes)
    return scenario_from_dict(doc, source="generated community")


def general_case(sc: Scenario, seed: int = 0) -> Scenario:
    """``sc`` with no two assets scaled copies of each other (issue 18's general case): every battery
    its own C-rates (0.25-1 per hour, charge and discharge apart), efficiencies (0.88-0.98) and
    initial state (10-90 %), every shiftable load and EV its own window (drawn inside the round)."""
    rng = np.random.default_rng(seed + 7_000_003)
    t = sc.intervals

    def battery(b: Battery) -> Battery:
        cap = b.capacity_kwh
        c_rate, d_rate = rng.uniform(0.25, 1.0, 2)
        eta_c, eta_d = rng.uniform(0.88, 0.98, 2)
        return replace(
            b,
            charge_kw=cap * c_rate,
            discharge_kw=cap * d_rate,
            charge_efficiency=eta_c,
            discharge_efficiency=eta_d,
            soc_initial_kwh=cap * rng.uniform(0.1, 0.9),
        )

    def window(length_min: int) -> tuple[int, int]:
        first = int(rng.integers(0, t - length_min))
        return first, int(rng.integers(first + length_min, t + 1))

    def shiftable(s: ShiftableLoad) -> ShiftableLoad:
        need = int(np.ceil(s.energy_kwh / (s.max_kw * sc.hours_per_interval))) + 1
        first, end = window(min(t - 1, max(need, t // 8)))
        return replace(s, window=(first, end - 1))

    def ev(e: EVCharger) -> EVCharger:
        need = int(np.ceil(e.energy_kwh / (e.max_kw * sc.hours_per_interval))) + 1
        arrival, departure = window(min(t - 1, max(need, t // 6)))
        return replace(e, arrival=arrival, departure=departure)

    peers = tuple(
        replace(
            p,
            batteries=tuple(battery(b) for b in p.batteries),
            shiftable_loads=tuple(shiftable(s) for s in p.shiftable_loads),
            ev_chargers=tuple(ev(e) for e in p.ev_chargers),
        )
        for p in sc.peers
    )
    return replace(sc, name=f"{sc.name}-general", peers=peers)


def run_clearing_benchmark(
    peers: int,
    intervals: int,
    seed: int = 0,
    *,
    formulation: str = "aggregated",
    method: str | None = None,
    options: dict[str, Any] | None = None,
    mix: Mapping[str, float] | None = None,
    quadratic_share: float = 0.0,
    quadratic: str = "exact",
    qp_solver: str = "clarabel",
    general: bool = False,
) -> dict[str, Any]:
    """Build and solve one random community; times in seconds, peak Python memory of the build in MB.

    ``formulation`` "aggregated" (default, what ``clear`` uses) or "per-peer"; ``method`` and
    ``options`` go to linprog (aggregated only; default: ``solve.choose_method``). ``recover_s`` is
    the split of the aggregated solution back to per-peer variables. ``mix`` switches to the
    realistic generator with those asset shares (``generated_community``). ``quadratic_share``,
    ``quadratic`` ("exact": a QP; "pwl": the chord LP) as in ``with_cost_functions``; ``qp_solver``
    "clarabel" (what ``clear`` uses) or "highs" (HiGHS's QP solver, the alternative measured; needs
    ``highspy``, aggregated only). ``general`` makes every asset its own (``general_case``).
    """
    sc = (
        random_community(peers, intervals, seed)
        if mix is None
        else generated_community(peers, intervals, mix, seed)
    )
    sc = replace(sc, community=replace(sc.community, quadratic=quadratic))
    if general:
        sc = general_case(sc, seed)
    if quadratic_share > 0:
        sc = with_cost_functions(sc, quadratic_share, seed)
    tracemalloc.start()
    start = time.perf_counter()
    agg = build_aggregated_lp(sc) if formulation == "aggregated" else None
    lp = build_lp(sc) if agg is None else agg.lp
    build_s = time.perf_counter() - start
    _, peak_build = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if agg is None:
        d, used = solve_lp(sc, lp, build_s), DEFAULT_METHOD
    elif lp.is_quadratic and qp_solver == "highs":
        d, used = _qp_dispatch(sc, agg, build_s), "highs (QP)"
    elif lp.is_quadratic:  # what clear does: Clarabel, then a HiGHS vertex of the linear part
        d, used = solve_aggregated(sc, agg, build_s, method=method, options=options), "clarabel (QP) + vertex"
    else:
        used = method or choose_method(lp)
        d = solve_aggregated(sc, agg, build_s, method=used, options=options)
    return {
        "peers": peers,
        "intervals": intervals,
        "flexible_peers": int(agg.flexible.sum()) if agg is not None else None,
        "formulation": formulation,
        "method": used,
        "quadratic": quadratic if lp.is_quadratic or quadratic == "pwl" else "none",
        "quadratic_peers": sum(p.cost_function is not None for p in sc.peers),
        "build_s": build_s,
        "solve_s": d.timings["solve_s"],
        "recover_s": d.timings.get("recover_s", 0.0),
        "variables": lp.n_vars,
        "constraints": lp.n_rows,
        "nonzeros": int(lp.matrix("eq").nnz + lp.matrix("ub").nnz),
        "peak_mem_mb": peak_build / 2**20,
        "objective": d.objective,
    }


def run_clear_benchmark(
    peers: int,
    intervals: int,
    seed: int = 0,
    *,
    mix: Mapping[str, float] | None = None,
    general: bool = False,
    engine: str = "highs",
) -> dict[str, Any]:
    """``clear`` end to end on one community, as ``flexunity clear`` runs it: dispatch, prices and
    bills, standalone bills, the result document as JSON; wall and CPU seconds of each stage (CPU
    time of this process, HiGHS's threads included) and the machine's load average."""
    import json
    import os

    from flexunity.optimize.clearing import clear

    sc = (
        random_community(peers, intervals, seed)
        if mix is None
        else generated_community(peers, intervals, mix, seed)
    )
    if general:
        sc = general_case(sc, seed)
    wall, cpu = time.perf_counter(), time.process_time()
    result = clear(sc, engine=engine)
    cleared_wall, cleared_cpu = time.perf_counter() - wall, time.process_time() - cpu
    text = json.dumps(result.to_dict())
    timings = result.timings
    return {
        "peers": peers,
        "intervals": intervals,
        "general": general,
        "engine": result.engine,
        "flexible_peers": int(
            sum(
                bool(p.batteries or p.ev_chargers or p.shiftable_loads or p.curtailable_loads)
                for p in sc.peers
            )
        ),
        "solve_s": timings.get("solve_s", 0.0),
        "standalone_s": timings.get("standalone_s", 0.0),
        "clear_s": cleared_wall,
        "clear_cpu_s": cleared_cpu,
        "document_s": time.perf_counter() - wall - cleared_wall,
        "document_mb": len(text) / 2**20,
        "total_s": time.perf_counter() - wall,
        "total_cpu_s": time.process_time() - cpu,
        "load_average": os.getloadavg()[0],
        "objective": result.objective,
    }


def _qp_dispatch(sc: Scenario, agg: Any, build_s: float) -> Any:
    """The aggregated QP solved by HiGHS's QP solver (the alternative measured), disaggregated like
    ``solve_aggregated``."""
    from flexunity.optimize.aggregate import disaggregate
    from flexunity.optimize.qp import solve_qp_highs
    from flexunity.optimize.solve import Dispatch

    start = time.perf_counter()
    res = solve_qp_highs(agg.lp)
    solve_s = time.perf_counter() - start
    start = time.perf_counter()
    target, x = disaggregate(agg, res.x)
    timings = {"build_s": build_s, "solve_s": solve_s, "recover_s": time.perf_counter() - start}
    return Dispatch(sc, target, x, target.objective(x), res.eq_marginals, res.message, timings)


def run_copies_benchmark(sc: Scenario, *, solve: bool = True) -> dict[str, Any]:
    """Scaled copies in ``sc`` (scaled_copies.py): how many peers and assets merge, the reduction's
    time and, with ``solve``, the HiGHS solve of the original against the reduced community."""
    from flexunity.optimize.scaled_copies import reduce_scenario, solve_with_scaled_copies
    from flexunity.optimize.solve import solve_dispatch

    kinds = ("batteries", "shiftable_loads", "curtailable_loads", "ev_chargers")
    start = time.perf_counter()
    red = reduce_scenario(sc)
    row: dict[str, Any] = {
        "scenario": sc.name,
        "peers": len(sc.peers),
        "assets": sum(len(getattr(p, k)) for p in sc.peers for k in kinds),
        "merged_peers": red.merged_peers,
        "merged_assets": red.merged_assets,
        "reduce_s": time.perf_counter() - start,
    }
    if solve:
        start = time.perf_counter()
        full = solve_dispatch(sc)
        row["solve_s"] = time.perf_counter() - start
        start = time.perf_counter()
        reduced, _ = solve_with_scaled_copies(sc)
        row["solve_reduced_s"] = time.perf_counter() - start
        row["objective_difference"] = reduced.objective - full.objective
    return row
