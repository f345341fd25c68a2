"""Golden cases with hand-derived answers (derivations in the comments and docs/optimisation.md)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from flexunity.data.scenario_io import load_scenario
from flexunity.model import CommunitySettings
from flexunity.optimize import check_feasible, clear, objective_value, price_and_bill

GOLDEN = Path(__file__).parent / "golden"


def test_pv_prosumer_and_consumer_dispatch_prices_and_bills() -> None:
    # t0: PV 5, loads 1 + 3 -> the consumer buys 3 from the prosumer (fees 2 x 0.01 < 0.30 - 0.05),
    # the prosumer exports its last 1 kWh. t1: no PV, each imports its own load (a trade would only add fees).
    r = clear(load_scenario(GOLDEN / "pv_consumer.json"))
    np.testing.assert_allclose(r.q, [[-3, 0], [3, 0]], atol=1e-9)
    np.testing.assert_allclose(r.alpha, [[0, 1], [0, 3]], atol=1e-9)
    np.testing.assert_allclose(r.beta, [[-1, 0], [0, 0]], atol=1e-9)
    np.testing.assert_allclose(r.p, [[4, -1], [-3, -3]], atol=1e-9)
    # objective: export 1 x 0.05, fees 3 x 2 x 0.01, imports 4 x 0.30
    assert r.objective == pytest.approx(-0.05 + 0.06 + 1.20)
    # t0 the exporter is marginal: it sells at λ and pays φ, so λ − φ = 0.05; t1 band [0.29, 0.31]
    np.testing.assert_allclose(r.prices.buy, [0.06, 0.30], atol=1e-9)
    pro, con = r.bills["prosumer"], r.bills["consumer"]
    assert pro.trades == pytest.approx(-0.18) and con.trades == pytest.approx(0.18)
    assert pro.total == pytest.approx(-0.18 - 0.05 + 0.30 + 0.03)
    assert con.total == pytest.approx(0.18 + 0.90 + 0.03)
    assert r.standalone_bills["prosumer"].total == pytest.approx(-0.20 + 0.30)  # type: ignore[union-attr]
    assert r.standalone_bills["consumer"].total == pytest.approx(1.80)  # type: ignore[union-attr]
    assert r.kpis["saving"] == pytest.approx(1.90 - 1.21)
    assert r.kpis["self_consumption"] == pytest.approx(0.8)  # 4 of 5 kWh of PV used locally
    assert r.kpis["peak_import_kw"] == pytest.approx(4.0)
    assert r.ir_violations == []


def test_pv_consumer_rule_based_prices_follow_the_formulas() -> None:
    sc = load_scenario(GOLDEN / "pv_consumer.json")
    r = clear(sc)
    # t0: D = 3 (consumer), G = 4 (prosumer): surplus. MMR: buyers 0.175, sellers (0.175·3 + 0.05·1)/4.
    prices, _ = price_and_bill(sc, r.dispatch, "mmr")
    assert prices.buy[0] == pytest.approx(0.175)
    assert prices.sell[0] == pytest.approx((0.175 * 3 + 0.05 * 1) / 4)
    # SDR = 4/3 >= 1: both at the export price; t1 nobody supplies: SDR = 0 -> both at λ_buy.
    prices, _ = price_and_bill(sc, r.dispatch, "sdr")
    np.testing.assert_allclose(prices.buy, [0.05, 0.30])
    np.testing.assert_allclose(prices.sell, [0.05, 0.30])
    # bill sharing, surplus: sellers share the export revenue 0.05 over G = 4; buyers pay nothing
    prices, _ = price_and_bill(sc, r.dispatch, "bill-sharing")
    assert prices.buy[0] == pytest.approx(0.0)
    assert prices.sell[0] == pytest.approx(0.05 / 4)


def test_battery_arbitrage_over_a_price_spread() -> None:
    # Charging 2/0.9 kWh at 0.10 serves the 2 kWh load at t1 (0.30): 0.2/0.9 + cycling 2 x 0.01.
    r = clear(load_scenario(GOLDEN / "battery_arbitrage.json"))
    d = r.dispatch
    np.testing.assert_allclose(d.block("battery_charge"), [[2 / 0.9, 0]], atol=1e-9)
    np.testing.assert_allclose(d.block("battery_discharge"), [[0, 2]], atol=1e-9)
    np.testing.assert_allclose(d.block("battery_soc"), [[2, 0]], atol=1e-9)
    assert r.objective == pytest.approx(0.2 / 0.9 + 0.02)
    assert r.bills["home"].import_ == pytest.approx(0.2 / 0.9)
    assert r.bills["home"].flex_cost == pytest.approx(0.02)


def test_battery_arbitrage_vanishes_when_the_spread_is_below_the_losses() -> None:
    sc = load_scenario(GOLDEN / "battery_arbitrage.json")
    flat = replace(sc.tariffs["tou"], import_price=np.array([0.29, 0.30]))
    r = clear(replace(sc, tariffs={"tou": flat}))  # 0.29/0.9 + 0.01 > 0.30: no cycling
    np.testing.assert_allclose(r.dispatch.block("battery_charge"), 0, atol=1e-9)
    assert r.objective == pytest.approx(0.60)


def test_islanded_quadratic_costs_give_the_marginal_price() -> None:
    # Equal marginal costs: 0.10 + 0.02·p1 = 0.14 + 0.02·p2 = λ, p1 + p2 = 10 -> p1 = 6, p2 = 4, λ = 0.22.
    # Solved exactly (a QP) by default.
    r = clear(load_scenario(GOLDEN / "islanded_quadratic.json"))
    np.testing.assert_allclose(r.p[:, 0], [6, 4, -10], atol=1e-9)
    np.testing.assert_allclose(r.prices.buy, [0.22], atol=1e-12)
    assert r.objective == pytest.approx(0.02 * 36 / 2 + 0.6 + 0.02 * 16 / 2 + 0.56)
    assert r.bills["town"].total == pytest.approx(2.2)
    assert r.bills["gen-1"].total == pytest.approx(-1.32)
    assert r.standalone_bills["town"] is None  # an islanded consumer cannot be served alone
    np.testing.assert_allclose(r.alpha, 0)
    np.testing.assert_allclose(r.beta, 0)


@pytest.mark.parametrize("segments", [1, 3, 7])
def test_pwl_error_stays_within_the_stated_bound(segments: int) -> None:
    sc = load_scenario(GOLDEN / "islanded_quadratic.json")
    r = clear(replace(sc, community=CommunitySettings(pwl_segments=segments, quadratic="pwl")))
    exact = 0.02 * 36 / 2 + 0.6 + 0.02 * 16 / 2 + 0.56
    h = 10 / segments
    assert r.pwl_error_bound == pytest.approx(2 * 0.02 * h**2 / 8)
    assert exact - 1e-9 <= r.objective <= exact + r.pwl_error_bound + 1e-9  # chords lie above the parabola
    assert abs(r.prices.buy[0] - 0.22) <= 0.02 * h / 2 + 1e-9  # price error at most a·h/2


def test_auditor_checks_a_posted_dispatch() -> None:
    sc = load_scenario(GOLDEN / "pv_consumer.json")
    posted = clear(sc).to_dict()["variables"]
    assert check_feasible(sc, posted) == []
    assert objective_value(sc, posted) == pytest.approx(1.21)
    posted["alpha"]["consumer"][1] = 2.5  # consumer now short of 0.5 kWh at interval 1
    problems = check_feasible(sc, posted)
    assert any("balance of consumer at interval 1" in p for p in problems)


def test_enforce_ir_side_payments_are_zero_sum_and_remove_violations() -> None:
    sc = load_scenario(GOLDEN / "pv_consumer.json")
    plain = clear(sc, "bill-sharing")
    assert plain.ir_violations == ["prosumer"]  # bill sharing gives sellers only export revenue
    fixed = clear(sc, "bill-sharing", enforce_ir=True)
    assert fixed.ir_violations == []
    assert sum(b.side_payment for b in fixed.bills.values()) == pytest.approx(0.0, abs=1e-12)
    assert fixed.bills["prosumer"].cost == pytest.approx(fixed.standalone_bills["prosumer"].cost)  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["pv_consumer.json", "battery_arbitrage.json", "islanded_quadratic.json"])
@pytest.mark.parametrize("rule", ["dual", "sdr", "sdr-compensated", "mmr", "bill-sharing"])
def test_prices_and_bills_are_reproducible_from_the_posted_dispatch(name: str, rule: str) -> None:
    sc = load_scenario(GOLDEN / name)
    doc = clear(sc, rule).to_dict()
    prices, bills = price_and_bill(sc, doc["variables"], rule)
    np.testing.assert_allclose(prices.buy, doc["pricing"]["buy"], atol=1e-12)
    np.testing.assert_allclose(prices.sell, doc["pricing"]["sell"], atol=1e-12)
    for pid, bill in bills.items():
        assert bill.to_dict() == pytest.approx(doc["bills"][pid], abs=1e-12)
