"""The pure steps of a round's revenue (step 7 in flexunity.oracle.revenue): offer, deliver, share.

Each step is a function from dataclasses to a dataclass, using flexunity.markets (offers, delivery,
revenue settlement) and flexunity.allocation (the sharing rules); none reads or writes the chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flexunity.allocation.rules import RuleOptions
from flexunity.markets.activation import Activation
from flexunity.markets.offers import Offer
from flexunity.markets.products import BalancingProduct
from flexunity.markets.settlement import DeliveryResult
from flexunity.markets.workflow import Cleared
from flexunity.model import Scenario
from flexunity.record.revenue import inputs_to_dict, options_to_dict


@dataclass(frozen=True)
class RevenuePlan:
    """How a round's revenue is earned and shared (the CLI's and the demo's choices)."""

    product: BalancingProduct | str | None = None  # a product or a preset name; None: try each preset
    products_file: str | Path | None = None
    rule: str = "pro-rata"
    options: RuleOptions = field(default_factory=lambda: RuleOptions(check_core=False))
    seed: int = 0
    activation_probability: float = 1.0
    activation_file: str | Path | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OfferStep:
    """Step 1: the product that accepted an offer (None: none did) and why the others did not."""

    product: BalancingProduct | None
    offer: Offer | None
    not_offered: dict[str, list[str]]
    reasons: list[str]


@dataclass(frozen=True)
class DeliveryStep:
    """Step 2: the activations and their delivery results."""

    activations: list[Activation]
    results: list[DeliveryResult]


@dataclass(frozen=True)
class SharingStep:
    """Step 3: per activation what was shared (the document's ``activations``), the payouts and the
    on-chain shares (positive payouts; they sum to the distribution's new revenue)."""

    items: list[dict[str, Any]]
    payouts: dict[str, int]
    shares: dict[str, int]
    revenue: int  # base units: the activations' revenue
    penalties: int  # base units

    @property
    def deposit(self) -> int:
        return sum(self.shares.values())


# --- the pure steps --------------------------------------------------------------------------------


def candidate_products(currency: str, plan: RevenuePlan) -> list[BalancingProduct]:
    """The plan's product, or the presets in the round's currency in file order (national first)."""
    from flexunity.markets.products import get_product, load_products

    if isinstance(plan.product, BalancingProduct):
        return [plan.product]
    if plan.product:
        return [get_product(str(plan.product), plan.products_file)]
    return [p for p in load_products(plan.products_file).values() if p.currency == currency]


def make_offer(cleared: Cleared, candidates: Sequence[BalancingProduct]) -> OfferStep:
    """Step 1: offer to the first candidate that accepts an offer."""
    from flexunity.markets import workflow

    not_offered: dict[str, list[str]] = {}
    reasons: list[str] = []
    for candidate in candidates:
        attempt = workflow.offer(cleared, candidate)
        if attempt.blocks:
            return OfferStep(candidate, attempt, not_offered, reasons)
        not_offered[candidate.name] = list(attempt.reasons)
        reasons.append(f"{candidate.name} makes no offer: {_why(attempt.reasons)}")
    if not candidates:
        reasons.append(f"no balancing product in {cleared.scenario.currency}")
    return OfferStep(None, None, not_offered, reasons)


def deliver(cleared: Cleared, offer: Offer, plan: RevenuePlan) -> DeliveryStep:
    """Step 2: the activations (the plan's file, or seeded simulated ones) and their delivery."""
    from flexunity.markets import workflow
    from flexunity.markets.delivery import deliver_all

    if plan.activation_file is not None:
        acts = workflow.activations(offer, path=plan.activation_file)
    else:
        acts = workflow.activations(offer, seed=plan.seed, probability=plan.activation_probability)
    if not acts:
        return DeliveryStep([], [])
    results, _redispatch = deliver_all(cleared.scenario, cleared.dispatch, offer, acts)
    return DeliveryStep(list(acts), list(results))


def share(
    scenario: Scenario, product: BalancingProduct, results: Sequence[DeliveryResult], plan: RevenuePlan,
    scale: int,
) -> SharingStep:  # fmt: skip
    """Step 3: each activation's revenue shared by the plan's rule; payouts and on-chain shares."""
    from flexunity.markets.revenue import revenue_base_units, share_revenue, sharing_inputs

    hours = scenario.hours_per_interval
    metadata = {p.id: dict(p.metadata) for p in scenario.peers}
    renewable = {p.id: float(sum(p.pv_kw) * hours) if p.pv_kw is not None else 0.0 for p in scenario.peers}
    items: list[dict[str, Any]] = []
    revenue = penalties = 0
    for result in results:
        shared = share_revenue(
            result, product, plan.rule, hours=hours, scale=scale, metadata=metadata,
            renewable_kwh=renewable, options=plan.options,
        )  # fmt: skip
        inputs = sharing_inputs(result, product, hours=hours, metadata=metadata, renewable_kwh=renewable)
        allocation = shared["allocation"]
        items.append(
            {
                "delivery": result.to_dict(),
                "revenue": revenue_base_units(result, scale),
                "rule": plan.rule,
                "total": allocation["total"] if allocation else 0,
                "inputs": inputs_to_dict(inputs) if inputs is not None and allocation else None,
                "options": options_to_dict(plan.options),
                "shares": dict(allocation["shares"]) if allocation else {},
                "penalties": {p: v for p, v in shared["penalties"].items() if v},
            }
        )
        revenue += int(items[-1]["total"])
        penalties += int(shared["penalty_base_units"])
    payouts = payouts_from(items, scenario.peer_ids)
    return SharingStep(items, payouts, shares_from(payouts), revenue, penalties)


def payouts_from(activations: Sequence[Mapping[str, Any]], peers: Sequence[str]) -> dict[str, int]:
    """Each peer's signed payout: its rule shares minus its penalties, over the activations."""
    out = dict.fromkeys(peers, 0)
    for item in activations:
        for p, amount in item.get("shares", {}).items():
            out[p] = out.get(p, 0) + int(amount)
        for p, amount in item.get("penalties", {}).items():
            out[p] = out.get(p, 0) - int(amount)
    return out


def shares_from(payouts: Mapping[str, int]) -> dict[str, int]:
    """On-chain shares: the positive payouts, in sorted order (a penalty larger than a share is not
    taken on chain). They sum to the distribution's new revenue; the contract adds the carry."""
    return {p: int(v) for p, v in sorted(payouts.items()) if int(v) > 0}


def _why(reasons: Sequence[str]) -> str:
    if not reasons:
        return "no block in its service windows"
    shown = "; ".join(reasons[:2])
    return shown + (f" (and {len(reasons) - 2} more)" if len(reasons) > 2 else "")
