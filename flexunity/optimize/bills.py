"""Bills per peer for a priced dispatch, standalone bills, and individual-rationality side payments.

A bill is what the peer pays (positive) for the round, split into components (docs/result-format.md):
``trades`` (internal market), ``import`` and ``export`` (retail, to the peer's supplier; export is
negative), ``fees`` (φ·|q|, to the community manager), ``community_grid`` (the peer's share of G),
``side_payment`` (IR enforcement, zero-sum) and ``total``. ``flex_cost`` is the discomfort, cycling
and cost-function value: part of the peer's cost but not money paid to anyone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from flexunity.optimize.builder import community_prices, peer_matrix
from flexunity.optimize.lp import FloatArray
from flexunity.optimize.pricing import Prices, net_positions
from flexunity.optimize.solve import Dispatch

FLEX_BLOCKS = ("battery_discharge", "shift_shortfall", "curtail", "flex_segment")


@dataclass(frozen=True)
class Bill:
    """One peer's money for the round (currency; positive = the peer pays)."""

    trades: float
    import_: float
    export: float
    fees: float
    community_grid: float
    side_payment: float
    flex_cost: float

    @property
    def total(self) -> float:
        """Money the peer pays in all: every component but ``flex_cost``."""
        return self.trades + self.import_ + self.export + self.fees + self.community_grid + self.side_payment

    @property
    def cost(self) -> float:
        """The peer's full cost: money plus flexibility cost (the basis of individual rationality)."""
        return self.total + self.flex_cost

    def to_dict(self) -> dict[str, float]:
        """JSON-ready form with ``import`` (not ``import_``) and the derived totals."""
        out = asdict(self)
        out["import"] = out.pop("import_")
        out["total"] = self.total
        out["cost"] = self.cost
        return out


def retail(d: Dispatch) -> tuple[FloatArray, FloatArray]:
    """Per peer and interval: import cost (≥ 0) and export revenue as a negative cost."""
    sc = d.scenario
    imp = peer_matrix(sc, lambda p: sc.tariffs[p.tariff].import_price)
    exp = peer_matrix(sc, lambda p: sc.tariffs[p.tariff].export_price)
    return imp * d.alpha, exp * d.beta


def trades(d: Dispatch, prices: Prices) -> FloatArray:
    """Internal-market money per peer and interval; sums to zero over peers in every interval."""
    if not prices.all_in:
        return prices.buy[None, :] * d.q
    x = net_positions(d)
    all_in = prices.buy * np.maximum(x, 0) - prices.sell * np.maximum(-x, 0)
    imp, exp = retail(d)
    out = all_in - imp - exp
    weight = np.abs(x)
    share = weight / np.where(weight.sum(axis=0) > 0, weight.sum(axis=0), 1.0)
    return out - share * out.sum(axis=0)  # rounding residual, spread pro rata to |x|


def community_grid(d: Dispatch) -> FloatArray:
    """Each peer's share of G: community-level prices on its own α and β, capacity charge pro rata
    to its import in the first peak interval."""
    sc = d.scenario
    g_imp, g_exp = community_prices(sc)
    out = g_imp * d.alpha + g_exp * d.beta
    if "peak_kw" in d.lp.blocks:
        total = d.alpha.sum(axis=0)
        t_peak = int(np.argmax(total))
        if total[t_peak] > 0:
            charge = sc.grid.capacity_charge_per_kw * float(d.block("peak_kw")[0, 0])
            out[:, t_peak] += charge * d.alpha[:, t_peak] / total[t_peak]
    return out


def flex_cost(d: Dispatch) -> FloatArray:
    """Per-peer flexibility cost: the objective's asset terms plus the cost functions' constants."""
    sc, lp = d.scenario, d.lp
    out = np.zeros(len(sc.peers))
    cost, quad = lp.cost, lp.quad
    for name in FLEX_BLOCKS:
        if name in lp.blocks:
            blk = lp.blocks[name]
            x = d.x[blk.ids]
            value = (cost[blk.ids] + 0.5 * quad[blk.ids] * x) * x  # exact quadratic costs: a·s²/2 too
            per_owner = value.reshape(len(blk.owners), -1).sum(axis=1)
            np.add.at(out, blk.peer_index, per_owner)
    dh = sc.hours_per_interval
    for i, p in enumerate(sc.peers):
        cf = p.cost_function
        if cf is not None:
            pmin = np.broadcast_to(cf.p_min_kw, (sc.intervals,)) * dh
            out[i] += float(np.sum(np.asarray(cf.a) * pmin**2 / 2 + np.asarray(cf.b) * pmin))
    return out


def compute_bills(d: Dispatch, prices: Prices) -> dict[str, Bill]:
    """Every peer's bill for a priced dispatch (no side payments)."""
    return bills_from_trades(d, trades(d, prices))


def bills_from_trades(d: Dispatch, tr: FloatArray) -> dict[str, Bill]:
    """Every peer's bill when its internal trades cost ``tr[i, t]`` (currency; no side payments)."""
    imp, exp = retail(d)
    cg, fx = community_grid(d), flex_cost(d)
    fee = d.scenario.community.fee_per_kwh * (d.per_peer("q_buy") + d.per_peer("q_sell"))
    return {
        pid: Bill(
            float(tr[i].sum()),
            float(imp[i].sum()),
            float(exp[i].sum()),
            float(fee[i].sum()),
            float(cg[i].sum()),
            0.0,
            float(fx[i]),
        )
        for i, pid in enumerate(d.scenario.peer_ids)
    }


def standalone_bills_from(d: Dispatch) -> dict[str, Bill]:
    """Bills of a standalone dispatch (q = 0, no community terms): retail grid money and flex cost."""
    imp, exp = retail(d)
    fx = flex_cost(d)
    return {
        pid: Bill(0.0, float(imp[i].sum()), float(exp[i].sum()), 0.0, 0.0, 0.0, float(fx[i]))
        for i, pid in enumerate(d.scenario.peer_ids)
    }


def ir_violations(bills: dict[str, Bill], standalone: dict[str, Bill | None], tol: float = 1e-6) -> list[str]:
    """Peers whose community cost exceeds their standalone cost (individual rationality broken)."""
    return [
        pid for pid, b in bills.items() if (s := standalone.get(pid)) is not None and b.cost > s.cost + tol
    ]


def enforce_ir(bills: dict[str, Bill], standalone: dict[str, Bill | None]) -> dict[str, Bill]:
    """Side payments: each losing peer is paid its loss; gainers fund it pro rata to their gains.

    Zero-sum by construction. If the gains cannot cover the losses (possible with δ weights), the
    losses are covered in the same proportion as far as the gains go.
    """
    gain = {
        pid: (s.cost - b.cost) if (s := standalone.get(pid)) is not None else 0.0 for pid, b in bills.items()
    }
    losses = {pid: -g for pid, g in gain.items() if g < 0}
    gains = {pid: g for pid, g in gain.items() if g > 0}
    need, have = sum(losses.values()), sum(gains.values())
    if need <= 0 or have <= 0:
        return bills
    cover = min(need, have)
    side = {pid: -cover * loss / need for pid, loss in losses.items()}
    side.update({pid: cover * g / have for pid, g in gains.items()})
    return {pid: replace(b, side_payment=side.get(pid, 0.0)) for pid, b in bills.items()}


def money_balance(bills: dict[str, Bill], d: Dispatch) -> float:
    """Σ bills − (retail grid money + fees + G): zero when money inside the community sums to zero."""
    imp, exp = retail(d)
    fees = sum(b.fees for b in bills.values())
    return (
        sum(b.total for b in bills.values())
        - float(imp.sum() + exp.sum())
        - fees
        - float(community_grid(d).sum())
    )
