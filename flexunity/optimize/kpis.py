"""Community KPIs: total cost, saving against standalone, self-consumption, self-sufficiency, peak
import, and the fairness of the savings (Jain's index and the Gini coefficient).

Definitions (docs/optimisation.md, "KPIs"): local generation gen = PV used (PV − spill) plus flexible
production; export E = −Σβ; import I = Σα; locally used U = gen − E. Self-consumption = U / gen,
self-sufficiency = U / (U + I), both clipped to [0, 1] and None when undefined.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flexunity.optimize.bills import Bill
from flexunity.optimize.builder import peer_matrix
from flexunity.optimize.lp import FloatArray
from flexunity.optimize.solve import Dispatch


def jain_index(values: FloatArray) -> float | None:
    """Jain's fairness index (Σx)² / (n·Σx²) in [1/n, 1]; None if any value is negative or all are 0."""
    x = np.asarray(values, dtype=float)
    if x.size == 0 or np.any(x < -1e-9) or not np.any(x > 1e-12):
        return None
    return float(x.sum() ** 2 / (x.size * np.sum(x**2)))


def gini(values: FloatArray) -> float | None:
    """Gini coefficient: mean absolute difference / (2·mean), in [0, 1).

    None when it is undefined: no values, a mean that is not positive, or a negative value (a peer
    that loses: the coefficient then exceeds 1 and no longer measures inequality of gains).
    """
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0 or x.mean() <= 1e-12 or x[0] < -1e-9:
        return None
    n = x.size
    return float(np.sum((2 * np.arange(1, n + 1) - n - 1) * x) / (n * n * x.mean()))


def energy_kpis(d: Dispatch) -> dict[str, float | None]:
    """Self-consumption, self-sufficiency and peak import from a dispatch."""
    sc, dh = d.scenario, d.scenario.hours_per_interval
    pv = peer_matrix(sc, lambda p: p.pv_kw).sum() * dh - d.per_peer("pv_spill").sum()
    flex = d.block("flex_segment")
    flex_prod = 0.0
    if flex.size:
        pmin = peer_matrix(sc, lambda p: None if p.cost_function is None else p.cost_function.p_min_kw) * dh
        idx = d.lp.blocks["flex_segment"].peer_index
        flex_prod = float(np.maximum(pmin[idx] + flex.sum(axis=2), 0).sum())
    gen = float(pv + flex_prod)
    imp, exp = float(d.alpha.sum()) + 0.0, float(-d.beta.sum()) + 0.0  # + 0.0: no "-0"
    used = max(gen - exp, 0.0)
    return {
        "local_generation_kwh": gen,
        "import_kwh": imp,
        "export_kwh": exp,
        "self_consumption": None if gen <= 1e-12 else min(1.0, used / gen),
        "self_sufficiency": None if used + imp <= 1e-12 else min(1.0, used / (used + imp)),
        "peak_import_kw": float(d.alpha.sum(axis=0).max() / dh) if sc.intervals else 0.0,
        "internal_traded_kwh": float(d.per_peer("q_buy").sum()),
    }


def compute_kpis(d: Dispatch, bills: dict[str, Bill], standalone: dict[str, Bill | None]) -> dict[str, Any]:
    """All KPIs of a cleared round; savings are standalone cost − community cost per peer."""
    community_cost = sum(b.cost for b in bills.values())
    have = {pid: s for pid, s in standalone.items() if s is not None}
    savings = np.array([have[pid].cost - bills[pid].cost for pid in have])
    standalone_cost = sum(s.cost for s in have.values()) if len(have) == len(bills) else None
    saving = None if standalone_cost is None else standalone_cost - community_cost
    out: dict[str, Any] = {
        "objective": d.objective,
        "total_bill": sum(b.total for b in bills.values()),
        "total_cost": community_cost,
        "standalone_cost": standalone_cost,
        "saving": saving,
        "saving_fraction": None if not standalone_cost or saving is None else saving / abs(standalone_cost),
        "jain_index_savings": jain_index(savings) if savings.size else None,
        "gini_savings": gini(savings) if savings.size else None,
    }
    out.update(energy_kpis(d))
    return out
