"""The aggregated formulation (aggregate.py) has the per-peer LP's optimum, and its disaggregated
solution is feasible and optimal for the per-peer LP (docs/optimisation.md, "Aggregated formulation")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flexunity.errors import UserError
from flexunity.model import (
    Battery,
    CommunitySettings,
    CostFunction,
    CurtailableLoad,
    EVCharger,
    Grid,
    Peer,
    Scenario,
    ShiftableLoad,
    Tariff,
)
from flexunity.optimize import check_feasible, objective_value, solve_dispatch
from flexunity.optimize.aggregate import build_aggregated_lp, grid_classes
from flexunity.optimize.benchmark import random_community
from flexunity.optimize.pricing import compute_prices, dual_band

T = 4
profile = st.lists(st.floats(0, 4, allow_nan=False), min_size=T, max_size=T).map(np.array)
TARIFFS = {
    "a": Tariff(np.array([0.10, 0.20, 0.35, 0.25]), np.full(T, 0.05)),
    "b": Tariff(np.full(T, 0.22), np.full(T, 0.04)),
    "neg": Tariff(np.full(T, 0.30), np.array([0.05, -0.02, 0.03, 0.05])),  # spill useful at t1
    "dump": Tariff(np.full(T, 0.25), np.full(T, -0.01)),  # exporting always costs: spill useful
}


@st.composite
def peers(draw: st.DrawFn, i: int) -> Peer:
    maybe = lambda asset: (asset,) if draw(st.booleans()) else ()  # noqa: E731
    cost = None
    if draw(st.integers(0, 4)) == 0:
        cost = CostFunction(
            np.full(T, draw(st.sampled_from([0.0, 0.2]))), np.full(T, 0.05), np.full(T, -1.0), np.full(T, 2.0)
        )
    return Peer(
        f"p{i}",
        draw(st.sampled_from(sorted(TARIFFS))),
        draw(profile),
        draw(st.one_of(st.none(), profile)),
        delta_imp=draw(st.sampled_from([1.0, 1.0, 0.9])),
        delta_exp=draw(st.sampled_from([1.0, 1.0, 1.2])),
        batteries=maybe(Battery("b", 4, 2, 2, 0.9, 0.95, 2.0, cycling_cost_per_kwh=0.01)),
        shiftable_loads=maybe(ShiftableLoad("s", 1.0, 1.0, (1, 3), 0.02, np.full(T, 0.25))),
        ev_chargers=maybe(EVCharger("ev", 2.0, 3.0, 1, T)),
        curtailable_loads=maybe(
            CurtailableLoad("c", np.full(T, 1.0), 0.5, 0.15, draw(st.sampled_from([0.0, 0.5])))
        ),
        cost_function=cost,
    )


@st.composite
def communities(draw: st.DrawFn) -> Scenario:
    n = draw(st.integers(1, 6))
    connected = draw(st.integers(0, 5)) > 0
    grid = Grid(
        connected,
        import_price=draw(st.sampled_from([None, np.full(T, 0.02)])),
        export_price=draw(st.sampled_from([None, np.full(T, -0.01)])),
        capacity_charge_per_kw=draw(st.sampled_from([0.0, 0.1])),
        max_import_kw=draw(st.sampled_from([None, None, 6.0])),
        max_export_kw=draw(st.sampled_from([None, None, 3.0])),
    )
    fee = draw(st.sampled_from([0.0, 0.01]))
    return Scenario(
        "random", T, 60, TARIFFS, tuple(draw(peers(i)) for i in range(n)), grid, CommunitySettings(fee)
    )


def _solve(sc: Scenario, formulation: str):  # type: ignore[no-untyped-def]
    try:
        return solve_dispatch(sc, formulation=formulation, explain=False)
    except UserError as exc:
        return type(exc)


def _assert_equivalent(sc: Scenario) -> None:
    agg, ref = _solve(sc, "aggregated"), _solve(sc, "per-peer")
    if isinstance(ref, type) or isinstance(agg, type):
        assert agg == ref  # both infeasible (or both unbounded)
        return
    assert agg.objective == pytest.approx(ref.objective, abs=1e-6)
    variables = agg.to_dict()
    assert check_feasible(sc, variables) == []
    assert objective_value(sc, variables) == pytest.approx(ref.objective, abs=1e-6)
    np.testing.assert_allclose(agg.q.sum(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(agg.p + agg.q + agg.alpha + agg.beta, 0, atol=1e-6)
    # both duals of Σq = 0 are optimal duals of the same LP: each lies in the other's band
    for d, other in ((agg, ref), (ref, agg)):
        lo, hi = dual_band(d)
        assert (other.duals >= lo - 1e-6).all() and (other.duals <= hi + 1e-6).all()


def _cost(a: float) -> CostFunction:
    return CostFunction(np.full(T, a), np.full(T, 0.05), np.full(T, -1.0), np.full(T, 2.0))


# Two optima that are not strictly complementary, found by the property test below: a quadratic
# producer whose marginal cost at zero output equals the price it would get. An interior point is
# exact there only to √(gap/a), about 1e-5 kWh (docs/optimisation.md, "Exact quadratic costs").
# Islanded, fee 0.01: p0 needs 1 kWh at t3; p1 (linear, 0.05/kWh) and p2 (0.2·p²/2 + 0.05·p) both
# have marginal cost 0.05 at p2 = 0, so p1 serves it all: price 0.05 + fee = 0.06 (a point band),
# p2 stays at 0, objective 0.05 + 2·0.01 = 0.07.
TIE_ISLANDED = Scenario(
    "tie-islanded",
    T,
    60,
    {"a": TARIFFS["a"]},
    (
        Peer("p0", "a", np.array([0.0, 0.0, 0.0, 1.0])),
        Peer("p1", "a", np.zeros(T), cost_function=_cost(0.0)),
        Peer("p2", "a", np.zeros(T), cost_function=_cost(0.2)),
    ),
    Grid(False),
    CommunitySettings(0.01),
)
# Connected, no fee, export price 0.05, one peer with that cost: p = 0, band the point 0.05.
TIE_EXPORT = Scenario(
    "tie-export",
    T,
    60,
    {"a": TARIFFS["a"]},
    (Peer("p0", "a", np.zeros(T), cost_function=_cost(0.2)),),
    Grid(True),
    CommunitySettings(0.0),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(communities())
@example(TIE_ISLANDED)  # failed: the interior-point dispatch inverted the band (lo > hi)
@example(TIE_EXPORT)  # failed: Clarabel's dual lay 1e-6 above the band
def test_aggregated_and_per_peer_formulations_have_the_same_optimum(sc: Scenario) -> None:
    _assert_equivalent(sc)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equivalence_on_benchmark_communities(seed: int) -> None:
    _assert_equivalent(random_community(12, 24, seed))


def test_wash_trade_through_a_peer_without_assets_is_kept() -> None:
    # A (export 0.05) has 5 kWh of surplus; B (export 0.20) has nothing. The per-peer optimum routes
    # A's surplus through B: A sells 5 (q = −5), B buys 5 and exports 5: 5·0.20 − 2·5·0.01 = 0.90.
    tariffs = {
        "low": Tariff(np.full(1, 0.30), np.full(1, 0.05)),
        "high": Tariff(np.full(1, 0.30), np.full(1, 0.20)),
    }
    sc = Scenario(
        "wash",
        1,
        60,
        tariffs,
        (Peer("A", "low", np.zeros(1), np.full(1, 5.0)), Peer("B", "high", np.zeros(1))),
        Grid(True),
        CommunitySettings(0.01),
    )
    d = solve_dispatch(sc)
    assert d.objective == pytest.approx(-0.90)
    np.testing.assert_allclose(d.q[:, 0], [-5, 5], atol=1e-9)
    np.testing.assert_allclose(d.beta[:, 0], [0, -5], atol=1e-9)
    _assert_equivalent(sc)


def test_peers_without_assets_have_no_variables_and_classes_follow_grid_terms() -> None:
    sc = random_community(30, 12, seed=4)
    agg = build_aggregated_lp(sc)
    assert grid_classes(sc).count == 1
    inflexible = [
        p.id
        for p in sc.peers
        if not (p.batteries or p.shiftable_loads or p.ev_chargers or p.curtailable_loads)
    ]
    assert inflexible and not set(inflexible) & set(agg.lp.blocks["net_import"].owners)
    assert "pv_spill" not in agg.lp.blocks  # export pays ≥ 0 and is unlimited: spilling never helps


def test_unknown_formulation_is_refused() -> None:
    with pytest.raises(UserError, match="formulation"):
        solve_dispatch(random_community(2, 4), formulation="magic")


def test_spill_is_kept_where_exporting_costs_money() -> None:
    # export pays −0.01/kWh: the 3 kWh of PV surplus are spilled, not exported (objective 0)
    tariffs = {"dump": Tariff(np.full(2, 0.25), np.full(2, -0.01))}
    sc = Scenario("spill", 2, 60, tariffs, (Peer("A", "dump", np.full(2, 1.0), np.full(2, 4.0)),))
    d = solve_dispatch(sc)
    assert d.objective == pytest.approx(0.0)
    np.testing.assert_allclose(d.block("pv_spill"), [[3, 3]], atol=1e-9)
    _assert_equivalent(sc)


def test_interior_point_with_crossover_gives_the_same_optimum() -> None:
    from flexunity.optimize.solve import solve_aggregated

    sc = random_community(15, 24, seed=5)
    ipm = solve_aggregated(sc, build_aggregated_lp(sc), method="highs-ipm")
    ref = solve_dispatch(sc, formulation="per-peer")
    assert ipm.objective == pytest.approx(ref.objective, abs=1e-6)
    assert check_feasible(sc, ipm.to_dict()) == []
    lo, hi = dual_band(ipm)
    assert (ipm.duals >= lo - 1e-6).all() and (ipm.duals <= hi + 1e-6).all()


@pytest.mark.parametrize("formulation", ["aggregated", "per-peer"])
def test_a_tie_between_marginal_costs_gives_the_exact_dispatch_band_and_dual(formulation: str) -> None:
    d = solve_dispatch(TIE_ISLANDED, formulation=formulation)
    assert d.objective == pytest.approx(0.07, abs=1e-9)
    np.testing.assert_allclose(d.p[:, 3], [-1.0, 1.0, 0.0], atol=1e-9)  # before: p2 made 1.7e-5
    lo, hi = dual_band(d)
    np.testing.assert_allclose([lo[3], hi[3]], [0.06, 0.06], atol=1e-9)  # before: [0.0600035, 0.06]
    np.testing.assert_allclose(compute_prices(d, "dual").buy[3], 0.06, atol=1e-9)
    assert ((d.duals >= lo - 1e-9) & (d.duals <= hi + 1e-9)).all()
    d = solve_dispatch(TIE_EXPORT, formulation=formulation)
    assert d.objective == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(d.p, 0.0, atol=1e-9)
    np.testing.assert_allclose(d.duals, 0.05, atol=1e-9)  # before: 0.050001, outside the band
    np.testing.assert_allclose(np.stack(dual_band(d)), 0.05, atol=1e-9)


@pytest.mark.xfail(
    strict=True,
    reason="known: an intertemporal tie (battery + quadratic cost) leaves Clarabel's quadratic column "
    "1e-5 kWh off, which the single-interval polish (qp_vertex.py) does not detect; the two "
    "formulations' point bands then differ by 1.4e-6 (docs/optimisation.md, 'Ties')",
)
def test_an_intertemporal_tie_gives_the_same_band_in_both_formulations() -> None:
    # found by the property test (--hypothesis-seed=3, 500 examples). With Clarabel's tolerances at
    # 1e-12 both formulations agree: p0's quadratic column 2.0166674-2.0166676 at t2, band point
    # 0.2633335; at 1e-10 they are 1.7e-5 and 1.0e-5 kWh off
    battery = Battery("b", 4, 2, 2, 0.9, 0.95, 2.0, cycling_cost_per_kwh=0.01)
    shift = ShiftableLoad("s", 1.0, 1.0, (1, 3), 0.02, np.full(T, 0.25))
    peers = (
        Peer(
            "p0",
            "dump",
            np.array([2.0, 2.0, 0.0, 2.0]),
            delta_imp=0.9,
            batteries=(battery,),
            shiftable_loads=(shift,),
            cost_function=_cost(0.2),
        ),
        Peer(
            "p1",
            "b",
            np.array([0.0, 0.0, 2.0, 0.0]),
            shiftable_loads=(shift,),
            ev_chargers=(EVCharger("ev", 2.0, 3.0, 1, T),),
        ),
    )
    grid = Grid(True, import_price=np.full(T, 0.02), capacity_charge_per_kw=0.1)
    _assert_equivalent(Scenario("tie-storage", T, 60, TARIFFS, peers, grid, CommunitySettings(0.01)))


@pytest.mark.xfail(
    strict=True,
    reason="known: two identical quadratic peers make the tangent LP flat (a wash trade between them "
    "costs nothing at the linearised cost), so the polish (qp_vertex.py) does not apply and the "
    "per-peer dual stays Clarabel's 0.050001, above the band [0.05, 0.05] (docs/optimisation.md, 'Ties')",
)
def test_two_identical_quadratic_peers_at_a_tie_post_a_dual_in_the_band() -> None:
    # found by the property test (--hypothesis-seed=6, 500 examples): TIE_EXPORT with two such peers
    peers = tuple(Peer(f"p{i}", "a", np.zeros(T), cost_function=_cost(0.2)) for i in range(2))
    _assert_equivalent(Scenario("tie-twins", T, 60, TARIFFS, peers, Grid(True), CommunitySettings(0.0)))
