"""Synthetic PV and load profiles: clock-change days, annual energy, shapes, seeded variation."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from flexunity.data.profiles import (
    LoadSpec,
    PVSite,
    Variation,
    annual_kwh_sample,
    energy_kwh,
    load_kw,
    pv_kw,
    round_index,
    year_index,
)

CORBY = PVSite(52.49, -0.69, "Europe/London", 80.0, tilt_deg=35.0, azimuth_deg=180.0)
SEVILLE_FLAT = PVSite(37.39, -5.98, "Europe/Madrid", 10.0, tilt_deg=0.0, azimuth_deg=180.0)


@pytest.mark.parametrize(
    ("day", "timezone", "minutes", "expected"),
    [
        ("2025-03-30", "Europe/London", 30, 46),  # clocks forward
        ("2025-10-26", "Europe/London", 30, 50),  # clocks back
        ("2025-06-21", "Europe/London", 30, 48),
        ("2025-03-30", "Europe/Madrid", 15, 92),
        ("2025-10-26", "Europe/Lisbon", 15, 100),
        ("2025-06-21", "Europe/Madrid", 60, 24),
    ],
)
def test_round_index_counts_local_day_intervals(day: str, timezone: str, minutes: int, expected: int) -> None:
    index = round_index(day, timezone, minutes)
    assert len(index) == expected
    assert index[0] == pd.Timestamp(day).tz_localize(timezone)
    assert (index[-1] + pd.Timedelta(minutes=minutes)).tz_convert(timezone).hour == 0


@pytest.mark.parametrize(
    ("site", "kwp", "annual", "minutes"),
    [(CORBY, 3.0, 2550.0, 30), (CORBY, 50.0, 42_500.0, 30), (SEVILLE_FLAT, 5.0, 7500.0, 15)],
)
def test_pv_year_energy_matches_target(site: PVSite, kwp: float, annual: float, minutes: int) -> None:
    year = year_index(2025, site.timezone, minutes)
    assert energy_kwh(pv_kw(year, site, kwp, annual)) == pytest.approx(annual, rel=0.02)


def test_pv_shape_is_solar() -> None:
    summer = pv_kw(round_index("2025-06-21", "Europe/London", 30), CORBY, 3.0, 2550.0)
    winter = pv_kw(round_index("2025-12-21", "Europe/London", 30), CORBY, 3.0, 2550.0)
    assert summer.iloc[0] == 0.0 and summer.iloc[-1] == 0.0  # midnight
    peak = summer.idxmax().tz_convert("Europe/London")
    assert 12 <= peak.hour <= 14  # solar noon at Corby is about 13:03 BST
    assert energy_kwh(summer) > 3 * energy_kwh(winter) > 0
    assert summer.max() <= 3.0


def test_pv_day_is_a_slice_of_the_year() -> None:
    day = round_index("2025-10-26", "Europe/London", 30)
    alone = pv_kw(day, CORBY, 3.0, 2550.0)
    week = pv_kw(round_index("2025-10-24", "Europe/London", 30, days=4), CORBY, 3.0, 2550.0)
    pd.testing.assert_series_equal(alone, week.reindex(day))


@pytest.mark.parametrize("slp", ["h0", "g0", "g1", "g3"])
@pytest.mark.parametrize("timezone", ["Europe/London", "Europe/Lisbon"])
def test_load_year_energy_matches_annual_kwh(slp: str, timezone: str) -> None:
    spec = LoadSpec(slp, 12_345.0, timezone, Variation(7, f"peer-{slp}"), 0.3, "cooling")
    year = year_index(2024, timezone, 15)
    assert energy_kwh(load_kw(year, spec)) == pytest.approx(12_345.0, rel=1e-9)
    assert energy_kwh(load_kw(year, spec, "flexible")) == pytest.approx(0.3 * 12_345.0, rel=1e-9)


def test_flexible_and_inflexible_add_up_to_total() -> None:
    spec = LoadSpec("g1", 300_000.0, "Europe/London", flexible_share=0.25, flexible_season="heating")
    day = round_index("2025-01-15", "Europe/London", 30)
    total, flexible, rigid = (load_kw(day, spec, part) for part in ("total", "flexible", "inflexible"))
    np.testing.assert_allclose(flexible + rigid, total)
    assert (flexible >= 0).all() and (rigid >= 0).all()
    summer = load_kw(round_index("2025-07-15", "Europe/London", 30), spec, "flexible")
    assert flexible.sum() > summer.sum()  # heating weighs winter


def test_clock_back_day_repeats_the_wall_clock_hour() -> None:
    spec = LoadSpec("h0", 3000.0, "Europe/London")
    day = load_kw(round_index("2025-10-26", "Europe/London", 30), spec)
    local = day.index.tz_convert("Europe/London")
    one_am = day[(local.hour == 1) & (local.minute == 0)]
    assert len(one_am) == 2 and one_am.iloc[0] == one_am.iloc[1]


def test_clock_forward_day_skips_the_missing_hour() -> None:
    spec = LoadSpec("h0", 3000.0, "Europe/London")
    day = load_kw(round_index("2025-03-30", "Europe/London", 30), spec)
    local = day.index.tz_convert("Europe/London")
    assert not (local.hour == 1).any() and len(day) == 46


def test_load_follows_its_own_local_clock_inside_another_zone() -> None:
    spec = LoadSpec("g1", 15_000.0, "Europe/Lisbon")
    madrid = load_kw(round_index("2025-05-14", "Europe/Madrid", 15), spec)
    lisbon = load_kw(round_index("2025-05-14", "Europe/Lisbon", 15), spec)
    # 10:00 in Lisbon is 11:00 in Madrid: the same instant, the same office hour
    instant = pd.Timestamp("2025-05-14 10:00", tz="Europe/Lisbon")
    assert madrid[instant] == lisbon[instant]
    assert madrid.index[0].tz_convert("Europe/Lisbon").hour == 23  # starts the evening before


def test_variation_is_seeded_per_peer() -> None:
    day = round_index("2025-02-03", "Europe/London", 30)
    a = load_kw(day, LoadSpec("h0", 2500.0, "Europe/London", Variation(0, "home-01")))
    again = load_kw(day, LoadSpec("h0", 2500.0, "Europe/London", Variation(0, "home-01")))
    other = load_kw(day, LoadSpec("h0", 2500.0, "Europe/London", Variation(0, "home-02")))
    reseeded = load_kw(day, LoadSpec("h0", 2500.0, "Europe/London", Variation(1, "home-01")))
    plain = load_kw(day, LoadSpec("h0", 2500.0, "Europe/London"))
    pd.testing.assert_series_equal(a, again)
    assert not np.allclose(a, other) and not np.allclose(a, reseeded)
    assert 0.3 < energy_kwh(a) / energy_kwh(plain) < 3.0


def test_annual_sample_keeps_range_and_mean() -> None:
    values = annual_kwh_sample(20, low=1100, high=8000, mean=2500, seed=4)
    assert min(values) == 1100 and max(values) == 8000
    assert np.mean(values) == pytest.approx(2500, rel=0.001)
    assert values != annual_kwh_sample(20, low=1100, high=8000, mean=2500, seed=5)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="BDEW"):
        LoadSpec("x9", 1.0, "Europe/London")
    with pytest.raises(ValueError, match="divide a day"):
        round_index(date(2025, 1, 1), "UTC", 7)
