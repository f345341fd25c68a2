"""One large community by decomposition: the seed's ADMM (D3.1 eq. 2a-2b) in sharing form.

``solve_admm(scenario, workers=2, engine="ray")`` returns a ``Dispatch`` like ``solve_dispatch``:
feasible for the per-peer LP, optimal within the certified gap it reports. Shards of peers solve
their own QPs (local.py) as Ray actors or in process (workers.py); the coordinator (coordinator.py)
sees only class sums of net positions; run.py holds the iteration and its stopping rule.
docs/optimisation.md, "ADMM", states the method, tolerances and measured figures.
"""

from __future__ import annotations

import time

from flexunity.model import Scenario
from flexunity.optimize.admm.run import EPS_ABS, EPS_REL, MAX_ITERATIONS, AdmmReport, Progress, run_admm
from flexunity.optimize.aggregate import disaggregate
from flexunity.optimize.solve import Dispatch

__all__ = ["EPS_ABS", "EPS_REL", "MAX_ITERATIONS", "AdmmReport", "solve_admm"]


def solve_admm(
    scenario: Scenario,
    *,
    workers: int = 2,
    engine: str = "local",
    max_iterations: int = MAX_ITERATIONS,
    progress: Progress | None = None,
) -> tuple[Dispatch, AdmmReport]:
    """The community's dispatch by ADMM over ``workers`` shards (``engine`` "local" or "ray")."""
    from flexunity.optimize.diagnose import precheck

    precheck(scenario)
    start = time.perf_counter()
    agg, x, report = run_admm(
        scenario, shards=workers, engine=engine, max_iterations=max_iterations, progress=progress
    )
    target, xs = disaggregate(agg, x)
    timings = {
        "build_s": report.setup_s,
        "solve_s": report.loop_s + report.finish_s,
        "recover_s": time.perf_counter() - start - report.setup_s - report.loop_s - report.finish_s,
    }
    objective = float(target.cost @ xs) + target.constant
    return Dispatch(scenario, target, xs, objective, report.duals, "optimal", timings), report
