"""Generated communities: the mix is honoured, draws are seeded, assets are feasible, 10,000 peers build."""

from __future__ import annotations

import numpy as np
import pytest

from flexunity.data.generator import DEFAULT_MIX, generate_community, parse_mix


def test_shape_and_format() -> None:
    scenario = generate_community(40, 96, seed=3, interval_minutes=15)
    assert scenario["format"] == "flexunity-scenario/1"
    assert scenario["intervals"] == 96 and len(scenario["peers"]) == 40
    assert len({p["id"] for p in scenario["peers"]}) == 40
    for peer in scenario["peers"]:
        assert len(peer["load_kw"]) == 96 and min(peer["load_kw"]) >= 0
        assert peer["tariff"] in scenario["tariffs"]
        assert len(peer.get("pv_kw", [0] * 96)) == 96


@pytest.mark.parametrize("asset", ["pv", "battery", "ev", "curtailable", "shiftable"])
def test_mix_extremes(asset: str) -> None:
    key = {
        "pv": "pv_kw",
        "battery": "batteries",
        "ev": "ev_chargers",
        "curtailable": "curtailable_loads",
        "shiftable": "shiftable_loads",
    }[asset]
    none = generate_community(30, 48, mix={asset: 0.0})
    every = generate_community(30, 48, mix={asset: 1.0})
    assert not any(key in p for p in none["peers"])
    assert all(key in p for p in every["peers"])


def test_mix_shares_are_roughly_honoured() -> None:
    scenario = generate_community(2000, 24, mix={"pv": 0.3, "business": 0.5}, seed=1, interval_minutes=60)
    peers = scenario["peers"]
    assert np.mean(["pv_kw" in p for p in peers]) == pytest.approx(0.3, abs=0.04)
    assert np.mean([p["kind"] == "business" for p in peers]) == pytest.approx(0.5, abs=0.04)


def test_seeded() -> None:
    assert generate_community(20, 48, seed=5) == generate_community(20, 48, seed=5)
    assert generate_community(20, 48, seed=5) != generate_community(20, 48, seed=6)


def test_assets_are_feasible_over_several_days() -> None:
    scenario = generate_community(300, 144, mix={"ev": 1.0, "shiftable": 1.0, "battery": 1.0}, seed=2)
    assert scenario["intervals"] == 144
    for peer in scenario["peers"]:
        ev = peer["ev_chargers"][0]
        assert 0 <= ev["arrival"] < ev["departure"] <= 144
        assert ev["energy_kwh"] <= ev["max_kw"] * (ev["departure"] - ev["arrival"]) / 2
        first, last = peer["shiftable_loads"][0]["window"]
        shift = peer["shiftable_loads"][0]
        assert 0 <= first <= last < 144 and shift["energy_kwh"] <= shift["max_kw"] * (last - first + 1) / 2
        battery = peer["batteries"][0]
        assert 0 <= battery["soc_initial_kwh"] <= battery["capacity_kwh"]


def test_pv_is_zero_at_night_and_loads_differ_between_peers() -> None:
    scenario = generate_community(50, 48, mix={"pv": 1.0}, seed=0)
    pv = np.array([p["pv_kw"] for p in scenario["peers"]])
    loads = np.array([p["load_kw"] for p in scenario["peers"]])
    assert pv[:, :6].max() == 0.0 and pv[:, 24:28].min() > 0  # midnight-3am dark, 12-2pm bright
    assert len({tuple(r) for r in loads}) == 50


def test_ten_thousand_peers() -> None:
    scenario = generate_community(10_000, 48, seed=0)
    assert len(scenario["peers"]) == 10_000 and scenario["peers"][-1]["id"] == "peer-09999"


def test_parse_mix() -> None:
    assert parse_mix("pv=0.7, ev=0") == DEFAULT_MIX | {"pv": 0.7, "ev": 0.0}
    with pytest.raises(ValueError, match="bad mix item"):
        parse_mix("solar=1")
    with pytest.raises(ValueError, match="shares in"):
        generate_community(5, 48, mix={"pv": 1.5})


def test_generated_community_validates_and_clears() -> None:
    scenario_io = pytest.importorskip("flexunity.data.scenario_io")
    clearing = pytest.importorskip("flexunity.optimize.clearing")
    built = generate_community(60, 48, seed=4, mix={"ev": 0.3, "shiftable": 0.3, "battery": 0.3})
    result = clearing.clear(scenario_io.scenario_from_dict(built))
    assert result.status == "optimal" and len(result.to_dict()["bills"]) == 60


def test_tiny_rounds_stay_feasible() -> None:
    scenario = generate_community(50, 2, mix={"shiftable": 1.0, "ev": 1.0}, seed=9, interval_minutes=15)
    for peer in scenario["peers"]:
        first, last = peer["shiftable_loads"][0]["window"]
        assert peer["shiftable_loads"][0]["energy_kwh"] <= 2.0 * (last - first + 1) / 4
        ev = peer["ev_chargers"][0]
        assert ev["energy_kwh"] <= ev["max_kw"] * (ev["departure"] - ev["arrival"]) / 4
