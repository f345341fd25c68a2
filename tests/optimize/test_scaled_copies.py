"""Exact aggregation of scaled copies: the reduced LP has the same optimum, and the split-back
dispatch is feasible and optimal for the original community."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest

from flexunity.model import Battery, Peer, Scenario
from flexunity.optimize import check_feasible, solve_dispatch
from flexunity.optimize.benchmark import generated_community
from flexunity.optimize.scaled_copies import _scaled, reduce_scenario, solve_with_scaled_copies


def scaled_peer(peer: Peer, factor: float, new_id: str) -> Peer:
    kinds = ("batteries", "shiftable_loads", "curtailable_loads", "ev_chargers")
    return replace(
        peer,
        id=new_id,
        load_kw=np.asarray(peer.load_kw) * factor,
        pv_kw=None if peer.pv_kw is None else np.asarray(peer.pv_kw) * factor,
        **{k: tuple(_scaled(a, factor) for a in getattr(peer, k)) for k in kinds},  # type: ignore[arg-type]
    )


def planted(seed: int) -> Scenario:
    """A generated community plus scaled copies of some peers and a second, scaled battery."""
    warnings.filterwarnings("ignore", category=UserWarning)
    base = generated_community(8, 24, {"battery": 0.5, "ev": 0.4, "shiftable": 0.4, "curtailable": 0.4}, seed)
    rng = np.random.default_rng(seed)
    peers = list(base.peers)
    for i in rng.choice(len(peers), 3, replace=False):
        peers.append(scaled_peer(peers[i], float(rng.uniform(0.3, 3.0)), f"{peers[i].id}-copy"))
    j = next(i for i, p in enumerate(peers) if p.batteries)
    extra = _scaled(peers[j].batteries[0], float(rng.uniform(0.2, 2.0)), "second")
    peers[j] = replace(peers[j], batteries=(*peers[j].batteries, extra))
    return replace(base, peers=tuple(peers))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reduced_optimum_equals_the_original_and_the_split_is_feasible(seed: int) -> None:
    sc = planted(seed)
    red = reduce_scenario(sc)
    assert red.merged_peers >= 3 and red.merged_assets >= 1
    assert len(red.scenario.peers) == len(sc.peers) - red.merged_peers
    d, _ = solve_with_scaled_copies(sc)
    full = solve_dispatch(sc)
    assert d.objective == pytest.approx(full.objective, rel=1e-8, abs=1e-8)
    assert check_feasible(sc, d.to_dict()) == []


def test_near_copies_do_not_merge() -> None:
    sc = planted(0)
    j = next(i for i, p in enumerate(sc.peers) if len(p.batteries) == 2)
    b1, b2 = sc.peers[j].batteries
    peers = list(sc.peers)
    peers[j] = replace(peers[j], batteries=(b1, replace(b2, charge_efficiency=b2.charge_efficiency - 0.01)))
    red = reduce_scenario(replace(sc, peers=tuple(peers)))
    reduced = {p.id: p for p in red.scenario.peers}
    assert len(reduced[peers[j].id].batteries) == 2


def test_battery_copies_within_a_peer_merge_into_their_sum() -> None:
    b = Battery("a", 10.0, 5.0, 4.0, 0.9, 0.95, 5.0, cycling_cost_per_kwh=0.01)
    peer = Peer("p", "t", np.ones(4), batteries=(b, _scaled(b, 0.5, "b"), _scaled(b, 2.0, "c")))
    sc = planted(0)
    red = reduce_scenario(replace(sc, peers=(peer,), intervals=4))
    (merged,) = red.scenario.peers[0].batteries
    assert merged.capacity_kwh == pytest.approx(35.0) and merged.discharge_kw == pytest.approx(14.0)
    assert red.owners["p/b"] == ("p/a", pytest.approx(5 / 35))
