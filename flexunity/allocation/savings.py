"""The savings game of P2P trading: v(S) = Σ_{i∈S} standalone bill_i − optimal bill of S as one community.

For **inflexible** peers (fixed load and PV, no storage or flexible loads, δ = 1, no community-level
grid term) the coalition's optimum has a closed form per interval, so v(S) needs no LP:
each interval the members' surplus s_i = max(0, p_i) meets the members' deficit d_i = max(0, −p_i)
through the pool. Buying one kWh in the pool instead of importing saves the buyer its import price
λ^imp_j, selling it instead of exporting costs the seller its export price λ^exp_i, and the fee φ is
paid by both sides (on |q|). The optimal pool matches the highest import prices with the lowest export
prices while the gain is positive. As in the LP (α ≥ 0 and β ≤ 0 are not bounded by a peer's own
load or PV), a member with a cheaper tariff may also import for, or export on behalf of, another
member through the pool: every member adds an unlimited pool buyer at its export price and an
unlimited pool seller at its import price. With D(x) the buyers' price of the x-th kWh (descending)
and S(x) the sellers' price of the x-th kWh (ascending),

    v_t(S) = ∫_0^∞ max(0, D(x) − S(x) − 2φ) dx,          v(S) = Σ_t v_t(S).

With one tariff this is v_t(S) = max(0, λ^imp − λ^exp − 2φ) · min(Σ_S s_i, Σ_S d_i). The integral is
evaluated on price *levels* (one per distinct tariff price), vectorised over all 2^n coalitions
(by subset sums) or over all prefixes of many permutations (by cumulative sums).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from flexunity.allocation.game import FloatArray, Game, IntArray, check_exact_size, subset_sums
from flexunity.errors import InputError


class InflexibleSavingsGame(Game):
    """Closed-form savings game of inflexible peers.

    Arrays are peer x interval, energies in kWh per interval (conventions.md), prices in currency/kWh:
    ``p_kwh`` net production (positive = surplus), ``import_price``, ``export_price``; ``fee_per_kwh``
    is φ, paid by buyer and seller on every kWh traded in the pool. ``additive`` (per peer, currency)
    is added to every coalition containing the peer: the community-level grid prices, which a
    coalition pays and a standalone peer does not, enter this way.
    """

    cheap_table = True

    def __init__(
        self,
        players: Sequence[str],
        p_kwh: FloatArray,
        import_price: FloatArray,
        export_price: FloatArray,
        fee_per_kwh: float = 0.0,
        additive: FloatArray | None = None,
    ) -> None:
        super().__init__(players)
        shape = (len(players), p_kwh.shape[1] if p_kwh.ndim == 2 else -1)
        for name, array in (("p_kwh", p_kwh), ("import_price", import_price), ("export_price", export_price)):
            if array.shape != shape:
                raise InputError(f"{name} must have shape {shape} (peers x intervals), got {array.shape}")
        if np.any(export_price.max(axis=0) > import_price.min(axis=0) + 2 * fee_per_kwh):
            raise InputError(
                "a peer's export price exceeds another's import price plus fees: unbounded arbitrage"
            )
        self.surplus = np.maximum(p_kwh, 0.0)
        self.deficit = np.maximum(-p_kwh, 0.0)
        self.import_price = np.asarray(import_price, dtype=np.float64)
        self.export_price = np.asarray(export_price, dtype=np.float64)
        self.fee = float(fee_per_kwh)
        self.additive = np.zeros(len(players)) if additive is None else np.asarray(additive, dtype=np.float64)

    @property
    def intervals(self) -> int:
        """Number of intervals T."""
        return int(self.surplus.shape[1])

    def standalone_bills(self) -> FloatArray:
        """Each peer's bill alone: Σ_t λ^imp d − λ^exp s (currency)."""
        return (self.import_price * self.deficit - self.export_price * self.surplus).sum(axis=1)

    def _compute(self, mask: int) -> float:
        members = np.array([i for i in range(self.n) if mask >> i & 1], dtype=np.int64)
        return float(
            self._values(lambda x: x[members].sum(axis=0, keepdims=True))[0] + self.additive[members].sum()
        )

    def table(self) -> FloatArray:
        check_exact_size(self.n)
        self.evaluations += 1 << self.n
        return self._values(subset_sums) + subset_sums(self.additive)

    def prefix_values(self, perms: IntArray) -> FloatArray:
        self.evaluations += perms.size

        def prefix(x: FloatArray) -> FloatArray:
            sums = np.cumsum(x[perms], axis=1)  # P x n x levels
            return np.concatenate([np.zeros((perms.shape[0], 1, x.shape[1])), sums], axis=1).reshape(
                -1, x.shape[1]
            )

        extra = np.concatenate(
            [np.zeros((perms.shape[0], 1)), np.cumsum(self.additive[perms], axis=1)], axis=1
        )
        return self._values(prefix).reshape(perms.shape[0], self.n + 1) + extra

    def matched_kwh(self) -> FloatArray:
        """Energy each peer trades in the grand coalition's pool (kWh), for one tariff per interval.

        Per interval, the traded volume min(Σ s, Σ d) when the spread is positive, split among sellers
        pro rata to surplus and among buyers pro rata to deficit: the "contribution" of pro-rata sharing.
        """
        out = np.zeros(self.n)
        for t in range(self.intervals):
            supply, demand = self.surplus[:, t], self.deficit[:, t]
            spread = self.import_price[:, t].max() - self.export_price[:, t].min() - 2 * self.fee
            volume = min(supply.sum(), demand.sum()) if spread > 0 else 0.0
            if volume > 0:
                out += volume * (supply / supply.sum() + demand / demand.sum())
        return out

    def _values(self, aggregate) -> FloatArray:  # type: ignore[no-untyped-def]
        """Σ_t v_t over the rows produced by ``aggregate`` (subset sums, prefixes or one coalition).

        ``aggregate`` maps a peer x level matrix to a rows x level matrix of member totals.
        """
        total: FloatArray | None = None
        unlimited = float(self.surplus.sum() + self.deficit.sum() + 1.0)
        for t in range(self.intervals):
            imp, exp = self.import_price[:, t], self.export_price[:, t]
            if np.all(imp == imp[0]) and np.all(exp == exp[0]):
                demand = aggregate(self.deficit[:, t : t + 1])
                supply = aggregate(self.surplus[:, t : t + 1])
                gain = pool_gain(demand, imp[:1], supply, exp[:1], self.fee)
            else:
                levels = np.unique(np.concatenate([imp, exp]))  # ascending
                at_imp = np.searchsorted(levels, imp)
                at_exp = np.searchsorted(levels, exp)
                # buyers: deficits at their import price, plus any member able to buy and export
                buy = _one_hot(self.deficit[:, t], at_imp, len(levels))
                buy += _one_hot(np.full(self.n, unlimited), at_exp, len(levels))
                # sellers: surpluses at their export price, plus any member able to import and sell
                sell = _one_hot(self.surplus[:, t], at_exp, len(levels))
                sell += _one_hot(np.full(self.n, unlimited), at_imp, len(levels))
                gain = pool_gain(aggregate(buy[:, ::-1]), levels[::-1], aggregate(sell), levels, self.fee)
            total = gain if total is None else total + gain
        assert total is not None
        return total


def _one_hot(amounts: FloatArray, level: IntArray, levels: int) -> FloatArray:
    out = np.zeros((amounts.shape[0], levels))
    out[np.arange(amounts.shape[0]), level] = amounts
    return out


def pool_gain(
    demand: FloatArray, demand_price: FloatArray, supply: FloatArray, supply_price: FloatArray, fee: float
) -> FloatArray:
    """∫ max(0, D(x) − S(x) − 2φ) dx for each row.

    ``demand`` is rows x K kWh at price levels ``demand_price`` (descending), ``supply`` rows x L kWh
    at levels ``supply_price`` (ascending). The integral is a sum over level pairs (a, b) with a
    positive margin of the margin times the overlap of a's and b's stretches of the x axis.
    """
    if demand.shape[1] == 1 and supply.shape[1] == 1:
        spread = max(0.0, float(demand_price[0] - supply_price[0] - 2 * fee))
        return spread * np.minimum(demand[:, 0], supply[:, 0])
    cum_d = np.cumsum(demand, axis=1)
    cum_s = np.cumsum(supply, axis=1)
    out = np.zeros(demand.shape[0])
    for a, price_a in enumerate(demand_price):
        low_d = cum_d[:, a - 1] if a else 0.0
        for b, price_b in enumerate(supply_price):
            margin = float(price_a - price_b - 2 * fee)
            if margin <= 0:
                break  # supply levels ascend: no later b has a positive margin
            low_s = cum_s[:, b - 1] if b else 0.0
            overlap = np.minimum(cum_d[:, a], cum_s[:, b]) - np.maximum(low_d, low_s)
            out += margin * np.maximum(overlap, 0.0)
    return out
