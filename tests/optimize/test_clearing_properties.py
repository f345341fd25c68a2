"""Invariants of every clearing, on random small communities (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flexunity.model import (
    Battery,
    CommunitySettings,
    CurtailableLoad,
    EVCharger,
    Grid,
    Peer,
    Scenario,
    ShiftableLoad,
    Tariff,
)
from flexunity.optimize import RULES, check_feasible, clear, objective_value, price_and_bill
from flexunity.optimize.bills import money_balance
from flexunity.optimize.pricing import demand_supply, grid_net_cost, net_positions

T = 4
profile = st.lists(st.floats(0, 4, allow_nan=False), min_size=T, max_size=T).map(np.array)


@st.composite
def peers(draw: st.DrawFn, i: int) -> Peer:
    bat = draw(st.booleans())
    return Peer(
        f"p{i}",
        draw(st.sampled_from(["a", "b"])),
        draw(profile),
        draw(st.one_of(st.none(), profile)),
        batteries=(Battery("b", 4, 2, 2, 0.9, 0.95, 2.0, cycling_cost_per_kwh=0.01),) if bat else (),
        shiftable_loads=(ShiftableLoad("s", 1.0, 1.0, (1, 3), 0.02, np.full(T, 0.25)),)
        if draw(st.booleans())
        else (),
        ev_chargers=(EVCharger("ev", 2.0, 3.0, 1, T),) if draw(st.booleans()) else (),
        curtailable_loads=(CurtailableLoad("c", np.full(T, 1.0), 0.5, 0.15, 0.5),)
        if draw(st.booleans())
        else (),
    )


@st.composite
def communities(draw: st.DrawFn) -> Scenario:
    n = draw(st.integers(2, 4))
    tariffs = {
        "a": Tariff(np.array([0.10, 0.20, 0.35, 0.25]), np.full(T, 0.05)),
        "b": Tariff(np.full(T, 0.22), np.full(T, 0.04)),
    }
    grid = Grid(True, capacity_charge_per_kw=draw(st.sampled_from([0.0, 0.1])))
    fee = draw(st.sampled_from([0.0, 0.01]))
    return Scenario(
        "random", T, 60, tariffs, tuple(draw(peers(i)) for i in range(n)), grid, CommunitySettings(fee)
    )


def _net_production(sc: Scenario, variables: dict) -> np.ndarray:
    """p recomputed from the asset variables alone, independently of the LP's balance rows."""
    dh = sc.hours_per_interval
    out = []
    for p in sc.peers:
        get = lambda block, owner: np.asarray(variables.get(block, {}).get(owner, np.zeros(T)))  # noqa: E731
        net = -p.load_kw * dh + (0 if p.pv_kw is None else p.pv_kw * dh) - get("pv_spill", p.id)
        for b in p.batteries:
            net = net + get("battery_discharge", f"{p.id}/{b.id}") - get("battery_charge", f"{p.id}/{b.id}")
        for s in p.shiftable_loads:
            net = net - get("shift", f"{p.id}/{s.id}")
        for e in p.ev_chargers:
            net = net - get("ev", f"{p.id}/{e.id}")
        for c in p.curtailable_loads:
            key = f"{p.id}/{c.id}"
            net = net - c.profile_kw * dh + get("curtail", key) - get("rebound", key)
        out.append(net)
    return np.array(out)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(communities())
def test_balance_bounds_and_money_hold_for_every_rule(sc: Scenario) -> None:
    r = clear(sc)
    variables = r.to_dict()["variables"]
    p = _net_production(sc, variables)
    np.testing.assert_allclose(p + r.q + r.alpha + r.beta, 0, atol=1e-6)  # (3b) per peer and interval
    np.testing.assert_allclose(r.q.sum(axis=0), 0, atol=1e-6)  # (3c)
    assert (r.alpha >= -1e-9).all() and (r.beta <= 1e-9).all()
    soc = r.dispatch.block("battery_soc")
    assert (soc >= -1e-7).all() and (soc <= 4 + 1e-7).all()
    assert check_feasible(sc, variables) == []
    assert abs(objective_value(sc, variables) - r.objective) < 1e-6
    # the dual price lies in its no-deviation band, and HiGHS's dual does too
    lo, hi = r.prices.band_low, r.prices.band_high
    assert lo is not None and hi is not None
    assert (r.prices.buy >= lo - 1e-6).all() and (r.prices.buy <= hi + 1e-6).all()
    assert (r.duals >= lo - 1e-6).all() and (r.duals <= hi + 1e-6).all()
    for rule in RULES:
        prices, bills = price_and_bill(sc, r.dispatch, rule)
        assert abs(sum(b.trades for b in bills.values())) < 1e-6  # internal money sums to zero
        assert abs(money_balance(bills, r.dispatch)) < 1e-6
        if prices.all_in and rule != "sdr-compensated":  # buyers pay = sellers get + net grid cost
            demand, supply = demand_supply(r.dispatch)
            np.testing.assert_allclose(
                prices.buy * demand - prices.sell * supply, grid_net_cost(r.dispatch), atol=1e-6
            )
    # with δ = 1 the bills and flexibility costs add up to the objective: nothing is lost or created
    assert abs(sum(b.cost for b in r.bills.values()) - r.objective) < 1e-6


@settings(max_examples=15, deadline=None)
@given(communities())
def test_community_never_costs_more_than_standalone_in_total(sc: Scenario) -> None:
    r = clear(sc, enforce_ir=True)
    standalone = sum(s.cost for s in r.standalone_bills.values() if s is not None)
    # without community-level charges the collective optimum is at most the sum of standalone optima
    if sc.grid.capacity_charge_per_kw == 0:
        assert r.kpis["total_cost"] <= standalone + 1e-6
        assert r.ir_violations == []
    assert abs(sum(b.side_payment for b in r.bills.values())) < 1e-9
    x = net_positions(r.dispatch)
    np.testing.assert_allclose(x, -r.p, atol=1e-9)


def test_standalone_bills_in_chunks_are_each_peers_own_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    import flexunity.optimize.clearing as clearing
    from flexunity.optimize.benchmark import random_community

    sc = random_community(7, 12, seed=4)
    seen: list[tuple[str, int, int]] = []
    monkeypatch.setattr(clearing, "STANDALONE_CHUNK", 3)
    chunked = clearing.standalone_bills(sc, lambda *event: seen.append(event), threads=1)
    threaded = clearing.standalone_bills(sc, threads=3)
    fixed = int(clearing.fixed_standalone(sc).sum())
    assert 0 < fixed < 7  # both paths taken: closed form for peers without variables, LP chunks of 3
    solved = [min(7, fixed + 3 * k) for k in range(1, (7 - fixed + 2) // 3 + 1)]
    assert seen == [("standalone bills", n, 7) for n in [fixed, *solved]]
    for pid in sc.peer_ids:
        alone = clearing.standalone_bill(sc, pid)
        assert alone is not None and chunked[pid] is not None
        assert chunked[pid].cost == pytest.approx(alone.cost, abs=1e-9)
        assert threaded[pid] == chunked[pid]


@st.composite
def plain_communities(draw: st.DrawFn) -> Scenario:
    """Peers without assets beside flexible ones, under tariffs with negative export prices and δ
    weights: the standalone closed form (no variables) must equal each peer's own LP."""
    n = draw(st.integers(2, 5))
    tariffs = {
        "a": Tariff(np.array([0.10, 0.20, 0.35, 0.25]), np.array([0.05, -0.02, 0.04, 0.0])),
        "b": Tariff(np.full(T, 0.22), np.full(T, 0.04)),
    }
    out = []
    for i in range(n):
        peer = draw(peers(i))
        if draw(st.booleans()):
            peer = Peer(peer.id, draw(st.sampled_from(["a", "b"])), peer.load_kw, peer.pv_kw)
        out.append(peer)
    return Scenario("plain", T, 60, tariffs, tuple(out), Grid(True), CommunitySettings(0.01))


@settings(max_examples=25, deadline=None)
@given(plain_communities())
def test_standalone_closed_form_equals_each_peers_own_lp(sc: Scenario) -> None:
    import flexunity.optimize.clearing as clearing

    fixed = clearing.fixed_standalone(sc)
    bills = clearing.standalone_bills(sc)
    for pid, is_fixed in zip(sc.peer_ids, fixed, strict=True):
        alone, got = clearing.standalone_bill(sc, pid), bills[pid]
        assert alone is not None and got is not None
        # closed form: exact; LPs (different chunks, different formulations): to HiGHS's tolerance
        tol = 1e-9 if is_fixed else 1e-7
        assert got.cost == pytest.approx(alone.cost, abs=tol), (pid, is_fixed)
        assert got.total == pytest.approx(alone.total, abs=tol), (pid, is_fixed)
