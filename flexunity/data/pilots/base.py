"""Building blocks of a pilot: peer specifications and their conversion to scenario-format dicts.

A pilot module lists ``PeerSpec``s (what the seed report says, plus documented assumptions); this
module turns them into the ``flexunity-scenario/1`` dict for a round (docs/scenario-format.md).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from flexunity.data.pilots.tariffs import Tariff
from flexunity.data.profiles import LoadSpec, PVSite, clear_sky_factor, load_kw, pv_kw, round_index

FORMAT = "flexunity-scenario/1"
DECIMALS = 4  # kW to 0.1 W: far below any meter's resolution


@dataclass(frozen=True)
class PV:
    """A PV array: ``annual_kwh`` is the table's figure or ``kwp × specific yield``."""

    site: PVSite
    kwp: float
    annual_kwh: float
    source: str


@dataclass(frozen=True)
class Battery:
    """A battery with symmetric power; state of charge starts and must end at half capacity."""

    capacity_kwh: float
    power_kw: float
    efficiency: float = 0.95
    cycling_cost_per_kwh: float = 0.01

    def to_dict(self) -> dict[str, float]:
        half = round(self.capacity_kwh / 2, 3)
        return {
            "capacity_kwh": self.capacity_kwh,
            "charge_kw": self.power_kw,
            "discharge_kw": self.power_kw,
            "charge_efficiency": self.efficiency,
            "discharge_efficiency": self.efficiency,
            "soc_initial_kwh": half,
            "soc_final_kwh": half,
            "soc_min_kwh": round(self.capacity_kwh * 0.1, 3),
            "cycling_cost_per_kwh": self.cycling_cost_per_kwh,
        }


@dataclass(frozen=True)
class Flexible:
    """The curtailable part of a load (its energy is ``LoadSpec.flexible_share``).

    With a ``rating_kw`` and ``precool_kwh`` > 0 the load can also turn up ahead of need (a chiller
    pre-cooling its cold store within the product's temperature limits): a thermal store of
    ``precool_kwh`` (electric kWh of cold the limits allow ahead of need), charged by drawing up to
    the rating above the round's peak baseline and discharged, with ``precool_efficiency`` (store
    losses), by drawing less, at most the part of the baseline that curtailment leaves
    (``precool_battery``). Rebound after curtailment is capped at the round's peak baseline, so
    baseline − curtailment + rebound + pre-cooling never exceeds the rating.
    """

    label: str
    max_curtail_fraction: float
    cost_per_kwh: float
    rebound_fraction: float = 0.0
    rating_kw: float | None = None
    precool_kwh: float = 0.0
    precool_efficiency: float = 0.9

    def precool_battery(self, baseline_kw: np.ndarray) -> dict[str, Any] | None:
        """The pre-cooling store as a scenario-format battery for a round's baseline, or None."""
        if self.rating_kw is None or self.precool_kwh <= 0 or baseline_kw.size == 0:
            return None
        return {
            "id": "precool",
            "capacity_kwh": self.precool_kwh,
            "charge_kw": round(max(self.rating_kw - float(baseline_kw.max()), 0.0), DECIMALS),
            "discharge_kw": round((1 - self.max_curtail_fraction) * float(baseline_kw.min()), DECIMALS),
            "charge_efficiency": 1.0,
            "discharge_efficiency": self.precool_efficiency,
            "soc_initial_kwh": 0.0,
            "soc_final_kwh": 0.0,
            "soc_min_kwh": 0.0,
            "cycling_cost_per_kwh": 0.0,
        }


@dataclass(frozen=True)
class EVPoint:
    """A charge point with one session a day: arrival hour, dwell hours and energy drawn uniformly."""

    max_kw: float
    arrival_hours: tuple[float, float] = (8.0, 10.0)
    dwell_hours: tuple[float, float] = (3.0, 8.0)
    energy_kwh: tuple[float, float] = (8.0, 30.0)


@dataclass(frozen=True)
class PeerSpec:
    """One pilot participant: its load, assets, tariff and where the numbers come from."""

    id: str
    kind: str
    tariff: Tariff
    load: LoadSpec
    latitude: float
    longitude: float
    source: str
    pv: PV | None = None
    battery: Battery | None = None
    flexible: Flexible | None = None
    ev_points: tuple[EVPoint, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def _kw_list(series: pd.Series) -> list[float]:
    return [float(v) for v in np.round(series.to_numpy(dtype=float), DECIMALS)]


def ev_sessions(
    peer_id: str, points: Sequence[EVPoint], index: pd.DatetimeIndex, timezone: str, seed: int
) -> list[dict[str, float | int]]:
    """One charging session per point and local day of ``index``, seeded by (seed, peer, day, point)."""
    minutes = int((index[1] - index[0]).total_seconds() // 60)
    local = index.tz_convert(timezone)
    hours = np.asarray(local.hour + local.minute / 60, dtype=float)
    days = np.asarray([d.toordinal() for d in local.date])
    sessions: list[dict[str, float | int]] = []
    for day in sorted(set(days.tolist())):
        rows = np.flatnonzero(days == day)
        for k, point in enumerate(points):
            rng = np.random.default_rng([seed, zlib.crc32(peer_id.encode()), day, k])
            arrive_h = rng.uniform(*point.arrival_hours)
            leave_h = min(arrive_h + rng.uniform(*point.dwell_hours), 24.0)
            arrival = int(rows[int(np.argmax(hours[rows] >= arrive_h))])  # first interval at or after
            later = rows[hours[rows] >= leave_h]
            departure = int(later[0]) if len(later) else int(rows[-1]) + 1
            if departure - arrival < 2:
                continue
            possible = point.max_kw * (departure - arrival) * minutes / 60
            energy = min(rng.uniform(*point.energy_kwh), 0.8 * possible)
            sessions.append(
                {
                    "energy_kwh": round(energy, 2),
                    "max_kw": point.max_kw,
                    "arrival": arrival,
                    "departure": departure,
                }
            )
    return sessions


def peer_metadata(spec: PeerSpec, year: int, minutes: int) -> dict[str, Any]:
    """What the peer is and where its numbers come from (annual kWh, kWp, coordinates, sources)."""
    meta: dict[str, Any] = {
        "annual_kwh": spec.load.annual_kwh,
        "load_profile": f"BDEW {spec.load.slp.upper()} (demandlib)",
        "latitude": spec.latitude,
        "longitude": spec.longitude,
        "source": spec.source,
    }
    if spec.pv is not None:
        site = spec.pv.site
        meta |= {
            "kwp": spec.pv.kwp,
            "pv_annual_kwh": spec.pv.annual_kwh,
            "pv_tilt_deg": site.tilt_deg,
            "pv_azimuth_deg": site.azimuth_deg,
            "pv_clear_sky_factor": round(
                clear_sky_factor(site, spec.pv.kwp, spec.pv.annual_kwh, year, minutes), 4
            ),
            "pv_source": spec.pv.source,
        }
    if spec.flexible is not None:
        meta |= {
            "flexible_load": spec.flexible.label,
            "flexible_annual_kwh": round(spec.load.annual_kwh * spec.load.flexible_share, 1),
        }
        if spec.flexible.rating_kw is not None:
            meta["flexible_rating_kw"] = spec.flexible.rating_kw
        if spec.flexible.precool_kwh > 0:
            meta["flexible_precool_kwh"] = spec.flexible.precool_kwh
    if spec.ev_points and spec.load.annual_kwh > 0:
        # the EV sessions are drawn on top of annual_kwh (docs/pilots.md: the seed's table figures
        # are the buildings' consumption; its EV stations are planned additions)
        meta["ev_on_top_of_annual_kwh"] = True
    if spec.notes:
        meta["notes"] = list(spec.notes)
    return meta


def build_peer(spec: PeerSpec, index: pd.DatetimeIndex, seed: int) -> dict[str, Any]:
    """The scenario-format peer for ``spec`` over ``index`` (profiles inline)."""
    minutes = int((index[1] - index[0]).total_seconds() // 60)
    year = int(index[0].tz_convert(spec.load.timezone).year)
    part = "inflexible" if spec.flexible is not None else "total"
    peer: dict[str, Any] = {
        "id": spec.id,
        "kind": spec.kind,
        "tariff": spec.tariff.name,
        "load_kw": _kw_list(load_kw(index, spec.load, part)),
    }
    if spec.pv is not None:
        peer["pv_kw"] = _kw_list(pv_kw(index, spec.pv.site, spec.pv.kwp, spec.pv.annual_kwh))
    if spec.battery is not None:
        peer["batteries"] = [spec.battery.to_dict()]
    if spec.flexible is not None:
        flexible = _kw_list(load_kw(index, spec.load, "flexible"))
        store = spec.flexible.precool_battery(np.asarray(flexible))
        rating = spec.flexible.rating_kw
        peer["curtailable_loads"] = [
            {
                "profile_kw": flexible,
                "max_curtail_fraction": spec.flexible.max_curtail_fraction,
                "cost_per_kwh": spec.flexible.cost_per_kwh,
                "rebound_fraction": spec.flexible.rebound_fraction,
                **({"max_kw": max(flexible) if store is not None else rating} if rating is not None else {}),
            }
        ]
        if store is not None:
            peer["batteries"] = [*peer.get("batteries", []), store]
    if spec.ev_points:
        peer["ev_chargers"] = ev_sessions(spec.id, spec.ev_points, index, spec.load.timezone, seed)
    peer["metadata"] = peer_metadata(spec, year, minutes)
    return peer


def build_scenario(
    *,
    name: str,
    day: date | str,
    days: int,
    timezone: str,
    interval_minutes: int,
    currency: str,
    peers: Sequence[PeerSpec],
    seed: int,
    fee_per_kwh: float,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """A whole ``flexunity-scenario/1`` dict, profiles inline, for ``days`` local days from ``day``."""
    index = round_index(day, timezone, interval_minutes, days)
    tariffs = {t.name: t for t in (p.tariff for p in peers)}
    return {
        "format": FORMAT,
        "name": name,
        "start": index[0].isoformat(),
        "timezone": timezone,
        "interval_minutes": interval_minutes,
        "intervals": len(index),
        "currency": currency,
        "units": {"power": "kW", "price": f"{currency}/kWh"},
        "tariffs": {name_: t.to_dict(index) for name_, t in sorted(tariffs.items())},
        "grid": {"connected": True, "capacity_charge_per_kw": 0.0},
        # A pilot's CM promises that no member pays more than alone (docs/pilots.md).
        "community": {"fee_per_kwh": fee_per_kwh, "pricing": "dual", "enforce_ir": True},
        "peers": [build_peer(p, index, seed) for p in peers],
        "metadata": metadata
        | {
            "seed": seed,
            "date": str(pd.Timestamp(index[0]).tz_convert(timezone).date()),
            "days": days,
            "tariff_assumptions": {t.name: t.note for t in tariffs.values()},
        },
    }
