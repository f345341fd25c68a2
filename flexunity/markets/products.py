"""Balancing products: the rules an offer of the community's flexibility must follow.

A product says in which direction the flexibility goes, the minimum offer (after aggregation) and the
minimum site size that may be aggregated, the notice the system operator gives, how long a delivery
is sustained, the local-time service windows, and the prices. Presets live in ``presets.json`` next to
this module (GB Demand Turn Up, GB STOR, a simulated Iberian product), each fact with its source.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from flexunity.errors import InputError

PRESETS_PATH = Path(__file__).with_name("presets.json")
DIRECTIONS = ("up", "down")
#: How accepted offers are paid: at the product's fixed prices, at the auction's clearing price (the
#: same for every accepted offer; the product's prices are then the assumed clearing prices), or at
#: each offer's own price.
AUCTIONS = ("fixed", "pay-as-clear", "pay-as-bid")
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class BalancingProduct:
    """One balancing product. Powers in kW, durations in minutes, prices in ``currency``.

    ``direction``: "up" raises the community's net production (less consumption, more generation),
    "down" lowers it (more consumption: Demand Turn Up). ``windows`` are local-time [start, end)
    pairs "HH:MM" (end may be "24:00"; a window with end <= start wraps past midnight).
    ``block_starts``: local times "HH:MM" at which a delivery block may start (e.g. the EFA blocks of
    GB frequency response, 23:00, 03:00, ...); empty: blocks are cut from the start of each window run.
    ``auction``: one of ``AUCTIONS``.
    """

    name: str
    direction: str
    min_offer_kw: float
    min_site_kw: float = 0.0
    notice_minutes: int = 0
    duration_minutes: int = 60
    windows: tuple[tuple[str, str], ...] = (("00:00", "24:00"),)
    availability_price_per_mw_h: float = 0.0
    utilisation_price_per_mwh: float = 0.0
    penalty_per_mwh: float = 0.0
    delivery_tolerance: float = 0.0
    currency: str = "GBP"
    country: str | None = None
    tso: str | None = None
    description: str = ""
    sources: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    block_starts: tuple[str, ...] = ()
    auction: str = "fixed"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = f"product {self.name!r}"
        if self.direction not in DIRECTIONS:
            raise InputError(f"direction must be one of {DIRECTIONS}, got {self.direction!r}", where=where)
        for key in (
            "min_offer_kw",
            "min_site_kw",
            "notice_minutes",
            "availability_price_per_mw_h",
            "utilisation_price_per_mwh",
            "penalty_per_mwh",
        ):
            if getattr(self, key) < 0:
                raise InputError(f"{key} must be >= 0, got {getattr(self, key)}", where=where)
        if self.duration_minutes <= 0:
            raise InputError(f"duration_minutes must be > 0, got {self.duration_minutes}", where=where)
        if not 0 <= self.delivery_tolerance < 1:
            raise InputError(
                f"delivery_tolerance must be in [0, 1), got {self.delivery_tolerance}", where=where
            )
        for window in self.windows:
            _minutes_of_day(window[0], where)
            _minutes_of_day(window[1], where)
        for text in self.block_starts:
            _minutes_of_day(text, where)
        if self.auction not in AUCTIONS:
            raise InputError(f"auction must be one of {AUCTIONS}, got {self.auction!r}", where=where)

    @property
    def sign(self) -> float:
        """+1 for "up" (more net production), −1 for "down": delivered energy = sign · Δp."""
        return 1.0 if self.direction == "up" else -1.0

    @property
    def utilisation_price_per_kwh(self) -> float:
        """Utilisation price in currency per kWh."""
        return self.utilisation_price_per_mwh / 1000.0

    @property
    def penalty_per_kwh(self) -> float:
        """Under-delivery penalty in currency per kWh short."""
        return self.penalty_per_mwh / 1000.0

    def block_intervals(self, interval_minutes: int) -> int:
        """Number of intervals one delivery lasts (duration rounded up to whole intervals)."""
        return -(-self.duration_minutes // interval_minutes)

    def notice_intervals(self, interval_minutes: int) -> int:
        """Number of whole intervals of notice before a delivery starts (rounded up)."""
        return -(-self.notice_minutes // interval_minutes)

    def in_window(self, start: str, timezone: str, interval_minutes: int, intervals: int) -> BoolArray:
        """For each interval of a round, whether its start lies in one of the service windows."""
        minutes = _local_minutes(start, timezone, interval_minutes, intervals)
        spans = [(_minutes_of_day(a, self.name), _minutes_of_day(b, self.name)) for a, b in self.windows]
        return np.array([any(_within(int(m), a, b) for a, b in spans) for m in minutes], dtype=bool)

    def local_minutes(self, start: str, timezone: str, interval_minutes: int, intervals: int) -> list[int]:
        """For each interval of a round, the local minute of the day at which it starts."""
        return [int(m) for m in _local_minutes(start, timezone, interval_minutes, intervals)]

    def block_start_mask(
        self, start: str, timezone: str, interval_minutes: int, intervals: int
    ) -> BoolArray | None:
        """For each interval, whether a delivery block may start there (None: anywhere)."""
        if not self.block_starts:
            return None
        allowed = {_minutes_of_day(x, self.name) % 1440 for x in self.block_starts}
        return np.isin(_local_minutes(start, timezone, interval_minutes, intervals), list(allowed))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description (the presets file's format)."""
        return {
            "name": self.name,
            "direction": self.direction,
            "min_offer_kw": self.min_offer_kw,
            "min_site_kw": self.min_site_kw,
            "notice_minutes": self.notice_minutes,
            "duration_minutes": self.duration_minutes,
            "windows": [list(w) for w in self.windows],
            "availability_price_per_mw_h": self.availability_price_per_mw_h,
            "utilisation_price_per_mwh": self.utilisation_price_per_mwh,
            "penalty_per_mwh": self.penalty_per_mwh,
            "delivery_tolerance": self.delivery_tolerance,
            "currency": self.currency,
            "country": self.country,
            "tso": self.tso,
            "description": self.description,
            "sources": list(self.sources),
            "assumptions": list(self.assumptions),
            "block_starts": list(self.block_starts),
            "auction": self.auction,
        }


def product_from_dict(data: Mapping[str, Any]) -> BalancingProduct:
    """Build a product from its JSON form; unknown keys are an error naming them."""
    known = set(BalancingProduct.__dataclass_fields__) - {"extra"}
    unknown = set(data) - known
    if unknown:
        raise InputError(f"unknown product keys {sorted(unknown)}", where=f"product {data.get('name')!r}")
    if "name" not in data or "direction" not in data or "min_offer_kw" not in data:
        raise InputError("a product needs at least name, direction and min_offer_kw")
    values = dict(data)
    values["windows"] = tuple(tuple(w) for w in values.get("windows", (("00:00", "24:00"),)))
    for key in ("sources", "assumptions", "block_starts"):
        values[key] = tuple(values.get(key, ()))
    return BalancingProduct(**values)


def load_products(path: str | Path | None = None) -> dict[str, BalancingProduct]:
    """Products by name from a products file (default: the shipped presets)."""
    source = Path(path) if path else PRESETS_PATH
    try:
        document = json.loads(source.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read products: {exc}", where=str(source)) from None
    products = [product_from_dict(item) for item in document.get("products", [])]
    return {p.name: p for p in products}


def get_product(name: str, path: str | Path | None = None) -> BalancingProduct:
    """The product called ``name`` (case-insensitive) from the presets or a products file."""
    products = load_products(path)
    for key, product in products.items():
        if key.lower() == name.lower():
            return product
    raise InputError(f"unknown product {name!r}; known: {', '.join(products)}")


def _local_minutes(start: str, timezone: str, interval_minutes: int, intervals: int) -> npt.NDArray[np.int64]:
    """Local minute of the day at which each interval of a round starts."""
    first = datetime.fromisoformat(start)
    zone = ZoneInfo(timezone)
    out = np.zeros(intervals, dtype=np.int64)
    for t in range(intervals):
        local = (first + timedelta(minutes=t * interval_minutes)).astimezone(zone)
        out[t] = local.hour * 60 + local.minute
    return out


def _minutes_of_day(text: str, where: str) -> int:
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except ValueError:
        raise InputError(f"window time must be HH:MM, got {text!r}", where=where) from None
    if not (0 <= hours <= 24 and 0 <= minutes < 60 and hours * 60 + minutes <= 1440):
        raise InputError(f"window time out of range: {text!r}", where=where)
    return hours * 60 + minutes


def _within(minute: int, start: int, end: int) -> bool:
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end  # wraps past midnight (or start == end: whole day)
