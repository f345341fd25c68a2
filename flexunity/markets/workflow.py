"""The community manager's balancing workflow on one scenario: clear, compute flexibility, offer,
take activations, deliver, settle and share. Each step returns domain objects; ``*_report`` helpers
return JSON-able documents for the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from flexunity.allocation.rules import RuleOptions
from flexunity.markets.activation import Activation, load_activations, simulate_activations
from flexunity.markets.delivery import deliver_all, redispatch
from flexunity.markets.flexibility import Flexibility, compute_flexibility
from flexunity.markets.offers import Offer, OfferBlock, make_offer, span_label
from flexunity.markets.products import BalancingProduct
from flexunity.markets.revenue import share_revenue
from flexunity.model import Scenario
from flexunity.optimize.solve import Dispatch, solve_dispatch


@dataclass(frozen=True, eq=False)
class Cleared:
    """A scenario with its cleared (baseline) dispatch."""

    scenario: Scenario
    dispatch: Dispatch


def clear_baseline(scenario: Scenario) -> Cleared:
    """The community's least-cost schedule: the baseline of every activation."""
    return Cleared(scenario, solve_dispatch(scenario))


def flexibility(cleared: Cleared, product: BalancingProduct | None = None) -> Flexibility:
    """Headroom per peer and interval; batteries sustained over the product's duration if given."""
    sustain = product.duration_minutes / 60.0 if product else None
    return compute_flexibility(cleared.dispatch, sustain_hours=sustain)


def offer(cleared: Cleared, product: BalancingProduct, *, sites: str = "peer", firm: bool = True) -> Offer:
    """The community's offer to ``product`` within its service windows.

    ``firm``: check with the re-dispatch that all blocks can be delivered together at full capacity
    (a battery cannot give its headroom to every block), and cut capacities to what can (see
    :func:`firm_offer`).
    """
    sc = cleared.scenario
    window = product.in_window(sc.start, sc.timezone, sc.interval_minutes, sc.intervals)
    starts = product.block_start_mask(sc.start, sc.timezone, sc.interval_minutes, sc.intervals)
    clock = product.local_minutes(sc.start, sc.timezone, sc.interval_minutes, sc.intervals)
    draft = make_offer(
        product, flexibility(cleared, product), window, sites=sites, block_start=starts, clock=clock
    )
    return firm_offer(cleared, draft) if firm else draft


def firm_offer(cleared: Cleared, draft: Offer) -> Offer:
    """Cut each block to the capacity the community can deliver when every block is activated.

    Blocks are firmed in time order: one re-dispatch per block maximises the constant power the block
    can add while every earlier block is delivered at its firm capacity. A block keeps
    min(draft, firm) (peers scaled alike) and is withdrawn, with the reason, below the minimum offer.
    """
    sc, product = cleared.scenario, draft.product
    span = span_label(
        product.local_minutes(sc.start, sc.timezone, sc.interval_minutes, sc.intervals), sc.interval_minutes
    )
    blocks: list[OfferBlock] = []
    reasons = list(draft.reasons)
    for block in draft.blocks:
        promised = [Activation(b.start, b.intervals, b.capacity_kw, b.start - 10**6) for b in blocks]
        probe = (block.start, block.intervals, block.capacity_kw)
        firm = redispatch(sc, cleared.dispatch, promised, product.sign, probe=probe).probe_kw
        if firm >= product.min_offer_kw and firm > 1e-9:
            scale = firm / block.capacity_kw
            peers = {p: kw * scale for p, kw in block.peers_kw.items()}
            blocks.append(replace(block, capacity_kw=firm, peers_kw=peers))
        else:
            reasons.append(
                f"{span(block.start, block.start + block.intervals - 1)}: only {firm:.1f} of "
                f"{block.capacity_kw:.1f} kW deliverable on top of the earlier blocks, below the minimum "
                f"offer of {product.min_offer_kw:g} kW"
            )
    return replace(draft, blocks=tuple(blocks), reasons=tuple(reasons))


def activations(
    the_offer: Offer,
    *,
    path: str | Path | None = None,
    seed: int | None = None,
    probability: float = 0.5,
    failure_probability: float = 0.1,
) -> list[Activation]:
    """Activations from a file, or from the seeded simulated system operator."""
    if path is not None:
        return load_activations(path, the_offer)
    return simulate_activations(
        the_offer, seed or 0, probability=probability, failure_probability=failure_probability
    )


def deliver_report(
    cleared: Cleared,
    the_offer: Offer,
    acts: list[Activation],
    *,
    rule: str = "pro-rata",
    decimals: int = 2,
    options: RuleOptions | None = None,
) -> dict[str, Any]:
    """Deliver every activation, settle it and share its revenue by ``rule``; totals in base units."""
    sc = cleared.scenario
    scale = 10**decimals
    renewable = {
        p.id: float(np.sum(p.pv_kw) * sc.hours_per_interval) if p.pv_kw is not None else 0.0 for p in sc.peers
    }
    metadata = {p.id: dict(p.metadata) for p in sc.peers}
    items = []
    payouts = {p: 0 for p in sc.peer_ids}
    results, plan = deliver_all(sc, cleared.dispatch, the_offer, acts) if acts else ([], None)
    unavoidable = _unavoidable_by_activation(acts, plan.shortfall_kwh) if plan else []
    for result, short in zip(results, unavoidable, strict=True):
        shared = share_revenue(
            result,
            the_offer.product,
            rule,
            hours=sc.hours_per_interval,
            scale=scale,
            metadata=metadata,
            renewable_kwh=renewable,
            options=options,
        )
        for p, amount in shared["payouts"].items():
            payouts[p] += amount
        items.append(
            {
                "delivery": result.to_dict(),
                "sharing": shared,
                "unavoidable_shortfall_kwh": short,
            }
        )
    return {
        "scenario": sc.name,
        "product": the_offer.product.name,
        "currency": the_offer.product.currency,
        "decimals": decimals,
        "rule": rule,
        "offer": the_offer.to_dict(),
        "activations": items,
        "redispatch_cost": plan.extra_cost if plan else 0.0,
        "payouts": payouts,
        "total_payout": sum(payouts.values()),
    }


def _unavoidable_by_activation(acts: list[Activation], shortfall: np.ndarray) -> list[float]:
    """The joint re-dispatch's shortfall (kWh) per activation."""
    return [float(part.sum()) for part in _unavoidable_split(acts, shortfall)]


def _unavoidable_split(acts: list[Activation], shortfall: np.ndarray) -> list[np.ndarray]:
    """Split the joint re-dispatch's per-interval shortfall (activation order) back per activation."""
    bounds = np.cumsum([0] + [a.intervals for a in acts])
    return [shortfall[bounds[i] : bounds[i + 1]] for i in range(len(acts))]
