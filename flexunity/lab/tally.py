"""A design's days added up, and its KPIs (docs/lab.md, "KPIs").

Costs and energies are sums over days; self-consumption and self-sufficiency are recomputed from the
summed energies; savings are per peer against the no-trading design *on its own days* (its batteries
carried over too); fairness uses the optimiser's Jain and Gini functions on those savings.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from flexunity.lab.gas import ChainCost
from flexunity.lab.outcome import Outcome
from flexunity.optimize import Bill
from flexunity.optimize.bills import ir_violations, money_balance
from flexunity.optimize.kpis import energy_kpis, gini, jain_index

ENERGY = ("local_generation_kwh", "import_kwh", "export_kwh", "internal_traded_kwh")


def add_bills(a: Bill, b: Bill) -> Bill:
    """Component-wise sum of two bills."""
    return replace(a, **{f.name: getattr(a, f.name) + getattr(b, f.name) for f in fields(Bill)})


@dataclass
class Tally:
    """One design over all days so far."""

    label: str
    method: str
    bills: dict[str, Bill] = field(default_factory=dict)
    energy: dict[str, float] = field(default_factory=lambda: dict.fromkeys(ENERGY, 0.0))
    used_kwh: float = 0.0
    peak_import_kw: float = 0.0
    prices: list[float] = field(default_factory=list)
    volumes: list[float] = field(default_factory=list)
    grid_kwh: list[float] = field(default_factory=list)  # net community import per interval
    seconds: float = 0.0
    chain: ChainCost | None = None
    surplus: list[float] = field(default_factory=lambda: [0.0, 0.0])
    auction: bool = False
    money_residual: float = 0.0  # largest |Σ internal money| of an interval, and of bills vs grid money
    preference_cost: float = 0.0
    days: int = 0
    daily_cost: list[float] = field(default_factory=list)  # total cost of each day

    def add(self, o: Outcome) -> None:
        """Add one day's outcome."""
        d = o.dispatch
        self.bills = {
            pid: add_bills(self.bills[pid], b) if pid in self.bills else b for pid, b in o.bills.items()
        }
        e = energy_kpis(d)
        for key in ENERGY:
            self.energy[key] += float(e[key] or 0.0)
        self.used_kwh += max(float(e["local_generation_kwh"] or 0) - float(e["export_kwh"] or 0), 0.0)
        self.peak_import_kw = max(self.peak_import_kw, float(e["peak_import_kw"] or 0.0))
        self.prices += [float(p) for p in o.prices]
        self.volumes += np.maximum(d.q, 0).sum(axis=0).tolist()
        self.grid_kwh += (d.alpha.sum(axis=0) + d.beta.sum(axis=0)).tolist()
        self.seconds += o.seconds
        self.chain = o.chain if self.chain is None else self.chain + o.chain
        if o.surplus is not None:
            self.auction = True
            self.surplus = [self.surplus[0] + o.surplus[0], self.surplus[1] + o.surplus[1]]
        residual = float(np.abs(o.money.sum(axis=0)).max()) if o.money.size else 0.0
        if o.design != "none":
            residual = max(residual, abs(money_balance(o.bills, d)))
        self.money_residual = max(self.money_residual, residual)
        self.preference_cost += float(o.extra.get("preference_cost", 0.0))
        self.days += 1
        self.daily_cost.append(sum(b.cost for b in o.bills.values()))

    def kpis(self, alone: Tally) -> dict[str, Any]:
        """The KPI row of this design, savings against ``alone`` (the no-trading tally)."""
        cost = sum(b.cost for b in self.bills.values())
        base = sum(b.cost for b in alone.bills.values())
        savings = np.array([alone.bills[pid].cost - b.cost for pid, b in self.bills.items()])
        gen, imp = self.energy["local_generation_kwh"], self.energy["import_kwh"]
        p, v = np.array(self.prices), np.array(self.volumes)
        ok = np.isfinite(p)
        traded = ok & (v > 1e-9)
        chain = self.chain or ChainCost(0, 0, "none", "")
        return {
            "design": self.label,
            "total_cost": cost,
            "total_bill": sum(b.total for b in self.bills.values()),
            "saving": base - cost,
            "saving_fraction": (base - cost) / abs(base) if abs(base) > 1e-12 else None,
            "ir_violations": len(ir_violations(self.bills, dict(alone.bills))),
            "self_consumption": None if gen <= 1e-12 else min(1.0, self.used_kwh / gen),
            "self_sufficiency": None
            if self.used_kwh + imp <= 1e-12
            else min(1.0, self.used_kwh / (self.used_kwh + imp)),
            "peak_import_kw": self.peak_import_kw,
            "import_kwh": imp,
            "export_kwh": self.energy["export_kwh"],
            "internal_traded_kwh": self.energy["internal_traded_kwh"],
            "jain_savings": jain_index(savings) if savings.size else None,
            # like Jain's index, undefined when some peer loses (with negative values Gini exceeds 1)
            "gini_savings": gini(savings),
            "price_mean": float(np.average(p[traded], weights=v[traded])) if traded.any() else None,
            "price_std": float(np.std(p[traded])) if traded.sum() > 1 else None,
            "allocative_efficiency": (self.surplus[0] / self.surplus[1])
            if self.auction and self.surplus[1] > 1e-12
            else None,
            "preference_cost": self.preference_cost,
            "seconds": self.seconds,
            "transactions": chain.transactions,
            "gas": chain.gas,
            "gas_basis": chain.basis,
            "transactions_per_day": chain.transactions / max(self.days, 1),
            "gas_per_day": chain.gas / max(self.days, 1),
            "money_residual": self.money_residual,
            "days": self.days,
        }

    def peer_rows(self, alone: Tally) -> list[dict[str, Any]]:
        """Per peer: bill, cost, no-trading cost and saving."""
        return [
            {
                "design": self.label,
                "peer": pid,
                "bill": b.total,
                "flex_cost": b.flex_cost,
                "cost": b.cost,
                "no_trading_cost": alone.bills[pid].cost,
                "saving": alone.bills[pid].cost - b.cost,
            }
            for pid, b in self.bills.items()
        ]
