"""The audit of revenue distributions (step 7): honest, a tampered share, shares off the declared rule,
and a document altered after the deposit. Each case is a round of the small eth-tester community,
its flexibility delivered to a product sized for it and the revenue distributed by the oracle's own
``distribute_revenue``, with one of its functions swapped for a dishonest one."""

from __future__ import annotations

from typing import Any

import pytest
from audit_world import TINY_DOWN, World

import flexunity.oracle.revenue as oracle_revenue
from flexunity.audit import audit_rounds
from flexunity.audit.verdict import RoundVerdict
from flexunity.chain.settlement import RevenueLeaf

pytestmark = pytest.mark.chain


def distribute(world: World, **kwargs: Any) -> tuple[int, oracle_revenue.DistributionOutcome]:
    round_id, data = world.run_round()
    outcome = oracle_revenue.distribute_revenue(
        world.community.chain,
        world.community.store,
        round_id=round_id,
        result_hash=data["result_hash"],
        product=TINY_DOWN,
        seed=1,
        claimers=[w.account for w in world.community.wallets],
        **kwargs,
    )
    assert outcome.distribution_id is not None, outcome.reasons
    assert len(outcome.shares) >= 2, outcome.shares  # the tampering below moves money between two peers
    return round_id, outcome


def audit(world: World, round_id: int) -> RoundVerdict:
    (verdict,) = audit_rounds(world.manifest_path, world.store, [round_id], w3=world.w3)
    return verdict


def failing(verdict: RoundVerdict) -> dict[str, str]:
    return {c.name: c.detail for c in verdict.failures}


def test_an_honest_distribution_passes_every_revenue_check(world: World) -> None:
    round_id, outcome = distribute(world)
    verdict = audit(world, round_id)
    assert verdict.status == "PASS", failing(verdict)
    names = {c.name for c in verdict.checks}
    assert {"revenue.document", "revenue.rule", "revenue.root", "revenue.claims"} <= names
    claims = verdict.check("revenue.claims")
    assert (
        claims is not None
        and f"{len(outcome.shares)} of {len(outcome.shares)} shares claimed" in claims.detail
    )


def test_a_tampered_share_deposited_and_claimed_is_caught(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    honest = oracle_revenue.leaves_of

    def skimming(document: Any) -> list[RevenueLeaf]:
        """The tree (and the claims) move 1,000 base units from the first share to the second."""
        leaves = honest(document)
        first, second = leaves[0], leaves[1]
        moved = min(1000, first.amount)
        leaves[0] = RevenueLeaf(first.distribution_id, 0, first.account, first.amount - moved)
        leaves[1] = RevenueLeaf(second.distribution_id, 1, second.account, second.amount + moved)
        return leaves

    monkeypatch.setattr(oracle_revenue, "leaves_of", skimming)
    round_id, _ = distribute(world)
    reasons = failing(audit(world, round_id))
    assert "build root" in reasons["revenue.root"]
    assert "not the document's leaf" in reasons["revenue.claims"]
    assert "revenue.rule" not in reasons  # the document itself is honest


def test_shares_that_do_not_follow_the_declared_rule_are_caught(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    honest = oracle_revenue.shares_from

    def favouring(payouts: Any) -> dict[str, int]:
        """A consistent document, tree and deposit, but 1,000 base units moved to the last peer."""
        shares = honest(payouts)
        peers = sorted(shares)
        moved = min(1000, shares[peers[0]])
        shares[peers[0]] -= moved
        shares[peers[-1]] += moved
        return shares

    monkeypatch.setattr(oracle_revenue, "shares_from", favouring)
    round_id, _ = distribute(world, rule="equal")
    reasons = failing(audit(world, round_id))
    assert set(reasons) == {"revenue.rule"}, reasons
    assert "the rule gives" in reasons["revenue.rule"]


def test_a_document_altered_after_the_deposit_is_caught(world: World) -> None:
    round_id, outcome = distribute(world)
    path = world.community.store.path(str(outcome.document_hash))
    path.write_text(path.read_text().replace('"rule":"pro-rata"', '"rule":"equal"', 1))
    reasons = failing(audit(world, round_id))
    assert "was altered" in reasons["revenue.document"]
