"""The day plot: series taken from a real clearing result, a PNG written, bad inputs refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from flexunity.cli.plot import plot as plot_cli
from flexunity.data.pilots import build_pilot, write_folder
from flexunity.errors import InputError
from flexunity.report.plots import day_series, find_series, plot_day

scenario_io = pytest.importorskip("flexunity.data.scenario_io")
clearing = pytest.importorskip("flexunity.optimize.clearing")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def cleared_iberia() -> tuple[Any, dict[str, Any]]:
    scenario = scenario_io.scenario_from_dict(
        build_pilot("iberia", "2025-10-26")
    )  # clock-back: 100 intervals
    return scenario, json.loads(json.dumps(clearing.clear(scenario).to_dict()))


def test_series_agree_with_the_result(cleared_iberia: tuple[Any, dict[str, Any]]) -> None:
    scenario, result = cleared_iberia
    series = day_series(scenario, result)
    hours = scenario.interval_minutes / 60
    assert len(series.times) == 100 and str(series.times.tz) == "Europe/Madrid"
    assert series.import_kw is not None and series.export_kw is not None
    assert series.import_kw.sum() * hours == pytest.approx(result["kpis"]["import_kwh"], rel=1e-6)
    assert series.export_kw.sum() * hours == pytest.approx(abs(result["kpis"]["export_kwh"]), abs=1e-6)
    baseline = sum(
        p.load_kw.sum() + sum(c.profile_kw.sum() for c in p.curtailable_loads) for p in scenario.peers
    )
    assert sum(v.sum() for v in series.load_by_kind_kw.values()) == pytest.approx(baseline)
    assert series.soc_kwh is not None and series.soc_kwh.max() <= series.battery_capacity_kwh + 1e-6
    assert series.buy_price is not None and np.all(series.buy_price <= series.retail_import.max() + 1e-9)


def test_png_is_written(cleared_iberia: tuple[Any, dict[str, Any]], tmp_path: Path) -> None:
    scenario, result = cleared_iberia
    path = plot_day(scenario, result, tmp_path / "sub" / "day.png")
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 20_000


def test_partial_result_still_plots(cleared_iberia: tuple[Any, dict[str, Any]], tmp_path: Path) -> None:
    scenario, _ = cleared_iberia
    series = day_series(scenario, {"intervals": 100})
    assert series.import_kw is None and series.soc_kwh is None and series.buy_price is None
    assert plot_day(scenario, {"intervals": 100}, tmp_path / "bare.png").stat().st_size > 10_000


def test_wrong_result_is_refused(cleared_iberia: tuple[Any, dict[str, Any]], tmp_path: Path) -> None:
    scenario, result = cleared_iberia
    with pytest.raises(InputError, match="got a scenario"):
        plot_day(scenario, {"format": "flexunity-scenario/1"}, tmp_path / "x.png")
    with pytest.raises(InputError, match="result has 96 intervals"):
        plot_day(scenario, dict(result, intervals=96), tmp_path / "x.png")


def test_find_series_sums_owners_and_skips_wrong_lengths() -> None:
    result = {"variables": {"alpha": {"a": [1, 2], "b": [3, 4]}}, "other": {"alpha": [9, 9, 9]}}
    np.testing.assert_array_equal(find_series(result, ["alpha"], 2), [4, 6])
    assert find_series(result, ["beta"], 2) is None


def test_cli_plots_a_folder_scenario(tmp_path: Path) -> None:
    built = build_pilot("corby", "2025-06-18")
    folder = tmp_path / "corby"
    write_folder(built, folder)
    result = clearing.clear(scenario_io.load_scenario(folder)).to_dict()
    (tmp_path / "result.json").write_text(json.dumps(result))
    out = tmp_path / "day.png"
    run = CliRunner().invoke(plot_cli, [str(folder), str(tmp_path / "result.json"), "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert out.read_bytes().startswith(PNG_MAGIC)


def test_the_last_interval_is_drawn_as_wide_as_the_others(cleared_iberia: tuple[Any, dict[str, Any]]) -> None:
    from flexunity.report.plots import _with_closing_edge

    scenario, result = cleared_iberia
    series = day_series(scenario, result)
    closed = _with_closing_edge(series)
    width = series.times[1] - series.times[0]
    assert len(closed.times) == len(series.times) + 1 and closed.times[-1] == series.times[-1] + width
    assert closed.pv_kw[-1] == series.pv_kw[-1] and len(closed.retail_import) == len(closed.times)
    assert closed.import_kw is not None and series.import_kw is not None
    assert np.array_equal(closed.import_kw[:-1], series.import_kw)
