"""Flexibility each peer can still deliver, per interval, around its cleared schedule.

"up" raises the peer's net production p (it consumes less or discharges more); "down" lowers it
(consumes more or charges more). Both are headrooms in kW, mean over the interval, from the cleared
schedule and the assets' limits (docs/markets.md gives each asset's formula). They are what the
aggregation offers; what is really deliverable is then settled by the least-cost re-dispatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from flexunity.errors import InputError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class AssetFlex:
    """Headroom of one asset: kW per interval, up and down."""

    peer: str
    asset: str
    kind: str
    up_kw: FloatArray
    down_kw: FloatArray


@dataclass(frozen=True, eq=False)
class Flexibility:
    """Per-peer, per-interval flexibility (rows: ``peers``), with its per-asset breakdown."""

    peers: tuple[str, ...]
    interval_minutes: int
    up_kw: FloatArray
    down_kw: FloatArray
    assets: tuple[AssetFlex, ...] = field(default=())

    @classmethod
    def from_assets(
        cls,
        peers: list[str] | tuple[str, ...],
        intervals: int,
        interval_minutes: int,
        assets: list[AssetFlex],
    ) -> Flexibility:
        """Sum asset headrooms into per-peer rows."""
        index = {p: i for i, p in enumerate(peers)}
        up = np.zeros((len(peers), intervals))
        down = np.zeros((len(peers), intervals))
        for a in assets:
            if a.peer not in index:
                raise InputError(f"asset {a.asset!r} belongs to unknown peer {a.peer!r}")
            up[index[a.peer]] += a.up_kw
            down[index[a.peer]] += a.down_kw
        return cls(tuple(peers), interval_minutes, up, down, tuple(assets))

    def in_direction(self, direction: str) -> FloatArray:
        """The peer x interval headroom in ``direction`` ("up" or "down")."""
        if direction not in ("up", "down"):
            raise InputError(f"direction must be 'up' or 'down', got {direction!r}")
        return self.up_kw if direction == "up" else self.down_kw

    def community(self, direction: str) -> FloatArray:
        """The community's total headroom per interval (kW)."""
        return self.in_direction(direction).sum(axis=0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able document: per peer and per asset, up and down (kW per interval)."""
        return {
            "interval_minutes": self.interval_minutes,
            "unit": "kW",
            "community": {"up_kw": self.community("up").tolist(), "down_kw": self.community("down").tolist()},
            "peers": {
                p: {"up_kw": self.up_kw[i].tolist(), "down_kw": self.down_kw[i].tolist()}
                for i, p in enumerate(self.peers)
            },
            "assets": [
                {
                    "peer": a.peer,
                    "asset": a.asset,
                    "kind": a.kind,
                    "up_kw": a.up_kw.tolist(),
                    "down_kw": a.down_kw.tolist(),
                }
                for a in self.assets
            ],
        }


def battery_flex(
    charge_kwh: FloatArray,
    discharge_kwh: FloatArray,
    soc_start_kwh: FloatArray,
    *,
    capacity_kwh: float,
    charge_kw: float,
    discharge_kw: float,
    charge_efficiency: float,
    discharge_efficiency: float,
    soc_min_kwh: float,
    hours: float,
    sustain_hours: float,
) -> tuple[FloatArray, FloatArray]:
    """Battery headroom (kW): stop charging and discharge more (up), stop discharging and charge more (down).

    The extra power is limited by the rating and by the stored energy (up) or free room (down) over
    ``sustain_hours``: up ≤ (soc − soc_min)·η_d / H, down ≤ (capacity − soc) / (η_c·H), with soc the
    state at the interval's start.
    """
    charging = charge_kwh / hours
    discharging = discharge_kwh / hours
    energy_up = np.maximum(soc_start_kwh - soc_min_kwh, 0.0) * discharge_efficiency / sustain_hours
    room_down = np.maximum(capacity_kwh - soc_start_kwh, 0.0) / (charge_efficiency * sustain_hours)
    up = charging + np.minimum(np.maximum(discharge_kw - discharging, 0.0), energy_up)
    down = discharging + np.minimum(np.maximum(charge_kw - charging, 0.0), room_down)
    return up, down


def window_load_flex(
    consumed_kwh: FloatArray, max_kw: float, active: npt.NDArray[np.bool_], hours: float
) -> tuple[FloatArray, FloatArray]:
    """Shiftable load or EV charger, in its window: pause what runs (up), run up to ``max_kw`` (down)."""
    consuming = consumed_kwh / hours
    up = np.where(active, consuming, 0.0)
    down = np.where(active, np.maximum(max_kw - consuming, 0.0), 0.0)
    return up, down


def curtailable_flex(
    curtailed_kwh: FloatArray, profile_kw: FloatArray, max_fraction: float, hours: float
) -> tuple[FloatArray, FloatArray]:
    """Curtailable load: curtail more up to the limit (up), undo scheduled curtailment (down)."""
    curtailed = curtailed_kwh / hours
    up = np.maximum(max_fraction * profile_kw - curtailed, 0.0)
    down = curtailed
    return up, down


def range_flex(
    p_kwh: FloatArray, p_min_kw: FloatArray, p_max_kw: FloatArray, hours: float
) -> tuple[FloatArray, FloatArray]:
    """Generic flexible production/consumption with bounds: p_max − p (up), p − p_min (down)."""
    power = p_kwh / hours
    return np.maximum(p_max_kw - power, 0.0), np.maximum(power - p_min_kw, 0.0)


def compute_flexibility(dispatch: Any, *, sustain_hours: float | None = None) -> Flexibility:
    """Per-asset and per-peer headroom around a cleared ``flexunity.optimize.Dispatch``.

    ``sustain_hours`` (default: one interval) is how long a battery must hold the extra power: use
    the product's delivery duration. PV adds its spill: more spill is "down", less spill is "up".
    """
    scenario = dispatch.scenario
    hours = scenario.hours_per_interval
    sustain = hours if sustain_hours is None else max(float(sustain_hours), hours)
    assets: list[AssetFlex] = []
    assets += _battery_assets(dispatch, hours, sustain)
    assets += _window_assets(dispatch, "shift", "shiftable_loads", "shiftable", hours)
    assets += _window_assets(dispatch, "ev", "ev_chargers", "ev", hours)
    assets += _curtailable_assets(dispatch, hours)
    assets += _range_assets(dispatch, hours)
    assets += _pv_assets(dispatch, hours)
    return Flexibility.from_assets(scenario.peer_ids, scenario.intervals, scenario.interval_minutes, assets)


def _owned(dispatch: Any, block: str, attr: str) -> list[tuple[str, Any, int]]:
    """(peer id, asset object, row in the block) for every asset of ``peer.<attr>`` in block order."""
    if block not in dispatch.lp.blocks:
        return []
    out = []
    for row, label in enumerate(dispatch.lp.blocks[block].owners):
        peer_id, _, asset_id = label.partition("/")
        asset = next(a for a in getattr(dispatch.scenario.peer(peer_id), attr) if a.id == asset_id)
        out.append((peer_id, asset, row))
    return out


def _battery_assets(dispatch: Any, hours: float, sustain: float) -> list[AssetFlex]:
    out = []
    charge, discharge = dispatch.block("battery_charge"), dispatch.block("battery_discharge")
    soc = dispatch.block("battery_soc")
    for peer_id, b, row in _owned(dispatch, "battery_soc", "batteries"):
        soc_start = np.concatenate([[b.soc_initial_kwh], soc[row, :-1]])
        up, down = battery_flex(
            charge[row],
            discharge[row],
            soc_start,
            capacity_kwh=b.capacity_kwh,
            charge_kw=b.charge_kw,
            discharge_kw=b.discharge_kw,
            charge_efficiency=b.charge_efficiency,
            discharge_efficiency=b.discharge_efficiency,
            soc_min_kwh=b.soc_min_kwh,
            hours=hours,
            sustain_hours=sustain,
        )
        out.append(AssetFlex(peer_id, b.id, "battery", up, down))
    return out


def _window_assets(dispatch: Any, block: str, attr: str, kind: str, hours: float) -> list[AssetFlex]:
    out = []
    values = dispatch.block(block)
    times = np.arange(dispatch.scenario.intervals)
    for peer_id, a, row in _owned(dispatch, block, attr):
        first, end = (a.window[0], a.window[1] + 1) if kind == "shiftable" else (a.arrival, a.departure)
        up, down = window_load_flex(values[row], a.max_kw, (times >= first) & (times < end), hours)
        out.append(AssetFlex(peer_id, a.id, kind, up, down))
    return out


def _curtailable_assets(dispatch: Any, hours: float) -> list[AssetFlex]:
    out = []
    values = dispatch.block("curtail")
    t = dispatch.scenario.intervals
    for peer_id, a, row in _owned(dispatch, "curtail", "curtailable_loads"):
        up, down = curtailable_flex(
            values[row], np.broadcast_to(a.profile_kw, (t,)), a.max_curtail_fraction, hours
        )
        out.append(AssetFlex(peer_id, a.id, "curtailable", up, down))
    return out


def _range_assets(dispatch: Any, hours: float) -> list[AssetFlex]:
    if "flex_segment" not in dispatch.lp.blocks:
        return []
    out = []
    segments = dispatch.block("flex_segment").sum(axis=2)
    t = dispatch.scenario.intervals
    for row, peer_id in enumerate(dispatch.lp.blocks["flex_segment"].owners):
        cf = dispatch.scenario.peer(peer_id).cost_function
        p_min, p_max = np.broadcast_to(cf.p_min_kw, (t,)), np.broadcast_to(cf.p_max_kw, (t,))
        up, down = range_flex(p_min * hours + segments[row], p_min, p_max, hours)
        out.append(AssetFlex(peer_id, "cost_function", "flexible", up, down))
    return out


def _pv_assets(dispatch: Any, hours: float) -> list[AssetFlex]:
    if "pv_spill" not in dispatch.lp.blocks:
        return []
    out = []
    spill = dispatch.block("pv_spill")
    t = dispatch.scenario.intervals
    for row, peer_id in enumerate(dispatch.lp.blocks["pv_spill"].owners):
        pv = np.broadcast_to(dispatch.scenario.peer(peer_id).pv_kw, (t,))
        out.append(
            AssetFlex(peer_id, "pv", "pv", spill[row] / hours, np.maximum(pv - spill[row] / hours, 0.0))
        )
    return out
