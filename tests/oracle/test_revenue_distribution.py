"""Step 7 on chain: a settled round's flexibility offered, delivered, shared, deposited and claimed.

A 4-peer community on eth-tester (tests/audit/audit_world.py) with a small "down" product sized
for it (1 kW minimum, 16:00-18:00): the PV spill and the battery deliver.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from audit_world import TINY_DOWN, World, make_world

from flexunity.allocation.rules import RuleOptions
from flexunity.allocation.verify import verify_allocation
from flexunity.oracle.revenue import (
    FORMAT,
    DistributionOutcome,
    distribute_revenue,
    inputs_from_dict,
    leaves_of,
    options_from_dict,
)

pytestmark = pytest.mark.chain


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield make_world(tmp_path_factory.mktemp("revenue-world"))


@pytest.fixture(scope="module")
def distributed(world: World) -> tuple[DistributionOutcome, dict[str, int], str]:
    round_id, data = world.run_round()
    token = world.community.chain.clients.token
    before = {w.address.lower(): token.balance_of(w.address) for w in world.community.wallets}
    outcome = distribute_revenue(
        world.community.chain,
        world.community.store,
        round_id=round_id,
        result_hash=data["result_hash"],
        product=TINY_DOWN,
        seed=3,
        claimers=[w.account for w in world.community.wallets],
    )
    return outcome, before, data["result_hash"]


def test_a_distribution_is_deposited_with_its_root_and_every_share_claimed(
    world: World, distributed: tuple[DistributionOutcome, dict[str, int], str]
) -> None:
    outcome, before, _ = distributed
    assert outcome.product == "TINY-DOWN" and outcome.activations >= 1, outcome.reasons
    assert outcome.distribution_id == 1 and outcome.total > 0
    assert sum(outcome.shares.values()) == outcome.total  # exact integers summing to the deposit
    revenue = world.community.chain.clients.revenue.contract.functions
    root, total, claimed, _deadline, swept = revenue.distribution(1).call()
    assert "0x" + bytes(root).hex() == outcome.merkle_root
    assert total == outcome.total == claimed and not swept
    assert outcome.claims == len(outcome.shares) and outcome.claimed == outcome.total
    token = world.community.chain.clients.token
    for w in world.community.wallets:
        got = token.balance_of(w.address) - before[w.address.lower()]
        assert got == outcome.shares.get(w.address.lower(), 0)
    assert token.balance_of(world.community.chain.clients.revenue.address) == 0
    assert outcome.gas["createDistribution"] > 0 and outcome.gas["claim (each)"] > 0


def test_the_document_states_the_rule_its_inputs_and_shares(
    world: World, distributed: tuple[DistributionOutcome, dict[str, int], str]
) -> None:
    outcome, _, result_hash = distributed
    document = world.community.store.get_json(str(outcome.document_hash))
    assert document["format"] == FORMAT and document["result_hash"] == result_hash
    assert document["rule"] == "pro-rata" and document["total"] == outcome.total
    for item in document["activations"]:
        if item["inputs"] is None:
            continue
        inputs = inputs_from_dict(item["inputs"])
        problems = verify_allocation(
            item["rule"], item["total"], inputs, item["shares"], options_from_dict(item["options"])
        )
        assert problems == []
        assert set(item["shares"]) <= set(document["payouts"])
    leaves = leaves_of(document)
    assert sum(leaf.amount for leaf in leaves) == document["total"]
    assert [leaf.index for leaf in leaves] == list(range(len(leaves)))


def test_a_product_too_big_for_the_community_is_refused_with_the_reason(world: World) -> None:
    round_id, data = world.run_round()
    outcome = distribute_revenue(
        world.community.chain,
        world.community.store,
        round_id=round_id,
        result_hash=data["result_hash"],
        product="GB-DTU",
        options=RuleOptions(check_core=False),
    )
    assert outcome.distribution_id is None and outcome.product is None
    assert "GB-DTU makes no offer" in outcome.reasons[0]


def test_claims_can_be_left_to_the_peers(world: World) -> None:
    round_id, data = world.run_round()
    outcome = distribute_revenue(
        world.community.chain,
        world.community.store,
        round_id=round_id,
        result_hash=data["result_hash"],
        product=TINY_DOWN,
        rule="equal",
        seed=3,
    )
    assert outcome.distribution_id is not None and outcome.claims == 0
    revenue = world.community.chain.clients.revenue
    assert not revenue.is_claimed(outcome.distribution_id, 0)
