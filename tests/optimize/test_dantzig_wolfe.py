"""Dantzig-Wolfe against the monolithic LP: the same optimum (to its certified gap), feasible, and
the same community price; shards change nothing but the work split.

Golden facts: the objective equals HiGHS's monolithic optimum to 1e-9 relative, the dispatch passes
``check_feasible`` (the rows the audit re-checks), the reported lower bound is never above the
optimum, and the dual of Σq = 0 lies in the monolithic no-deviation band.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flexunity.errors import InputError
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
from flexunity.optimize import check_feasible, clear, solve_dispatch
from flexunity.optimize.aggregate import build_aggregated_lp
from flexunity.optimize.benchmark import general_case, generated_community
from flexunity.optimize.clearing import standalone_bills
from flexunity.optimize.dantzig_wolfe import GAP, solve_dantzig_wolfe
from flexunity.optimize.dw_master import Master
from flexunity.optimize.dw_prices import SMOOTHING, Lagrangian, first_prices
from flexunity.optimize.dw_shards import LocalShards
from flexunity.optimize.dw_split import split
from flexunity.optimize.dw_standalone import first_proposals_are_standalone
from flexunity.optimize.engines import choose_engine
from flexunity.optimize.pricing import dual_band

T = 6
TARIFFS = {
    "flat": Tariff(np.full(T, 0.25), np.full(T, 0.05)),
    "tou": Tariff(np.array([0.1, 0.1, 0.3, 0.4, 0.2, 0.1]), np.array([0.04, -0.02, 0.05, 0.05, 0.0, 0.03])),
}
profile = st.lists(st.floats(0, 3, allow_nan=False), min_size=T, max_size=T).map(np.array)


@st.composite
def peers(draw: st.DrawFn, i: int) -> Peer:
    on = lambda: draw(st.booleans())  # noqa: E731
    eta = draw(st.floats(0.85, 1.0))
    return Peer(
        f"p{i}",
        draw(st.sampled_from(sorted(TARIFFS))),
        draw(profile),
        draw(st.one_of(st.none(), profile)),
        batteries=(Battery("b", 5, draw(st.floats(0.5, 3)), 2, eta, 0.95, draw(st.floats(0, 5))),)
        if on()
        else (),
        shiftable_loads=(ShiftableLoad("s", 1.5, 1.0, (draw(st.integers(0, 2)), 5), 0.02, np.full(T, 0.3)),)
        if on()
        else (),
        ev_chargers=(EVCharger("ev", 3.0, 2.0, draw(st.integers(0, 3)), T),) if on() else (),
        curtailable_loads=(
            CurtailableLoad("c", np.full(T, 1.0), 0.5, 0.15, draw(st.sampled_from([0.0, 0.5]))),
        )
        if on()
        else (),
    )


@st.composite
def communities(draw: st.DrawFn) -> Scenario:
    grid = Grid(
        True,
        import_price=draw(st.sampled_from([None, np.full(T, 0.02)])),
        capacity_charge_per_kw=draw(st.sampled_from([0.0, 0.1])),
        max_import_kw=draw(st.sampled_from([None, 8.0])),
        max_export_kw=draw(st.sampled_from([None, 4.0])),
    )
    fee = draw(st.sampled_from([0.0, 0.01]))
    n = draw(st.integers(1, 6))
    return Scenario(
        "random", T, 60, TARIFFS, tuple(draw(peers(i)) for i in range(n)), grid, CommunitySettings(fee)
    )


def _assert_exact(sc: Scenario, shards: int, smoothing: float = SMOOTHING) -> None:
    try:
        ref = solve_dispatch(sc, explain=False)
    except Exception:  # infeasible communities are left to the monolithic path
        return
    d, report = solve_dantzig_wolfe(sc, shards=shards, smoothing=smoothing)
    assert report.converged and report.certified_gap <= GAP
    # both are HiGHS optima to its tolerances (1e-9 here, 1e-7 for the monolithic LP): equal to
    # well inside the audit's 1e-6
    assert d.objective == pytest.approx(ref.objective, rel=1e-7, abs=1e-7)
    assert report.lower_bound <= ref.objective + 1e-7 * max(1.0, abs(ref.objective))
    assert check_feasible(sc, d.to_dict()) == []
    np.testing.assert_allclose(d.q.sum(axis=0), 0, atol=1e-7)
    lo, hi = dual_band(ref)
    assert (d.duals >= lo - 1e-6).all() and (d.duals <= hi + 1e-6).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(communities(), st.integers(1, 3), st.sampled_from([0.0, SMOOTHING, 0.9]))
def test_same_optimum_as_the_monolithic_lp_on_random_communities(
    sc: Scenario, shards: int, smoothing: float
) -> None:
    _assert_exact(sc, shards, smoothing)


@pytest.fixture(scope="module")
def community() -> Scenario:
    warnings.filterwarnings("ignore", category=UserWarning)
    return general_case(generated_community(30, 24, {"battery": 0.5, "ev": 0.3, "shiftable": 0.3}))


@pytest.mark.parametrize("shards", [1, 2, 5])
def test_general_case_community_any_number_of_shards(community: Scenario, shards: int) -> None:
    _assert_exact(community, shards)


def test_threads_give_the_same_answer(community: Scenario) -> None:
    one, r1 = solve_dantzig_wolfe(community, shards=4, threads=1)
    two, r2 = solve_dantzig_wolfe(community, shards=4, threads=2)
    assert r1.iterations == r2.iterations
    np.testing.assert_allclose(one.x, two.x, atol=1e-9)


def test_clear_reports_the_engine_and_passes_the_audits_tolerance(community: Scenario) -> None:
    exact = clear(community, engine="highs")
    dw = clear(community, engine="dw", workers=2)
    solver = dw.to_dict()["solver"]
    assert dw.engine == "dw" and solver["engine"] == "dw" and solver["method"] == "dantzig-wolfe"
    assert solver["converged"] and solver["certified_gap"] <= GAP
    # the audit's optimality check: |posted − optimum| ≤ 1e-6 · max(1, |optimum|)
    assert abs(dw.objective - exact.objective) <= 1e-6 * max(1.0, abs(exact.objective))
    assert dw.kpis["money_balance"] == pytest.approx(0.0, abs=1e-9)


def test_auto_decomposes_large_connected_linear_communities(community: Scenario, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import flexunity.optimize.engines as engines

    assert choose_engine(community) == "highs"
    monkeypatch.setattr(engines, "DW_MIN_FLEXIBLE_PEERS", 5)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert choose_engine(community) == "dw"
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6379")
    monkeypatch.setattr(engines, "ray_available", lambda: True)
    assert choose_engine(community) == "dw-ray"
    islanded = Scenario(
        community.name,
        community.intervals,
        community.interval_minutes,
        community.tariffs,
        community.peers,
        Grid(False),
        community.community,
    )
    assert choose_engine(islanded) == "highs"
    with pytest.raises(InputError, match="grid-connected"):
        choose_engine(islanded, "dw")


def test_the_lagrangian_bound_equals_the_masters_at_its_duals_and_never_passes_the_optimum(
    community: Scenario,
) -> None:
    """L(π) computed from its definition (Lagrangian) is the bound the master's duals give,
    value + Σ(v − σ), and no price, however far from optimal, makes it exceed the optimum."""
    optimum = solve_dispatch(community, explain=False).objective
    s = split(build_aggregated_lp(community), 3)
    first = np.cumsum([0, *[d.peers for d in s.shards]])[:-1]
    workers = LocalShards(s.shards)
    master, lagrangian = Master(s, sum(d.peers for d in s.shards)), Lagrangian(s)
    try:
        price, value, sigma = lagrangian.signed(first_prices(s)), 0.0, np.zeros(0)
        for round_ in range(1, 4):
            proposals = workers.propose(price)
            values = np.concatenate([v for _, v, _ in proposals])
            bound = lagrangian.bound(price, values)
            assert bound <= optimum + 1e-7 * max(1.0, abs(optimum))
            if round_ > 1:  # the prices are the master's duals: both formulas agree
                assert bound == pytest.approx(value + float(np.sum(values - sigma)), rel=1e-7, abs=1e-7)
            for (cost, _, column), f in zip(proposals, first, strict=True):
                master.add(cost, column, f + np.arange(cost.size), round_)
            value, price, sigma, _ = master.solve()
        rng = np.random.default_rng(0)
        for _ in range(5):
            noisy = lagrangian.signed(price * rng.uniform(0.5, 1.5, price.size))
            values = np.concatenate([v for _, v, _ in workers.propose(noisy)])
            assert lagrangian.bound(noisy, values) <= optimum + 1e-7 * max(1.0, abs(optimum))
    finally:
        workers.close()


def test_dropping_stale_columns_keeps_the_optimum(community: Scenario, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Column management at its most eager (a column unused for one solve goes) changes neither
    the optimum nor the certificate; without smoothing the master's own prices drive the loop."""
    import flexunity.optimize.dw_master as dw_master

    ref = solve_dispatch(community, explain=False).objective
    monkeypatch.setattr(dw_master, "DROP_AGE", 1)
    for smoothing in (0.0, SMOOTHING):
        d, report = solve_dantzig_wolfe(community, shards=3, smoothing=smoothing)
        assert report.converged and report.certified_gap <= GAP
        assert d.objective == pytest.approx(ref, rel=1e-7, abs=1e-7)
        assert check_feasible(community, d.to_dict()) == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(communities())
def test_the_first_proposals_are_the_standalone_bills_where_no_g_price_applies(sc: Scenario) -> None:
    """Dantzig-Wolfe's first proposals give each peer's standalone bill (dw_standalone.py): the same
    cost as its standalone LP solved alone, for every peer in a shard; with a G price, none."""
    try:
        solve_dispatch(sc, explain=False)
        _, report = solve_dantzig_wolfe(sc, shards=2, standalone=True)
    except Exception:  # infeasible communities are left to the monolithic path
        return
    if not first_proposals_are_standalone(sc):
        assert report.standalone is None
        return
    assert report.standalone is not None
    alone = standalone_bills(sc)
    for pid, bill in report.standalone.items():
        ref = alone[pid]
        assert ref is not None
        assert bill.cost == pytest.approx(ref.cost, rel=1e-7, abs=1e-7), pid


def test_clear_by_dantzig_wolfe_reuses_its_standalone_bills(community: Scenario) -> None:
    """`clear` takes the standalone bills from Dantzig-Wolfe: the same costs as HiGHS's path, which
    solves every peer's standalone LP."""
    by_dw, by_highs = clear(community, engine="dw", workers=2), clear(community, engine="highs")
    assert by_dw.standalone_bills.keys() == by_highs.standalone_bills.keys()
    for pid, bill in by_dw.standalone_bills.items():
        ref = by_highs.standalone_bills[pid]
        assert bill is not None and ref is not None
        assert bill.cost == pytest.approx(ref.cost, rel=1e-7, abs=1e-7), pid


def test_a_shard_that_highs_cannot_finish_warm_is_solved_again_from_scratch() -> None:
    """A community hypothesis found (3 shards, smoothed prices): one shard's warm re-solve ended
    with HiGHS status "Unknown"; dw_shards.solve_warm solves it again from scratch."""
    pref = np.full(T, 0.3)
    p0 = Peer(
        "p0",
        "flat",
        np.array([0.0, 0, 0, 0, 3, 1]),
        None,
        shiftable_loads=(ShiftableLoad("s", 1.5, 1.0, (2, 5), 0.02, pref),),
        curtailable_loads=(CurtailableLoad("c", np.full(T, 1.0), 0.5, 0.15, 0.0),),
        ev_chargers=(EVCharger("ev", 3.0, 2.0, 2, T),),
    )
    p1 = Peer(
        "p1",
        "flat",
        np.array([0.0, 0, 1, 0, 0, 1]),
        None,
        batteries=(Battery("b", 5, 0.5, 2, 1.0, 0.95, 1.0),),
        ev_chargers=(EVCharger("ev", 3.0, 2.0, 0, T),),
    )
    p2 = Peer(
        "p2",
        "tou",
        np.array([0.0, 0, 2, 2, 3, 2]),
        None,
        batteries=(Battery("b", 5, 3.0, 2, 1.0, 0.95, 3.0),),
        shiftable_loads=(ShiftableLoad("s", 1.5, 1.0, (0, 5), 0.02, pref),),
    )
    sc = Scenario(
        "random", T, 60, TARIFFS, (p0, p1, p2), Grid(True, max_import_kw=8.0), CommunitySettings(0.01)
    )
    _assert_exact(sc, 3, SMOOTHING)
