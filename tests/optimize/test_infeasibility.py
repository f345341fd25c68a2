"""Infeasible communities are explained: which group of constraints, which owner, which intervals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from flexunity.cli.clear import clear as clear_cmd
from flexunity.data.scenario_io import scenario_from_dict
from flexunity.errors import InfeasibleError, InputError
from flexunity.optimize import clear

GOLDEN = Path(__file__).parent / "golden"


def _doc() -> dict:
    return json.loads((GOLDEN / "pv_consumer.json").read_text())


def _island(hours: int = 4) -> dict:
    doc = _doc()
    doc.update(intervals=hours, grid={"connected": False})
    doc["peers"][0]["pv_kw"] = [5, 0, 0, 5][:hours]
    doc["peers"][0]["load_kw"] = 1
    doc["peers"][1]["load_kw"] = 1
    return doc


def test_islanded_community_short_of_supply_names_the_intervals() -> None:
    with pytest.raises(
        InfeasibleError,
        match=r"islanded community short of supply at intervals 1-2 \(4 kWh: 2 at 1, 2 at 2\); "
        r"unserved load of prosumer 2 kWh, consumer 2 kWh",
    ):
        clear(scenario_from_dict(_island()))


def test_islanded_shortfall_with_a_battery_blames_the_unserved_load_not_the_battery() -> None:
    # t0: PV 5, load 2 -> the battery charges 3 kWh; t1 it covers the 2 kWh gap; t2 only 1 kWh is
    # left for a 2 kWh load: 1 kWh short at interval 2, shared pro rata to the two 1 kW loads
    doc = _island()
    doc["peers"][0]["batteries"] = [
        {"id": "batteries-0", "capacity_kwh": 5, "charge_kw": 4, "discharge_kw": 3, "soc_initial_kwh": 0}
    ]
    with pytest.raises(InfeasibleError) as info:
        clear(scenario_from_dict(doc))
    message = str(info.value)
    assert "battery" not in message
    assert "islanded community short of supply at intervals 2 (1 kWh: 1 at 2)" in message
    assert "unserved load of prosumer 0.5 kWh, consumer 0.5 kWh" in message


def test_islanded_surplus_that_cannot_be_absorbed_is_named() -> None:
    doc = _doc()
    doc.update(intervals=2, grid={"connected": False})
    doc["peers"][0].update(load_kw=0, pv_kw=0)
    doc["peers"][0]["cost_function"] = {"a": 0.0, "b": 0.1, "p_min_kw": 5, "p_max_kw": 6}  # must run
    doc["peers"][1]["load_kw"] = [1, 3]
    with pytest.raises(
        InfeasibleError,
        match=r"islanded community with surplus at intervals 0-1 \(6 kWh: 4 at 0, 2 at 1\); "
        r"production that cannot be absorbed from prosumer 6 kWh",
    ):
        clear(scenario_from_dict(doc))


def test_a_battery_can_cover_the_islanded_gap() -> None:
    doc = _island()
    doc["peers"][0]["pv_kw"] = [6, 0, 0, 5]  # 4 kWh surplus at t0 covers the 2 x 2 kWh gap
    doc["peers"][0]["batteries"] = [
        {"id": "b", "capacity_kwh": 5, "charge_kw": 4, "discharge_kw": 3, "soc_initial_kwh": 0}
    ]
    r = clear(scenario_from_dict(doc))
    assert r.status == "optimal"


def test_ev_that_cannot_be_charged_in_time() -> None:
    doc = _doc()
    doc["peers"][1]["ev_chargers"] = [
        {"id": "ev-1", "energy_kwh": 40, "max_kw": 7, "arrival": 0, "departure": 2}
    ]
    with pytest.raises(InfeasibleError, match=r"EV ev-1 of peer consumer cannot get 40 kWh by departure"):
        clear(scenario_from_dict(doc))


def test_import_limit_is_named() -> None:
    doc = _doc()
    doc["grid"] = {"connected": True, "max_import_kw": 2}
    with pytest.raises(
        InfeasibleError,
        match=r"community short of supply at intervals 1 \(2 kWh: 2 at 1\), the community import limit "
        r"\(2 kW\) binding; unserved load of consumer 1.5 kWh, prosumer 0.5 kWh",
    ):
        clear(scenario_from_dict(doc))


def test_unknown_pricing_rule_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown pricing rule"):
        clear(scenario_from_dict(_doc()), "pay-as-bid")


def test_cli_reports_infeasibility_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "island.json"
    path.write_text(json.dumps(_island()))
    result = CliRunner().invoke(clear_cmd, [str(path), "--out", str(tmp_path / "r.json")])
    assert isinstance(result.exception, InfeasibleError)
    assert result.exception.exit_code == 3


def test_cli_writes_the_result_document(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = CliRunner().invoke(
        clear_cmd, [str(GOLDEN / "pv_consumer.json"), "--out", str(out), "--pricing", "mmr"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["format"] == "flexunity-result/1" and doc["pricing"]["rule"] == "mmr"
    assert set(doc["bills"]) == {"prosumer", "consumer"}


def test_cli_table_of_a_large_community_shows_the_peers_saving_most_and_least(tmp_path: Path) -> None:
    from flexunity.cli.clear import _peers_shown

    bills = {f"p{i}": {"cost": float(10 - i)} for i in range(10)}  # saving of p{i} = i
    doc = {"bills": bills, "standalone_bills": {p: {"cost": 10.0} for p in bills} | {"p5": None}}
    shown, note = _peers_shown(doc, 4)
    assert shown == ["p9", "p8", "p0", "p5"]  # no standalone bill: listed among the least
    assert "4 of 10 peers shown" in note
    assert _peers_shown(doc, 0) == (list(bills), "") == _peers_shown(doc, 10)
    result = CliRunner().invoke(clear_cmd, [str(GOLDEN / "pv_consumer.json"), "--rows", "1"])
    assert result.exit_code == 0 and "1 of 2 peers shown" in result.output
