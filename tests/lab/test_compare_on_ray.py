"""The market-design laboratory's designs as Ray tasks give the comparison run here, day by day.

Each design's days stay in one task (batteries and agents carry over), the community rules share
one task (one dispatch per day), and ``none`` runs first (its bills are the rules' baseline); the
KPIs, bills and last days must be those of the local run, to the last digit.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from flexunity.lab import compare
from flexunity.lab.designs_spec import parse
from flexunity.optimize.benchmark import generated_community

pytest.importorskip("ray")
pytestmark = pytest.mark.slow  # joins the session's Ray cluster (about 15 s to start)

DESIGNS = "none,community,pay-as-clear,cda,bilateral,hybrid"


def test_designs_on_ray_equal_the_local_run(ray_cluster: Any) -> None:
    warnings.filterwarnings("ignore", category=UserWarning)
    sc = generated_community(10, 24, {"battery": 0.5, "pv": 0.6, "ev": 0.2})
    specs = parse(DESIGNS, rules="dual,mmr")
    seen: list[tuple[str, int, int]] = []
    local = compare.run(lambda day: sc, specs, 2, seed=3)
    remote = compare.run(lambda day: sc, specs, 2, seed=3, engine="ray", progress=lambda *a: seen.append(a))
    assert [t.label for t in remote.tallies] == [t.label for t in local.tallies]
    assert len(local.tallies) == len(specs) > 6  # two community rules in one task
    for mine, theirs in zip(local.tallies, remote.tallies, strict=True):
        assert mine.bills == theirs.bills, mine.label
        assert mine.energy == theirs.energy, mine.label
    drop = {"seconds", "run_s", "chain"}
    for mine, theirs in zip(local.kpis(), remote.kpis(), strict=True):
        assert {k: v for k, v in mine.items() if k not in drop} == {
            k: v for k, v in theirs.items() if k not in drop
        }
    assert remote.last_day.keys() == local.last_day.keys()
    assert seen[-1] == ("designs", len(specs), len(specs))
