"""A peer's view of its community on chain: status, rounds, rejected orders and revenue claims.

Read from the chain (registry, escrow, round book, clearing house, revenue distributor) and from the
CM's published documents (a folder or ``flexunity serve``; every document checked against the hash
the chain holds). Used by ``flexunity peer status`` and ``flexunity peer claim``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flexunity.chain.contracts.peer import PeerClient
from flexunity.chain.contracts.records import RoundInfo
from flexunity.chain.settlement import RevenueLeaf, revenue_tree
from flexunity.errors import ChainError, InputError, UserError
from flexunity.oracle.revenue import FORMAT as REVENUE_FORMAT
from flexunity.oracle.revenue import leaves_of
from flexunity.record.orders import decode_payload
from flexunity.record.store import DocumentSource
from flexunity.units import leaf_amount_to_bill


@dataclass
class RoundLine:
    """The peer in one round: its order, the result, its settlement leaf (base units, + = pays)."""

    round_id: int
    gate_closure: int
    ordered: bool = False
    nonce: int | None = None
    result: str = "open"  # open, gate closed, posted, settled, void ...
    amount: int | None = None  # signed: positive = the peer pays
    applied: bool | None = None
    rejected: str = ""  # why the oracle rejected the peer's order, if it did
    note: str = ""


@dataclass
class Claim:
    """A revenue share of the peer in one distribution."""

    distribution_id: int
    round_id: int | None
    leaf: RevenueLeaf
    proof: list[bytes]
    deadline: int
    claimed: bool
    payout: int = 0  # what the claim pays: the share plus its part of the carry taken in (on chain)


@dataclass
class PeerStatus:
    address: str
    member: bool
    member_from: int
    member_until: int
    balance: int
    debt: int
    withdrawable: int
    wallet_tokens: int
    wallet_ether: int
    decimals: int
    symbol: str
    now: int
    rounds: list[RoundLine] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def committed(self) -> int:
        return self.balance - self.withdrawable


def peer_status(chain: PeerClient, address: str, store: DocumentSource | None) -> PeerStatus:
    """Everything ``peer status`` shows for ``address``."""
    count = chain.round_count()
    escrow = chain.escrow_account(address)
    member_from, member_until = chain.membership(address)
    status = PeerStatus(
        address=address,
        member=chain.is_member(address, count + 1),  # a member of the next round to open
        member_from=member_from,
        member_until=member_until,
        balance=escrow.balance,
        debt=escrow.debt,
        withdrawable=chain.withdrawable(address),
        wallet_tokens=chain.token_balance(address),
        wallet_ether=chain.ether(address),
        decimals=chain.token_decimals(),
        symbol=chain.token_symbol(),
        now=chain.now(),
    )
    for round_id in range(1, count + 1):
        status.rounds.append(_round_line(chain, round_id, address, store, status.notes))
    status.claims = revenue_claims(chain, address, store, status.notes.append)
    return status


def _round_line(
    chain: PeerClient, round_id: int, address: str, store: DocumentSource | None, notes: list[str]
) -> RoundLine:
    info = chain.round(round_id)
    line = RoundLine(round_id, info.gate_closure)
    mine = [o for o in chain.orders(round_id) if o.peer.lower() == address.lower()]
    if mine:
        last = max(mine, key=lambda o: o.nonce)
        line.ordered, line.nonce = bool(last.payload), last.nonce
        if last.payload:
            line.rejected = _payload_problem(chain, last.payload, info, store, notes)
    digest = chain.posted_document_hash(round_id)
    if not digest:
        line.result = "open" if chain.now() < info.gate_closure else "gate closed, no result yet"
        return line
    line.result = chain.result_state(round_id).status.name.lower()
    if chain.round_settled(round_id):
        line.result = "settled"
    if store is None:
        return line
    try:
        document = store.get_json(digest)
    except UserError as exc:
        line.note = f"result document unavailable: {exc}"
        return line
    for rejected in document.get("rejected_orders", []):
        if str(rejected.get("peer", "")).lower() == address.lower():
            line.rejected = str(rejected.get("reason", "rejected"))
    for leaf in document.get("settlement", {}).get("leaves", []):
        if str(leaf["account"]).lower() == address.lower():
            line.amount = leaf_amount_to_bill(int(leaf["amount"]), bool(leaf["isCredit"]))
            line.applied = chain.is_applied(round_id, int(leaf["index"]))
    return line


def _payload_problem(
    chain: PeerClient, payload: bytes, info: RoundInfo, store: DocumentSource | None, notes: list[str]
) -> str:
    """Why the oracle will drop this order (it does not fit the round's config), or ''."""
    from flexunity.record.orders import order_problems

    try:
        order = decode_payload(payload)
    except (InputError, ValueError) as exc:
        return f"the payload does not decode: {exc}"
    if store is None:
        return ""
    try:
        config = store.get_json("0x" + info.config_hash.hex())
    except UserError:
        return ""
    problems = order_problems(order, config)
    return "; ".join(problems)


def revenue_claims(
    chain: PeerClient, address: str, store: DocumentSource | None, note: Callable[[str], None]
) -> list[Claim]:
    """The peer's shares in every revenue distribution, with their proofs (documents from ``store``)."""
    claims: list[Claim] = []
    for args in chain.distributions():
        distribution_id = int(args["distributionId"])
        digest = "0x" + bytes(args["documentHash"]).hex()
        if store is None:
            note(f"distribution {distribution_id}: no document store given, shares unknown")
            continue
        try:
            document = store.get_json(digest)
        except UserError as exc:
            note(f"distribution {distribution_id}: {exc}")
            continue
        if document.get("format") != REVENUE_FORMAT or int(document["distribution_id"]) != distribution_id:
            note(f"distribution {distribution_id}: document {digest} is not its revenue document")
            continue
        leaves = leaves_of(document)
        tree = revenue_tree(leaves)
        if bytes(tree.root) != bytes(args["root"]):
            raise ChainError(f"distribution {distribution_id}: its document's shares do not build its root")
        for leaf in leaves:
            if leaf.account.lower() == address.lower():
                claims.append(
                    Claim(
                        distribution_id,
                        document.get("round"),
                        leaf,
                        list(tree.proof(leaf.index)),
                        int(args["claimDeadline"]),
                        chain.is_claimed(distribution_id, leaf.index),
                        chain.payout(distribution_id, leaf.amount),
                    )
                )
    return claims
