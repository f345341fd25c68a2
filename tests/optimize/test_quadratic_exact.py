"""Quadratic costs and utilities are solved exactly (a convex QP) by default; chords on request.

Golden cases derived by hand (one interval of one hour, so kW = kWh): a producer with cost
0.02·p²/2 + 0.05·p on p ∈ [0, 10] and a consumer with cost 0.03·p²/2 + 0.30·p on p ∈ [−10, 0]
(a utility 0.30·d − 0.03·d²/2 of consuming d = −p).

- Islanded: the KKT conditions equalise marginal cost and marginal utility,
  0.05 + 0.02·x = 0.30 − 0.03·x, so x = 0.25/0.05 = 5 kWh and λ = 0.15.
- Connected at import 0.12 / export 0.05: the community price is the import price, 0.12, which lies
  in neither agent's bounds: the consumer takes d = (0.30 − 0.12)/0.03 = 6, the producer makes
  p = (0.12 − 0.05)/0.02 = 3.5, and 2.5 kWh are imported.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from flexunity.data.scenario_io import load_scenario, scenario_from_dict, scenario_to_dict
from flexunity.errors import InputError
from flexunity.optimize import check_feasible, clear, objective_value, solve_dispatch
from flexunity.optimize.builder import build_lp

GOLDEN = Path(__file__).parent / "golden" / "quadratic"


def _scenario(name: str, quadratic: str = "exact", segments: int = 16):  # type: ignore[no-untyped-def]
    sc = load_scenario(GOLDEN / name)
    return replace(sc, community=replace(sc.community, quadratic=quadratic, pwl_segments=segments))


@pytest.mark.parametrize("formulation", ["aggregated", "per-peer"])
def test_two_quadratic_agents_islanded_meet_at_the_kkt_price(formulation: str) -> None:
    sc = _scenario("two_agents_islanded.json")
    d = solve_dispatch(sc, formulation=formulation)
    np.testing.assert_allclose(d.p[:, 0], [5.0, -5.0], atol=1e-6)
    np.testing.assert_allclose(d.duals, [0.15], atol=1e-8)  # the solver's KKT multiplier of Σq = 0
    exact = 0.02 * 25 / 2 + 0.05 * 5 + 0.03 * 25 / 2 - 0.30 * 5
    assert d.objective == pytest.approx(exact, abs=1e-8)


def test_islanded_prices_and_bills_follow_the_kkt_price() -> None:
    r = clear(_scenario("two_agents_islanded.json"))
    np.testing.assert_allclose(r.prices.buy, [0.15], atol=1e-8)  # dual rule: band [0.15, 0.15]
    assert r.bills["consumer"].trades == pytest.approx(0.75, abs=1e-6)
    assert r.bills["producer"].trades == pytest.approx(-0.75, abs=1e-6)
    assert r.pwl_error_bound == 0.0
    total = sum(b.cost for b in r.bills.values())
    assert total == pytest.approx(r.objective, abs=1e-9)  # flex_cost carries a·s²/2 exactly


def test_two_quadratic_agents_connected_price_at_the_import_price() -> None:
    r = clear(_scenario("two_agents_connected.json"))
    np.testing.assert_allclose(r.p[:, 0], [3.5, -6.0], atol=1e-6)
    np.testing.assert_allclose(r.alpha.sum(), 2.5, atol=1e-6)
    np.testing.assert_allclose(r.duals, [0.12], atol=1e-8)
    np.testing.assert_allclose(r.prices.buy, [0.12], atol=1e-8)
    exact = 0.02 * 3.5**2 / 2 + 0.05 * 3.5 + 0.03 * 36 / 2 - 0.30 * 6 + 0.12 * 2.5
    assert r.objective == pytest.approx(exact, abs=1e-8)


@pytest.mark.parametrize("segments", [1, 4, 16, 100])
def test_pwl_option_stays_an_lp_within_its_bound_above_the_exact_optimum(segments: int) -> None:
    exact = clear(_scenario("two_agents_islanded.json")).objective
    sc = _scenario("two_agents_islanded.json", "pwl", segments)
    assert not build_lp(sc).is_quadratic
    r = clear(sc)
    h = 10 / segments
    assert r.pwl_error_bound == pytest.approx((0.02 + 0.03) * h**2 / 8)
    assert exact - 1e-9 <= r.objective <= exact + r.pwl_error_bound + 1e-9


def test_exact_and_pwl_dispatches_differ_where_chords_are_coarse() -> None:
    # with 4 segments of 2.5 kWh the chord optimum sits on a breakpoint (x = 5 here by luck), but the
    # filled chords (producer 0.075, 0.125; consumer 0.0375, 0.1125) and the empty ones (producer
    # 0.175, consumer 0.1875) leave a band [0.125, 0.175] of prices instead of the exact point 0.15
    r = clear(_scenario("two_agents_islanded.json", "pwl", 4))
    assert r.prices.band_low is not None and r.prices.band_high is not None
    assert r.prices.band_low[0] == pytest.approx(0.125) and r.prices.band_high[0] == pytest.approx(0.175)
    exact = clear(_scenario("two_agents_islanded.json"))
    assert exact.prices.band_low is not None and exact.prices.band_high is not None
    assert exact.prices.band_high[0] - exact.prices.band_low[0] == pytest.approx(0.0, abs=1e-7)


def test_auditor_rejects_a_chord_optimum_in_an_exact_round() -> None:
    # the chord LP with 2 segments of 5 kWh stops on the breakpoint p = 5, d = 7.5 (import 2.5)
    sc = _scenario("two_agents_connected.json")
    chord = {
        "flex_segment": {"producer": [[5.0]], "consumer": [[2.5]]},  # p − p_min
        "q_sell": {"producer": [5.0]},
        "q_buy": {"consumer": [5.0]},
        "alpha": {"consumer": [2.5]},
    }
    assert check_feasible(sc, chord) == []
    optimum = solve_dispatch(sc).objective
    gap = 0.02 * (25 - 3.5**2) / 2 + 0.05 * 1.5 + 0.03 * (7.5**2 - 36) / 2 - 0.30 * 1.5 + 0.12 * 0.0
    assert objective_value(sc, chord) - optimum == pytest.approx(gap, abs=1e-7)
    assert gap > 1e-3


def test_quadratic_mode_round_trips_and_bad_mode_is_named() -> None:
    sc = _scenario("two_agents_islanded.json", "pwl", 8)
    doc = scenario_to_dict(sc)
    assert doc["community"]["quadratic"] == "pwl"
    assert scenario_from_dict(doc).community.quadratic == "pwl"
    assert "quadratic" not in scenario_to_dict(_scenario("two_agents_islanded.json"))["community"]
    doc["community"]["quadratic"] = "cubic"
    with pytest.raises(InputError, match="quadratic"):
        scenario_from_dict(doc)


def test_the_linear_part_is_a_vertex_not_an_interior_point() -> None:
    # with a zero fee, buying and selling through the pool at once is free: an interior-point answer
    # alone would show the producer importing; the HiGHS vertex of the linear part does not
    r = clear(_scenario("two_agents_connected.json"))
    np.testing.assert_allclose(r.alpha[0], [0.0], atol=1e-9)  # the producer imports nothing
    np.testing.assert_allclose(r.dispatch.per_peer("q_sell")[1], [0.0], atol=1e-9)
    assert r.kpis["internal_traded_kwh"] == pytest.approx(3.5, abs=1e-6)


def test_an_islanded_qp_that_cannot_be_served_names_the_unserved_load() -> None:
    from flexunity.errors import InfeasibleError

    doc = scenario_to_dict(_scenario("two_agents_islanded.json"))
    doc["peers"][1]["load_kw"] = 20.0  # 20 kWh of fixed load (flexible use can drop to 0), 10 made
    with pytest.raises(
        InfeasibleError, match=r"short of supply at intervals 0 \(10 kWh.*unserved load of consumer 10 kWh"
    ):
        clear(scenario_from_dict(doc))


def test_a_qp_with_export_above_import_is_an_input_error() -> None:
    doc = scenario_to_dict(_scenario("two_agents_connected.json"))
    doc["tariffs"]["retail"] = {"import_price": 0.05, "export_price": 0.12}
    with pytest.raises(InputError, match="unbounded"):
        clear(scenario_from_dict(doc))
