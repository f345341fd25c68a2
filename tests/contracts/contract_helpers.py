"""Shared by the contract tests: the deployed setup, payloads, signed orders, results, signatures."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3 import Web3

from flexunity.chain.contracts import ContractClients, SignedOrder
from flexunity.chain.deploy import Deployment, RoleAccounts
from flexunity.chain.eip712 import (
    ClearingResult,
    Domain,
    Order,
    order_typed_data,
    result_typed_data,
    sign_typed_data,
)
from flexunity.chain.settlement import SettlementTree
from flexunity.record.orders import encode_order

ZERO32 = b"\x00" * 32
CONFIG_HASH = bytes(Web3.keccak(text="contract tests round config"))  # what openRound binds a round to
CHALLENGE_WINDOW = 3600
RESULT_TIMEOUT = 86400
DISPUTE_BOND = 50 * 10**6
FUNDS = 1_000 * 10**6  # 1,000 tGBP per peer


@dataclass
class Setup:
    w3: Web3
    deployment: Deployment
    community: ContractClients
    roles: RoleAccounts
    peers: list[LocalAccount]

    @property
    def cm(self) -> str:
        return self.roles.community_manager

    def key_of(self, address: str) -> bytes:
        """Private key of one of eth-tester's own accounts (the role holders)."""
        tester = self.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        for key in tester.backend.account_keys:
            if key.public_key.to_checksum_address() == address:
                return bytes(key.to_bytes())
        raise KeyError(address)

    @property
    def cm_key(self) -> bytes:
        return self.key_of(self.cm)

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def travel(self, seconds: int) -> None:
        """Move the chain's clock forward and mine a block."""
        tester = self.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        tester.time_travel(self.now() + seconds)
        tester.mine_blocks(1)


def payload(intervals: int = 24, seed: int = 1) -> bytes:
    """A peer's order payload as the oracle reads it (``FXO1``, flexunity.record.orders), hourly
    intervals; ``seed`` varies its load and PV."""
    peer = {
        "id": f"peer-{seed}",
        "tariff": "standard",
        "load_kw": [0.5 + 0.037 * ((t + seed) % 11) for t in range(intervals)],
        "pv_kw": [max(0.0, 0.9 - 0.08 * abs(t - 12)) * (seed % 3) for t in range(intervals)],
        "delta_exp": 0.9,
    }
    return encode_order(peer, intervals, 60)


def signed_order(
    community: ContractClients, peer: LocalAccount, round_id: int, nonce: int, deadline: int, data: bytes
) -> SignedOrder:
    order = Order.for_payload(round_id, peer.address, nonce, deadline, data)
    typed = order_typed_data(community.rounds.domain(), order)
    return SignedOrder(order, data, sign_typed_data(peer.key, typed))


def make_result(
    community: ContractClients, round_id: int, tree: SettlementTree, fees: int = 0, attempt: int = 0
) -> ClearingResult:
    return ClearingResult(
        attempt=attempt,
        round_id=round_id,
        order_digest=community.rounds.round(round_id).digest,
        results_root=tree.root,
        document_hash=b"\x11" * 32,
        leaf_count=len(tree.leaves),
        total_debit=tree.total_debit,
        total_credit=tree.total_credit,
        fees_total=fees,
        supplier_total=0,
        import_wh=1000,
        export_wh=2000,
        traded_wh=3000,
    )


def sign_result(domain: Domain, result: ClearingResult, *keys: bytes) -> list[bytes]:
    return [sign_typed_data(key, result_typed_data(domain, result)) for key in keys]


def skipped(community: ContractClients, sender: str, orders: list[SignedOrder]) -> str:
    """Relay ``orders``; the reasons the batch skipped them (the valid ones land), joined."""
    receipt = community.rounds.relay_orders(sender, orders)
    return "; ".join(reason for _, _, reason in community.rounds.skipped_orders(receipt))
