"""A user's own profile CSV: resampling that conserves energy, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexunity.data.profiles import round_index
from flexunity.data.user_profiles import read_user_profile, read_user_profiles, resample_kw
from flexunity.errors import InputError

LONDON = "Europe/London"


def _write(path: Path, stamps: list[str], **columns: object) -> Path:
    pd.DataFrame({"timestamp": stamps, **columns}).to_csv(path, index=False)
    return path


def _stamps(start: str, end: str, freq: str, tz: str = LONDON, *, naive: bool = False) -> list[str]:
    times = pd.date_range(start, end, freq=freq, tz=tz, inclusive="left")
    return [(t.tz_localize(None) if naive else t).isoformat() for t in times]


def test_kwh_at_five_minutes_becomes_kw_on_a_clock_back_day(tmp_path: Path) -> None:
    stamps = _stamps("2025-10-25 22:00", "2025-10-27 01:00", "5min")
    path = _write(tmp_path / "meter.csv", stamps, load_kwh=0.1)
    series = read_user_profile(path, round_index("2025-10-26", LONDON, 30))
    assert len(series) == 50
    np.testing.assert_allclose(series, 1.2)  # 0.1 kWh per 5 min = 1.2 kW


def test_hourly_kw_spreads_evenly_onto_quarter_hours(tmp_path: Path) -> None:
    stamps = _stamps("2025-06-01", "2025-06-02", "h", "UTC")
    path = _write(tmp_path / "pv.csv", stamps, pv_kw=np.arange(24.0))
    series = read_user_profile(path, round_index("2025-06-01", "UTC", 15))
    assert series.iloc[4:8].tolist() == [1.0] * 4
    assert series.sum() / 4 == pytest.approx(np.arange(24.0).sum())


def test_naive_local_times_are_read_in_the_round_zone(tmp_path: Path) -> None:
    stamps = _stamps("2025-03-29", "2025-03-31", "h", naive=False)
    local = [pd.Timestamp(s).tz_convert(LONDON).tz_localize(None).isoformat() for s in stamps]
    path = _write(tmp_path / "naive.csv", local, load_kw=1.0)
    series = read_user_profile(path, round_index("2025-03-30", LONDON, 30))
    assert len(series) == 46 and series.sum() == 46.0


def test_offset_timestamps_in_another_zone_are_converted(tmp_path: Path) -> None:
    stamps = _stamps("2025-05-01", "2025-05-04", "30min", "Europe/Madrid")
    values = [float(pd.Timestamp(s).tz_convert("Europe/Lisbon").hour) for s in stamps]
    path = _write(tmp_path / "pt.csv", stamps, hvac_kw=values)
    series = read_user_profile(path, round_index("2025-05-02", "Europe/Lisbon", 30))
    assert series.iloc[0] == 0.0 and series.iloc[-1] == 23.0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0, 50, allow_nan=False), min_size=24 * 12 + 12, max_size=24 * 12 + 12))
def test_resampling_conserves_energy(values: list[float]) -> None:
    times = pd.date_range("2025-07-01 23:00", periods=len(values), freq="5min", tz=LONDON)
    index = round_index("2025-07-02", LONDON, 30)
    kw = resample_kw(times, np.array(values), 5, index)
    inside = (times >= index[0]) & (times < index[-1] + pd.Timedelta(minutes=30))
    assert kw.sum() * 0.5 == pytest.approx(np.array(values)[inside].sum() * 5 / 60, abs=1e-6)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: (_stamps("2025-10-25", "2025-10-28", "30min", naive=True), {"load_kw": 1}),
            "occurs twice \\(clock-back day\\)",
        ),
        (
            lambda: (_stamps("2025-03-29", "2025-04-01", "30min", "UTC", naive=True), {"load_kw": 1}),
            "does not exist \\(clock-forward day\\)",
        ),
        (
            lambda: (
                [*_stamps("2025-10-25", "2025-10-25 03:00", "h"), "2025-10-25T03:00:00"],
                {"load_kw": 1},
            ),
            "mixes local times and UTC offsets",
        ),
    ],
)
def test_time_zone_problems_are_named(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    stamps, columns = make()
    path = _write(tmp_path / "bad.csv", stamps, **columns)
    day = "2025-10-26" if "10-2" in stamps[0] else "2025-03-30"
    with pytest.raises(InputError, match=message):
        read_user_profile(path, round_index(day, LONDON, 30))


def test_gap_is_named_with_its_timestamps(tmp_path: Path) -> None:
    stamps = _stamps("2025-06-01", "2025-06-03", "15min")
    del stamps[40:44]
    path = _write(tmp_path / "gap.csv", stamps, load_kw=1.0)
    with pytest.raises(InputError, match=r"gap between 2025-06-01T09:45:00\+01:00 and 2025-06-01T11:00"):
        read_user_profile(path, round_index("2025-06-01", LONDON, 30))


def test_duplicate_and_disorder_are_errors(tmp_path: Path) -> None:
    stamps = _stamps("2025-06-01", "2025-06-03", "h")
    day = round_index("2025-06-01", LONDON, 30)
    dup = _write(tmp_path / "dup.csv", [*stamps[:5], stamps[4], *stamps[5:]], load_kw=1.0)
    with pytest.raises(InputError, match=r"rows 6 and 7: duplicate timestamp 2025-06-01T04:00:00\+01:00"):
        read_user_profile(dup, day)
    swapped = [*stamps[:3], stamps[4], stamps[3], *stamps[5:]]
    with pytest.raises(InputError, match="earlier than the row before"):
        read_user_profile(_write(tmp_path / "order.csv", swapped, load_kw=1.0), day)


def test_values_are_checked(tmp_path: Path) -> None:
    stamps = _stamps("2025-06-01", "2025-06-03", "h")
    day = round_index("2025-06-01", LONDON, 30)
    values: list[object] = [1.0] * len(stamps)
    values[7] = None
    with pytest.raises(InputError, match=r"row 9 \(2025-06-01T07:00:00\+01:00\): missing value"):
        read_user_profile(_write(tmp_path / "nan.csv", stamps, load_kw=values), day)
    values[7] = -2.0
    with pytest.raises(InputError, match=r"negative value -2\.0"):
        read_user_profile(_write(tmp_path / "neg.csv", stamps, load_kw=values), day)
    values[7] = "lots"
    with pytest.raises(InputError, match="not a number: 'lots'"):
        read_user_profile(_write(tmp_path / "txt.csv", stamps, load_kw=values), day)


def test_coverage_units_and_columns(tmp_path: Path) -> None:
    stamps = _stamps("2025-06-01 06:00", "2025-06-02", "h")
    path = _write(tmp_path / "short.csv", stamps, load_kw=1.0, other=2.0)
    day = round_index("2025-06-01", LONDON, 30)
    with pytest.raises(InputError, match="but the round needs 2025-06-01T00:00:00"):
        read_user_profile(path, day, column="load_kw")
    full = _write(tmp_path / "two.csv", _stamps("2025-06-01", "2025-06-02", "h"), load_kw=1.0, usage=2.0)
    with pytest.raises(InputError, match="cannot tell kW from kWh"):
        read_user_profiles(full, day)
    assert read_user_profile(full, day, column="usage", unit="kWh").iloc[0] == 2.0
    with pytest.raises(InputError, match="no column 'nope'"):
        read_user_profile(full, day, column="nope")
    with pytest.raises(InputError, match="file not found"):
        read_user_profile(tmp_path / "missing.csv", day)
