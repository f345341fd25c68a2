"""Settlement by hand: revenue only for delivered energy, penalty to whoever fell short."""

from __future__ import annotations

import numpy as np
import pytest

from flexunity.markets.activation import Activation
from flexunity.markets.offers import OfferBlock
from flexunity.markets.products import BalancingProduct
from flexunity.markets.settlement import settle, to_base_units

PEERS = ("a", "b", "c")


def product() -> BalancingProduct:
    return BalancingProduct(
        "up",
        "up",
        min_offer_kw=1,
        utilisation_price_per_mwh=100,
        penalty_per_mwh=200,
        delivery_tolerance=0.05,
        availability_price_per_mw_h=0,
    )


def test_shortfall_penalised_and_nobody_paid_for_undelivered() -> None:
    # activation: 10 kW up for 2 one-hour intervals = 20 kWh; plan: a 12 kWh, b 8 kWh; a delivers nothing
    baseline = np.zeros((3, 2))
    planned = np.array([[6.0, 6.0], [4.0, 4.0], [0.0, 0.0]])
    actual = np.array([[0.0, 0.0], [4.0, 4.0], [0.0, 0.0]])
    block = OfferBlock(0, 2, 10.0, {"a": 6.0, "b": 4.0})
    result = settle(
        product(), block, Activation(0, 2, 10.0, -1, {"a": 0.0}), PEERS, baseline, planned, actual, 1.0
    )
    assert result.delivered_kwh == pytest.approx(8.0)
    assert result.shortfall_kwh == pytest.approx(12.0)
    assert result.utilisation_revenue == pytest.approx(0.8)  # 8 kWh × £0.10
    assert result.penalty == pytest.approx(2.4)  # 12 kWh × £0.20
    assert result.revenue_by_peer == pytest.approx({"a": 0.0, "b": 0.8, "c": 0.0})
    assert result.penalty_by_peer == pytest.approx({"a": 2.4, "b": 0.0, "c": 0.0})


def test_within_tolerance_no_penalty_and_over_delivery_not_paid() -> None:
    baseline = np.zeros((3, 1))
    planned = np.array([[5.0], [5.0], [0.0]])
    actual = np.array([[4.6], [9.0], [0.0]])  # b over-delivers: community capped at the 10 kWh asked
    block = OfferBlock(0, 1, 10.0, {"a": 5.0, "b": 5.0})
    result = settle(product(), block, Activation(0, 1, 10.0, -1), PEERS, baseline, planned, actual, 1.0)
    assert result.delivered_kwh == pytest.approx(10.0)
    assert result.penalty == 0.0
    assert result.credited_kwh == pytest.approx({"a": 4.6, "b": 5.0, "c": 0.0})  # b credited its plan only


def test_to_base_units_sums_exactly() -> None:
    units = to_base_units({"a": 0.333, "b": 0.333, "c": 0.334}, 100)
    assert sum(units.values()) == 100


def test_a_half_unit_total_rounds_away_from_zero() -> None:
    # 0.125 + 0.5 = 0.625 currency is 62.5 base units: 63 (Python's round, banker's, gave 62 before
    # issue 12: docs/conventions.md "Rounding"); the extra unit goes to the larger fraction (a's .5)
    assert to_base_units({"a": 0.125, "b": 0.5}, 100) == {"a": 13, "b": 50}
    assert round((0.125 + 0.5) * 100) == 62  # the rule it replaced
