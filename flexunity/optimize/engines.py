"""Which path solves a community's dispatch: the monolithic HiGHS LP or a decomposition.

``engine`` is "highs" (the aggregated LP in one HiGHS solve, solve.py), "dw" (Dantzig-Wolfe,
dantzig_wolfe.py: exact to a certified gap of 1e-9, shards on threads of this process), "dw-ray"
(the same with one Ray actor per shard), "admm" (the seed's ADMM, admm/, shards in this process),
"ray" (ADMM with one Ray actor per shard, on the cluster that ``ray.init`` joined, else a local one)
or "auto": HiGHS below ``DW_MIN_FLEXIBLE_PEERS`` peers with assets, for quadratic costs (a QP) and
for an islanded community; above, Dantzig-Wolfe, on Ray ("dw-ray") when a cluster is configured (Ray
already initialised, or ``RAY_ADDRESS`` set), else in process. ADMM is never chosen by "auto": its
answer is optimal only to about 1e-3 (docs/distributed.md). The threshold and the figures behind it
are in docs/distributed.md. Ray stays optional: it is imported only on the Ray paths.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flexunity.errors import InfeasibleError, InputError
from flexunity.model import Scenario
from flexunity.optimize.bills import Bill
from flexunity.optimize.solve import Dispatch, solve_dispatch

if TYPE_CHECKING:
    from flexunity.optimize.admm.run import AdmmReport

ENGINES = ("auto", "highs", "dw", "dw-ray", "admm", "ray")
#: Peers with assets from which "auto" decomposes by Dantzig-Wolfe. Measured (docs/distributed.md,
#: 2026-12-01, idle machine, wall): 137 peers with assets, monolithic 1.2 s against DW 1.6-1.8 s;
#: 213, 4.1-4.5 s against 2.5-3.2 s; 673, 23-26 s against 5.7-9.1 s. They cross between 137 and
#: 213; 300 keeps the monolithic LP (one solve, no threads) wherever it is not clearly slower.
DW_MIN_FLEXIBLE_PEERS = 300
#: Peers with assets per Dantzig-Wolfe shard (a shard's simplex work grows faster than its size).
DW_PEERS_PER_SHARD = 100
#: ADMM stops at residuals near 10⁻³ relative; above this certified gap (a tenth of the audit's
#: 10⁻⁶) its result is finished exactly by Dantzig-Wolfe from ADMM's prices (_finish_admm).
ADMM_EXACT_GAP = 1e-7

Progress = Callable[[str, int, int], None]


def flexible_count(scenario: Scenario) -> int:
    """Peers that carry variables in the aggregated LP (assets, cost function or useful PV spill)."""
    from flexunity.optimize.aggregate import flexible_peers, grid_classes, spill_useful

    classes = grid_classes(scenario)
    return int(flexible_peers(scenario, spill_useful(scenario, classes)[classes.of_peer]).sum())


def ray_available() -> bool:
    """Ray is installed (it is optional at run time)."""
    return importlib.util.find_spec("ray") is not None


def ray_cluster_configured() -> bool:
    """Ray is already running in this process, or ``RAY_ADDRESS`` names a cluster to join: "auto"
    uses Ray only then, and never starts a local cluster behind a caller's back (an oracle)."""
    import os
    import sys

    ray = sys.modules.get("ray")
    return bool(os.environ.get("RAY_ADDRESS")) or (ray is not None and ray.is_initialized())


def choose_engine(scenario: Scenario, engine: str = "auto") -> str:
    """The concrete engine for ``engine`` ("auto" decides by the number of flexible peers)."""

    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine in ("dw", "dw-ray") and not decomposable(scenario):
        raise InputError(
            f"engine {engine}: Dantzig-Wolfe needs a grid-connected community with linear costs "
            "(use highs for islanded communities and exact quadratic costs)"
        )
    if engine != "auto":
        return engine
    if len(scenario.peers) < DW_MIN_FLEXIBLE_PEERS or not decomposable(scenario):
        return "highs"
    if flexible_count(scenario) < DW_MIN_FLEXIBLE_PEERS:
        return "highs"
    return "dw-ray" if ray_available() and ray_cluster_configured() else "dw"


def decomposable(scenario: Scenario) -> bool:
    """Dantzig-Wolfe applies: connected (its first master LP is then always feasible: the class
    import and export absorb any proposals) and an LP (no exact quadratic cost)."""
    from flexunity.optimize.builder import has_quadratic

    exact_qp = has_quadratic(scenario) and scenario.community.quadratic == "exact"
    return scenario.grid.connected and not exact_qp


def solve_community(
    scenario: Scenario,
    engine: str = "auto",
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    standalone: dict[str, Bill] | None = None,
) -> tuple[Dispatch, str, dict[str, Any]]:
    """The dispatch, the engine that produced it, and that engine's report (empty for HiGHS).

    ``standalone``, if given, receives the standalone bills the engine found on the way
    (Dantzig-Wolfe's first proposals, dw_standalone.py); clearing.clear solves only the others."""
    used = choose_engine(scenario, engine)
    if used == "highs":
        return solve_dispatch(scenario), used, {}
    if used in ("dw", "dw-ray"):
        return _dantzig_wolfe(scenario, used, workers, progress, standalone)
    from flexunity.optimize.admm import solve_admm

    if used == "ray":
        from flexunity.optimize.ray_runtime import ensure_ray

        workers = workers or ensure_ray()
    d, report = solve_admm(
        scenario, workers=workers or 2, engine="ray" if used == "ray" else "local", progress=progress
    )
    out = report.to_dict()
    if report.gap <= ADMM_EXACT_GAP:
        return d, used, out
    return _finish_admm(scenario, used, workers or 2, d, out, report, progress)


def _finish_admm(
    scenario: Scenario,
    used: str,
    workers: int,
    d: Dispatch,
    out: dict[str, Any],
    report: AdmmReport,
    progress: Progress | None,
) -> tuple[Dispatch, str, dict[str, Any]]:
    """ADMM's result finished exactly: Dantzig-Wolfe started from ADMM's prices (moved where the
    master's columns are bounded, so the first iteration already has a finite bound), on the same
    shards' engine (threads, or Ray actors). The report keeps
    ADMM's figures and adds the finish's; the certified gap is the finish's. If the finish cannot
    run (an elastic column stays in use), ADMM's own feasible result stands with its gap."""
    from flexunity.optimize.dantzig_wolfe import admm_prices, solve_dantzig_wolfe

    engine = "ray" if used == "ray" else "local"
    try:
        exact, finish = solve_dantzig_wolfe(
            scenario,
            shards=dw_shards(flexible_count(scenario), workers, engine),
            engine=engine,
            threads=workers,
            prices=admm_prices(report.prices, report.duals),
            progress=progress,
        )
    except InfeasibleError:
        return d, used, out
    out = dict(out, admm_gap=out["certified_gap"], objective=exact.objective)
    out.update(certified_gap=finish.certified_gap, lower_bound=finish.lower_bound)
    out["finish"] = {k: v for k, v in finish.to_dict().items() if k != "engine"}
    return exact, used, out


def dw_shards(flexible: int, workers: int, engine: str) -> int:
    """Shards for Dantzig-Wolfe: one per ``DW_PEERS_PER_SHARD`` peers with assets, at least one per
    thread, in process; one per worker on Ray (an actor holds its CPU while it lives)."""
    return workers if engine == "ray" else max(workers, flexible // DW_PEERS_PER_SHARD)


def _dantzig_wolfe(
    scenario: Scenario,
    used: str,
    workers: int | None,
    progress: Progress | None,
    standalone: dict[str, Bill] | None,
) -> tuple[Dispatch, str, dict[str, Any]]:
    """Dantzig-Wolfe in process (threads: ``workers``, default the machine's cores) or on Ray."""
    import os

    from flexunity.optimize.dantzig_wolfe import solve_dantzig_wolfe
    from flexunity.optimize.diagnose import precheck

    precheck(scenario)
    if used == "dw-ray":
        from flexunity.optimize.ray_runtime import ensure_ray

        workers = workers or ensure_ray()
    threads = workers or os.cpu_count() or 1
    engine = "ray" if used == "dw-ray" else "local"
    shards = dw_shards(flexible_count(scenario), threads, engine)
    try:
        d, report = solve_dantzig_wolfe(
            scenario,
            shards=shards,
            engine=engine,
            threads=threads,
            standalone=standalone is not None,
            progress=progress,
        )
    except InfeasibleError:  # the monolithic solve names the rows at fault (diagnose.py)
        return solve_dispatch(scenario), "highs", {}
    if standalone is not None and report.standalone is not None:
        standalone.update(report.standalone)
    return d, used, report.to_dict()
