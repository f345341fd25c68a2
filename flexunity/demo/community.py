"""Setting up a community on a devnet: role and peer wallets, funding, enrolment, deposits, orders.

Used by the demo and the benchmark (and by tests). Every key is generated locally from a seed, so a
run is reproducible; the node's own unlocked account only pays the initial ether. Peers sign their
own orders (EIP-712) and their own deposit and withdrawal transactions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flexunity.chain.accounts import LocalAccount, account_from_key
from flexunity.chain.addresses import checksum
from flexunity.chain.contracts import PeerKind, SignedOrder
from flexunity.chain.contracts.crowd import deposit_each
from flexunity.chain.deploy import RoleAccounts
from flexunity.chain.fanout import send_ether
from flexunity.chain.hashing import keccak
from flexunity.chain.rpc import Mined, Sender
from flexunity.oracle.chainio import OracleChain
from flexunity.record.orders import encode_order
from flexunity.record.store import canonical_json

Reporter = Callable[[str], None]
ETHER = 10**18


def key_for(seed: str) -> LocalAccount:
    return account_from_key(keccak(seed.encode()))


@dataclass
class RoleKeys:
    admin: LocalAccount
    cm: LocalAccount
    arbiter: LocalAccount
    pauser: LocalAccount
    supplier: LocalAccount

    @classmethod
    def generate(cls, seed: str) -> RoleKeys:
        return cls(
            *(key_for(f"{seed}/role/{name}") for name in ("admin", "cm", "arbiter", "pauser", "supplier"))
        )

    def all(self) -> list[LocalAccount]:
        return [self.admin, self.cm, self.arbiter, self.pauser, self.supplier]

    def role_accounts(self) -> RoleAccounts:
        return RoleAccounts(*(checksum(a.address) for a in self.all()))


@dataclass
class PeerWallet:
    peer_id: str
    account: LocalAccount
    peer: dict[str, Any]
    deposit: int = 0

    @property
    def address(self) -> str:
        return str(self.account.address)


@dataclass
class Gas:
    """Gas and transaction counts per step name."""

    by_step: dict[str, int] = field(default_factory=dict)
    txs: dict[str, int] = field(default_factory=dict)

    def add(self, step: str, mined: Sequence[Mined]) -> None:
        self.by_step[step] = self.by_step.get(step, 0) + sum(m.gas_used for m in mined)
        self.txs[step] = self.txs.get(step, 0) + len(mined)


def peer_kind(peer: dict[str, Any]) -> PeerKind:
    if peer.get("batteries"):
        return PeerKind.STORAGE
    if peer.get("pv_kw") is not None and peer.get("pv_kw") != 0:
        return PeerKind.PROSUMER
    return PeerKind.CONSUMER


def deposit_for(peer: dict[str, Any], scenario: dict[str, Any], decimals: int, rounds: int) -> int:
    """A deposit covering the peer's worst bill: all its load, flexible loads included, at the top price."""
    hours = scenario["interval_minutes"] / 60
    load = _total(peer.get("load_kw"), scenario["intervals"])
    load += sum(_total(c.get("profile_kw"), scenario["intervals"]) for c in peer.get("curtailable_loads", []))
    load_kwh = load * hours + sum(e.get("energy_kwh", 0) for e in peer.get("ev_chargers", []))
    load_kwh += sum(b.get("capacity_kwh", 0) for b in peer.get("batteries", []))
    load_kwh += sum(s.get("energy_kwh", 0) for s in peer.get("shiftable_loads", []))
    top = max(_max(t["import_price"]) for t in scenario["tariffs"].values())
    fee = float(scenario.get("community", {}).get("fee_per_kwh", 0.0))
    money = 1.5 * load_kwh * (top + 2 * fee) + 5.0
    return math.ceil(money * rounds) * 10**decimals


def _total(profile: Any, intervals: int) -> float:
    if profile is None:
        return 0.0
    if isinstance(profile, int | float):
        return float(profile) * intervals
    return float(sum(profile))


def _max(profile: Any) -> float:
    return float(profile) if isinstance(profile, int | float) else float(max(profile))


def setup_peers(
    chain: OracleChain,
    funder: Sender,
    wallets: Sequence[PeerWallet],
    scenario: dict[str, Any],
    gas: Gas,
    *,
    extra_accounts: Sequence[tuple[LocalAccount, int]] = (),
    report: Reporter = lambda _: None,
) -> None:
    """Fund, mint, approve, deposit and enrol every peer (and deposit for ``extra_accounts``)."""
    holders: list[tuple[LocalAccount, int]] = [(w.account, w.deposit) for w in wallets] + list(extra_accounts)
    gas.add("fund wallets", send_ether(funder, [str(a.address) for a, _ in holders], ETHER // 2))
    mints = [(str(a.address), amount) for a, amount in holders]
    gas.add("mint test tokens", chain.clients.token.mint_many(chain.sender, mints))
    report(f"minted test tokens for {len(holders)} accounts")
    gas.add("deposits", deposit_each(chain.clients, holders, chain.decoder))
    report(f"{len(holders)} escrow deposits")
    members = [
        (w.address, peer_kind(w.peer), keccak(canonical_json(w.peer.get("metadata", {})))) for w in wallets
    ]
    chain.enrol(members)  # gas counted by the chain adapter (chain.gas)
    report(f"enrolled {len(wallets)} peers")


def sign_orders(
    chain: OracleChain, wallets: Sequence[PeerWallet], scenario: dict[str, Any], round_id: int, deadline: int
) -> list[SignedOrder]:
    """Each peer's order for the round (its forecasts in ``scenario``), signed with its own key.

    The nonce is the round id: one order per peer and round, strictly increasing across rounds.
    """
    intervals, minutes = scenario["intervals"], scenario["interval_minutes"]
    forecasts = {p["id"]: p for p in scenario["peers"]}
    return [
        chain.sign_order(
            w.account,
            round_id,
            round_id,
            deadline,
            encode_order(forecasts.get(w.peer_id, w.peer), intervals, minutes),
        )
        for w in wallets
    ]
