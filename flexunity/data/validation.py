"""Checks on scenario input with messages that name the file, peer, field and interval.

Every function raises ``InputError`` (shown by the CLI without a traceback) on the first problem it
finds. They are called by ``scenario_io`` while it parses, so a ``Scenario`` that exists is valid.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from flexunity.errors import InputError

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")
INTERVAL_MINUTES = (15, 30, 60)
POWER_UNITS = {"kW": 1.0, "W": 1e-3, "MW": 1e3}


def price_factor(unit: str, currency: str, where: str = "units.price") -> float:
    """Multiplier from ``unit`` to currency/kWh; InputError for an unknown unit, at ``where``."""
    known = {f"{currency}/kWh": 1.0, f"{currency}/MWh": 1e-3}
    if currency == "GBP":
        known["p/kWh"] = 0.01
    if currency == "EUR":
        known["c/kWh"] = 0.01
    if unit not in known:
        raise InputError(
            f"unknown price unit {unit!r} (known for {currency}: {', '.join(known)})", where=where
        )
    return known[unit]


def power_factor(unit: str, where: str = "units.power") -> float:
    """Multiplier from ``unit`` to kW; InputError for an unknown unit, at ``where``."""
    if unit not in POWER_UNITS:
        raise InputError(f"unknown power unit {unit!r} (known: {', '.join(POWER_UNITS)})", where=where)
    return POWER_UNITS[unit]


def check_profile(values: Any, intervals: int, where: str) -> np.ndarray:
    """A float array of exactly ``intervals`` finite values (a number is broadcast)."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"not a number or a list of numbers: {exc}", where=where) from None
    if arr.ndim == 0:
        arr = np.full(intervals, float(arr))
    if arr.ndim != 1 or arr.size != intervals:
        raise InputError(f"expected {intervals} values, got {arr.size}", where=where)
    bad = np.nonzero(~np.isfinite(arr))[0]
    if bad.size:
        raise InputError(f"value is {arr[bad[0]]} (not a finite number) at interval {bad[0]}", where=where)
    return arr


def check_nonnegative(arr: np.ndarray | float, where: str) -> None:
    """No negative value (capacities, powers, loads, PV)."""
    a = np.atleast_1d(np.asarray(arr, dtype=float))
    bad = np.nonzero(a < 0)[0]
    if bad.size:
        at = f" at interval {bad[0]}" if a.size > 1 else ""
        raise InputError(f"must not be negative, got {a[bad[0]]:g}{at}", where=where)


def check_range(value: float, low: float, high: float, where: str, *, low_open: bool = False) -> None:
    """``low <= value <= high`` (``low < value`` if ``low_open``)."""
    if not np.isfinite(value) or value > high or value < low or (low_open and value == low):
        bracket = "(" if low_open else "["
        raise InputError(f"must be in {bracket}{low:g}, {high:g}], got {value:g}", where=where)


def check_id(value: Any, where: str) -> str:
    """An id of letters, digits, ``_ . -``."""
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise InputError(f"invalid id {value!r} (allowed: letters, digits, _ . -)", where=where)
    return value


def check_unique(ids: list[str], where: str) -> None:
    """No id twice."""
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise InputError(f"duplicated id {i!r}", where=where)
        seen.add(i)


def check_battery(b: Any, where: str) -> None:
    """Capacities and powers ≥ 0, efficiencies in (0, 1], states of charge within [soc_min, capacity]."""
    for name in ("capacity_kwh", "charge_kw", "discharge_kw", "soc_min_kwh", "cycling_cost_per_kwh"):
        check_nonnegative(getattr(b, name), f"{where}.{name}")
    for name in ("charge_efficiency", "discharge_efficiency"):
        check_range(getattr(b, name), 0.0, 1.0, f"{where}.{name}", low_open=True)
    check_range(b.soc_min_kwh, 0.0, b.capacity_kwh, f"{where}.soc_min_kwh")
    check_range(b.soc_initial_kwh, b.soc_min_kwh, b.capacity_kwh, f"{where}.soc_initial_kwh")
    check_range(b.soc_final_min, b.soc_min_kwh, b.capacity_kwh, f"{where}.soc_final_kwh")


def check_window(first: int, last: int, intervals: int, where: str) -> None:
    """``0 <= first <= last < intervals``."""
    if not (0 <= first <= last < intervals):
        raise InputError(
            f"window [{first}, {last}] must lie within 0..{intervals - 1} with first <= last", where=where
        )


def check_intervals_column(values: np.ndarray, intervals: int, where: str) -> None:
    """A CSV's interval column holds 0..T-1 exactly once each: name duplicated and missing ones."""
    counts = np.bincount(values[(values >= 0) & (values < intervals)].astype(int), minlength=intervals)
    outside = values[(values < 0) | (values >= intervals)]
    if outside.size:
        raise InputError(f"interval {int(outside[0])} is outside 0..{intervals - 1}", where=where)
    dup = np.nonzero(counts > 1)[0]
    if dup.size:
        raise InputError(f"duplicated interval {int(dup[0])}", where=where)
    missing = np.nonzero(counts == 0)[0]
    if missing.size:
        raise InputError(f"missing intervals {', '.join(map(str, missing[:10].tolist()))}", where=where)
