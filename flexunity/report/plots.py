"""A cleared day as one PNG: community load and PV, grid import and export, batteries, prices.

``plot_day(scenario, result, path)`` takes the scenario (a ``flexunity.model.Scenario``, a
scenario dict, or a path to a scenario file or folder) and the clearing result as the JSON dict of
docs/result-format.md. Values from the result are looked up by their documented names (community
import/export, battery state of charge, community price); a panel whose data the result does not
carry says so instead of failing. Rendered with matplotlib's Agg backend (no display needed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from flexunity.errors import InputError

IMPORT_KEYS = ("q_imp", "alpha")  # kWh per interval: community total or per peer
EXPORT_KEYS = ("q_exp", "beta")
SPILL_KEYS = ("pv_spill",)
SOC_KEYS = ("battery_soc",)  # kWh, per battery
BUY_KEYS = ("buy",)  # under "pricing": community buy and sell prices per interval
SELL_KEYS = ("sell",)


@dataclass(frozen=True)
class DaySeries:
    """What the plot shows, per interval: powers in kW, state of charge in kWh, prices per kWh."""

    times: pd.DatetimeIndex
    load_by_kind_kw: dict[str, np.ndarray]  # inflexible load + flexible baselines, per peer kind
    pv_kw: np.ndarray
    import_kw: np.ndarray | None
    export_kw: np.ndarray | None
    consumption_kw: np.ndarray | None  # after flexibility: PV used + import − export
    soc_kwh: np.ndarray | None
    buy_price: np.ndarray | None
    sell_price: np.ndarray | None
    retail_import: np.ndarray
    retail_export: np.ndarray
    battery_capacity_kwh: float
    currency: str
    title: str


def _as_scenario(scenario: Any) -> Any:
    """A model ``Scenario`` from an object, a dict or a path (via flexunity.data.scenario_io)."""
    if hasattr(scenario, "peers") and hasattr(scenario, "intervals"):
        return scenario
    from flexunity.data import scenario_io

    if isinstance(scenario, Mapping):
        return scenario_io.scenario_from_dict(dict(scenario))
    return scenario_io.load_scenario(scenario)


def _sum_values(value: Any, intervals: int) -> np.ndarray | None:
    """A per-interval array from a list, or the sum of a ``{owner: list}`` mapping."""
    if isinstance(value, Mapping):
        found = [_sum_values(v, intervals) for v in value.values()]
        rows = [r for r in found if r is not None]
        return np.sum(rows, axis=0) if rows else None
    if isinstance(value, Sequence) and not isinstance(value, str):
        arr = np.asarray(value, dtype=float)
        if arr.ndim == 1 and arr.size == intervals:
            return arr
        if arr.ndim == 2 and arr.shape[-1] == intervals:
            return arr.sum(axis=0)
    return None


def find_series(
    result: Mapping[str, Any], keys: Iterable[str], intervals: int, depth: int = 4
) -> np.ndarray | None:
    """The first per-interval series under any of ``keys``, searching nested dicts breadth-first."""
    keys = tuple(keys)
    level: list[Mapping[str, Any]] = [result]
    for _ in range(depth):
        for node in level:
            for key in keys:
                if key in node:
                    found = _sum_values(node[key], intervals)
                    if found is not None:
                        return found
        level = [v for node in level for v in node.values() if isinstance(v, Mapping)]
    return None


def day_series(scenario: Any, result: Mapping[str, Any]) -> DaySeries:
    """Community totals of a cleared round, ready to plot."""
    sc = _as_scenario(scenario)
    t, hours = sc.intervals, sc.interval_minutes / 60
    if str(result.get("format", "")).startswith("flexunity-scenario"):
        raise InputError(
            "expected a clearing result (flexunity clear ... --out), got a scenario", where="result"
        )
    if result.get("intervals", t) != t:
        raise InputError(
            f"result has {result['intervals']} intervals, scenario {sc.name!r} has {t}", where="result"
        )
    times = pd.date_range(pd.Timestamp(sc.start), periods=t, freq=f"{sc.interval_minutes}min").tz_convert(
        sc.timezone
    )
    by_kind: dict[str, np.ndarray] = {}
    pv = np.zeros(t)
    for peer in sc.peers:
        load = by_kind.setdefault(peer.kind, np.zeros(t))
        load += np.asarray(peer.load_kw, dtype=float)
        for curtailable in peer.curtailable_loads:
            load += np.asarray(curtailable.profile_kw, dtype=float)
        if peer.pv_kw is not None:
            pv += np.asarray(peer.pv_kw, dtype=float)
    imp = find_series(result, IMPORT_KEYS, t)
    exp = find_series(result, EXPORT_KEYS, t)
    spill = find_series(result, SPILL_KEYS, t)
    consumption = None
    if imp is not None and exp is not None:
        consumption = pv - (0.0 if spill is None else spill / hours) + (np.abs(imp) - np.abs(exp)) / hours
    pricing = result.get("pricing", {})
    tariffs = list(sc.tariffs.values())
    return DaySeries(
        times=times,
        load_by_kind_kw=dict(sorted(by_kind.items(), key=lambda kv: -kv[1].sum())),
        pv_kw=pv,
        import_kw=None if imp is None else np.abs(imp) / hours,
        export_kw=None if exp is None else np.abs(exp) / hours,
        consumption_kw=consumption,
        soc_kwh=find_series(result, SOC_KEYS, t),
        buy_price=find_series(pricing, BUY_KEYS, t, depth=1) if isinstance(pricing, Mapping) else None,
        sell_price=find_series(pricing, SELL_KEYS, t, depth=1) if isinstance(pricing, Mapping) else None,
        retail_import=np.mean([np.broadcast_to(tf.import_price, (t,)) for tf in tariffs], axis=0),
        retail_export=np.mean([np.broadcast_to(tf.export_price, (t,)) for tf in tariffs], axis=0),
        battery_capacity_kwh=float(sum(b.capacity_kwh for p in sc.peers for b in p.batteries)),
        currency=sc.currency,
        title=sc.name,
    )


def _missing(ax: Any, what: str) -> None:
    ax.text(
        0.5, 0.5, f"{what}: not in the result", ha="center", va="center", transform=ax.transAxes, color="grey"
    )


def _with_closing_edge(series: DaySeries) -> DaySeries:
    """The series with one more time, the end of the last interval, holding the last values: a
    ``where="post"`` step then draws the last interval as wide as the others, not as a point."""
    times = series.times
    width = times[1] - times[0] if len(times) > 1 else pd.Timedelta(hours=1)
    times = times.append(pd.DatetimeIndex([times[-1] + width]))

    def extend(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else np.append(values, values[-1])

    return replace(
        series,
        times=times,
        load_by_kind_kw={kind: np.append(v, v[-1]) for kind, v in series.load_by_kind_kw.items()},
        pv_kw=np.append(series.pv_kw, series.pv_kw[-1]),
        import_kw=extend(series.import_kw),
        export_kw=extend(series.export_kw),
        consumption_kw=extend(series.consumption_kw),
        soc_kwh=extend(series.soc_kwh),
        buy_price=extend(series.buy_price),
        sell_price=extend(series.sell_price),
        retail_import=np.append(series.retail_import, series.retail_import[-1]),
        retail_export=np.append(series.retail_export, series.retail_export[-1]),
    )


def _draw(series: DaySeries, path: Path) -> Path:
    series = _with_closing_edge(series)
    x = series.times
    fig, axes = plt.subplots(4, 1, figsize=(14, 11), sharex=True, height_ratios=[3, 2, 1.5, 1.5])
    power, grid, battery, price = axes
    kinds = list(series.load_by_kind_kw)
    stacked = np.cumsum([series.load_by_kind_kw[k] for k in kinds], axis=0)
    colours = plt.get_cmap("Blues")(np.linspace(0.75, 0.3, len(kinds)))
    for i, kind in enumerate(kinds):
        lower = stacked[i - 1] if i else np.zeros(len(x))
        power.fill_between(
            x, lower, stacked[i], step="post", color=colours[i], alpha=0.8, label=f"load baseline: {kind}"
        )
    power.step(x, series.pv_kw, where="post", color="#e69500", linewidth=2.2, label="PV production")
    if series.consumption_kw is not None:
        power.step(
            x,
            series.consumption_kw,
            where="post",
            color="black",
            linewidth=1.2,
            label="demand after flexibility\nand batteries (PV used\n+ import − export)",
        )
    power.set_ylabel("kW")
    power.set_title(f"{series.title}: community day ({x[0].strftime('%a %d %b %Y')}, {x.tz})")
    if series.import_kw is not None and series.export_kw is not None:
        grid.fill_between(x, series.import_kw, step="post", color="#c0392b", alpha=0.6, label="grid import")
        grid.fill_between(x, -series.export_kw, step="post", color="#27ae60", alpha=0.6, label="grid export")
        grid.axhline(0, color="black", linewidth=0.6)
        grid.set_ylabel("kW")
    else:
        _missing(grid, "grid import/export")
    if series.soc_kwh is not None:
        battery.step(
            x,
            series.soc_kwh,
            where="post",
            color="#8e44ad",
            label=f"battery state of charge (of {series.battery_capacity_kwh:g} kWh)",
        )
        battery.set_ylabel("kWh")
        battery.set_ylim(0, max(series.battery_capacity_kwh, float(series.soc_kwh.max()), 1e-6) * 1.05)
    else:
        if series.battery_capacity_kwh:
            _missing(battery, "battery state of charge")
        else:
            battery.text(
                0.5,
                0.5,
                "no batteries in this community",
                ha="center",
                va="center",
                transform=battery.transAxes,
                color="grey",
            )
    price.step(
        x,
        series.retail_import,
        where="post",
        color="#c0392b",
        linestyle="--",
        label="retail import (mean of tariffs)",
    )
    price.step(
        x,
        series.retail_export,
        where="post",
        color="#27ae60",
        linestyle="--",
        label="retail export (mean of tariffs)",
    )
    if series.buy_price is not None:
        price.step(x, series.buy_price, where="post", color="black", label="community buy price")
    if series.sell_price is not None and not np.allclose(
        series.sell_price, series.buy_price if series.buy_price is not None else np.nan
    ):
        price.step(x, series.sell_price, where="post", color="grey", label="community sell price")
    price.set_ylabel(f"{series.currency}/kWh")
    price.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=x.tz))
    price.set_xlabel(f"local time ({x.tz})")
    for ax in axes:
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_day(scenario: Any, result: Mapping[str, Any], path: str | Path) -> Path:
    """Write the day's PNG to ``path`` and return it."""
    return _draw(day_series(scenario, result), Path(path))
