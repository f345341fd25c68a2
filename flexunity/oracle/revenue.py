"""Step 7 of a round on chain: offer the community's flexibility, deliver, share the revenue, pay it out.

``distribute_revenue`` takes a settled round's result document (its scenario and the *posted*
dispatch, the baseline of every activation) and:

1. computes the peers' flexibility around that schedule and makes an offer to a balancing product
   (flexunity.markets): the one given, or the first preset in the round's currency that accepts an
   offer, saying for the others why not (e.g. GB-DTU's 100 kW minimum site size for Corby);
2. takes activations (a file, or the seeded simulated system operator) and delivers them with the
   least-cost re-dispatch; settles revenue and penalties per peer;
3. shares each activation's revenue by the declared rule (flexunity.allocation) among the peers that
   delivered, in integer base units of the settlement token; a peer's payout is its shares minus its
   penalties, and its on-chain share is that payout if positive, plus its part of the carry (below);
4. writes the distribution document (``flexunity-revenue-distribution/1``: rule, inputs, options,
   totals, ``carried_in``, shares, addresses) to the store, addressed by its keccak256;
5. builds the ``RevenueLeaf`` Merkle tree, funds the CM on a devnet (test-token mint), approves what
   the contract will pull and calls ``RevenueDistributor.createDistribution(root, total, deadline,
   documentHash)``;
6. lets each peer whose key is given claim its share with its own transaction.

The carry. Unclaimed rests swept after a claim deadline stay in the distributor's carry pool
(``carry()``); ``createDistribution`` takes min(carry, total) from it and pulls only the rest from
the CM. So the oracle reads ``carry()`` and adds it all to the distribution: ``carried_in`` = the
carry, total = Σ positive payouts + ``carried_in`` (so the contract takes exactly ``carried_in``),
and ``carried_in`` is shared pro rata to the positive payouts in exact integers by largest remainder
(``flexunity.chain.units.largest_remainder``; ties: the lower address first), see
:func:`shares_from`. With no positive payout no distribution is made and the carry waits.

The audit (flexunity/audit/revenue.py) re-derives every share from the document and the chain.
Format and flow: docs/markets.md, "On chain".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from flexunity.allocation.rules import RuleOptions
from flexunity.chain.accounts import LocalAccount
from flexunity.chain.settlement import revenue_tree
from flexunity.chain.units import largest_remainder
from flexunity.oracle.chainio import OracleChain
from flexunity.oracle.state import StateDB
from flexunity.record.revenue import FORMAT, inputs_to_dict, leaves_of, options_to_dict
from flexunity.record.store import FolderStore

STEP_DEPOSIT = "revenue: offer, deliver, share, deposit"  # also in flexunity.oracle.distribution
STEP_CLAIMS = "revenue: claims"
DEFAULT_CLAIM_WINDOW_S = 30 * 86_400
Reporter = Callable[[str], None]


@dataclass
class DistributionOutcome:
    """What step 7 did for one round (every figure the demo prints)."""

    round_id: int
    product: str | None = None
    currency: str = ""
    offered_kw: float = 0.0
    activations: int = 0
    requested_kwh: float = 0.0
    delivered_kwh: float = 0.0
    revenue: int = 0  # base units: the activations' revenue, shared by the rule
    penalties: int = 0  # base units
    total: int = 0  # base units distributed = Σ shares = Σ positive payouts + carried_in
    carried_in: int = 0  # base units taken from the distributor's carry (the CM pays total − this)
    rule: str = "pro-rata"
    decimals: int = 6
    distribution_id: int | None = None
    document_hash: str | None = None
    merkle_root: str | None = None
    shares: dict[str, int] = field(default_factory=dict)
    claims: int = 0
    claimed: int = 0  # base units claimed
    reasons: list[str] = field(default_factory=list)
    gas: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def payouts_from(activations: Sequence[Mapping[str, Any]], peers: Sequence[str]) -> dict[str, int]:
    """Each peer's signed payout: its rule shares minus its penalties, over the activations."""
    out = {p: 0 for p in peers}
    for item in activations:
        for p, amount in item.get("shares", {}).items():
            out[p] = out.get(p, 0) + int(amount)
        for p, amount in item.get("penalties", {}).items():
            out[p] = out.get(p, 0) - int(amount)
    return out


def shares_from(payouts: Mapping[str, int], carried_in: int = 0) -> dict[str, int]:
    """On-chain shares: positive payouts only (a penalty larger than a share is not taken on chain),
    plus ``carried_in`` shared pro rata to them by largest remainder (exact integers, ties: the peer
    first in sorted order); the shares sum to Σ positive payouts + ``carried_in``."""
    positive = {p: int(v) for p, v in sorted(payouts.items()) if int(v) > 0}
    if carried_in < 0:
        raise ValueError(f"a negative carried amount {carried_in}")
    if carried_in == 0:
        return positive
    if not positive:
        raise ValueError(f"no positive payout to carry {carried_in} base units into")
    base = sum(positive.values())
    extra = largest_remainder([Fraction(carried_in * v, base) for v in positive.values()], carried_in)
    return {p: v + e for (p, v), e in zip(positive.items(), extra, strict=True)}


# --- the step ------------------------------------------------------------------------------------


def candidate_products(currency: str, products_file: str | Path | None = None) -> list[Any]:
    """Presets in the round's currency, in file order (national products first, SIM-LOCAL last)."""
    from flexunity.markets.products import load_products

    return [p for p in load_products(products_file).values() if p.currency == currency]


def distribute_revenue(
    chain: OracleChain,
    store: FolderStore,
    *,
    round_id: int,
    result_hash: str,
    claimers: Sequence[LocalAccount] = (),
    claim_window_s: int = DEFAULT_CLAIM_WINDOW_S,
    db: StateDB | None = None,
    report: Reporter = lambda _: None,
    **plan: Any,
) -> DistributionOutcome:
    """Offer, deliver, share and pay out the revenue of round ``round_id`` (see the module docstring),
    exactly once per round: a persisted, resumable step (``db``: the oracle's state file) that looks on
    chain for the round's distribution before creating one (flexunity.oracle.distribution).

    ``plan``: ``product`` (a BalancingProduct or a preset name; None tries every preset in the round's
    currency), ``products_file``, ``rule``, ``options``, ``seed``, ``activation_probability``,
    ``activation_file``, ``labels``. ``claimers``: the peers' keys; each with a share claims it.
    Returns what was done, with the reason when nothing was paid (no product accepts an offer, no
    activation, nothing delivered).
    """
    from flexunity.oracle.distribution import run_distribution

    def planner() -> DistributionOutcome:
        return plan_distribution(
            chain, store, round_id=round_id, result_hash=result_hash, report=report, **plan
        )

    return run_distribution(
        chain,
        store,
        round_id,
        planner,
        db=db,
        claimers=claimers,
        claim_window_s=claim_window_s,
        report=report,
    )


def plan_distribution(
    chain: OracleChain,
    store: FolderStore,
    *,
    round_id: int,
    result_hash: str,
    product: Any = None,
    products_file: str | Path | None = None,
    rule: str = "pro-rata",
    options: RuleOptions | None = None,
    seed: int = 0,
    activation_probability: float = 1.0,
    activation_file: str | Path | None = None,
    labels: Mapping[str, str] | None = None,
    report: Reporter = lambda _: None,
) -> DistributionOutcome:
    """Steps 1-4: the offer, activations, delivery, shares and the stored distribution document, built
    for the next distribution id and the carry now; nothing is sent. ``document_hash`` is None when
    nothing is to be paid (``reasons`` says why)."""
    from flexunity.data.scenario_io import scenario_from_dict
    from flexunity.markets import workflow
    from flexunity.markets.delivery import deliver_all
    from flexunity.markets.products import BalancingProduct, get_product
    from flexunity.markets.revenue import revenue_base_units, share_revenue, sharing_inputs
    from flexunity.optimize.clearing import as_dispatch

    started = time.perf_counter()
    options = options or RuleOptions(check_core=False)
    document = store.get_json(result_hash)
    decimals = chain.token_decimals()
    scale = 10**decimals
    scenario = scenario_from_dict(document["scenario"], source=f"round {round_id} result document")
    cleared = workflow.Cleared(scenario, as_dispatch(scenario, document["clearing"]["variables"]))
    outcome = DistributionOutcome(round_id, rule=rule, decimals=decimals, currency=scenario.currency)

    # 1. the product and the offer
    if isinstance(product, BalancingProduct):
        candidates = [product]
    elif product:
        candidates = [get_product(str(product), products_file)]
    else:
        candidates = candidate_products(scenario.currency, products_file)
    chosen = the_offer = None
    not_offered: dict[str, list[str]] = {}
    for candidate in candidates:
        attempt = workflow.offer(cleared, candidate)
        if attempt.blocks:
            chosen, the_offer = candidate, attempt
            break
        not_offered[candidate.name] = list(attempt.reasons)
        outcome.reasons.append(f"{candidate.name} makes no offer: {_why(attempt.reasons)}")
    if chosen is None or the_offer is None:
        if not candidates:
            outcome.reasons.append(f"no balancing product in {scenario.currency}")
        return _done(outcome, started)
    outcome.product = chosen.name
    outcome.offered_kw = max(b.capacity_kw for b in the_offer.blocks)
    report(f"round {round_id}: offer to {chosen.name}, {len(the_offer.blocks)} block(s)")

    # 2. activation and delivery
    if activation_file is not None:
        acts = workflow.activations(the_offer, path=activation_file)
    else:
        acts = workflow.activations(the_offer, seed=seed, probability=activation_probability)
    outcome.activations = len(acts)
    if not acts:
        outcome.reasons.append(f"{chosen.name}: the system operator activated no offered block")
        return _done(outcome, started)
    results, _plan = deliver_all(scenario, cleared.dispatch, the_offer, acts)
    hours = scenario.hours_per_interval
    metadata = {p.id: dict(p.metadata) for p in scenario.peers}
    renewable = {p.id: float(sum(p.pv_kw) * hours) if p.pv_kw is not None else 0.0 for p in scenario.peers}

    # 3. shares by the declared rule
    items: list[dict[str, Any]] = []
    for result in results:
        shared = share_revenue(
            result, chosen, rule, hours=hours, scale=scale, metadata=metadata,
            renewable_kwh=renewable, options=options,
        )  # fmt: skip
        inputs = sharing_inputs(result, chosen, hours=hours, metadata=metadata, renewable_kwh=renewable)
        allocation = shared["allocation"]
        items.append(
            {
                "delivery": result.to_dict(),
                "revenue": revenue_base_units(result, scale),
                "rule": rule,
                "total": allocation["total"] if allocation else 0,
                "inputs": inputs_to_dict(inputs) if inputs is not None and allocation else None,
                "options": options_to_dict(options),
                "shares": dict(allocation["shares"]) if allocation else {},
                "penalties": {p: v for p, v in shared["penalties"].items() if v},
            }
        )
        outcome.requested_kwh += result.requested_kwh
        outcome.delivered_kwh += result.delivered_kwh
        outcome.revenue += int(items[-1]["total"])
        outcome.penalties += int(shared["penalty_base_units"])
    payouts = payouts_from(items, scenario.peer_ids)
    if not shares_from(payouts):
        outcome.reasons.append(f"{chosen.name}: nothing to pay (revenue {outcome.revenue}, penalties)")
        return _done(outcome, started)  # the carry, if any, waits for a distribution with payouts
    revenue = chain.clients.revenue
    outcome.carried_in = revenue.carry()  # all of it: total >= carry, so the contract takes it all
    shares = shares_from(payouts, outcome.carried_in)
    outcome.shares, outcome.total = shares, sum(shares.values())

    # 4. the document, 5. the tree and the deposit, 6. claims: exactly once (flexunity.oracle.distribution)
    distribution_id = int(revenue.contract.functions.distributionCount().call()) + 1
    document_out: dict[str, Any] = {
        "format": FORMAT,
        "chain_id": chain.chain_id,
        "contracts": {
            "RevenueDistributor": revenue.address,
            "SettlementToken": chain.clients.token.address,
        },
        "distribution_id": distribution_id,
        "round": round_id,
        "result_hash": result_hash,
        "currency": scenario.currency,
        "token_decimals": decimals,
        "product": chosen.to_dict(),
        "not_offered": not_offered,
        "offer": the_offer.to_dict(),
        "rule": rule,
        "options": options_to_dict(options),
        "activations": items,
        "payouts": payouts,
        "unrecovered_penalties": {p: -v for p, v in sorted(payouts.items()) if v < 0},
        "carried_in": outcome.carried_in,
        "total": outcome.total,
        "shares": shares,
        "labels": {p: (labels or {}).get(p, _label(scenario, p)) for p in shares},
    }
    outcome.merkle_root = "0x" + revenue_tree(leaves_of(document_out)).root.hex()
    document_out["merkle_root"] = outcome.merkle_root
    outcome.document_hash = store.put_json(document_out)
    outcome.distribution_id = distribution_id
    return outcome


def _done(outcome: DistributionOutcome, started: float) -> DistributionOutcome:
    outcome.seconds["deposit"] = time.perf_counter() - started
    return outcome


def _why(reasons: Sequence[str]) -> str:
    if not reasons:
        return "no block in its service windows"
    shown = "; ".join(reasons[:2])
    return shown + (f" (and {len(reasons) - 2} more)" if len(reasons) > 2 else "")


def _label(scenario: Any, peer_id: str) -> str:
    try:
        return str(scenario.peer(peer_id).metadata.get("label", peer_id))
    except (KeyError, StopIteration, AttributeError):
        return peer_id
