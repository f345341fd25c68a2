"""Revenue distribution (step 7) as a persisted, resumable step: at most one distribution per round.

The step's progress is saved in the round's row of the oracle state (``data["revenue"]``, written
compare-and-set like every step) and each transaction is preceded by a look at the chain, which
records each round's distribution (``distributionOfRound``; a second one for the round reverts
with ``DistributionExists``):

- the chain names a distribution for this round: it is adopted (its document found through the
  ``documentHash`` of its ``DistributionCreated`` event); nothing is created;
- ``PLANNED``: the distribution document is stored (its hash and the id its tree was built for).
  Before sending, the chain is asked again; a next id changed meanwhile stops the step (run again:
  it plans anew);
- ``CREATED``: ``createDistribution`` mined (its id and the carry it took in);
- ``DONE``: the claims of the keys given were sent (``isClaimed`` first: a claimed share is never
  sent again).

So a process killed anywhere (``FLEXUNITY_ORACLE_CRASH_AT=REVENUE:PLANNED``, ``REVENUE:sent`` after
the creation is mined but before it is saved, ``REVENUE:CREATED``) and restarted creates the
distribution once; an oracle that lost its state finds the round's distribution by asking the chain,
without scanning events. The audit fails a round with two distributions (``revenue.once``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from flexunity.chain.contracts.crowd import each_gas
from flexunity.chain.fanout import send_from_many
from flexunity.chain.hashing import keccak
from flexunity.errors import ChainError, InputError
from flexunity.oracle.chainio import OracleChain
from flexunity.oracle.runner import crash_point
from flexunity.oracle.state import StateDB
from flexunity.record.store import FolderStore, canonical_json

Reporter = Callable[[str], None]
STEP_DEPOSIT = "revenue: offer, deliver, share, deposit"
STEP_CLAIMS = "revenue: claims"


def find_distribution(chain: OracleChain, round_id: int) -> tuple[int, str] | None:
    """(id, document hash) of round ``round_id``'s distribution on chain (``distributionOfRound``)."""
    revenue = chain.clients.revenue
    distribution_id = chain._read(lambda: revenue.distribution_of_round(round_id), "distributionOfRound")
    if distribution_id == 0:
        return None
    digest = chain._read(
        lambda: revenue.document_hash_of(distribution_id, chain.manifest.first_block), "DistributionCreated"
    )
    if digest is None:
        raise ChainError(
            f"round {round_id}: the distributor names distribution {distribution_id}, "
            "and no DistributionCreated event of it was found from the manifest's first block on"
        )
    return distribution_id, "0x" + digest.hex()


def run_distribution(
    chain: OracleChain,
    store: FolderStore,
    round_id: int,
    planner: Callable[[], Any],
    *,
    db: StateDB | None = None,
    claimers: Sequence[Any] = (),  # eth_account LocalAccounts (the peers' keys)
    claim_window_s: int,
    report: Reporter = lambda _: None,
) -> Any:
    """Plan (``planner``: steps 1-4, nothing sent), deposit and claim, once (see the module docstring)."""
    from flexunity.oracle.revenue import DistributionOutcome, leaves_of

    started = time.perf_counter()
    state = db.ensure(round_id) if db is not None else None
    saved: dict[str, Any] = dict(state.data.get("revenue", {})) if state is not None else {}

    def save(**updates: Any) -> None:
        nonlocal state
        saved.update(updates)
        if db is not None and state is not None:
            state = db.save_data(state, {"revenue": dict(saved)})

    found = find_distribution(chain, round_id)
    if found is None and saved.get("step") in ("CREATED", "DONE"):
        raise ChainError(
            f"round {round_id}: the state says distribution {saved.get('distribution_id')} was created, "
            "the chain has none for this round: is this the deployment it was created on?"
        )
    if found is not None:
        distribution_id, digest = found
        document = store.get_json(digest)
        outcome = DistributionOutcome(round_id, rule=str(document.get("rule", "")))
        outcome.product = document["product"]["name"]
        outcome.total = int(document["total"])
        outcome.carried_in = chain.clients.revenue.distribution(distribution_id).carried_in
        outcome.shares = {k: int(v) for k, v in document["shares"].items()}
        outcome.currency, outcome.decimals = document["currency"], int(document["token_decimals"])
        outcome.document_hash, outcome.merkle_root = digest, document["merkle_root"]
        outcome.distribution_id = distribution_id
        if saved.get("step") not in ("CREATED", "DONE"):
            report(f"round {round_id}: distribution {distribution_id} of this round is already on chain; "
                   "not creating another")  # fmt: skip
            save(step="CREATED", distribution_id=distribution_id, document_hash=digest)
            crash_point("REVENUE:CREATED")
    else:
        outcome = planner()
        if outcome.document_hash is None:
            outcome.seconds["deposit"] = time.perf_counter() - started
            return outcome
        save(step="PLANNED", document_hash=outcome.document_hash, distribution_id=outcome.distribution_id)
        crash_point("REVENUE:PLANNED")
        outcome.distribution_id = _deposit(chain, store, outcome, claim_window_s)
        crash_point("REVENUE:sent")
        save(step="CREATED", distribution_id=outcome.distribution_id)
        crash_point("REVENUE:CREATED")
        carried = f" ({outcome.carried_in} carried in)" if outcome.carried_in else ""
        report(
            f"round {round_id}: distribution {outcome.distribution_id} of {outcome.total} base units{carried}"
        )
    outcome.seconds["deposit"] = time.perf_counter() - started

    claim_started = time.perf_counter()
    document = store.get_json(str(outcome.document_hash))
    _claim(chain, outcome, leaves_of(document), claimers)
    outcome.seconds["claims"] = time.perf_counter() - claim_started
    if saved.get("step") != "DONE":
        save(step="DONE")
    return outcome


def _deposit(chain: OracleChain, store: FolderStore, outcome: Any, claim_window_s: int) -> int:
    """Fund the CM (test token on devnets), approve the distributor for the new revenue, create the
    distribution (the contract takes the whole carry in); check its id, record the carry taken in."""
    token = chain.clients.token.contract.functions
    distributor = chain.clients.revenue
    expected = int(outcome.distribution_id)
    now_next = int(distributor.contract.functions.distributionCount().call()) + 1
    if now_next != expected:
        raise ChainError(
            f"round {outcome.round_id}: the distribution was planned as id {expected}; the chain now "
            f"gives id {now_next}: run again to plan it anew"
        )
    cm = chain.account.address
    needed = outcome.total
    balance = int(token.balanceOf(cm).call())
    calls = []
    if balance < needed:
        if not chain.manifest.parameters.get("token_is_test_token", True):
            raise InputError(
                f"the CM holds {balance} base units, the distribution needs {needed}: fund it first"
            )
        calls.append((token.mint(cm, needed - balance), "mint test tokens for the CM"))
    if needed > 0:
        calls.append((token.approve(distributor.address, needed), "approve the revenue distributor"))
    funded = chain.sender.transact_many(calls)
    root = bytes.fromhex(str(outcome.merkle_root).removeprefix("0x"))
    deadline = chain.now() + claim_window_s
    # the chain refuses a second distribution for the round (DistributionExists): a retry never pays twice
    activations = store.get_json(str(outcome.document_hash)).get("activations", [])
    fn = distributor.contract.functions.createDistribution(
        outcome.round_id,
        keccak(canonical_json(activations)),
        root,
        outcome.total,
        deadline,
        bytes.fromhex(str(outcome.document_hash).removeprefix("0x")),
    )
    mined = chain.sender.transact(fn, f"create revenue distribution {expected}")
    chain._count(STEP_DEPOSIT, [*funded, mined])
    outcome.gas["createDistribution"] = mined.gas_used
    got, carried = chain.distribution_created(mined.tx_hash)
    if got != expected:
        raise ChainError(f"the distribution got id {got}, its document and tree were built for {expected}")
    outcome.carried_in = carried  # paid by the contract pro rata to the shares
    return got


def _claim(chain: OracleChain, outcome: Any, leaves: Sequence[Any], claimers: Sequence[Any]) -> None:
    """Each given key claims its share, unless already claimed (a restarted step sends only the rest)."""
    from flexunity.chain.settlement import revenue_tree

    if not claimers:
        return
    revenue = chain.clients.revenue
    tree = revenue_tree(list(leaves))
    keys = {str(a.address).lower(): a for a in claimers}
    calls = []
    for leaf in leaves:
        account = keys.get(leaf.account.lower())
        if account is None:
            continue
        outcome.claimed += revenue.payout(outcome.distribution_id, leaf.amount)
        if revenue.is_claimed(outcome.distribution_id, leaf.index):
            continue
        fn = revenue.contract.functions.claim(leaf.as_tuple(), list(tree.proof(leaf.index)))
        calls.append((account, fn, f"claim share {leaf.index} of distribution {outcome.distribution_id}"))
    if calls:
        first = calls[0]
        gas = each_gas(first[1], first[0].address)  # one estimate for every claimer, with a margin
        mined = send_from_many(chain.w3, calls, gas=gas, decoder=chain.decoder)
        chain._count(STEP_CLAIMS, mined)
        outcome.gas["claim (each)"] = max(m.gas_used for m in mined)
        outcome.claims = len(mined)
