"""Synthetic PV and load profiles for any day: pvlib clear-sky PV and demandlib BDEW loads.

Every profile is a ``pandas.Series`` of mean power in kW per interval (docs/conventions.md), indexed
by tz-aware interval starts. Profiles are built for a whole local calendar year and then sliced, so
that

- the year's energy equals the target exactly (PV: ``annual_kwh``; loads: ``annual_kwh``), whatever
  day is asked for, and
- a day is the same whether it is built alone or as part of a longer round.

PV (``PVSite`` + ``pv_kw``): plane-of-array clear-sky irradiance (pvlib Ineichen with the Linke
turbidity climatology shipped with pvlib, Hay-Davies transposition) at the interval midpoint,
converted to kW at 1 kW/kWp per 1 kW/m², then scaled by one factor per site and year so that the
year's energy equals ``kwp × specific yield`` (or a given annual kWh). That factor stands for clouds,
temperature, soiling and inverter losses together (``clear_sky_factor``); days therefore keep the
clear-sky shape and season, with the energy of an average day.

Loads (``LoadSpec`` + ``load_kw``): demandlib's BDEW standard load profiles (German synthetic
profiles, not measurements) read by *local wall-clock* time of the site, so a clock-change day
has 46/50 half-hours (the skipped hour is skipped, the repeated hour repeated), then scaled so the
local year sums to ``annual_kwh``. An optional seeded ``Variation`` makes each home different:
a time shift, day-to-day factors and interval noise, all drawn for the whole year from a random
generator seeded by (seed, year, peer id) and renormalised so the annual energy is unchanged.
A ``LoadSpec`` can also split off a flexible part (HVAC, chiller, heaters, water heater) with a
seasonal weight; inflexible + flexible always equals the total.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd

SLP_TYPES = ("h0", "g0", "g1", "g2", "g3", "g4", "g5", "g6", "l0", "l1", "l2")
"""BDEW standard load profiles available from demandlib: h0 households, g0 general business,
g1 weekdays 8-18, g2 evening use, g3 continuous, g4 shops, g5 bakeries, g6 weekend use, l0-l2 farms."""

Season = Literal["flat", "cooling", "heating", "hvac"]

_SLOT = pd.Timedelta(minutes=15)


# --------------------------------------------------------------------------------------------
# Time axis
# --------------------------------------------------------------------------------------------


def round_index(day: date | str, timezone: str, interval_minutes: int, days: int = 1) -> pd.DatetimeIndex:
    """Interval starts from local midnight of ``day`` to local midnight ``days`` later.

    A clock-forward day has 23 hours (46 half-hours, 92 quarter-hours), a clock-back day 25.
    """
    if 1440 % interval_minutes:
        raise ValueError(f"interval_minutes must divide a day, got {interval_minutes}")
    first = pd.Timestamp(day).date() if isinstance(day, str) else day
    start = pd.Timestamp(first).tz_localize(timezone)
    end = pd.Timestamp(first + timedelta(days=days)).tz_localize(timezone)
    return pd.date_range(start, end, freq=f"{interval_minutes}min", inclusive="left", name="timestamp")


def year_index(year: int, timezone: str, interval_minutes: int) -> pd.DatetimeIndex:
    """Every interval of the local calendar ``year``."""
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    return round_index(date(year, 1, 1), timezone, interval_minutes, days)


def interval_minutes_of(index: pd.DatetimeIndex) -> int:
    """The (single) interval length of ``index`` in minutes."""
    if len(index) < 2:
        raise ValueError("an index needs at least two timestamps to have an interval length")
    steps = np.unique(np.diff(index.asi8))
    if len(steps) != 1:
        raise ValueError("index intervals are not all equal")
    return int(steps[0] // 60_000_000_000)


def energy_kwh(series: pd.Series) -> float:
    """Energy of a kW series: Σ power × Δt/60."""
    return float(series.sum()) * interval_minutes_of(pd.DatetimeIndex(series.index)) / 60


def _years_of(index: pd.DatetimeIndex, timezone: str) -> list[int]:
    local = index.tz_convert(timezone)
    return sorted({int(local[0].year), int(local[-1].year)})


def _slice(index: pd.DatetimeIndex, timezone: str, build_year: Callable[[int], pd.Series]) -> pd.Series:
    """Pick ``index`` out of whole-year series built by ``build_year(year)``."""
    parts = [build_year(y) for y in _years_of(index, timezone)]
    whole = pd.concat(parts) if len(parts) > 1 else parts[0]
    out = whole.reindex(index)
    if out.isna().any():
        raise ValueError(f"index is not aligned to whole {interval_minutes_of(index)}-minute intervals")
    return out


# --------------------------------------------------------------------------------------------
# PV
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PVSite:
    """Where a PV array is and how it faces: azimuth 180 = south, tilt from horizontal."""

    latitude: float
    longitude: float
    timezone: str
    altitude_m: float = 0.0
    tilt_deg: float = 35.0
    azimuth_deg: float = 180.0


@lru_cache(maxsize=128)
def _clear_sky_year(site: PVSite, year: int, interval_minutes: int) -> pd.Series:
    """Clear-sky plane-of-array output per kWp (kW/kWp = POA kW/m²) for each interval of the local year."""
    import pvlib

    index = year_index(year, site.timezone, interval_minutes)
    mid = index + pd.Timedelta(minutes=interval_minutes / 2)
    loc = pvlib.location.Location(site.latitude, site.longitude, tz=site.timezone, altitude=site.altitude_m)
    solpos = loc.get_solarposition(mid)
    clear = loc.get_clearsky(mid, solar_position=solpos)
    poa = pvlib.irradiance.get_total_irradiance(
        site.tilt_deg,
        site.azimuth_deg,
        solpos["apparent_zenith"],
        solpos["azimuth"],
        clear["dni"],
        clear["ghi"],
        clear["dhi"],
        dni_extra=pvlib.irradiance.get_extra_radiation(mid),
        model="haydavies",
    )
    values = np.clip(np.nan_to_num(poa["poa_global"].to_numpy() / 1000.0), 0.0, None)
    return pd.Series(values, index=index, name="clear_sky_kw_per_kwp")


def clear_sky_yield(site: PVSite, year: int, interval_minutes: int = 15) -> float:
    """Clear-sky energy of one kWp over the year in kWh/kWp, before any derating."""
    return energy_kwh(_clear_sky_year(site, year, interval_minutes))


def clear_sky_factor(site: PVSite, kwp: float, annual_kwh: float, year: int, interval_minutes: int) -> float:
    """Factor on clear-sky output that gives ``annual_kwh``: clouds, heat, soiling and losses together."""
    return annual_kwh / (kwp * clear_sky_yield(site, year, interval_minutes))


@lru_cache(maxsize=512)
def _pv_year(site: PVSite, kwp: float, annual_kwh: float, year: int, interval_minutes: int) -> pd.Series:
    shape = _clear_sky_year(site, year, interval_minutes)
    kw = shape * kwp * clear_sky_factor(site, kwp, annual_kwh, year, interval_minutes)
    return kw.clip(upper=kwp).rename("pv_kw")


def pv_kw(index: pd.DatetimeIndex, site: PVSite, kwp: float, annual_kwh: float) -> pd.Series:
    """PV output in kW over ``index``; the site's local year containing it sums to ``annual_kwh``."""
    minutes = interval_minutes_of(index)
    return _slice(index, site.timezone, lambda y: _pv_year(site, kwp, annual_kwh, y, minutes))


# --------------------------------------------------------------------------------------------
# Loads
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variation:
    """Seeded per-peer randomness applied to a standard load profile (documented in docs/pilots.md).

    ``max_shift_minutes``: the whole profile moves by a uniform whole number of 15-minute slots in
    ±this range (earlier or later routines). ``daily_sigma``: log-normal σ of a factor per day.
    ``interval_sigma``: log-normal σ of a factor per 15-minute slot. Drawn for the whole year from
    ``numpy.random.default_rng([seed, year, crc32(key)])`` and renormalised to keep the year's energy.
    """

    seed: int
    key: str
    max_shift_minutes: int = 60
    daily_sigma: float = 0.15
    interval_sigma: float = 0.25


@dataclass(frozen=True)
class LoadSpec:
    """A load: BDEW profile ``slp`` scaled to ``annual_kwh`` over the local year in ``timezone``.

    ``flexible_share`` of the annual energy is split off as a flexible baseline (HVAC, chiller,
    heaters, water heater) following the total's shape times a seasonal weight (``flexible_season``:
    ``cooling`` peaks mid-July, ``heating`` mid-January, ``hvac`` both, ``flat`` none).
    """

    slp: str
    annual_kwh: float
    timezone: str
    variation: Variation | None = None
    flexible_share: float = 0.0
    flexible_season: Season = "flat"

    def __post_init__(self) -> None:
        if self.slp not in SLP_TYPES:
            raise ValueError(f"unknown BDEW profile {self.slp!r}; choose from {', '.join(SLP_TYPES)}")
        if not 0.0 <= self.flexible_share < 0.6:
            raise ValueError(f"flexible_share must be in [0, 0.6), got {self.flexible_share}")


@lru_cache(maxsize=8)
def _bdew_year(year: int) -> pd.DataFrame:
    """All BDEW profiles for ``year`` at 15 minutes, naive local wall-clock, 1 kWh per year each."""
    from demandlib import bdew

    frame = bdew.ElecSlp(year).get_profile({name: 1.0 for name in SLP_TYPES})
    return frame.astype(float)


def _wall_slots(index: pd.DatetimeIndex, timezone: str, year: int) -> np.ndarray:
    """For each interval, the 15-minute wall-clock slots of ``year`` it covers (2-D array)."""
    minutes = interval_minutes_of(index)
    per = max(1, minutes // 15)
    starts = index.tz_convert(timezone).tz_localize(None)
    offsets = np.arange(per) * 15
    base = (starts - pd.Timestamp(year, 1, 1)) // _SLOT
    return np.asarray(base)[:, None] + offsets[None, :] // 15


def _variation_arrays(var: Variation, year: int, n_slots: int) -> tuple[int, np.ndarray]:
    """(shift in slots, multiplicative factor per slot) for one peer and year."""
    rng = np.random.default_rng([var.seed, year, zlib.crc32(var.key.encode())])
    max_shift = var.max_shift_minutes // 15
    shift = int(rng.integers(-max_shift, max_shift + 1)) if max_shift else 0
    n_days = n_slots // 96
    daily = rng.lognormal(-(var.daily_sigma**2) / 2, var.daily_sigma, n_days)
    noise = rng.lognormal(-(var.interval_sigma**2) / 2, var.interval_sigma, n_slots)
    return shift, np.repeat(daily, 96) * noise


def _season_weight(day_of_year: np.ndarray, season: Season) -> np.ndarray:
    angle = 2 * np.pi * day_of_year / 365.25
    if season == "cooling":
        return 1 + 0.7 * np.cos(angle - 2 * np.pi * 196 / 365.25)
    if season == "heating":
        return 1 + 0.7 * np.cos(angle - 2 * np.pi * 15 / 365.25)
    if season == "hvac":
        return 1 + 0.5 * np.cos(2 * (angle - 2 * np.pi * 15 / 365.25))
    return np.ones_like(day_of_year, dtype=float)


@lru_cache(maxsize=1024)
def _load_year(spec: LoadSpec, year: int, interval_minutes: int) -> pd.DataFrame:
    """Columns ``total``, ``flexible``, ``inflexible`` in kW over the local year of ``spec``."""
    slots = _bdew_year(year)[spec.slp].to_numpy()
    if spec.variation is not None:
        shift, factor = _variation_arrays(spec.variation, year, len(slots))
        slots = np.roll(slots, shift) * factor
    index = year_index(year, spec.timezone, interval_minutes)
    wall = _wall_slots(index, spec.timezone, year)
    total = slots[np.clip(wall, 0, len(slots) - 1)].mean(axis=1)
    total *= spec.annual_kwh / (total.sum() * interval_minutes / 60)
    flexible = np.zeros_like(total)
    if spec.flexible_share:
        weight = _season_weight(
            np.asarray(index.tz_convert(spec.timezone).dayofyear, dtype=float), spec.flexible_season
        )
        flexible = total * weight * spec.flexible_share * total.sum() / (total * weight).sum()
    return pd.DataFrame({"total": total, "flexible": flexible, "inflexible": total - flexible}, index=index)


def load_kw(index: pd.DatetimeIndex, spec: LoadSpec, part: str = "total") -> pd.Series:
    """Load in kW over ``index``: ``part`` is ``total``, ``flexible`` or ``inflexible``."""
    minutes = interval_minutes_of(index)
    return _slice(index, spec.timezone, lambda y: _load_year(spec, y, minutes)[part]).rename(part)


def annual_kwh_sample(n: int, *, low: float, high: float, mean: float, seed: int) -> list[float]:
    """``n`` annual consumptions from ``low`` to ``high`` (both included) with the given ``mean``.

    Log-normal draws for the middle, then the middle is rescaled so the mean is exact: matches a
    survey that reports only a range and an average (seed report, Corby homes).
    """
    if n < 3 or not low < mean < high:
        raise ValueError("need n >= 3 and low < mean < high")
    rng = np.random.default_rng(seed)
    middle = rng.lognormal(np.log(mean * 0.9), 0.35, n - 2)
    target = mean * n - low - high
    for _ in range(50):  # rescale towards the target sum while keeping within bounds
        middle = np.clip(middle * target / middle.sum(), low, high)
        if abs(middle.sum() - target) < 1e-6:
            break
    values = np.concatenate([[low], middle, [high]])
    order = rng.permutation(n)
    return [round(float(v), 1) for v in values[order]]
