"""Bad input gets one clear error naming the file, peer, field and interval."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from flexunity.data.scenario_io import load_scenario, scenario_from_dict
from flexunity.errors import InputError

GOLDEN = Path(__file__).parents[1] / "optimize" / "golden"


def _doc() -> dict:
    return json.loads((GOLDEN / "pv_consumer.json").read_text())


def _folder(tmp_path: Path, frame: pd.DataFrame) -> Path:
    doc = _doc()
    doc["peers"][0]["pv_kw"] = {"csv": "p.csv", "column": "pv"}
    (tmp_path / "scenario.json").write_text(json.dumps(doc))
    frame.to_csv(tmp_path / "p.csv", index=False)
    return tmp_path


def test_missing_interval_in_csv(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"p.csv: missing intervals 1"):
        load_scenario(_folder(tmp_path, pd.DataFrame({"interval": [0], "pv": [5.0]})))


def test_duplicated_interval_in_csv(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"duplicated interval 0"):
        load_scenario(_folder(tmp_path, pd.DataFrame({"interval": [0, 0, 1], "pv": [5.0, 5.0, 0.0]})))


def test_nan_names_peer_field_and_interval(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"peer prosumer.pv_kw: value is nan .* at interval 1"):
        load_scenario(_folder(tmp_path, pd.DataFrame({"interval": [0, 1], "pv": [5.0, None]})))


def test_wrong_profile_length() -> None:
    doc = _doc()
    doc["peers"][1]["load_kw"] = [1, 2, 3]
    with pytest.raises(InputError, match=r"peer consumer.load_kw: expected 2 values, got 3"):
        scenario_from_dict(doc)


def test_negative_capacity() -> None:
    doc = _doc()
    doc["peers"][0]["batteries"] = [{"id": "b", "capacity_kwh": -1, "charge_kw": 1, "discharge_kw": 1}]
    with pytest.raises(InputError, match=r"peer prosumer.batteries\[0\].capacity_kwh: must not be negative"):
        scenario_from_dict(doc)


def test_state_of_charge_out_of_bounds() -> None:
    doc = _doc()
    doc["peers"][0]["batteries"] = [
        {"id": "b", "capacity_kwh": 5, "charge_kw": 1, "discharge_kw": 1, "soc_initial_kwh": 6}
    ]
    with pytest.raises(InputError, match=r"soc_initial_kwh: must be in \[0, 5\], got 6"):
        scenario_from_dict(doc)


def test_negative_load_names_the_interval() -> None:
    doc = _doc()
    doc["peers"][1]["load_kw"] = [1, -2]
    with pytest.raises(InputError, match=r"consumer.load_kw: must not be negative, got -2 at interval 1"):
        scenario_from_dict(doc)


@pytest.mark.parametrize(
    ("units", "where"), [({"power": "hp"}, "units.power"), ({"price": "USD/kWh"}, "units.price")]
)
def test_unknown_units(units: dict, where: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=where):
        scenario_from_dict({**_doc(), "units": units})
    path = tmp_path / "site.json"
    path.write_text(json.dumps({**_doc(), "units": units}))
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}: {where}: unknown")  # names the file


def test_unknown_tariff_and_duplicated_peer() -> None:
    doc = _doc()
    doc["peers"][1]["tariff"] = "nope"
    with pytest.raises(InputError, match=r"peer consumer.tariff: unknown tariff 'nope'"):
        scenario_from_dict(doc)
    doc = _doc()
    doc["peers"][1]["id"] = "prosumer"
    with pytest.raises(InputError, match=r"duplicated id 'prosumer'"):
        scenario_from_dict(doc)


def test_ev_times_must_fit_the_round() -> None:
    doc = _doc()
    doc["peers"][1]["ev_chargers"] = [
        {"id": "ev", "energy_kwh": 5, "max_kw": 7, "arrival": 1, "departure": 5}
    ]
    with pytest.raises(InputError, match=r"arrival < departure <= 2"):
        scenario_from_dict(doc)
