"""The report's figures as inline SVG (matplotlib, no CDN, no files): costs, savings, prices, grid."""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from flexunity.lab.compare import Comparison

plt.rcParams.update({"svg.fonttype": "none", "font.size": 9})


def svg(fig: Figure) -> str:
    """The figure as an SVG element (no XML prologue), then closed."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def costs(c: Comparison) -> str:
    """Total cost per design (horizontal bars), the no-trading cost as a line."""
    rows = c.kpis()
    labels = [r["design"] for r in rows]
    values = [r["total_cost"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(rows) + 1))
    colours = ["#888" if r["design"] == "none" else "#2b7bba" for r in rows]
    ax.barh(labels[::-1], values[::-1], color=colours[::-1])
    ax.axvline(values[0], color="#c0392b", lw=1, ls="--", label="no trading")
    lo = min(values)
    ax.set_xlim(lo - 0.05 * abs(lo) - 1e-9, max(values) + 0.01 * abs(max(values)) + 1e-9)
    ax.set_xlabel(f"total cost over {c.days} day(s), {c.currency} (bills + flexibility cost)")
    ax.legend(loc="lower right")
    return svg(fig)


def savings(c: Comparison) -> str:
    """Per-peer saving against no trading, one box per design."""
    rows = c.peer_rows()
    labels = [t.label for t in c.tallies[1:]]
    data = [[r["saving"] for r in rows if r["design"] == lab] for lab in labels]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(labels) + 1))
    ax.boxplot(
        data[::-1], vert=False, tick_labels=labels[::-1], showfliers=True, flierprops={"markersize": 3}
    )
    ax.axvline(0, color="#c0392b", lw=1)
    ax.set_xlabel(f"saving per peer against no trading, {c.currency} (positive: better off)")
    return svg(fig)


def prices(c: Comparison, limit: int = 10) -> str:
    """Internal price per interval, one line per design (the first community rule only; at most
    ``limit`` designs)."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    hours = c.interval_minutes / 60
    shown = [t for t in c.tallies[1:] if not t.label.startswith("community (")]
    first = next((t for t in c.tallies if t.label.startswith("community (")), None)
    for t in ([first] if first else []) + shown[: limit - 1]:
        p = np.array(t.prices, dtype=float)
        ax.plot(np.arange(p.size) * hours, p, lw=1, label=t.label)
    ax.set_xlabel("hours from the first interval")
    ax.set_ylabel(f"{c.currency}/kWh")
    ax.set_title("internal price (volume-weighted; gaps: no internal trade)")
    ax.legend(fontsize=7, ncol=2)
    return svg(fig)


def dispatch(c: Comparison) -> str:
    """Community net grid import per interval, small multiples by design."""
    n = len(c.tallies)
    cols = 3
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(9, 1.7 * rows), sharex=True, sharey=True, squeeze=False)
    hours = c.interval_minutes / 60
    for ax, t in zip(axes.flat, c.tallies, strict=False):
        g = np.array(t.grid_kwh) / hours
        x = np.arange(g.size) * hours
        ax.fill_between(x, g, 0, where=g >= 0, color="#c0392b", alpha=0.6, lw=0)
        ax.fill_between(x, g, 0, where=g < 0, color="#27ae60", alpha=0.6, lw=0)
        ax.set_title(t.label, fontsize=8)
    for ax in axes.flat[n:]:
        ax.axis("off")
    fig.supylabel("net grid import, kW (red import, green export)", fontsize=8)
    fig.supxlabel("hours", fontsize=8)
    return svg(fig)


def daily(c: Comparison) -> str:
    """Each day's saving against no trading, one line per design (several days only)."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    base = np.array(c.baseline.daily_cost)
    days = np.arange(1, base.size + 1)
    for t in c.tallies[1:]:
        if t.label.startswith("community (") and t.label != c.tallies[1].label:
            continue  # every rule has the same total
        ax.plot(days, base - np.array(t.daily_cost), marker="o", ms=3, lw=1, label=t.label)
    ax.axhline(0, color="#c0392b", lw=1)
    ax.set_xlabel("day")
    ax.set_ylabel(f"saving, {c.currency}")
    ax.set_title("saving of each day against no trading (batteries carried over)")
    ax.legend(fontsize=7, ncol=2)
    return svg(fig)
