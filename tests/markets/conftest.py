"""Small communities for the market tests: batteries that can turn demand up or down."""

from __future__ import annotations

import numpy as np
import pytest

from flexunity.markets.products import BalancingProduct
from flexunity.model import Battery, CommunitySettings, Peer, Scenario, Tariff


@pytest.fixture
def battery_community() -> Scenario:
    """Three peers over 8 hourly intervals: two with batteries, one inflexible."""
    t = 8
    tariffs = {"std": Tariff(np.full(t, 0.30), np.full(t, 0.05))}
    peers = (
        Peer("a", "std", np.full(t, 2.0), batteries=(Battery("b1", 20, 10, 10, soc_initial_kwh=10),)),
        Peer(
            "b",
            "std",
            np.full(t, 1.0),
            np.full(t, 3.0),
            batteries=(Battery("b2", 10, 5, 5, soc_initial_kwh=5),),
        ),
        Peer("c", "std", np.full(t, 1.0)),
    )
    return Scenario("batteries", t, 60, tariffs, peers, community=CommunitySettings(fee_per_kwh=0.01))


@pytest.fixture
def small_product() -> BalancingProduct:
    """A turn-up product scaled to a few kW so the toy community can take part."""
    return BalancingProduct(
        "toy-up",
        "down",
        min_offer_kw=5,
        min_site_kw=1,
        notice_minutes=60,
        duration_minutes=120,
        availability_price_per_mw_h=10,
        utilisation_price_per_mwh=100,
        penalty_per_mwh=200,
        delivery_tolerance=0.05,
    )
