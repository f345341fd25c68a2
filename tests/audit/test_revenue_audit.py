"""The audit of revenue distributions (step 7): honest, a tampered share, shares off the declared rule,
an unclaimed rest carried into the next distribution (honestly, and with a ``carried_in`` short of
what the contract took from its carry), and a document altered after the deposit. Each case is a
round of the small eth-tester community, its flexibility delivered to a product sized for it and the
revenue distributed by the oracle's own ``distribute_revenue``, with one of its functions swapped for
a dishonest one."""

from __future__ import annotations

from typing import Any

import pytest
from audit_world import TINY_DOWN, World

import flexunity.oracle.revenue as oracle_revenue
from flexunity.audit import audit_rounds
from flexunity.audit.verdict import RoundVerdict
from flexunity.chain.node import advance_time
from flexunity.chain.settlement import RevenueLeaf
from flexunity.errors import ChainError

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
    assert {"revenue.document", "revenue.rule", "revenue.root", "revenue.claims", "revenue.carry"} <= names
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

    def favouring(payouts: Any, carried_in: int = 0) -> dict[str, int]:
        """A consistent document, tree and deposit, but 1,000 base units moved to the last peer."""
        shares = honest(payouts, carried_in)
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


def sweep_a_rest(world: World) -> int:
    """A distribution nobody claims, swept after its deadline: the distributor's carry afterwards."""
    round_id, data = world.run_round()
    chain = world.community.chain
    left = oracle_revenue.distribute_revenue(
        chain, world.community.store, round_id=round_id, result_hash=data["result_hash"],
        product=TINY_DOWN, seed=1, claim_window_s=3600,
    )  # fmt: skip
    assert left.distribution_id is not None, left.reasons
    advance_time(world.w3, 3601)
    sweep = chain.clients.revenue.contract.functions.sweep(left.distribution_id)
    chain.sender.transact(sweep, "sweep the unclaimed rest")
    carry = chain.clients.revenue.carry()
    assert carry >= left.total > 0
    return carry


def test_a_carried_rest_is_re_derived_pro_rata_and_the_carry_balances(world: World) -> None:
    carry = sweep_a_rest(world)
    round_id, outcome = distribute(world)
    assert outcome.carried_in == carry
    verdict = audit(world, round_id)
    assert verdict.status == "PASS", failing(verdict)
    rule = verdict.check("revenue.rule")
    assert rule is not None and f"{carry} carried in pro rata" in rule.detail
    details = [c.detail for c in verdict.checks if c.name == "revenue.carry"]
    assert any(f"{carry} of the total {outcome.total} carried in" in d for d in details), details
    assert any(d.startswith("carry 0 = ") for d in details), details  # Σ swept − Σ carried in = carry()


def test_a_carried_in_short_of_what_the_contract_took_is_caught(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    carry = sweep_a_rest(world)
    client = world.community.chain.clients.revenue
    kept = min(1000, carry)
    # the document shares 1,000 units less of the carry (and the CM pays 1,000 less): the contract
    # still takes the whole carry, so those units would end with the CM
    monkeypatch.setattr(client, "carry", lambda: carry - kept)
    round_id, data = world.run_round()
    with pytest.raises(ChainError, match="carried in"):
        oracle_revenue.distribute_revenue(
            world.community.chain, world.community.store, round_id=round_id,
            result_hash=data["result_hash"], product=TINY_DOWN, seed=1,
        )  # fmt: skip
    monkeypatch.undo()
    reasons = failing(audit(world, round_id))
    assert set(reasons) == {"revenue.carry"}, reasons
    assert f"shares {carry - kept} carried in, the distributor took {carry}" in reasons["revenue.carry"]


def test_a_document_altered_after_the_deposit_is_caught(world: World) -> None:
    round_id, outcome = distribute(world)
    path = world.community.store.path(str(outcome.document_hash))
    path.write_text(path.read_text().replace('"rule":"pro-rata"', '"rule":"equal"', 1))
    reasons = failing(audit(world, round_id))
    assert "was altered" in reasons["revenue.document"]
