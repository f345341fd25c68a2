"""The audit of revenue distributions (step 7): honest, a tampered share, shares off the declared rule,
an unclaimed rest carried into the next distribution (honestly, and as a contract that did not follow
the carry rule would report it), and a document altered after the deposit. Each case is a
round of the small eth-tester community, its flexibility delivered to a product sized for it and the
revenue distributed by the oracle's own ``distribute_revenue``, with one of its functions swapped for
a dishonest one."""

from __future__ import annotations

from typing import Any

import pytest
from audit_world import TINY_DOWN, World

import flexunity.oracle.revenue as oracle_revenue
import flexunity.oracle.revenue_steps as revenue_steps
from flexunity.audit import audit_rounds
from flexunity.audit.verdict import RoundVerdict
from flexunity.chain.node import advance_time
from flexunity.chain.reader import ChainReader, Log
from flexunity.chain.settlement import RevenueLeaf

pytestmark = pytest.mark.chain


def distribute(world: World, **kwargs: Any) -> tuple[int, oracle_revenue.DistributionOutcome]:
    round_id, data = world.run_round()
    outcome = oracle_revenue.distribute_revenue(
        world.community.chain,
        world.community.store,
        round_id=round_id,
        result_hash=data["result_hash"],
        plan=oracle_revenue.RevenuePlan(product=TINY_DOWN, seed=1, **kwargs),
        claimers=[w.account for w in world.community.wallets],
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
    honest = revenue_steps.shares_from

    def favouring(payouts: Any) -> dict[str, int]:
        """A consistent document, tree and deposit, but 1,000 base units moved to the last peer."""
        shares = honest(payouts)
        peers = sorted(shares)
        moved = min(1000, shares[peers[0]])
        shares[peers[0]] -= moved
        shares[peers[-1]] += moved
        return shares

    monkeypatch.setattr(revenue_steps, "shares_from", favouring)
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
        plan=oracle_revenue.RevenuePlan(product=TINY_DOWN, seed=1), claim_window_s=3600,
    )  # fmt: skip
    assert left.distribution_id is not None, left.reasons
    advance_time(world.w3, 3601)
    sweep = chain.clients.revenue.contract.functions.sweep(left.distribution_id)
    chain.sender.transact(sweep, "sweep the unclaimed rest")
    carry = chain.clients.revenue.carry()
    assert carry >= left.total > 0
    return carry


def test_a_carried_rest_is_paid_pro_rata_and_the_carry_balances(world: World) -> None:
    carry = sweep_a_rest(world)
    round_id, outcome = distribute(world)
    assert outcome.carried_in == carry
    verdict = audit(world, round_id)
    assert verdict.status == "PASS", failing(verdict)
    details = [c.detail for c in verdict.checks if c.name == "revenue.carry"]
    assert any(f"{carry} carried in (the whole pool), paid pro rata" in d for d in details), details
    assert any(d.startswith("carry 0 = ") for d in details), details  # Σ swept − Σ carried in = carry()


def test_a_carry_that_does_not_follow_the_rule_is_caught(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a distributor that kept 1,000 units of the carry back would report it: its event takes in
    less than the pool held, and the claims are paid more than the shares' part of what it took."""
    carry = sweep_a_rest(world)
    round_id, outcome = distribute(world)
    kept = min(1000, carry)
    honest = ChainReader.logs

    def short(self: ChainReader, contract: Any, names: tuple[str, ...], **filters: Any) -> list[Log]:
        logs = honest(self, contract, names, **filters)
        return [
            Log(
                log.name,
                {**log.args, "carriedIn": carry - kept},
                log.block,
                log.log_index,
                log.tx_hash,
                log.address,
            )
            if log.name == "DistributionCreated" and log.args["distributionId"] == outcome.distribution_id
            else log
            for log in logs
        ]

    monkeypatch.setattr(ChainReader, "logs", short)
    verdict = audit(world, round_id)
    carry_problems = " ".join(c.detail for c in verdict.failures if c.name == "revenue.carry")
    assert f"took {carry - kept} from the carry, the pool held {carry}" in carry_problems
    assert "the distributor's carry is 0, its events give" in carry_problems  # the pool does not balance
    assert "the carry rule gives" in failing(verdict)["revenue.claims"]


def test_a_second_distribution_for_the_round_is_refused_and_the_step_adopts_the_first(world: World) -> None:
    """A restarted oracle that lost its state asks the chain (distributionOfRound) and creates nothing."""
    round_id, data = world.run_round()
    chain = world.community.chain
    first = oracle_revenue.distribute_revenue(
        chain, world.community.store, round_id=round_id, result_hash=data["result_hash"],
        plan=oracle_revenue.RevenuePlan(product=TINY_DOWN, seed=1),
    )  # fmt: skip
    count = chain.clients.revenue.contract.functions.distributionCount().call()
    again = oracle_revenue.distribute_revenue(
        chain, world.community.store, round_id=round_id, result_hash=data["result_hash"],
        plan=oracle_revenue.RevenuePlan(product=TINY_DOWN, seed=2),
    )  # fmt: skip
    assert again.distribution_id == first.distribution_id
    assert chain.clients.revenue.contract.functions.distributionCount().call() == count
    verdict = audit(world, round_id)
    assert verdict.status == "PASS", failing(verdict)


def test_a_document_altered_after_the_deposit_is_caught(world: World) -> None:
    round_id, outcome = distribute(world)
    path = world.community.store.path(str(outcome.document_hash))
    path.write_text(path.read_text().replace('"rule":"pro-rata"', '"rule":"equal"', 1))
    reasons = failing(audit(world, round_id))
    assert "was altered" in reasons["revenue.document"]
