"""Step 7 of a round on chain: offer the community's flexibility, deliver, share the revenue, pay it out.

``distribute_revenue`` takes a settled round's result document (its scenario and the *posted*
dispatch, the baseline of every activation) and runs pure steps, each a function from dataclasses to
a dataclass, then the document, then the on-chain deposit:

1. :func:`make_offer`: the peers' flexibility around that schedule and an offer to a balancing
   product (flexunity.markets): the one given, or the first preset in the round's currency that
   accepts an offer, saying for the others why not (e.g. GB-DTU's 100 kW minimum site size);
2. :func:`deliver`: activations (a file, or the seeded simulated system operator) delivered with the
   least-cost re-dispatch (flexunity.markets.delivery);
3. :func:`share`: each activation's revenue shared by the declared rule (flexunity.allocation, via
   flexunity.markets.revenue) among the peers that delivered, in integer base units of the
   settlement token; a peer's payout is its shares minus its penalties, and its on-chain share is
   that payout if positive (a penalty larger than a share is not taken on chain);
4. :func:`distribution_document`: the ``flexunity-revenue-distribution/2`` document (rule, inputs,
   options, payouts, shares, addresses), stored addressed by its keccak256;
5. the deposit and the claims, exactly once (flexunity.oracle.distribution): the ``RevenueLeaf``
   tree's root and the shares' sum (the new revenue) go to ``createDistribution``.

The carry. Unclaimed rests swept after a claim deadline wait in the distributor's carry pool. The
next distribution takes all of it in, and the contract pays it out pro rata to that distribution's
shares: a claim of share s of new revenue R with carry C pays ⌊s·(R+C)/R⌋ (docs/contracts.md). So
the document shares only the new revenue; the carry is the chain's to pay, and the CM cannot route it.
With no positive payout no distribution is made and the carry waits.

The audit (flexunity/audit/revenue.py) re-derives every share and payout with its own code.
Format and flow: docs/markets.md, "On chain".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from flexunity.markets.workflow import Cleared
from flexunity.model import Scenario
from flexunity.oracle.revenue_steps import (
    OfferStep,
    RevenuePlan,
    SharingStep,
    candidate_products,
    deliver,
    make_offer,
    payouts_from,
    share,
    shares_from,
)
from flexunity.record.revenue import FORMAT, leaves_of, options_to_dict

__all__ = [
    "DistributionOutcome",
    "RevenuePlan",
    "distribute_revenue",
    "leaves_of",
    "payouts_from",
    "shares_from",
]

STEP_DEPOSIT = "revenue: offer, deliver, share, deposit"
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
    total: int = 0  # base units of new revenue deposited = Σ shares = Σ positive payouts
    carried_in: int = 0  # base units of carry the contract took in, paid pro rata to the shares
    rule: str = "pro-rata"
    decimals: int = 6
    distribution_id: int | None = None
    document_hash: str | None = None
    merkle_root: str | None = None
    shares: dict[str, int] = field(default_factory=dict)
    claims: int = 0
    claimed: int = 0  # base units paid to the claims sent (shares plus their part of the carry)
    reasons: list[str] = field(default_factory=list)
    gas: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DocumentContext:
    """Where the document belongs: chain, contracts, the id the tree is built for, round and result."""

    chain_id: int
    distributor: str
    token: str
    token_decimals: int
    distribution_id: int
    round_id: int
    result_hash: str


def distribution_document(
    context: DocumentContext, scenario: Scenario, offered: OfferStep, sharing: SharingStep,
    plan: RevenuePlan,
) -> dict[str, Any]:  # fmt: skip
    """Step 4: the ``flexunity-revenue-distribution/2`` document (docs/markets.md), without its root."""
    assert offered.product is not None and offered.offer is not None
    return {
        "format": FORMAT,
        "chain_id": context.chain_id,
        "contracts": {"RevenueDistributor": context.distributor, "SettlementToken": context.token},
        "distribution_id": context.distribution_id,
        "round": context.round_id,
        "result_hash": context.result_hash,
        "currency": scenario.currency,
        "token_decimals": context.token_decimals,
        "product": offered.product.to_dict(),
        "not_offered": offered.not_offered,
        "offer": offered.offer.to_dict(),
        "rule": plan.rule,
        "options": options_to_dict(plan.options),
        "activations": sharing.items,
        "payouts": sharing.payouts,
        "unrecovered_penalties": {p: -v for p, v in sorted(sharing.payouts.items()) if v < 0},
        "total": sharing.deposit,
        "shares": sharing.shares,
        "labels": {p: plan.labels.get(p, _label(scenario, p)) for p in sharing.shares},
    }


# --- the step on chain -----------------------------------------------------------------------------


def distribute_revenue(
    chain: Any,  # flexunity.oracle.chainio.OracleChain
    store: Any,  # flexunity.record.store.FolderStore
    *,
    round_id: int,
    result_hash: str,
    plan: RevenuePlan | None = None,
    claimers: Sequence[Any] = (),  # LocalAccounts: the peers' keys; each with a share claims it
    claim_window_s: int = DEFAULT_CLAIM_WINDOW_S,
    db: Any = None,  # flexunity.oracle.state.StateDB: the persisted step (None: not persisted)
    report: Reporter = lambda _: None,
) -> DistributionOutcome:
    """Offer, deliver, share and pay out the revenue of round ``round_id`` (see the module docstring),
    exactly once per round: a persisted, resumable step that asks the chain for the round's
    distribution (``distributionOfRound``) before creating one (flexunity.oracle.distribution).
    Returns what was done, with the reason when nothing was paid (no product accepts an offer, no
    activation, nothing delivered)."""
    from flexunity.oracle.distribution import run_distribution

    the_plan = plan or RevenuePlan()

    def planner() -> DistributionOutcome:
        return plan_distribution(chain, store, round_id, result_hash, the_plan, report)

    return run_distribution(
        chain, store, round_id, planner, db=db, claimers=claimers, claim_window_s=claim_window_s,
        report=report,
    )  # fmt: skip


def plan_distribution(
    chain: Any, store: Any, round_id: int, result_hash: str, plan: RevenuePlan, report: Reporter
) -> DistributionOutcome:
    """Steps 1-4 for the next distribution id; nothing is sent. ``document_hash`` is None when nothing
    is to be paid (``reasons`` says why)."""
    from flexunity.chain.settlement import revenue_tree
    from flexunity.data.scenario_io import scenario_from_dict
    from flexunity.optimize.clearing import as_dispatch

    document = store.get_json(result_hash)
    decimals = chain.token_decimals()
    scenario = scenario_from_dict(document["scenario"], source=f"round {round_id} result document")
    cleared = Cleared(scenario, as_dispatch(scenario, document["clearing"]["variables"]))
    outcome = DistributionOutcome(round_id, rule=plan.rule, decimals=decimals, currency=scenario.currency)

    offered = make_offer(cleared, candidate_products(scenario.currency, plan))
    outcome.reasons += offered.reasons
    if offered.product is None or offered.offer is None:
        return outcome
    outcome.product = offered.product.name
    outcome.offered_kw = max(b.capacity_kw for b in offered.offer.blocks)
    report(f"round {round_id}: offer to {offered.product.name}, {len(offered.offer.blocks)} block(s)")

    delivered = deliver(cleared, offered.offer, plan)
    outcome.activations = len(delivered.activations)
    if not delivered.activations:
        outcome.reasons.append(f"{offered.product.name}: the system operator activated no offered block")
        return outcome
    outcome.requested_kwh = sum(r.requested_kwh for r in delivered.results)
    outcome.delivered_kwh = sum(r.delivered_kwh for r in delivered.results)

    sharing = share(scenario, offered.product, delivered.results, plan, 10**decimals)
    outcome.revenue, outcome.penalties = sharing.revenue, sharing.penalties
    if not sharing.shares:
        outcome.reasons.append(
            f"{offered.product.name}: nothing to pay (revenue {outcome.revenue}, penalties)"
        )
        return outcome  # the carry, if any, waits for a distribution with payouts
    outcome.shares, outcome.total = sharing.shares, sharing.deposit

    revenue = chain.clients.revenue
    context = DocumentContext(
        chain.chain_id, revenue.address, chain.clients.token.address, decimals,
        int(revenue.contract.functions.distributionCount().call()) + 1, round_id, result_hash,
    )  # fmt: skip
    document_out = distribution_document(context, scenario, offered, sharing, plan)
    outcome.merkle_root = "0x" + revenue_tree(leaves_of(document_out)).root.hex()
    document_out["merkle_root"] = outcome.merkle_root
    outcome.document_hash = store.put_json(document_out)
    outcome.distribution_id = context.distribution_id
    return outcome


def _label(scenario: Scenario, peer_id: str) -> str:
    try:
        return str(scenario.peer(peer_id).metadata.get("label", peer_id))
    except (KeyError, StopIteration, AttributeError):
        return peer_id
