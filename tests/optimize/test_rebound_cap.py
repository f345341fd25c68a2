"""Golden case: the rebound of a curtailable load respects its rated power (Corby chiller bug).

One peer, one curtailable load with baseline [2, 1, 1, 1] kW, import prices [1.00, 0.10, 0.12,
0.14] GBP/kWh, curtailment cost 0.01, rebound fraction 1, 60-minute intervals. Curtailing the
2 kWh of interval 0 saves 1.00/kWh and the energy is caught up later, cheapest first.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from flexunity.data.scenario_io import load_scenario, scenario_from_dict, scenario_to_dict
from flexunity.errors import InputError
from flexunity.model import Scenario
from flexunity.optimize import check_feasible, clear

GOLDEN = Path(__file__).parent / "golden" / "rebound_cap"


def _with_max_kw(sc: Scenario, max_kw: float | None) -> Scenario:
    peer = sc.peers[0]
    load = replace(peer.curtailable_loads[0], max_kw=max_kw)
    return replace(sc, peers=(replace(peer, curtailable_loads=(load,)),))


def _consumption(sc: Scenario, variables: dict) -> np.ndarray:
    load = sc.peers[0].curtailable_loads[0]
    key = f"{sc.peers[0].id}/{load.id}"
    return load.profile_kw - np.asarray(variables["curtail"][key]) + np.asarray(variables["rebound"][key])


@pytest.mark.parametrize("formulation", ["aggregated", "per-peer"])
def test_rebound_never_exceeds_the_rated_power(formulation: str) -> None:
    # max_kw 3: the 2 kWh catch-up fits in interval 1 (baseline 1 + rebound 2 = 3 kW).
    # Objective: imports 3·0.10 + 1·0.12 + 1·0.14 + curtailment 2·0.01 = 0.58.
    from flexunity.optimize import solve_dispatch

    sc = load_scenario(GOLDEN)
    d = solve_dispatch(sc, formulation=formulation)
    np.testing.assert_allclose(_consumption(sc, d.to_dict()), [0, 3, 1, 1], atol=1e-9)
    assert d.objective == pytest.approx(0.58)


def test_a_low_rating_spreads_the_rebound_and_limits_the_curtailment() -> None:
    # max_kw 1.5: rebound ≤ 0.5 kWh in each of intervals 1-3, so only 1.5 kWh can be curtailed at 0
    # (the baseline of 2 kW above the rating at 0 is not cut, the rebound just cannot go there).
    # Objective: 0.5·1.00 + 1.5·(0.10 + 0.12 + 0.14) + 1.5·0.01 = 1.055.
    sc = _with_max_kw(load_scenario(GOLDEN), 1.5)
    r = clear(sc)
    np.testing.assert_allclose(_consumption(sc, r.variables), [0.5, 1.5, 1.5, 1.5], atol=1e-9)
    assert r.objective == pytest.approx(1.055)
    assert check_feasible(sc, r.variables) == []


def test_without_max_kw_the_rebound_is_capped_at_the_baseline_maximum() -> None:
    # default cap = max baseline = 2 kW: rebound ≤ 1 kWh per interval, in the two cheapest ones.
    # Objective: 2·0.10 + 2·0.12 + 1·0.14 + 2·0.01 = 0.60.
    sc = _with_max_kw(load_scenario(GOLDEN), None)
    r = clear(sc)
    np.testing.assert_allclose(_consumption(sc, r.variables), [0, 2, 2, 1], atol=1e-9)
    assert r.objective == pytest.approx(0.60)
    # the old behaviour (all 2 kWh caught up at once, 3 kW) now violates the cap
    spike = {k: dict(v) for k, v in r.variables.items()}
    spike["rebound"]["plant/chiller"] = [0.0, 2.0, 0.0, 0.0]
    spike["rebound_backlog"]["plant/chiller"] = [2.0, 0.0, 0.0, 0.0]
    spike["curtail"]["plant/chiller"] = [2.0, 0.0, 0.0, 0.0]
    assert any(
        msg.startswith("rebound_power of plant/chiller at interval 1") for msg in check_feasible(sc, spike)
    )


def test_max_kw_round_trips_and_is_validated() -> None:
    doc = scenario_to_dict(load_scenario(GOLDEN))
    assert doc["peers"][0]["curtailable_loads"][0]["max_kw"] == 3
    assert scenario_from_dict(doc).peers[0].curtailable_loads[0].max_kw == 3
    doc["peers"][0]["curtailable_loads"][0]["max_kw"] = -1
    with pytest.raises(InputError, match=r"peer plant\.curtailable_loads\[0\]\.max_kw"):
        scenario_from_dict(doc)
