"""Retail tariffs of the pilots: time-of-use import prices by local clock, flat export prices.

Every level here is a documented *assumption* (docs/pilots.md gives the public reference each one
was set against); the seed report names no tariff. Bands are read on the tariff's own local clock
(``timezone``), so a Portuguese tariff in a round timed in Madrid keeps Lisbon hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

WEEKDAYS = frozenset(range(5))
ALL_DAYS = frozenset(range(7))


@dataclass(frozen=True)
class Band:
    """``price`` per kWh from ``start_hour`` (included) to ``end_hour`` (excluded) on ``days``."""

    start_hour: float
    end_hour: float
    price: float
    days: frozenset[int] = ALL_DAYS


@dataclass(frozen=True)
class Tariff:
    """A retail contract: ``base_price`` outside any band; the first matching band wins."""

    name: str
    country: str
    tso_area: str
    timezone: str
    base_price: float
    export_price: float
    bands: tuple[Band, ...] = field(default_factory=tuple)
    note: str = ""

    def import_prices(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Import price per interval of ``index`` (by the local time at the interval start)."""
        local = index.tz_convert(self.timezone)
        hours = np.asarray(local.hour + local.minute / 60, dtype=float)
        weekday = np.asarray(local.weekday)
        prices = np.full(len(index), self.base_price)
        unset = np.ones(len(index), dtype=bool)
        for band in self.bands:
            hit = (
                unset
                & (hours >= band.start_hour)
                & (hours < band.end_hour)
                & np.isin(weekday, list(band.days))
            )
            prices[hit] = band.price
            unset &= ~hit
        return prices

    def to_dict(self, index: pd.DatetimeIndex) -> dict[str, object]:
        """The scenario-format tariff entry for a round over ``index``."""
        prices = self.import_prices(index)
        flat = bool(np.all(prices == prices[0]))
        return {
            "import_price": float(prices[0]) if flat else [round(float(p), 5) for p in prices],
            "export_price": self.export_price,
            "country": self.country,
            "tso_area": self.tso_area,
        }


# --- Great Britain (GBP/kWh), NGESO --------------------------------------------------------------
GB_HOME_FLAT = Tariff(
    "gb-home-flat",
    "GB",
    "NGESO",
    "Europe/London",
    0.2635,
    0.12,
    note="Ofgem price cap average unit rate Oct-Dec 2025 (26.35 p/kWh); SEG export 12 p/kWh",
)
GB_HOME_TOU = Tariff(
    "gb-home-tou",
    "GB",
    "NGESO",
    "Europe/London",
    0.26,
    0.12,
    bands=(Band(0, 7, 0.15), Band(16, 19, 0.36)),
    note="domestic time of use: cheap night 00-07, peak 16-19, day near the price cap; SEG 12 p/kWh",
)
GB_BUSINESS_TOU = Tariff(
    "gb-business-tou",
    "GB",
    "NGESO",
    "Europe/London",
    0.24,
    0.06,
    bands=(Band(0, 7, 0.17), Band(16, 19, 0.32, WEEKDAYS)),
    note="SME contract with night rate and DUoS red band 16-19 on weekdays; export PPA 6 p/kWh",
)
GB_INDUSTRIAL_TOU = Tariff(
    "gb-industrial-tou",
    "GB",
    "NGESO",
    "Europe/London",
    0.20,
    0.05,
    bands=(Band(0, 7, 0.14), Band(16, 19, 0.29, WEEKDAYS)),
    note="large industrial half-hourly contract, night rate and DUoS red band; export PPA 5 p/kWh",
)

# --- Spain (EUR/kWh), REE: 2.0TD periods (punta 10-14 and 18-22, llano 8-10, 14-18, 22-24 on
# weekdays; valle 0-8 and all weekend) -------------------------------------------------------------
_ES_BANDS = ((0, 8, "valle"), (10, 14, "punta"), (18, 22, "punta"), (8, 24, "llano"))


def _es_bands(punta: float, llano: float, valle: float) -> tuple[Band, ...]:
    price = {"punta": punta, "llano": llano, "valle": valle}
    weekday = tuple(Band(a, b, price[p], WEEKDAYS) for a, b, p in _ES_BANDS)
    return weekday  # weekends and hours not listed fall back to base (valle)


ES_HOME_20TD = Tariff(
    "es-home-2.0td",
    "ES",
    "REE",
    "Europe/Madrid",
    0.11,
    0.06,
    _es_bands(0.25, 0.17, 0.11),
    note="PVPC-like 2.0TD energy + access tolls by period; compensación simplificada 0.06 EUR/kWh",
)
ES_BUSINESS = Tariff(
    "es-business-3.0td",
    "ES",
    "REE",
    "Europe/Madrid",
    0.10,
    0.05,
    _es_bands(0.21, 0.15, 0.10),
    note="3.0TD simplified to the three 2.0TD periods; surplus sold at about 0.05 EUR/kWh",
)

# --- Portugal (EUR/kWh), REN: bi-horário, daily cycle (vazio 22-08) -------------------------------
PT_HOME_BIHORARIO = Tariff(
    "pt-home-bihorario",
    "PT",
    "REN",
    "Europe/Lisbon",
    0.21,
    0.045,
    bands=(Band(0, 8, 0.11), Band(22, 24, 0.11)),
    note="ERSE bi-horário ciclo diário: vazio 22-08; UPAC surplus about 0.045 EUR/kWh",
)
PT_BUSINESS = Tariff(
    "pt-business-bihorario",
    "PT",
    "REN",
    "Europe/Lisbon",
    0.19,
    0.04,
    bands=(Band(0, 8, 0.10), Band(22, 24, 0.10)),
    note="BTE-like contract simplified to two periods (vazio 22-08)",
)
