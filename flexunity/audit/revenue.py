"""Revenue distributions (step 7): every ``DistributionCreated`` re-derived from its document.

For each distribution on chain the audit fetches the document named by the event's
``documentHash`` from the store (refused unless its bytes hash to it) and checks:

- ``revenue.document``: it is a ``flexunity-revenue-distribution/2`` for this chain, distributor and
  distribution id, and names a round whose posted result document is the one it states;
- ``revenue.rule``: each activation's shares are exactly what the declared rule gives on the
  published inputs (``verify_allocation``), of the activation's revenue; each peer's payout is its
  shares minus its penalties, and its on-chain share is that payout when positive, each re-derived
  by the audit's own code (``flexunity.audit.derive``), never the oracle's;
- ``revenue.root``: the shares sum exactly to the distribution's new revenue (the event's
  ``revenue``, the document's ``total``), every share goes to an account the registry lets receive
  revenue for the round (``mayReceiveRevenue``: a member, none of the CM's or supplier's accounts),
  and the OpenZeppelin tree of the ``RevenueLeaf``s rebuilt from them has the posted root;
- ``revenue.claims``: every ``Claimed`` event paid a leaf (index, account) what the carry rule gives it
  (⌊share·(revenue + carriedIn)/revenue⌋, computed here), no index twice; their sum
  is the distributor's ``claimed`` and at most the total; a ``Swept`` moved exactly the unclaimed
  rest into the carry;
- ``revenue.carry``: the carry follows the rule (docs/contracts.md): the event's ``carriedIn`` is
  the whole carry pool at creation (Σ earlier ``Swept`` − Σ earlier ``carriedIn``), paid out by the
  claims pro rata (``revenue.claims``). Once per audit (in the verdict of the
  last round audited, when the distributor has any event): Σ ``Swept`` − Σ ``carriedIn`` is the
  contract's ``carry()``, so every unclaimed rest is still in the pool or was paid out again.
- ``revenue.once``: at most one distribution per round (a second one for the same round pays its
  activations twice, whatever each distribution's own checks say), and the distributor's
  ``distributionOfRound`` names the one found.

The checks go into the verdict of the round the document names; a distribution whose document is
missing or altered (so its round is unknown) fails the last round audited, whichever rounds are asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flexunity.audit import derive
from flexunity.audit.result import result_of
from flexunity.audit.verdict import RoundVerdict
from flexunity.chain.reader import ChainReader, Log
from flexunity.chain.settlement import revenue_tree
from flexunity.errors import InputError
from flexunity.record.revenue import FORMAT, inputs_from_dict, leaves_of, options_from_dict
from flexunity.record.store import DocumentSource

MALFORMED = (KeyError, TypeError, ValueError, IndexError, AttributeError, InputError)


def attach(verdicts: Sequence[RoundVerdict], reader: ChainReader, store: DocumentSource) -> None:
    """Audit every distribution on chain into the verdict of its round (see the module docstring)."""
    distributor = reader.clients.revenue.contract
    created = reader.logs(distributor, ("DistributionCreated",))
    by_round = {v.round_id: v for v in verdicts}
    ids_of_round: dict[int, list[int]] = {}
    for log in created:
        checks = RoundVerdict(0)
        round_id = audit_distribution(checks, reader, store, log)
        if round_id is not None:
            ids_of_round.setdefault(round_id, []).append(int(log.args["distributionId"]))
        target = by_round.get(round_id) if round_id is not None else None
        if target is None and round_id is None and verdicts:
            target = verdicts[-1]  # no readable document: fail closed, whichever rounds are audited
        if target is None:
            continue  # a distribution of a round not audited this time
        target.checks.extend(checks.checks)
    for round_id, ids in ids_of_round.items():
        if round_id in by_round:
            problems = []
            if len(ids) > 1:
                problems.append(
                    f"{len(ids)} distributions for this round ({', '.join(map(str, ids))}): at most one"
                )
            recorded = reader.clients.revenue.distribution_of_round(round_id)
            if recorded != ids[0]:
                problems.append(f"the distributor names distribution {recorded} for this round, not {ids[0]}")
            by_round[round_id].add("revenue.once", problems, f"distribution {ids[0]} only")
    swept = reader.logs(distributor, ("Swept",))
    if verdicts and (created or swept):
        problems, ok = carry_balance(reader, created, swept)
        verdicts[-1].add("revenue.carry", problems, ok)


def carry_balance(reader: ChainReader, created: Sequence[Log], swept: Sequence[Log]) -> tuple[list[str], str]:
    """Σ Swept − Σ carriedIn over every distribution must be the distributor's ``carry()`` now."""
    into = sum(int(log.args["amount"]) for log in swept)
    out = sum(int(log.args["carriedIn"]) for log in created)
    carry = reader.clients.revenue.carry()
    ok = f"carry {carry} = {into} swept − {out} carried into {len(created)} distribution(s)"
    if into - out != carry:
        return [f"the distributor's carry is {carry}, its events give {into} swept − {out} carried in"], ""
    return [], ok


def audit_distribution(
    verdict: RoundVerdict, reader: ChainReader, store: DocumentSource, log: Log
) -> int | None:
    """The five checks of one distribution; the round its document names (None: no document)."""
    distribution_id = int(log.args["distributionId"])
    name = f"distribution {distribution_id}"
    digest = "0x" + bytes(log.args["documentHash"]).hex()
    try:
        document = store.get_json(digest)
        if not isinstance(document, dict):
            raise ValueError(f"document {digest} is not a JSON object")
    except (InputError, ValueError) as exc:
        verdict.add("revenue.document", [f"{name}: {exc}"], "")
        return None
    round_id = document.get("round")
    round_id = int(round_id) if isinstance(round_id, int) else None
    for check, run in (
        ("revenue.document", _identity),
        ("revenue.rule", _rule),
        ("revenue.root", _root),
        ("revenue.claims", _claims),
        ("revenue.carry", _carry_rule),
    ):
        try:
            problems, ok = run(reader, document, log)
        except MALFORMED as exc:
            problems, ok = [f"cannot be checked, malformed document: {type(exc).__name__}: {exc}"], ""
        verdict.add(check, [f"{name}: {p}" for p in problems], f"{name}: {ok}")
    return round_id


def _identity(reader: ChainReader, document: dict[str, Any], log: Log) -> tuple[list[str], str]:
    problems = []
    distribution_id = int(log.args["distributionId"])
    if document.get("format") != FORMAT:
        problems.append(f"the document is {document.get('format')!r}, not {FORMAT}")
    if document.get("chain_id") != reader.manifest.chain_id:
        problems.append(f"the document is for chain {document.get('chain_id')}")
    distributor = str(document.get("contracts", {}).get("RevenueDistributor", "")).lower()
    if distributor != reader.clients.revenue.address.lower():
        problems.append(f"the document names distributor {distributor}, not {reader.clients.revenue.address}")
    if document.get("distribution_id") != distribution_id:
        problems.append(f"the document is for distribution {document.get('distribution_id')}")
    round_id = document.get("round")
    posted = reader.logs(reader.clients.clearing.contract, ("ResultPosted",), roundId=round_id)
    if not posted:
        problems.append(f"round {round_id} has no posted result")
    else:
        posted_hash = "0x" + result_of(posted[-1]).document_hash.hex()
        if posted_hash != str(document.get("result_hash", "")).lower():
            problems.append(
                f"the document shares the flexibility of result {document.get('result_hash')}, "
                f"round {round_id}'s posted result is {posted_hash}"
            )
    digest = "0x" + bytes(log.args["documentHash"]).hex()
    return problems, f"document {digest[:14]}… found, for round {round_id}'s posted result"


def _rule(_: ChainReader, document: dict[str, Any], __: Log) -> tuple[list[str], str]:
    from flexunity.allocation.verify import verify_allocation

    problems: list[str] = []
    declared = document["rule"]
    activations = document["activations"]
    for k, item in enumerate(activations):
        if item["rule"] != declared:
            problems.append(
                f"activation {k} is shared by {item['rule']!r}, the declared rule is {declared!r}"
            )
        if int(item["total"]) not in (int(item["revenue"]), 0):
            problems.append(f"activation {k} shares {item['total']} of a revenue of {item['revenue']}")
        if item["inputs"] is None:
            if item["shares"]:
                problems.append(f"activation {k} pays shares without inputs to re-derive them")
            continue
        found = verify_allocation(
            item["rule"],
            int(item["total"]),
            inputs_from_dict(item["inputs"]),
            {p: int(v) for p, v in item["shares"].items()},
            options_from_dict(item["options"]),
        )
        problems += [f"activation {k}: {p}" for p in found]
    payouts = derive.payouts(activations, list(document["payouts"]))
    if payouts != {p: int(v) for p, v in document["payouts"].items()}:
        problems.append("the payouts are not the shares minus the penalties")
    expected = {peer.lower(): value for peer, value in derive.on_chain_shares(payouts, 0).items()}
    stated = {p.lower(): int(v) for p, v in document["shares"].items()}
    for peer in sorted(set(expected) | set(stated)):
        if expected.get(peer, 0) != stated.get(peer, 0):
            problems.append(f"{peer} gets {stated.get(peer, 0)}, the rule gives {expected.get(peer, 0)}")
    return problems, f"{len(activations)} activation(s) shared by {declared!r}, re-derived exactly"


def _root(reader: ChainReader, document: dict[str, Any], log: Log) -> tuple[list[str], str]:
    problems = []
    leaves = leaves_of(document)
    total = sum(leaf.amount for leaf in leaves)
    deposit = int(log.args["revenue"])
    if any(leaf.amount <= 0 for leaf in leaves):
        problems.append("a share is not positive")
    if total != deposit or int(document["total"]) != deposit:
        problems.append(
            f"the shares sum to {total} (document total {document['total']}), the new revenue is {deposit}"
        )
    registry = reader.clients.registry.contract.functions
    round_id = int(log.args["roundId"])
    for leaf in leaves:
        if not registry.mayReceiveRevenue(leaf.account, round_id).call():
            problems.append(
                f"share {leaf.index} goes to {leaf.account}, which may not receive round {round_id}'s "
                "revenue (not a member, or a CM, fee or supplier account): the chain refuses its claim"
            )
    root = "0x" + revenue_tree(leaves).root.hex() if leaves else "0x"
    posted = "0x" + bytes(log.args["root"]).hex()
    if root != posted:
        problems.append(f"the document's shares build root {root}, the chain has {posted}")
    if str(document.get("merkle_root", "")).lower() != posted:
        problems.append(f"the document states root {document.get('merkle_root')}, the chain has {posted}")
    return problems, f"{len(leaves)} shares of members sum to the new revenue {deposit}; root {posted[:12]}…"


def _claims(reader: ChainReader, document: dict[str, Any], log: Log) -> tuple[list[str], str]:
    distribution_id = int(log.args["distributionId"])
    contract = reader.clients.revenue.contract
    leaves = {leaf.index: leaf for leaf in leaves_of(document)}
    revenue, taken = int(log.args["revenue"]), int(log.args["carriedIn"])
    total = revenue + taken
    problems = []
    seen: set[int] = set()
    claimed = 0
    for claim in reader.logs(contract, ("Claimed",), distributionId=distribution_id):
        index, account, amount = (
            int(claim.args["index"]),
            str(claim.args["account"]),
            int(claim.args["amount"]),
        )
        leaf = leaves.get(index)
        if index in seen:
            problems.append(f"share {index} was claimed twice")
        seen.add(index)
        claimed += amount
        if leaf is None:
            problems.append(f"claim of share {index} paid {amount} to {account}, not the document's leaf")
            continue
        due = payout(leaf.amount, revenue, taken)
        if leaf.account.lower() != account.lower() or amount != due:
            problems.append(
                f"claim of share {index} paid {amount} to {account}, not the document's leaf: the carry "
                f"rule gives {leaf.account} {leaf.amount}·({revenue} + {taken})/{revenue} = {due}"
            )
    state = reader.clients.revenue.distribution(distribution_id)
    if state.claimed != claimed or claimed > total:
        problems.append(
            f"the claims add up to {claimed}, the distributor records {state.claimed} of a total {total}"
        )
    for sweep in reader.logs(contract, ("Swept",), distributionId=distribution_id):
        rest_amount = total - claimed
        if int(sweep.args["amount"]) != rest_amount:
            problems.append(f"the sweep carried {sweep.args['amount']}, the unclaimed rest is {rest_amount}")
    rest = f"; unclaimed rest {'swept into the carry' if state.swept else 'claimable'}"
    rest = rest if len(seen) < len(leaves) else ""
    return problems, f"{len(seen)} of {len(leaves)} shares claimed, each its leaf, none twice{rest}"


def payout(share: int, revenue: int, carried_in: int) -> int:
    """The carry rule (docs/contracts.md): a share of new revenue ``revenue`` pays its pro rata part of
    revenue + carry, rounded down."""
    return share * (revenue + carried_in) // revenue if revenue > 0 else 0


def _carry_rule(reader: ChainReader, _: dict[str, Any], log: Log) -> tuple[list[str], str]:
    """The carry taken in is the whole pool at creation (what each claim pays is ``revenue.claims``)."""
    distributor = reader.clients.revenue.contract
    revenue, taken = int(log.args["revenue"]), int(log.args["carriedIn"])
    events = reader.logs(distributor, ("Swept", "DistributionCreated"))
    earlier = [e for e in events if e.position < log.position]
    pool = sum(int(e.args["amount"]) for e in earlier if e.name == "Swept") - sum(
        int(e.args["carriedIn"]) for e in earlier if e.name == "DistributionCreated"
    )
    if taken != pool:
        return [f"the distribution took {taken} from the carry, the pool held {pool}"], ""
    return [], f"{taken} carried in (the whole pool), paid pro rata to the shares of {revenue}"
