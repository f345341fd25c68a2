"""The figures of one posted round (``flexunity report``) as inline SVG: grid exchange and internal
trade per interval, internal prices against the retail tariff, each peer's bill against no trading."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from flexunity.lab.plots import svg

IMPORT, EXPORT, TRADE, PRICE = "#c0392b", "#27ae60", "#2b7bba", "#8e44ad"


def _width(times: pd.DatetimeIndex) -> float:
    """Bar width in days: 80 % of an interval, drawn from the interval's start."""
    if len(times) < 2:
        return 0.8 / 24
    return 0.8 * (times[1] - times[0]).total_seconds() / 86400


def _time_axis(ax: Any, times: pd.DatetimeIndex) -> None:
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=times.tz))
    ax.grid(axis="y", color="#eee")


def tariff_series(scenario: dict[str, Any], key: str, tariff: str | None = None) -> list[float]:
    """A tariff's price per interval (a scalar price repeated); the first tariff when none is named."""
    tariffs = scenario.get("tariffs", {})
    if not tariffs:
        return []
    value = tariffs[tariff or next(iter(tariffs))].get(key, 0.0)
    n = int(scenario["intervals"])
    return [float(v) for v in value] if isinstance(value, list) else [float(value)] * n


def dispatch(scenario: dict[str, Any], clearing: dict[str, Any], times: pd.DatetimeIndex) -> str:
    """Community import (up) and export (down) per interval, and the energy traded inside."""
    peers = list(clearing.get("peers", {}).values())
    n = len(times)
    imp = np.array([sum(p["alpha"][t] for p in peers) for t in range(n)])
    exp = np.array([sum(p["beta"][t] for p in peers) for t in range(n)])
    traded = np.array([sum(max(0.0, p["q"][t]) for p in peers) for t in range(n)])
    x = times.tz_convert("UTC").tz_localize(None).to_pydatetime()
    w = _width(times)
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.bar(x, imp, width=w, align="edge", color=IMPORT, alpha=0.75, label="grid import")
    ax.bar(x, -exp, width=w, align="edge", color=EXPORT, alpha=0.75, label="grid export")
    mid = [t + pd.Timedelta(days=w / 1.6) for t in x]  # the interval's middle (bars fill 80 % of it)
    ax.plot(mid, traded, color=TRADE, marker="o", lw=1.5, label="traded inside the community")
    ax.axhline(0, color="#555", lw=0.8)
    ax.set_ylabel("kWh per interval")
    _time_axis(ax, times)
    ax.set_xlabel(f"interval start ({times.tz})")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return svg(fig)


def prices(scenario: dict[str, Any], clearing: dict[str, Any], times: pd.DatetimeIndex) -> str:
    """Internal buy and sell prices as steps, each tariff's import and export prices dashed."""
    pricing = clearing.get("pricing", {})
    currency = clearing.get("currency", "")
    x = list(times.tz_convert("UTC").tz_localize(None).to_pydatetime())
    step = times[1] - times[0] if len(times) > 1 else pd.Timedelta(minutes=int(scenario["interval_minutes"]))
    edges = [*x, (times[-1] + step).tz_convert("UTC").tz_localize(None).to_pydatetime()]
    fig, ax = plt.subplots(figsize=(7, 2.6))

    def stairs(values: list[float], **kw: Any) -> None:
        ax.stairs(values, edges, baseline=None, **kw)

    for name in scenario.get("tariffs", {}):
        stairs(
            tariff_series(scenario, "import_price", name),
            color=IMPORT,
            ls="--",
            lw=1,
            label=f"retail import ({name})",
        )
        stairs(
            tariff_series(scenario, "export_price", name),
            color=EXPORT,
            ls="--",
            lw=1,
            label=f"retail export ({name})",
        )
    buy, sell, rule = pricing.get("buy"), pricing.get("sell"), pricing.get("rule", "")
    if buy:
        one = not sell or sell == buy
        stairs(buy, color=PRICE, lw=2, label=f"internal {'price' if one else 'buy'} ({rule})")
    if sell and sell != buy:
        stairs(sell, color=TRADE, lw=2, ls=":", label="internal sell")
    ax.set_ylabel(f"{currency}/kWh")
    _time_axis(ax, times)
    ax.set_xlabel(f"interval start ({times.tz})")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return svg(fig)


def bills(peers: list[dict[str, Any]], currency: str) -> str:
    """Each peer's bill in this round beside its bill with no trading."""
    labels = [p["label"] for p in peers]
    y = np.arange(len(peers))
    fig, ax = plt.subplots(figsize=(7, 0.42 * len(peers) + 1))
    ax.barh(
        y + 0.2, [p["bill"].get("total", 0.0) for p in peers], height=0.4, color=TRADE, label="this round"
    )
    alone = [np.nan if p["alone"] is None else p["alone"] for p in peers]
    ax.barh(y - 0.2, alone, height=0.4, color="#999", label="no trading")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.axvline(0, color="#555", lw=0.8)
    ax.set_xlabel(f"bill, {currency} (positive: the peer pays)")
    ax.legend(loc="lower right", fontsize=8)
    return svg(fig)
