"""Run time of every market design on a pilot or a generated community (``flexunity bench designs``).

Each figure is the design's own computation for the day(s): schedules, LPs, auctions and billing,
not the report. The no-trading LP that every design is compared with is timed under ``none``.
"""

from __future__ import annotations

import time
from typing import Any

from flexunity.lab import compare
from flexunity.lab.days import DaySource, source
from flexunity.lab.designs_spec import parse

ALL = "none,community,pay-as-clear,pay-as-bid,cda,bilateral,hybrid"


def generated(peers: int, intervals: int, seed: int) -> DaySource:
    """A community of the realistic generator (its default asset mix), the same every day."""
    from flexunity.data.generator import generate_community
    from flexunity.data.scenario_io import scenario_from_dict

    minutes = 1440 // intervals
    sc = scenario_from_dict(
        generate_community(peers, intervals, seed=seed, interval_minutes=minutes),
        source="generated community",
    )
    return lambda i: sc


def run_designs_benchmark(
    scenario: str | None = None,
    peers: int | None = None,
    intervals: int = 96,
    days: int = 1,
    designs: str = ALL,
    seed: int = 0,
) -> tuple[str, list[dict[str, Any]]]:
    """A title naming the community, and one row per design: seconds of computation, on-chain
    cost; the last row is the wall time of the whole comparison."""
    if peers is not None:
        days_of, what = generated(peers, intervals, seed), f"{peers} generated peers × {intervals}"
    else:
        days_of, what = source(scenario or "corby", None, seed)
    start = time.perf_counter()
    result = compare.run(days_of, parse(designs, preferences=True), days, seed=seed)
    wall = time.perf_counter() - start
    name = what if peers is not None else result.scenario
    title = f"Market designs: run time, {name} ({result.peers} peers × {result.intervals}, {days} day(s))"
    rows = [
        {
            "design": k["design"],
            "seconds": round(k["seconds"], 3),
            "transactions": k["transactions"],
            "gas": k["gas"],
            "gas_basis": k["gas_basis"],
        }
        for k in result.kpis()
    ]
    rows.append({"design": "(whole comparison, wall)", "seconds": round(wall, 3)})
    return title, rows
