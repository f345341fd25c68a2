"""Write a comparison: a self-contained HTML report (Jinja2, inline SVG), KPIs as CSV and JSON."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from flexunity import __version__
from flexunity.lab import plots
from flexunity.lab.compare import Comparison

COLUMNS = [
    ("design", "design", "text", ""),
    ("total_cost", "total cost", "money", "bills + flexibility cost"),
    ("saving", "saving", "money", "against no trading"),
    ("saving_fraction", "saving %", "pct", ""),
    ("ir_violations", "IR viol.", "int", "peers worse off than with no trading"),
    ("self_consumption", "self-cons.", "pct", ""),
    ("self_sufficiency", "self-suff.", "pct", ""),
    ("peak_import_kw", "peak import kW", "num", ""),
    ("internal_traded_kwh", "traded kWh", "num", ""),
    ("jain_savings", "Jain", "ratio", ""),
    ("gini_savings", "Gini", "ratio", ""),
]
COLUMNS_MARKET = [
    ("design", "design", "text", ""),
    ("price_mean", "price", "price", "volume-weighted mean internal price"),
    ("price_std", "price sd", "price", ""),
    ("allocative_efficiency", "efficiency", "pct", "auctions: realised / largest gain from trade"),
    ("seconds", "time s", "num", "computation time"),
    ("transactions_per_day", "tx / day", "int", "transactions per daily round"),
    ("gas_per_day", "gas / day", "int", "gas per daily round"),
    ("gas_basis", "gas basis", "text", ""),
    ("money_residual", "money check", "sci", ""),
]


def fmt(value: Any, kind: str) -> str:
    """A table cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        value += 0.0  # no "-0"
    if kind == "money":
        return f"{value + 0.0:,.2f}".replace("-0.00", "0.00")
    if kind == "pct":
        return f"{100 * value:.1f} %"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "num":
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if kind == "ratio":
        return f"{value:.3f}"
    if kind == "price":
        return f"{value:.4f}"
    if kind == "sci":
        return f"{value:.1e}"
    return str(value)


def html(c: Comparison, max_peers: int = 60) -> str:
    """The report page."""
    env = Environment(loader=PackageLoader("flexunity.lab", "templates"), autoescape=select_autoescape())
    kpis = c.kpis()
    lowest = min(r["total_cost"] for r in kpis)
    best = {r["design"] for r in kpis if r["total_cost"] <= lowest + 1e-6 * max(1.0, abs(lowest))}
    designs = [t.label for t in c.tallies[1:]]
    rows = c.peer_rows()
    saving = {(r["design"], r["peer"]): r["saving"] for r in rows}
    alone = {r["peer"]: r["no_trading_cost"] for r in rows if r["design"] == "none"}
    ids = list(alone)
    note = f"All {len(ids)} peers."
    if len(ids) > max_peers:
        ids = ids[:max_peers]
        note = f"The first {max_peers} of {len(alone)} peers; all of them are in peers.csv."
    peers = [{"id": p, "alone": alone[p], "savings": {d: saving[(d, p)] for d in designs}} for p in ids]
    figures = {
        "costs": plots.costs(c),
        "savings": plots.savings(c),
        "prices": plots.prices(c),
        "dispatch": plots.dispatch(c),
        "daily": plots.daily(c) if c.days > 1 else "",
    }
    groups = ", ".join(f"{g} ({n})" for g, n in _count(c.groups).items())
    columns = [{"key": k, "title": t, "kind": kind, "help": h} for k, t, kind, h in COLUMNS]
    market = [{"key": k, "title": t, "kind": kind, "help": h} for k, t, kind, h in COLUMNS_MARKET]
    return env.get_template("report.html.j2").render(
        c=c,
        kpis=kpis,
        columns=columns,
        market=market,
        fmt=fmt,
        best=best,
        designs=designs,
        peers=peers,
        peers_note=note,
        plots=figures,
        groups=groups,
        version=__version__,
    )


def _count(groups: dict[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for g in groups.values():
        out[g] = out.get(g, 0) + 1
    return out


def write(c: Comparison, out_dir: Path) -> dict[str, Path]:
    """report.html, kpis.csv, peers.csv and kpis.json in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / name for name in ("report.html", "kpis.csv", "peers.csv", "kpis.json")}
    paths["report.html"].write_text(html(c), encoding="utf-8")
    kpis = c.kpis()
    _csv(paths["kpis.csv"], kpis)
    _csv(paths["peers.csv"], c.peer_rows())
    doc = {
        "format": "flexunity-compare/1",
        "scenario": c.scenario,
        "source": c.source,
        "days": c.days,
        "peers": c.peers,
        "intervals": c.intervals,
        "interval_minutes": c.interval_minutes,
        "currency": c.currency,
        "settings": c.settings,
        "groups": c.groups,
        "designs": [
            {**k, "method": t.method, "daily_cost": t.daily_cost}
            for k, t in zip(kpis, c.tallies, strict=True)
        ],
        "peers_detail": c.peer_rows(),
    }
    paths["kpis.json"].write_text(json.dumps(doc, indent=1, default=_json) + "\n", encoding="utf-8")
    return paths


def _csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _json(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)
