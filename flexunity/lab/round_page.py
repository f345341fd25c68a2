"""One posted round as a self-contained HTML page (``flexunity report``): dispatch, prices, bills, KPIs and
the audit's verdict, check by check.

The page is built from plain data only, so this module needs no chain: the round-result document and its
round config (docs/result-format.md, docs/oracle.md), the audit verdict as ``RoundVerdict.to_dict()``
gives it, and where the round lives (chain id, contracts, the hashes the chain holds). The CLI
(flexunity/cli/report.py) reads those from the chain and the document store. Styling and number formats
are the comparison report's (flexunity/lab/report.py); figures are inline matplotlib SVG.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from flexunity import __version__
from flexunity.lab import round_plots
from flexunity.lab.report import fmt
from flexunity.lab.round_plots import tariff_series

BILL_COLUMNS = [
    ("import", "retail import", "bought from the retailer at the peer's tariff"),
    ("export", "retail export", "export revenue (negative: earned)"),
    ("trades", "internal trades", "paid for energy bought inside the community (negative: earned)"),
    ("fees", "fees", "community fee"),
    ("community_grid", "grid term", "the community's share of grid charges"),
    ("side_payment", "side payment", "individual-rationality transfer"),
    ("total", "bill", "sum of the components: positive = the peer pays"),
]
KPI_ROWS = [
    ("total_bill", "total of bills", "money"),
    ("standalone_cost", "cost with no trading", "money"),
    ("saving", "saving of the community", "money"),
    ("saving_fraction", "saving", "pct"),
    ("internal_traded_kwh", "energy traded inside, kWh", "num"),
    ("local_generation_kwh", "local generation, kWh", "num"),
    ("import_kwh", "grid import, kWh", "num"),
    ("export_kwh", "grid export, kWh", "num"),
    ("self_consumption", "self-consumption", "pct"),
    ("self_sufficiency", "self-sufficiency", "pct"),
    ("peak_import_kw", "peak import, kW", "num"),
    ("jain_index_savings", "fairness of savings (Jain)", "ratio"),
    ("gini_savings", "inequality of savings (Gini)", "ratio"),
    ("money_balance", "money balance (0 = conserved)", "sci"),
]


@dataclass(frozen=True)
class PostedRound:
    """Everything the page shows about one round, as read from the chain and the document store."""

    round_id: int
    document: dict[str, Any]
    config: dict[str, Any] | None
    verdict: dict[str, Any]
    chain_id: int
    document_hash: str
    contracts: dict[str, str] = field(default_factory=dict)
    status: str = ""  # the result's state on chain (posted, disputed, ...)
    leaf_count: int = 0  # leaves in the posted result
    leaves_applied: int = 0  # of them, settled by the escrow so far


def html(r: PostedRound) -> str:
    """The page."""
    env = Environment(loader=PackageLoader("flexunity.lab", "templates"), autoescape=select_autoescape())
    doc = r.document
    scenario = doc["scenario"]
    clearing = doc["clearing"]
    currency = str(clearing.get("currency") or scenario.get("currency", ""))
    times = interval_times(scenario)
    settlement = (r.config or {}).get("settlement") or {}
    peers = peer_rows(doc, settlement.get("token_decimals"))
    figures = {
        "dispatch": round_plots.dispatch(scenario, clearing, times),
        "prices": round_plots.prices(scenario, clearing, times),
        "bills": round_plots.bills(peers, currency),
    }
    kpis = clearing.get("kpis", {})
    return env.get_template("round.html.j2").render(
        r=r,
        scenario=scenario,
        clearing=clearing,
        currency=currency,
        peers=peers,
        bill_columns=[{"key": k, "title": t, "help": h} for k, t, h in BILL_COLUMNS],
        kpis=[{"title": t, "value": fmt(kpis.get(k), kind)} for k, t, kind in KPI_ROWS if k in kpis],
        prices=price_rows(scenario, clearing, times),
        settlement=doc.get("settlement", {}),
        checks=r.verdict.get("checks", []),
        fmt=fmt,
        figures=figures,
        start=times[0].strftime("%Y-%m-%d %H:%M %Z") if len(times) else "",
        version=__version__,
    )


def interval_times(scenario: dict[str, Any]) -> pd.DatetimeIndex:
    """The start of each interval in the scenario's own time zone."""
    start = pd.Timestamp(scenario["start"])
    times = pd.date_range(
        start, periods=int(scenario["intervals"]), freq=f"{scenario['interval_minutes']}min"
    )
    return times.tz_convert(scenario.get("timezone") or "UTC")


def peer_rows(doc: dict[str, Any], decimals: int | None = None) -> list[dict[str, Any]]:
    """Each peer's bill, its bill with no trading, its saving, energy and the amount settled on chain
    (in currency, from the leaf's integer amount and the token's ``decimals``; None without them)."""
    clearing = doc["clearing"]
    leaves = {str(x["account"]).lower(): x for x in doc.get("settlement", {}).get("leaves", [])}
    rows = []
    for peer in doc["scenario"]["peers"]:
        pid = str(peer["id"])
        bill = clearing["bills"].get(pid, {})
        alone = (clearing.get("standalone_bills") or {}).get(pid)
        energy = clearing.get("peers", {}).get(pid, {})
        leaf = leaves.get(pid.lower())
        rows.append(
            {
                "id": pid,
                "label": str((peer.get("metadata") or {}).get("label") or pid),
                "bill": bill,
                "alone": None if alone is None else alone.get("total"),
                "saving": None if alone is None else alone.get("total", 0.0) - bill.get("total", 0.0),
                "import_kwh": sum(energy.get("alpha", [])),
                "export_kwh": sum(energy.get("beta", [])),
                "bought_kwh": sum(max(0.0, v) for v in energy.get("q", [])),
                "sold_kwh": sum(max(0.0, -v) for v in energy.get("q", [])),
                "leaf": leaf,
                "settled": _settled(leaf, decimals),
            }
        )
    return rows


def _settled(leaf: dict[str, Any] | None, decimals: int | None) -> float | None:
    """The leaf's amount in currency: positive = debited (the peer pays), negative = credited."""
    if leaf is None or decimals is None:
        return None
    amount = int(leaf["amount"]) / 10**decimals
    return -amount if leaf.get("isCredit") else amount


def price_rows(
    scenario: dict[str, Any], clearing: dict[str, Any], times: pd.DatetimeIndex
) -> list[dict[str, Any]]:
    """Per interval: internal buy and sell prices, the first tariff's import and export prices, energy."""
    pricing = clearing.get("pricing", {})
    buy, sell = pricing.get("buy", []), pricing.get("sell", [])
    imp, exp = tariff_series(scenario, "import_price"), tariff_series(scenario, "export_price")
    peers = clearing.get("peers", {}).values()
    rows = []
    for t, when in enumerate(times):
        rows.append(
            {
                "time": when.strftime("%H:%M"),
                "buy": buy[t] if t < len(buy) else None,
                "sell": sell[t] if t < len(sell) else None,
                "retail_import": imp[t] if imp else None,
                "retail_export": exp[t] if exp else None,
                "traded_kwh": sum(max(0.0, p["q"][t]) for p in peers),
                "import_kwh": sum(p["alpha"][t] for p in peers),
                "export_kwh": sum(p["beta"][t] for p in peers),
            }
        )
    return rows
