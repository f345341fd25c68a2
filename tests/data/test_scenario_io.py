"""Scenario files in and out: JSON, folder + CSV, unit conversion, round trips."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flexunity.data.scenario_io import load_scenario, save_scenario, scenario_from_dict, scenario_to_dict
from flexunity.errors import InputError

GOLDEN = Path(__file__).parents[1] / "optimize" / "golden"


def _doc(**extra: object) -> dict:
    doc = json.loads((GOLDEN / "pv_consumer.json").read_text())
    doc.update(extra)
    return doc


def test_json_and_folder_round_trip_preserve_the_scenario(tmp_path: Path) -> None:
    sc = load_scenario(GOLDEN / "pv_consumer.json")
    folder_json = save_scenario(sc, tmp_path / "folder", folder=True)
    assert (tmp_path / "folder" / "profiles.csv").exists()
    again = load_scenario(folder_json.parent)
    assert scenario_to_dict(again) == scenario_to_dict(sc)
    single = save_scenario(sc, tmp_path / "one.json")
    assert scenario_to_dict(load_scenario(single)) == scenario_to_dict(sc)


def test_units_are_converted_to_kw_and_currency_per_kwh() -> None:
    doc = _doc(units={"power": "W", "price": "p/kWh"})
    doc["tariffs"]["flat"] = {"import_price": 30, "export_price": 5}
    doc["peers"][1]["load_kw"] = 3000
    sc = scenario_from_dict(doc)
    assert sc.tariffs["flat"].import_price[0] == pytest.approx(0.30)
    assert sc.peer("consumer").load_kw[0] == pytest.approx(3.0)


def test_csv_rows_are_ordered_by_interval_or_timestamp(tmp_path: Path) -> None:
    doc = _doc()
    doc["peers"][0]["pv_kw"] = {"csv": "p.csv", "column": "pv"}
    (tmp_path / "scenario.json").write_text(json.dumps(doc))
    pd.DataFrame({"interval": [1, 0], "pv": [0.0, 5.0]}).to_csv(tmp_path / "p.csv", index=False)
    np.testing.assert_allclose(load_scenario(tmp_path).peer("prosumer").pv_kw, [5, 0])
    stamps = ["2026-06-01T13:00:00+01:00", "2026-06-01T12:00:00+01:00"]
    pd.DataFrame({"timestamp": stamps, "pv": [0.0, 5.0]}).to_csv(tmp_path / "p.csv", index=False)
    np.testing.assert_allclose(load_scenario(tmp_path).peer("prosumer").pv_kw, [5, 0])


def test_a_csv_cell_that_is_not_a_number_names_file_row_and_column(tmp_path: Path) -> None:
    doc = _doc()
    doc["peers"][0]["pv_kw"] = {"csv": "p.csv", "column": "pv"}
    (tmp_path / "scenario.json").write_text(json.dumps(doc))
    (tmp_path / "p.csv").write_text("interval,pv\n1,0.0\n0,abc\n")
    with pytest.raises(InputError, match=r"p\.csv: row 3, column 'pv': 'abc' is not a number"):
        load_scenario(tmp_path)


def test_unreadable_json_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="invalid JSON at line 1"):
        load_scenario(bad)
