"""Share a delivery's revenue among the peers that delivered, by any allocation rule, in base units.

Only peers credited with delivered energy take part, so no rule (not even ``equal``) pays a peer for
flexibility it did not deliver. Each peer's penalty is then subtracted. The coalition game for the
game-based rules (marginal, Shapley) is the balancing-revenue game: a set of peers earns the
utilisation price on its credited energy only if that reaches min(min_offer_kw, requested kW) ×
activation hours × (1 − tolerance), else nothing (additive when even all delivering peers together
fall below that).
"""

from __future__ import annotations

from typing import Any

from flexunity.allocation.game import AdditiveThresholdGame
from flexunity.allocation.rules import Allocation, RuleOptions, SharingInputs, allocate
from flexunity.markets.products import BalancingProduct
from flexunity.markets.settlement import DeliveryResult, to_base_units
from flexunity.units import decimals_of, money_to_base_units


def share_revenue(
    result: DeliveryResult,
    product: BalancingProduct,
    rule: str,
    *,
    hours: float,
    scale: int,
    metadata: dict[str, dict[str, Any]] | None = None,
    renewable_kwh: dict[str, float] | None = None,
    options: RuleOptions | None = None,
) -> dict[str, Any]:
    """Integer payouts (base units, ``scale`` per currency unit): rule share of revenue − own penalty."""
    revenue = revenue_base_units(result, scale)
    penalties = to_base_units(result.penalty_by_peer, scale)
    allocation: Allocation | None = None
    shares = {p: 0 for p in result.peers}
    inputs = sharing_inputs(result, product, hours=hours, metadata=metadata, renewable_kwh=renewable_kwh)
    if inputs is not None and revenue:
        allocation = allocate(rule, revenue, inputs, options or RuleOptions())
        shares.update(allocation.shares)
    payouts = {p: shares[p] - penalties.get(p, 0) for p in result.peers}
    return {
        "rule": rule,
        "scale": scale,
        "revenue_base_units": revenue,
        "penalty_base_units": sum(penalties.values()),
        "revenue_shares": shares,
        "penalties": penalties,
        "payouts": payouts,
        "allocation": allocation.to_dict() if allocation else None,
    }


def revenue_base_units(result: DeliveryResult, scale: int) -> int:
    """The activation's revenue (utilisation + availability) in integer base units, rounded half away."""
    return money_to_base_units(result.utilisation_revenue + result.availability_revenue, decimals_of(scale))


def sharing_inputs(
    result: DeliveryResult,
    product: BalancingProduct,
    *,
    hours: float,
    metadata: dict[str, dict[str, Any]] | None = None,
    renewable_kwh: dict[str, float] | None = None,
) -> SharingInputs | None:
    """What the rules share among: the delivering peers, their credited kWh and the revenue game.

    None when no peer delivered. The oracle publishes these inputs so that anyone can re-run the rule.
    """
    delivering = tuple(p for p in result.peers if result.credited_kwh[p] > 1e-9)
    if not delivering:
        return None
    credited = [result.credited_kwh[p] for p in delivering]
    threshold = _threshold(result, product, hours)
    if sum(credited) < threshold:
        threshold = 0.0  # the community as a whole fell short: the game degrades to additive
    game = AdditiveThresholdGame(delivering, credited, threshold, product.utilisation_price_per_kwh)
    return SharingInputs(
        peers=delivering,
        contributions=dict(zip(delivering, credited, strict=True)),
        renewable_kwh={p: (renewable_kwh or {}).get(p, 0.0) for p in delivering},
        metadata={p: (metadata or {}).get(p, {}) for p in delivering},
        game=game,
    )


def _threshold(result: DeliveryResult, product: BalancingProduct, hours: float) -> float:
    """Energy (kWh) a set of peers must deliver to earn on its own."""
    power = min(product.min_offer_kw, result.activation.kw)
    return power * result.activation.intervals * hours * (1.0 - product.delivery_tolerance)
